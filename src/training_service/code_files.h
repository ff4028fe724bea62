// The trial code directory as NNI ships it to other machines: every regular
// file except what `.nniignore` lists (gitignore-like patterns: a name, or a
// path when it has a '/'), within NNI's limits of 2,000 files and 300 MB.
#ifndef ARCHER_TRAINING_SERVICE_CODE_FILES_H_
#define ARCHER_TRAINING_SERVICE_CODE_FILES_H_

#include <string>
#include <vector>

#include "archer/status.h"

namespace archer {

// The files of `code_dir` to ship (relative paths); fails beyond NNI's limits
// naming them and .nniignore.
StatusOr<std::vector<std::string>> files_to_upload(const std::string& code_dir);

// A name for this version of the code: 16 hex digits from the files' paths,
// sizes, modes and modification times. Shipped code goes to
// <root>/code/<fingerprint>/, written under a temporary name and renamed
// when complete, and never changed afterwards: a trial that runs (or is
// adopted after a restart) never sees its code half-replaced.
std::string code_fingerprint(const std::string& code_dir,
                             const std::vector<std::string>& files);

// Copies the code (files_to_upload) into <root>/code/<fingerprint>/ unless
// that version is there already; returns that directory.
StatusOr<std::string> copy_code(const std::string& code_dir,
                                const std::string& root);

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_CODE_FILES_H_
