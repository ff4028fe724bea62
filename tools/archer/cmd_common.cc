// Helpers shared by the subcommands: the experiments index and experiment
// lookup.
#include "archer/json.h"
#include "commands.h"
#include "experiment/experiment_index.h"
#include "store/experiment_files.h"

namespace archer {
namespace cli {

std::string default_working_dir() { return archer::default_working_dir(); }

std::string experiments_index(const std::string& working_dir) {
  return files::index_path(working_dir);
}

Json load_index(const std::string& working_dir) {
  auto index = archer::load_index(working_dir);
  if (!index.is_ok()) throw Error(index.status().message());
  return index.value();
}

void update_index(const std::string& working_dir,
                  const std::function<void(Json&)>& change) {
  Status st = archer::update_index(working_dir, change);
  if (!st.is_ok()) throw Error(st.message());
}

std::string find_experiment_dir(const std::string& id,
                                const std::string& working_dir) {
  auto dir = archer::find_experiment_dir(id, working_dir);
  if (!dir.is_ok()) throw Error(dir.status().message());
  return dir.value();
}

ExperimentLocation locate_experiment(const std::string& id,
                                     const std::string& working_dir) {
  auto found = archer::locate_experiment(id, working_dir);
  if (!found.is_ok()) throw Error(found.status().message());
  return found.value();
}

}  // namespace cli
}  // namespace archer
