#include "manager/manager_lock.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "archer/json.h"
#include "common/bounded_file.h"
#include "store/experiment_files.h"

namespace archer {

namespace {

struct flock whole_file(short type) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  return fl;
}

std::string describe(const ManagerIdentity& who) {
  std::string s = who.role.empty() ? "starting" : who.role;
  if (who.pid > 0) s += ", process " + std::to_string(who.pid);
  return s;
}

ManagerIdentity parse_identity(const std::string& text) {
  auto j = parse_json(text, "manager.lock");
  ManagerIdentity who;
  if (!j.is_ok() || !j.value().is_object()) return who;
  const Json& v = j.value();
  auto num = [&](const char* key) -> std::int64_t {
    return v.contains(key) && v[key].is_number_integer()
               ? v[key].get<std::int64_t>()
               : 0;
  };
  who.pid = static_cast<pid_t>(num("pid"));
  who.start_time = static_cast<std::uint64_t>(num("startTime"));
  who.port = static_cast<int>(num("port"));
  if (v.contains("role") && v["role"].is_string())
    who.role = v["role"].get<std::string>();
  if (v.contains("urlPrefix") && v["urlPrefix"].is_string())
    who.url_prefix = v["urlPrefix"].get<std::string>();
  return who;
}

Status write_identity(int fd, const std::string& path, const Json& j) {
  const std::string text = dumps(j) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) !=
                                     static_cast<ssize_t>(text.size())) {
    return Status::io_error(path + ": cannot write: " + std::strerror(errno));
  }
  return Status::ok();
}

// True if process `pid` has the file (device, inode) open: it holds the lock
// only if it holds a descriptor on the lock file.
bool has_open(pid_t pid, dev_t dev, ino_t ino) {
  const std::string fds = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(fds.c_str());
  if (!d) return false;
  bool found = false;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    struct stat st;
    if (::stat((fds + "/" + e->d_name).c_str(), &st) == 0 && st.st_dev == dev &&
        st.st_ino == ino) {
      found = true;
      break;
    }
  }
  ::closedir(d);
  return found;
}

}  // namespace

std::string manager_lock_path(const std::string& experiment_dir) {
  return files::lock_path(experiment_dir);
}

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  auto text = read_regular_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!text.is_ok()) return std::nullopt;
  const std::string& s = text.value();
  auto close = s.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(s.substr(close + 2));
  std::string field;
  // Fields after the command: state is field 3; starttime is field 22.
  for (int i = 3; i <= 22; ++i) {
    if (!(in >> field)) return std::nullopt;
  }
  try {
    return std::stoull(field);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

ManagerLock::ManagerLock(int fd, std::string path, std::string role)
    : fd_(fd), path_(std::move(path)), role_(std::move(role)) {}

ManagerLock::ManagerLock(ManagerLock&& o) noexcept
    : fd_(o.fd_), path_(std::move(o.path_)), role_(std::move(o.role_)) {
  o.fd_ = -1;
}

ManagerLock::~ManagerLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the OFD lock
}

StatusOr<ManagerLock> ManagerLock::acquire(const std::string& experiment_dir,
                                           const std::string& role) {
  const std::string path = manager_lock_path(experiment_dir);
  int fd = ::open(path.c_str(),
                  O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
  if (fd < 0) {
    return Status::io_error(
        path + ": cannot open the experiment's lock: " + std::strerror(errno));
  }
  struct flock fl = whole_file(F_WRLCK);
  if (::fcntl(fd, F_OFD_SETLK, &fl) != 0) {
    const int err = errno;
    ::close(fd);
    if (err != EAGAIN && err != EACCES) {
      return Status::io_error(path + ": cannot lock: " + std::strerror(err));
    }
    auto who = lock_holder(experiment_dir);
    return Status::invalid_argument(
        "the experiment in " + experiment_dir + " is already " +
        (who && who->role == "viewer" ? "being viewed" : "running") + " (" +
        (who ? describe(*who) : std::string("another process")) +
        "); stop it first with `archer stop`");
  }
  ManagerLock lock(fd, path, role);
  Status st = lock.publish(0, "");
  if (!st.is_ok()) return st;
  return lock;
}

Status ManagerLock::publish(int port, const std::string& url_prefix) {
  const pid_t pid = ::getpid();
  Json j = {{"pid", static_cast<std::int64_t>(pid)},
            {"startTime",
             static_cast<std::int64_t>(process_start_time(pid).value_or(0))},
            {"role", role_},
            {"port", port},
            {"urlPrefix", url_prefix}};
  return write_identity(fd_, path_, j);
}

std::optional<ManagerIdentity> lock_holder(const std::string& experiment_dir) {
  const std::string path = manager_lock_path(experiment_dir);
  UniqueFd fd(
      ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (fd.get() < 0) return std::nullopt;
  struct flock fl = whole_file(F_WRLCK);
  if (::fcntl(fd.get(), F_OFD_GETLK, &fl) != 0 || fl.l_type == F_UNLCK)
    return std::nullopt;
  auto text = read_at(fd.get(), 0, 4096, path);
  return parse_identity(text.is_ok() ? text.value() : "");
}

Status signal_holder(const std::string& experiment_dir, int sig) {
  auto who = lock_holder(experiment_dir);
  if (!who)
    return Status::not_found("no manager runs the experiment in " +
                             experiment_dir);
  if (who->pid <= 0)
    return Status::invalid_argument("the experiment's manager is starting");
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, who->pid, 0));
  if (pidfd < 0) {
    return Status::invalid_argument("process " + std::to_string(who->pid) +
                                    " is gone; nothing signalled");
  }
  UniqueFd guard(pidfd);
  // With the pidfd open the pid cannot be reused: check it is the process
  // that wrote the lock (same start time), that the lock is still held, and
  // that this process has the lock file open (the file's text alone is a
  // claim, not a proof).
  auto started = process_start_time(who->pid);
  auto again = lock_holder(experiment_dir);
  struct stat lock_file;
  const bool open_by_it =
      ::stat(manager_lock_path(experiment_dir).c_str(), &lock_file) == 0 &&
      has_open(who->pid, lock_file.st_dev, lock_file.st_ino);
  if (!started || *started != who->start_time || !again ||
      again->pid != who->pid || !open_by_it) {
    return Status::invalid_argument(
        "process " + std::to_string(who->pid) +
        " is no longer the experiment's manager; nothing signalled");
  }
  if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) != 0) {
    return Status::io_error("cannot signal process " +
                            std::to_string(who->pid) + ": " +
                            std::strerror(errno));
  }
  return Status::ok();
}

}  // namespace archer
