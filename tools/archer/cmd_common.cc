// Helpers shared by the subcommands: the experiments index and experiment
// lookup.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "archer/json.h"
#include "commands.h"
#include "common/bounded_file.h"
#include "store/experiment_files.h"

namespace archer {
namespace cli {

namespace fs = std::filesystem;

std::string default_working_dir() {
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/archer-experiments";
}

std::string experiments_index(const std::string& working_dir) {
  return files::index_path(working_dir);
}

Json load_index(const std::string& working_dir) {
  auto index = load_json_file(experiments_index(working_dir));
  return index.is_ok() && index.value().is_object() ? index.value()
                                                    : Json::object();
}

void update_index(const std::string& working_dir,
                  const std::function<void(Json&)>& change) {
  const std::string path = experiments_index(working_dir);
  fs::create_directories(working_dir);
  UniqueFd lock(::open((path + ".lock").c_str(),
                       O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (lock.get() < 0)
    throw Error(path + ".lock: cannot open: " + std::strerror(errno));
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  while (::fcntl(lock.get(), F_OFD_SETLKW, &fl) != 0) {
    if (errno != EINTR)
      throw Error(path + ".lock: cannot lock: " + std::strerror(errno));
  }
  Json index = load_index(working_dir);
  change(index);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << dumps(index, DumpOptions{2, false});
    if (!out) throw Error(tmp + ": cannot write the experiments index");
  }
  fs::rename(tmp, path);
}  // the lock goes with the descriptor

std::string find_experiment_dir(const std::string& id,
                                const std::string& working_dir) {
  const Json all = load_index(working_dir);
  if (all.empty()) {
    throw Error("no experiment found under " + working_dir +
                " (start one with `archer create --config ...`, or pass "
                "--experiment_working_directory)");
  }
  if (!id.empty()) {
    if (!all.contains(id))
      throw Error("experiment '" + id + "' not found under " + working_dir);
    return all[id]["dir"].get<std::string>();
  }
  std::string latest;
  std::int64_t latest_time = -1;
  for (auto it = all.begin(); it != all.end(); ++it) {
    std::int64_t t = it.value().value("startTime", std::int64_t{0});
    if (t > latest_time) {
      latest_time = t;
      latest = it.value()["dir"].get<std::string>();
    }
  }
  return latest;
}

}  // namespace cli
}  // namespace archer
