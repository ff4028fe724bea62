// Reading the pilot protocol's small files (pilot_worker.h): bounded, never
// through a symlink, "" when missing. Shared by the two halves of
// SlurmPilotService (trials: pilot_service.cc; workers: pilot_workers.cc).
#ifndef ARCHER_TRAINING_SERVICE_SLURM_PILOT_FILES_H_
#define ARCHER_TRAINING_SERVICE_SLURM_PILOT_FILES_H_

#include <filesystem>
#include <string>

#include "common/bounded_file.h"
#include "training_service/slurm/slurm_jobs.h"

namespace archer {
namespace pilot_files {

// The file `name` of the directory `dir`, or "".
inline std::string read_small(const std::string& dir, const std::string& name) {
  auto text = read_beneath(dir, name, 4096);
  return text.is_ok() ? text.value() : std::string();
}

inline std::string first_line(const std::string& text) {
  return trim_right(text.substr(0, text.find('\n')));
}

inline std::string last_line(const std::string& text) {
  std::string t = trim_right(text);
  const size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

inline bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

}  // namespace pilot_files
}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_SLURM_PILOT_FILES_H_
