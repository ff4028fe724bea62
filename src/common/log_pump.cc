#include "common/log_pump.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "common/bounded_file.h"

namespace archer {

struct LogPump::State {
  std::mutex mu;
  std::condition_variable cv;
  bool drained = false;
};

namespace {

int open_log(const std::string& path) {
  return ::open(path.c_str(),
                O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
}

void pump(int in, int out, std::string path, std::uint64_t max_bytes,
          std::shared_ptr<LogPump::State> state) {
  struct stat st {};
  std::uint64_t size =
      ::fstat(out, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (size >= max_bytes) {  // rotate: the newest output is kept
      ::close(out);
      std::rename(path.c_str(), (path + ".1").c_str());
      out = open_log(path);
      size = 0;
    }
    if (out < 0) continue;  // drained all the same: the child never blocks
    // On a full disk this chunk is lost, not the child.
    write_all(out, std::string_view(buf, static_cast<size_t>(n)));
    size += static_cast<std::uint64_t>(n);
  }
  ::close(in);
  if (out >= 0) ::close(out);
  std::lock_guard<std::mutex> lock(state->mu);
  state->drained = true;
  state->cv.notify_all();
}

}  // namespace

StatusOr<std::unique_ptr<LogPump>> LogPump::start(int read_fd,
                                                  const std::string& path,
                                                  std::uint64_t max_bytes) {
  const int out = open_log(path);
  if (out < 0) {
    const int err = errno;
    ::close(read_fd);
    return Status::io_error(path +
                            ": cannot open the log: " + std::strerror(err));
  }
  auto state = std::make_shared<State>();
  std::thread(pump, read_fd, out, path, max_bytes, state).detach();
  return std::unique_ptr<LogPump>(new LogPump(state));
}

LogPump::~LogPump() = default;

bool LogPump::wait_drained(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(state_->mu);
  return state_->cv.wait_for(lock, timeout, [&] { return state_->drained; });
}

}  // namespace archer
