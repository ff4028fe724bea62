// Deleting an experiment's folder, the one destructive thing the CLI does
// with a path read from an index (a file that may be damaged, edited by
// hand, or writable by another user in a shared working directory): only a
// folder that is provably that experiment's is ever removed.
#ifndef ARCHER_EXPERIMENT_EXPERIMENT_FOLDER_H_
#define ARCHER_EXPERIMENT_EXPERIMENT_FOLDER_H_

#include <string>

#include "archer/status.h"

namespace archer {

// OK when `dir` is experiment `id`'s folder: `id` is an experiment id (letters,
// digits, '-' and '_'), `dir`'s last component is `id` and its parent is
// `working_dir` (compared after resolving both; `working_dir` itself may be
// reached through a symlink), `dir` and `dir`/db are real directories (not
// symlinks), and `dir`/db/archer.sqlite is a regular file holding an Archer
// store whose experiment id is `id`. Otherwise kInvalidArgument saying which
// check failed and naming `dir`.
Status check_experiment_folder(const std::string& id, const std::string& dir,
                               const std::string& working_dir);

// check_experiment_folder(), then removes `dir` and everything beneath it
// (symlinks inside are removed, never followed).
Status delete_experiment_folder(const std::string& id, const std::string& dir,
                                const std::string& working_dir);

}  // namespace archer

#endif  // ARCHER_EXPERIMENT_EXPERIMENT_FOLDER_H_
