// A child's output appended to a log file that cannot grow without bound:
// a thread copies everything read from a pipe into `path`; when the file
// passes `max_bytes` it becomes `path`.1 (replacing an older one) and a new
// `path` starts, so at most the last 2 x max_bytes stay on disk and the end
// of the output (where a traceback is) is always kept. Memory use is one
// 64 KiB buffer.
#ifndef ARCHER_COMMON_LOG_PUMP_H_
#define ARCHER_COMMON_LOG_PUMP_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "archer/status.h"

namespace archer {

class LogPump {
 public:
  // Takes ownership of `read_fd` (the pipe's read end) and starts copying
  // into `path` (opened for appending; its current size counts). Fails if
  // `path` cannot be opened.
  static StatusOr<std::unique_ptr<LogPump>> start(int read_fd,
                                                  const std::string& path,
                                                  std::uint64_t max_bytes);
  // Does not wait: the copying thread ends by itself when every writer of
  // the pipe has closed it.
  ~LogPump();
  // Waits at most `timeout` until everything written to the pipe is in the
  // file (every writer closed it); true if so.
  bool wait_drained(std::chrono::milliseconds timeout);

  struct State;

 private:
  explicit LogPump(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace archer

#endif  // ARCHER_COMMON_LOG_PUMP_H_
