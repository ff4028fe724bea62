// The experiments index of a working directory (<dir>/.experiments, see
// store/experiment_files.h): experiment id -> {dir, status, pid, port, ...},
// for the CLI to find experiments. The per-experiment store stays the truth;
// the index only points at it.
//
// The index of the default working directory ($HOME/archer-experiments) is
// also the registry: an experiment created under another working directory
// is recorded there as a pointer {"dir", "workingDir"}, so its id resolves
// from anywhere (as nnictl finds an experiment by id). The pointed-to
// directory's own index stays the truth for its status, pid and port.
#ifndef ARCHER_EXPERIMENT_EXPERIMENT_INDEX_H_
#define ARCHER_EXPERIMENT_EXPERIMENT_INDEX_H_

#include <functional>
#include <string>

#include "archer/json.h"
#include "archer/status.h"

namespace archer {

// What the CLI sees: the index of `working_dir` plus every experiment of the
// registry (pointers resolved through their own working directory's index;
// each such entry carries "workingDir"). An entry whose folder is gone, or
// whose working directory's index no longer knows it, has status "MISSING"
// and a "missing" reason.
// Entries that are not mappings with a string "dir" are left out, and known
// keys of the wrong type dropped (the file may have been edited by hand).
// A JSON object; an error naming the file when the index of `working_dir` or
// the registry exists but is not a readable JSON object (a pointed-to
// working directory's damaged index makes that entry MISSING instead).
StatusOr<Json> load_index(const std::string& working_dir);
// The index file of `working_dir` alone, as stored: {} when there is none,
// an error naming the file (and saying it is kept) when it is damaged.
StatusOr<Json> load_own_index(const std::string& working_dir);
// Read-modify-write of the index under its lock (<index>.lock, so
// processes that end together lose no update), written with replace_file
// (common/atomic_file.h: a full disk leaves the old index whole). `change`
// edits the whole index. A damaged index is refused, never overwritten.
Status update_index(const std::string& working_dir,
                    const std::function<void(Json&)>& change);
// Records experiment `id` (directory `dir`) of `working_dir` in the registry
// when `working_dir` is not the default one; a no-op otherwise.
Status register_experiment(const std::string& working_dir,
                           const std::string& id, const std::string& dir);
// Removes experiment `id`'s pointer from the registry (if any).
Status unregister_experiment(const std::string& id);
// Whether `entry` (of load_index(`working_dir`)) belongs to what a command
// without an id means under `working_dir`: everything when it is the default
// working directory (the registry), else only that directory's experiments.
// (An id is looked up everywhere.)
bool in_scope(const Json& entry, const std::string& working_dir);
// The working directory whose index holds `entry` (an entry of load_index
// (`working_dir`)): its "workingDir", or `working_dir`.
std::string entry_working_dir(const Json& entry,
                              const std::string& working_dir);
// The same for one experiment's entry (created if missing).
Status update_index_entry(const std::string& working_dir, const std::string& id,
                          const std::function<void(Json&)>& change);
// The directory of experiment `id` (or of the most recent one in_scope when
// `id` is empty), looked up in load_index(`working_dir`); the error names what
// is missing: an unknown id, a working directory or experiment folder that is
// gone (moved or deleted).
StatusOr<std::string> find_experiment_dir(const std::string& id,
                                          const std::string& working_dir);
// The same, with the id found and the working directory whose index holds
// the experiment (what a resumed or viewed experiment updates).
struct ExperimentLocation {
  std::string id, dir, working_dir;
};
StatusOr<ExperimentLocation> locate_experiment(const std::string& id,
                                               const std::string& working_dir);
// $HOME/archer-experiments.
std::string default_working_dir();

}  // namespace archer

#endif  // ARCHER_EXPERIMENT_EXPERIMENT_INDEX_H_
