// NNI's dispatcher as a child of the manager: `<python> -m nni --exp_params
// <base64 of the experiment's NNI config>` in its own process group, its
// stdout and stderr appended to a log file (where its traceback lands; at
// most kMaxDispatcherLog, then it becomes <log>.1 and a new one starts), and
// the command channel NNI's version expects: a WebSocket given as
// NNI_TUNER_COMMAND_CHANNEL (NNI >= 2.7), or pipes on its fds 3 and 4.
// Nothing here blocks: exited() asks without waiting.
#ifndef ARCHER_DISPATCHER_DISPATCHER_PROCESS_H_
#define ARCHER_DISPATCHER_DISPATCHER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "archer/json.h"
#include "dispatcher/tuner_channel.h"

namespace archer {

class LogPump;

constexpr std::uint64_t kMaxDispatcherLog = std::uint64_t{16} << 20;

struct DispatcherOptions {
  std::string python = "python3";
  Json exp_params;       // what NNI's manager passes: tuner, assessor, ...
  std::string log_path;  // appended to
  std::map<std::string, std::string> env;  // PYTHONPATH, NNI_MODE, ...
  enum class Channel { kWebSocket, kPipes };
  Channel channel = Channel::kWebSocket;
};

class DispatcherProcess {
 public:
  static StatusOr<std::unique_ptr<DispatcherProcess>> start(
      const DispatcherOptions& options);
  // Kills the process group if it still runs.
  ~DispatcherProcess();

  TunerChannel& channel() { return *channel_; }
  pid_t pid() const { return pid_; }
  // Once it exited: how ("exit code 1", "killed by signal 9").
  std::optional<std::string> exited();
  // The end of its log (the traceback of a crash), at most `bytes`, as text:
  // terminal escapes dropped, other control characters (but newline and tab)
  // replaced by '?'.
  std::string log_tail(size_t bytes = 4000) const;
  // SIGTERM to its group, SIGKILL after `grace`; waits for it.
  void stop(std::chrono::milliseconds grace);

 private:
  DispatcherProcess() = default;
  pid_t pid_ = -1;
  std::optional<std::string> exit_;
  std::string log_path_;
  std::unique_ptr<LogPump> log_pump_;
  std::unique_ptr<TunerChannel> channel_;
};

}  // namespace archer

#endif  // ARCHER_DISPATCHER_DISPATCHER_PROCESS_H_
