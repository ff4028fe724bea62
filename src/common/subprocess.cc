#include "common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/bounded_file.h"

extern char** environ;

namespace archer {

ChildEnvironment::ChildEnvironment(
    const std::map<std::string, std::string>& env) {
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    const std::string name =
        eq ? std::string(*e, static_cast<size_t>(eq - *e)) : std::string(*e);
    if (!env.count(name)) text_.emplace_back(*e);
  }
  for (const auto& [k, v] : env) text_.push_back(k + "=" + v);
  for (auto& e : text_) pointers_.push_back(e.data());
  pointers_.push_back(nullptr);
}

void close_inherited_fds(int first) {
  if (::syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, 0) == 0)
    return;
  for (int fd = first; fd < 65536; ++fd) ::close(fd);  // kernels before 5.9
}

std::string output_tail(const std::string& text, std::uint64_t dropped,
                        size_t max_bytes) {
  const size_t cut = text.size() > max_bytes ? text.size() - max_bytes : 0;
  const std::uint64_t hidden = dropped + cut;
  std::string t = text.substr(cut);
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  if (hidden == 0) return t;
  return "[" + std::to_string(hidden) + " bytes before this not shown] ..." + t;
}

namespace {

// Appends `n` bytes to `kept`, keeping its last `max` (amortised: the front
// is dropped once it holds twice that).
void keep_tail(std::string& kept, std::uint64_t& dropped, const char* data,
               size_t n, size_t max) {
  if (n >= max) {
    dropped += kept.size() + (n - max);
    kept.assign(data + (n - max), max);
    return;
  }
  kept.append(data, n);
  if (kept.size() > 2 * max) {
    const size_t cut = kept.size() - max;
    dropped += cut;
    kept.erase(0, cut);
  }
}

}  // namespace

StatusOr<ProcessResult> run_process(
    const std::vector<std::string>& argv,
    const std::map<std::string, std::string>& env, const std::string& input,
    std::chrono::milliseconds timeout, const OutputCapture& capture) {
  if (argv.empty()) return Status::invalid_argument("run_process: no program");
  int out_file = -1;
  if (!capture.stdout_file.empty()) {
    out_file =
        ::open(capture.stdout_file.c_str(),
               O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (out_file < 0)
      return Status::io_error(capture.stdout_file +
                              ": cannot write: " + std::strerror(errno));
  }
  // A child that exits before reading all of its input must not kill us.
  struct sigaction old {};
  if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL)
    ::signal(SIGPIPE, SIG_IGN);
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 ||
      ::pipe2(err, O_CLOEXEC) != 0) {
    return Status::io_error(std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Everything the child needs is built before fork(): between fork and exec
  // a child of a multi-threaded process may not allocate (another thread may
  // have held the allocator's lock at the fork, and the child would wait for
  // it forever).
  ChildEnvironment child_env(env);
  char** envp = child_env.envp();
  const std::string cannot_run = std::string("cannot run ") + argv[0] + ": ";
  pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1], out_file})
      if (fd >= 0) ::close(fd);
    return Status::io_error(std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    close_inherited_fds(3);
    ::execvpe(args[0], args.data(), envp);
    const char* why = std::strerror(errno);
    ssize_t ignored = ::write(2, cannot_run.data(), cannot_run.size());
    ignored = ::write(2, why, std::strlen(why));
    ignored = ::write(2, "\n", 1);
    (void)ignored;
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  ProcessResult r;
  size_t written = 0;
  int in_fd = in[1];
  if (input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  } else {
    ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int open_fds = 2;
  while (open_fds > 0 || in_fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      r.timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    struct pollfd fds[3] = {
        {out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in_fd, POLLOUT, 0}};
    ::poll(fds, 3, static_cast<int>(std::min<long long>(left, 1000)));
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      char buf[65536];
      ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n > 0 && i == 0 && out_file >= 0) {
        if (!write_all(out_file, std::string_view(buf, static_cast<size_t>(n))))
          r.out_dropped += static_cast<std::uint64_t>(n);  // disk full
      } else if (n > 0) {
        keep_tail(i == 0 ? r.out : r.err,
                  i == 0 ? r.out_dropped : r.err_dropped, buf,
                  static_cast<size_t>(n), capture.max_bytes);
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        (i == 0 ? out[0] : err[0]) = -1;
        --open_fds;
      }
    }
    if (in_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n =
          ::write(in_fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
          written == input.size()) {
        ::close(in_fd);
        in_fd = -1;
      }
    }
  }
  if (in_fd >= 0) ::close(in_fd);
  if (out_file >= 0) ::close(out_file);
  if (out[0] >= 0) ::close(out[0]);
  if (err[0] >= 0) ::close(err[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = !r.timed_out && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  for (std::string* kept : {&r.out, &r.err}) {
    if (kept->size() > capture.max_bytes) {
      (kept == &r.out ? r.out_dropped : r.err_dropped) +=
          kept->size() - capture.max_bytes;
      kept->erase(0, kept->size() - capture.max_bytes);
    }
  }
  return r;
}

}  // namespace archer
