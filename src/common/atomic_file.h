// Replacing a file's content as one step, for every file Archer rewrites in
// place (the experiments index and registry, the search space ss_gen
// writes, exports): a reader sees the old content or the new one, never a
// part, and a failure (a full disk) leaves the old file as it was.
#ifndef ARCHER_COMMON_ATOMIC_FILE_H_
#define ARCHER_COMMON_ATOMIC_FILE_H_

#include <sys/types.h>

#include <string>
#include <string_view>

#include "archer/status.h"

namespace archer {

// Writes `content` to a temporary file beside `path` (unique to this process
// and call, created O_EXCL without following links), flushes it to disk
// (fsync), checks every step (write, fsync, close), then renames it over
// `path` and syncs the directory. On any failure the temporary file is
// removed, `path` keeps its old content (or stays absent), and the Status
// (kIoError) names `path`, the step and the system's reason ("No space left
// on device"). `path` gets `mode` (less the umask).
Status replace_file(const std::string& path, std::string_view content,
                    mode_t mode = 0644);

// Writes the file `name` (one path component) in directory `dir` afresh, for
// a folder that a child process can also write to: whatever entry has that
// name (a symlink the child planted) is removed first and the new file is
// created O_EXCL|O_NOFOLLOW, so no link is followed. kIoError naming the
// path on failure.
Status write_file_in(const std::string& dir, const std::string& name,
                     std::string_view content, mode_t mode = 0644);

}  // namespace archer

#endif  // ARCHER_COMMON_ATOMIC_FILE_H_
