// Running a program to completion with its output captured: argv (no shell),
// extra environment, data for its stdin, and a time limit after which its
// process group is killed.
#ifndef ARCHER_COMMON_SUBPROCESS_H_
#define ARCHER_COMMON_SUBPROCESS_H_

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "archer/status.h"

namespace archer {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or the time limit
  bool timed_out = false;
  std::string out, err;
};

// Runs argv[0] (searched on PATH) with `env` added to this process's
// environment. Fails only if the program cannot be started; a non-zero exit
// is reported in the result.
StatusOr<ProcessResult> run_process(
    const std::vector<std::string>& argv,
    const std::map<std::string, std::string>& env = {},
    const std::string& input = "",
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace archer

#endif  // ARCHER_COMMON_SUBPROCESS_H_
