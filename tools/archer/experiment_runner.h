// Running a manager from the CLI (create, resume, view): in this terminal or
// detached, with its REST server, progress line, requests and signals.
#ifndef ARCHER_TOOLS_ARCHER_EXPERIMENT_RUNNER_H_
#define ARCHER_TOOLS_ARCHER_EXPERIMENT_RUNNER_H_

#include <functional>
#include <string>
#include <vector>

#include "archer/config.h"

namespace archer {
namespace cli {

struct RunOptions {
  int port = 8080;         // REST port on 127.0.0.1 (0: any free one)
  bool no_server = false;  // no REST server (read-only commands still work)
  bool foreground = false;
  std::string url_prefix;  // NNI's --url_prefix: web UI and API under it
  std::vector<std::string> allowed_hosts;  // extra Host names (a proxy's)
};

// Runs `body(ready_fd)` in this process (foreground: ready_fd -1) or in a
// detached child whose output goes to <dir>/log/manager.log; then this
// process waits until the child writes "OK\n<lines>" (printed) or "ERR <msg>"
// (thrown) to ready_fd, and returns 0.
int run_maybe_detached(const std::string& dir, bool foreground,
                       const std::string& stop_hint,
                       const std::function<int(int& ready_fd)>& body);

// Runs experiment `id` (directory `dir`, store <dir>/db/archer.sqlite) until
// it is DONE or stopped (Ctrl-C, SIGTERM, `archer stop`, DELETE /experiment),
// holding the experiment's ManagerLock (refused if another process has it).
// `resume`: continue the stored experiment instead of starting it. Updates the
// experiments index. Throws archer::Error.
int run_experiment(const std::string& id, const std::string& dir,
                   const ExperimentConfig& config, bool resume,
                   const RunOptions& options, int& ready_fd);

// Serves the stored experiment read-only (archer view) until SIGINT/SIGTERM.
int run_viewer(const std::string& id, const std::string& dir,
               const std::string& working_dir, const RunOptions& options,
               int& ready_fd);

// Tells a waiting parent that the child is ready (or failed): "OK\n" + text
// or "ERR " + text. No-op for -1; closes the descriptor and sets it to -1.
void report_ready(int& ready_fd, bool ok, const std::string& text);

}  // namespace cli
}  // namespace archer

#endif  // ARCHER_TOOLS_ARCHER_EXPERIMENT_RUNNER_H_
