// Running a program to completion with its output captured: argv (no shell),
// extra environment, data for its stdin, and a time limit after which its
// process group is killed.
#ifndef ARCHER_COMMON_SUBPROCESS_H_
#define ARCHER_COMMON_SUBPROCESS_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "archer/status.h"

namespace archer {

// What run_process keeps of a child's output: nothing a child prints can
// exhaust the manager's memory. Each stream keeps its last `max_bytes` (the
// end of a log is where the error is); what came before is dropped and
// counted. With `stdout_file`, stdout is instead streamed to that file
// (created or truncated, no symlink followed) and not kept in memory.
constexpr size_t kMaxCapturedOutput = size_t{1} << 20;  // 1 MiB per stream
struct OutputCapture {
  size_t max_bytes = kMaxCapturedOutput;
  std::string stdout_file;
};

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or the time limit
  bool timed_out = false;
  std::string out, err;  // the last OutputCapture::max_bytes of each
  // Bytes dropped from the start of out and err (0: all kept).
  std::uint64_t out_dropped = 0, err_dropped = 0;
};

// Runs argv[0] (searched on PATH) with `env` added to this process's
// environment; the child inherits no descriptor but its stdin, stdout and
// stderr. Fails only if the program cannot be started (or `stdout_file`
// cannot be opened); a non-zero exit is reported in the result.
StatusOr<ProcessResult> run_process(
    const std::vector<std::string>& argv,
    const std::map<std::string, std::string>& env = {},
    const std::string& input = "",
    std::chrono::milliseconds timeout = std::chrono::seconds(60),
    const OutputCapture& capture = {});

// `text`'s last `max_bytes`, for a message: "[N bytes before this not
// shown] ..." when `dropped` (bytes already dropped) or the cut is not 0.
std::string output_tail(const std::string& text, std::uint64_t dropped,
                        size_t max_bytes);

// This process's environment with `env` added (replacing variables of the
// same name), for execve: built before fork(), since a child of a
// multi-threaded process may not allocate between fork and exec (another
// thread may have held the allocator's lock at the fork).
class ChildEnvironment {
 public:
  explicit ChildEnvironment(const std::map<std::string, std::string>& env);
  ChildEnvironment(const ChildEnvironment&) = delete;
  ChildEnvironment& operator=(const ChildEnvironment&) = delete;
  // NULL-terminated; valid while this object lives.
  char** envp() { return pointers_.data(); }

 private:
  std::vector<std::string> text_;
  std::vector<char*> pointers_;
};

// For a forked child just before exec: closes every descriptor from `first`
// on (close_range), so that no pipe, socket or file of the manager (a
// listening port, the CLI's ready pipe, a store) outlives into a child that
// was not meant to have it. Async-signal-safe.
void close_inherited_fds(int first);

}  // namespace archer

#endif  // ARCHER_COMMON_SUBPROCESS_H_
