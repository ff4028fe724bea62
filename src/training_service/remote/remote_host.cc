#include "training_service/remote/remote_host.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/subprocess.h"
#include "training_service/code_files.h"
#include "training_service/run_script.h"

namespace archer {

namespace fs = std::filesystem;

void RemoteInbox::push(Line line) {
  std::lock_guard<std::mutex> lock(mu);
  lines.push_back(std::move(line));
  std::uint64_t one = 1;
  ssize_t ignored = ::write(event_fd, &one, sizeof(one));
  (void)ignored;
}

std::vector<RemoteInbox::Line> RemoteInbox::take() {
  std::lock_guard<std::mutex> lock(mu);
  std::uint64_t count;
  ssize_t ignored = ::read(event_fd, &count, sizeof(count));
  (void)ignored;
  std::vector<Line> out(lines.begin(), lines.end());
  lines.clear();
  return out;
}

std::string remote_watcher_script(const std::string& trials_dir) {
  // POSIX sh; per-trial state in variables named after the (alphanumeric)
  // trial ids. Metrics before the state line, so none is lost.
  return "T=" + shell_quote(trials_dir) + R"SH(
mkdir -p "$T"
alive() {  # pid: running (a zombie an absent init did not reap is not)
  if [ -r "/proc/$1/stat" ]; then
    s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
    [ -n "$s" ] && [ "$s" != Z ]
  else
    kill -0 "$1" 2>/dev/null
  fi
}
send() {  # id offset size: the bytes of .nni/metrics in [offset, size)
  printf 'M %s %s\n' "$1" "$(tail -c +$(($2 + 1)) "$T/$1/.nni/metrics" | head -c $(($3 - $2)) | base64 -w0)"
}
# With inotifywait (inotify-tools) on the host, wait for a change in the
# running trials' .nni directories (or a new trial) instead of polling every
# 0.2 s. The wait starts before the scan, so a change during the scan wakes
# the next one; a process that dies without an exit state is seen within 1 s.
notify=
[ -z "${ARCHER_WATCH_POLL:-}" ] && command -v inotifywait >/dev/null 2>&1 &&
  notify=1
beat=0
while :; do
  beat=$((beat + 1))
  # A heartbeat: if the connection is gone, writing it ends this loop.
  [ $((beat % 25)) -eq 0 ] && echo H
  if [ -n "$notify" ]; then
    set -- "$T"
    for d in "$T"/*; do
      [ -d "$d/.nni" ] || continue
      id=${d##*/}
      eval "done=\${done_$id:-}"
      [ -z "$done" ] && set -- "$@" "$d/.nni"
    done
    inotifywait -qq -t 1 -e close_write -e modify -e create -e moved_to \
      "$@" >/dev/null 2>&1 &
    waiter=$!
    sleep 0.01  # its watches are set before the scan
  fi
  for d in "$T"/*; do
    [ -d "$d/.nni" ] || continue
    id=${d##*/}
    eval "done=\${done_$id:-}"
    [ -n "$done" ] && continue
    eval "off=\${off_$id:-0}"
    # The state before the size: a trial writes its metrics, then its state,
    # so metrics read after the state was seen are complete (read the other
    # way round, a trial ending between the two lost its last metrics).
    ended=
    [ -f "$d/.nni/state" ] && ended=1
    size=$(wc -c < "$d/.nni/metrics" 2>/dev/null || echo 0)
    if [ "$size" -gt "$off" ]; then
      send "$id" "$off" "$size"
      eval "off_$id=$size"
      off=$size
    fi
    if [ -n "$ended" ]; then
      printf 'S %s %s\n' "$id" "$(cat "$d/.nni/state")"
      eval "done_$id=1"
    elif [ -f "$d/.nni/pid" ] && ! alive "$(cat "$d/.nni/pid")"; then
      sleep 0.05
      if [ ! -f "$d/.nni/state" ]; then
        size=$(wc -c < "$d/.nni/metrics" 2>/dev/null || echo 0)
        [ "$size" -gt "$off" ] && send "$id" "$off" "$size"
        printf 'D %s\n' "$id"
        eval "done_$id=1"
      fi
    fi
  done
  if [ -n "$notify" ]; then
    wait "$waiter"
    case $? in
      0) ;;
      2) echo H ;;  # a quiet second: check the connection
      *) sleep 0.2 ;;  # a directory went away meanwhile
    esac
  else
    sleep 0.2
  fi
done
)SH";
}

