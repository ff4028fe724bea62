// The experiments index of a working directory (<dir>/.experiments, see
// store/experiment_files.h): experiment id -> {dir, status, pid, port, ...},
// for the CLI to find experiments. The per-experiment store stays the truth;
// the index only points at it.
#ifndef ARCHER_EXPERIMENT_EXPERIMENT_INDEX_H_
#define ARCHER_EXPERIMENT_EXPERIMENT_INDEX_H_

#include <functional>
#include <string>

#include "archer/json.h"
#include "archer/status.h"

namespace archer {

// The index as a JSON object ({} when missing or unreadable).
Json load_index(const std::string& working_dir);
// Read-modify-write of the index under its lock (<index>.lock, so
// processes that end together lose no update), written atomically through a
// temp file of this process's own. `change` edits the whole index.
Status update_index(const std::string& working_dir,
                    const std::function<void(Json&)>& change);
// The same for one experiment's entry (created if missing).
Status update_index_entry(const std::string& working_dir, const std::string& id,
                          const std::function<void(Json&)>& change);
// The directory of experiment `id` (or of the most recent one when `id` is
// empty); the error names what is missing.
StatusOr<std::string> find_experiment_dir(const std::string& id,
                                          const std::string& working_dir);
// $HOME/archer-experiments.
std::string default_working_dir();

}  // namespace archer

#endif  // ARCHER_EXPERIMENT_EXPERIMENT_INDEX_H_
