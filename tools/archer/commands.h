// The archer subcommands (one file each), registered on the CLI11 app by
// main.cc.
#ifndef ARCHER_TOOLS_ARCHER_COMMANDS_H_
#define ARCHER_TOOLS_ARCHER_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "archer/json.h"
#include "experiment/experiment_index.h"

namespace archer {
namespace cli {

// Each add_* registers a subcommand and sets `run` to the action to perform
// when it is chosen. An action returns the process exit code; it throws
// archer::Error for a one-line failure.
using Action = std::function<int()>;
void add_ss_gen(CLI::App& app, Action& run);
void add_create(CLI::App& app, Action& run);
void add_trial(CLI::App& app, Action& run);
void add_experiment(CLI::App& app, Action& run);
void add_stop(CLI::App& app, Action& run);
void add_log(CLI::App& app, Action& run);
void add_resume(CLI::App& app, Action& run);  // resume and view
void add_update(CLI::App& app, Action& run);
void add_top(CLI::App& app, Action& run);  // top and webui url

struct RunOptions;
// --foreground, --port, --no_server (create and resume).
void add_server_options(CLI::App* cmd, RunOptions* options);
// --port (0..65535), --url_prefix (checked), --allowed_host: for create,
// resume and view.
void add_web_options(CLI::App* cmd, RunOptions* options);

// The experiments index under a working directory: id -> {dir, status, ...}.
std::string experiments_index(const std::string& working_dir);
// The index as a JSON object ({} when missing); throws archer::Error naming
// a damaged index or registry.
Json load_index(const std::string& working_dir);
// Read-modify-write of the index under its lock (<index>.lock, so
// processes that end together lose no update), replaced atomically (a full
// disk keeps the old one). `change` edits the whole index. Throws
// archer::Error (also for a damaged index, which is never overwritten).
void update_index(const std::string& working_dir,
                  const std::function<void(Json&)>& change);
// The directory of experiment `id` (or of the most recent one when `id` is
// empty). Throws archer::Error naming what is missing.
std::string find_experiment_dir(const std::string& id,
                                const std::string& working_dir);
// Where experiment `id` is: its id, folder and the working directory whose
// index holds it. Throws archer::Error as find_experiment_dir.
ExperimentLocation locate_experiment(const std::string& id,
                                     const std::string& working_dir);
std::string default_working_dir();

}  // namespace cli
}  // namespace archer

#endif  // ARCHER_TOOLS_ARCHER_COMMANDS_H_