RemoteHost::RemoteHost(size_t index, SshMachine machine,
                       std::string python_path, std::string control_dir,
                       std::string root, std::shared_ptr<RemoteInbox> inbox)
    : index_(index),
      machine_(std::move(machine)),
      python_path_(std::move(python_path)),
      control_dir_(std::move(control_dir)),
      root_(std::move(root)),
      inbox_(std::move(inbox)) {}

RemoteHost::~RemoteHost() { take_down(); }

Status RemoteHost::bring_up(const std::string& code_dir) {
  auto connected = SshHost::connect(machine_, control_dir_);
  if (!connected.is_ok()) return connected.status();
  ssh_ = std::move(connected).value();
  Status st = uploaded_ ? Status::ok() : upload(code_dir);
  if (st.is_ok()) st = start_watcher();
  if (!st.is_ok()) {
    ssh_.reset();
    return st;
  }
  uploaded_ = true;
  backoff = std::chrono::seconds(1);
  return Status::ok();
}

Status RemoteHost::upload(const std::string& code_dir) {
  auto files = files_to_upload(code_dir);
  if (!files.is_ok()) return files.status();
  const std::string code =
      root_ + "/code/" + code_fingerprint(code_dir, files.value());
  // This version of the code may be there already (a resume, a reconnection).
  auto present = ssh_->run_raw("mkdir -p " + shell_quote(root_ + "/trials") +
                                   " && test -d " + shell_quote(code),
                               "", std::chrono::seconds(30));
  if (present.is_ok() && present.value().exit_code == 0) {
    code_path_ = code;
    return Status::ok();
  }
  std::string list;
  for (const auto& f : files.value()) list += f + '\0';
  // Extracted beside, then renamed: a trial never starts from half the code.
  const std::string partial = shell_quote(code + ".partial");
  std::string remote_cmd = "rm -rf " + partial + " && mkdir -p " + partial +
                           " && tar -xzf - -C " + partial + " && mv " +
                           partial + " " + shell_quote(code);
  std::string ssh;
  for (const auto& a : ssh_->command_line(remote_cmd))
    ssh += (ssh.empty() ? "" : " ") + shell_quote(a);
  const std::string pipeline =
      "tar -C " + shell_quote(code_dir) + " --null -T - -czf - | " + ssh;
  auto r =
      run_process({"sh", "-c", pipeline}, {}, list, std::chrono::minutes(10));
  if (!r.is_ok()) return r.status();
  if (r.value().exit_code != 0) {
    return Status::io_error(
        "ssh " + machine_.name() +
        ": uploading the trial code failed: " + r.value().err);
  }
  code_path_ = code;
  return Status::ok();
}

Status RemoteHost::start_watcher() {
  ++generation_;
  std::vector<std::string> argv = ssh_->command_line(
      "sh -c " + shell_quote(remote_watcher_script(root_ + "/trials")));
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    return Status::io_error(std::string("pipe: ") + std::strerror(errno));
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return Status::io_error("fork failed");
  if (pid == 0) {
    ::setpgid(0, 0);
    int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    ::dup2(devnull, 0);
    ::dup2(out[1], 1);
    ::dup2(devnull, 2);
    close_inherited_fds(3);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here: no race with the child's own call
  ::close(out[1]);
  watcher_ = pid;
  const int fd = out[0];
  const size_t index = index_;
  const int generation = generation_;
  std::shared_ptr<RemoteInbox> inbox = inbox_;
  reader_ = std::thread([fd, index, generation, inbox] {
    std::string buffer;
    char chunk[65536];
    while (true) {
      ssize_t n = ::read(fd, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
      // A line longer than any the watcher writes is not kept whole.
      if (buffer.size() > (size_t{1} << 20) &&
          buffer.find('\n') == std::string::npos)
        buffer.clear();
      size_t start = 0, nl;
      while ((nl = buffer.find('\n', start)) != std::string::npos) {
        inbox->push({index, generation, buffer.substr(start, nl - start)});
        start = nl + 1;
      }
      buffer.erase(0, start);
    }
    ::close(fd);
    inbox->push({index, generation, "X the connection to the host ended"});
  });
  return Status::ok();
}

void RemoteHost::stop_watcher() {
  if (watcher_ > 0) {
    ::kill(-watcher_, SIGKILL);
    ::kill(watcher_, SIGKILL);
    int status;
    ::waitpid(watcher_, &status, 0);
    watcher_ = -1;
  }
  if (reader_.joinable()) reader_.join();
}

void RemoteHost::take_down() {
  stop_watcher();
  ssh_.reset();
}

}  // namespace archer
