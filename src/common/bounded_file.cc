#include "common/bounded_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace archer {

namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symlink";
  return "not a regular file";
}

Status require_regular(int fd, const std::string& what) {
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return Status::io_error(what + ": fstat failed: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) {
    return Status::invalid_argument(what + ": expected a regular file, found " +
                                    kind_of(st.st_mode));
  }
  return Status::ok();
}

Status open_error(const std::string& what, int err) {
  if (err == ENOENT || err == ENOTDIR)
    return Status::not_found(what + ": no such file");
  if (err == ELOOP)
    return Status::invalid_argument(what +
                                    ": is a symlink, which is not followed");
  return Status::io_error(what + ": cannot open: " + std::strerror(err));
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

StatusOr<std::uint64_t> file_size(int fd, const std::string& what) {
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return Status::io_error(what + ": fstat failed: " + std::strerror(errno));
  return static_cast<std::uint64_t>(st.st_size);
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

StatusOr<std::string> read_at(int fd, std::uint64_t offset, size_t max_bytes,
                              const std::string& what) {
  std::string out;
  std::vector<char> buf(65536);
  while (out.size() < max_bytes) {
    size_t want = std::min(buf.size(), max_bytes - out.size());
    ssize_t n =
        ::pread(fd, buf.data(), want, static_cast<off_t>(offset + out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return Status::io_error(what + ": read failed: " + std::strerror(errno));
    }
    if (n == 0) break;
    out.append(buf.data(), static_cast<size_t>(n));
  }
  return out;
}

StatusOr<std::string> read_regular_file(const std::string& path,
                                        size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    int err = errno;
    if (err == ENOENT)
      return Status::not_found(path + ": cannot open file for reading");
    return open_error(path, err);
  }
  if (Status st = require_regular(fd.get(), path); !st.is_ok()) return st;
  auto size = file_size(fd.get(), path);
  if (!size.is_ok()) return size.status();
  if (size.value() > max_bytes) {
    return Status::invalid_argument(
        path + ": file is " + std::to_string(size.value()) +
        " bytes, at most " + std::to_string(max_bytes) + " are read");
  }
  auto text = read_at(fd.get(), 0, max_bytes + 1, path);
  if (text.is_ok() && text.value().size() > max_bytes) {
    return Status::invalid_argument(path + ": file grew past " +
                                    std::to_string(max_bytes) + " bytes");
  }
  return text;
}

StatusOr<UniqueFd> open_beneath(const std::string& root,
                                std::string_view relative) {
  const std::string what = root + "/" + std::string(relative);
  if (relative.empty() || relative.front() == '/')
    return Status::invalid_argument(what + ": not a relative path");
  UniqueFd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return open_error(root, errno);
  size_t start = 0;
  while (true) {
    size_t slash = relative.find('/', start);
    std::string part(relative.substr(start, slash == std::string_view::npos
                                                ? relative.npos
                                                : slash - start));
    if (part.empty() || part == "." || part == "..")
      return Status::invalid_argument(what + ": bad path component '" + part +
                                      "'");
    const bool last = slash == std::string_view::npos;
    int flags =
        O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (last ? O_NONBLOCK : O_DIRECTORY);
    UniqueFd next(::openat(dir.get(), part.c_str(), flags));
    if (next.get() < 0) {
      int err = errno;
      struct stat st;
      if ((err == ENOTDIR || err == ELOOP) &&
          ::fstatat(dir.get(), part.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        return Status::invalid_argument(
            what + ": '" + part + "' is " + kind_of(st.st_mode) +
            (S_ISLNK(st.st_mode) ? ", which is not followed" : ""));
      }
      return open_error(what, err);
    }
    if (last) {
      if (Status st = require_regular(next.get(), what); !st.is_ok()) return st;
      return next;
    }
    dir = std::move(next);
    start = slash + 1;
  }
}

StatusOr<std::string> read_beneath(const std::string& root,
                                   std::string_view relative,
                                   size_t max_bytes) {
  auto fd = open_beneath(root, relative);
  if (!fd.is_ok()) return fd.status();
  return read_at(fd.value().get(), 0, max_bytes,
                 root + "/" + std::string(relative));
}

}  // namespace archer
