#include "dispatcher/dispatcher_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "common/base64.h"
#include "common/log_pump.h"
#include "common/subprocess.h"
#include "common/text.h"
#include "dispatcher/pipe_channel.h"
#include "dispatcher/websocket_channel.h"

namespace archer {

namespace {

std::string random_token() {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string t;
  for (int i = 0; i < 24; ++i) t += kAlphabet[rd() % 36];
  return t;
}

std::string describe(int status) {
  if (WIFEXITED(status))
    return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended (status " + std::to_string(status) + ")";
}

}  // namespace

StatusOr<std::unique_ptr<DispatcherProcess>> DispatcherProcess::start(
    const DispatcherOptions& o) {
  std::unique_ptr<DispatcherProcess> d(new DispatcherProcess());
  d->log_path_ = o.log_path;
  std::map<std::string, std::string> env = o.env;
  int to_child[2] = {-1, -1}, from_child[2] = {-1, -1};
  if (o.channel == DispatcherOptions::Channel::kWebSocket) {
    auto ws = WebSocketChannel::listen(random_token());
    if (!ws.is_ok()) return ws.status();
    env["NNI_TUNER_COMMAND_CHANNEL"] = ws.value()->url();
    d->channel_ = std::move(ws).value();
  } else if (::pipe2(to_child, O_CLOEXEC) != 0 ||
             ::pipe2(from_child, O_CLOEXEC) != 0) {
    return Status::io_error(std::string("dispatcher pipes: ") +
                            std::strerror(errno));
  }
  // Its output goes through a pipe to a bounded log (log_pump.h): a
  // dispatcher printing without end cannot fill the disk or the memory.
  int log_pipe[2];
  if (::pipe2(log_pipe, O_CLOEXEC) != 0)
    return Status::io_error(std::string("dispatcher log pipe: ") +
                            std::strerror(errno));
  auto pump = LogPump::start(log_pipe[0], o.log_path, kMaxDispatcherLog);
  if (!pump.is_ok()) {
    ::close(log_pipe[1]);
    return pump.status().with_context("the dispatcher's log");
  }
  d->log_pump_ = std::move(pump).value();
  const int log = log_pipe[1];
  const std::string params = base64_encode(dumps(o.exp_params));
  std::vector<std::string> argv = {o.python, "-m", "nni", "--exp_params",
                                   params};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  // Built before fork(): a child of a multi-threaded process may not
  // allocate before exec (setenv would).
  ChildEnvironment child_env(env);
  char** envp = child_env.envp();
  const std::string cannot_run = std::string("cannot run ") + args[0] + ": ";
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log);
    return Status::io_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::dup2(devnull, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    int keep = 3;
    if (to_child[0] >= 0) {
      // Out of the way of 3 and 4 first, then onto them (dup2 clears
      // close-on-exec).
      const int r = ::fcntl(to_child[0], F_DUPFD_CLOEXEC, 10);
      const int w = ::fcntl(from_child[1], F_DUPFD_CLOEXEC, 10);
      ::dup2(r, 3);
      ::dup2(w, 4);
      keep = 5;
    }
    close_inherited_fds(keep);
    ::execvpe(args[0], args.data(), envp);
    const char* why = std::strerror(errno);
    [[maybe_unused]] ssize_t n =
        ::write(2, cannot_run.data(), cannot_run.size());
    n = ::write(2, why, std::strlen(why));
    n = ::write(2, "\n", 1);
    ::_exit(127);
  }
  ::close(log);
  ::setpgid(pid, pid);  // as the child does: no race with an early stop()
  d->pid_ = pid;
  if (to_child[0] >= 0) {
    ::close(to_child[0]);
    ::close(from_child[1]);
    d->channel_ = std::make_unique<PipeChannel>(from_child[0], to_child[1]);
  }
  return d;
}

DispatcherProcess::~DispatcherProcess() {
  if (pid_ > 0 && !exited()) stop(std::chrono::milliseconds(0));
}

std::optional<std::string> DispatcherProcess::exited() {
  if (exit_ || pid_ < 0) return exit_;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) exit_ = describe(status);
  return exit_;
}

std::string DispatcherProcess::log_tail(size_t bytes) const {
  // Once it ended, its last words are in the file before they are read.
  if (exit_ && log_pump_)
    log_pump_->wait_drained(std::chrono::milliseconds(2000));
  std::ifstream in(log_path_, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > static_cast<std::streamoff>(bytes)
                                  ? size - static_cast<std::streamoff>(bytes)
                                  : 0;
  in.seekg(from);
  std::string raw(static_cast<size_t>(size - from), '\0');
  in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
  // Data for a terminal and a log, never commands to them.
  return printable_text(raw);
}

void DispatcherProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0 || exited()) return;  // never kill(-0) or kill(1)
  ::kill(-pid_, SIGTERM);
  const auto limit = std::chrono::steady_clock::now() + grace;
  while (!exited() && std::chrono::steady_clock::now() < limit)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (exited()) return;
  ::kill(-pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_ = describe(status);
}

}  // namespace archer
