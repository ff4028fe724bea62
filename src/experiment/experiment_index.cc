#include "experiment/experiment_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/bounded_file.h"
#include "store/experiment_files.h"

namespace archer {

namespace fs = std::filesystem;

std::string default_working_dir() {
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/archer-experiments";
}

Json load_index(const std::string& working_dir) {
  auto index = load_json_file(files::index_path(working_dir));
  return index.is_ok() && index.value().is_object() ? index.value()
                                                    : Json::object();
}

Status update_index(const std::string& working_dir,
                    const std::function<void(Json&)>& change) {
  const std::string path = files::index_path(working_dir);
  std::error_code ec;
  fs::create_directories(working_dir, ec);
  UniqueFd lock(::open((path + ".lock").c_str(),
                       O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (lock.get() < 0)
    return Status::io_error(path +
                            ".lock: cannot open: " + std::strerror(errno));
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  while (::fcntl(lock.get(), F_OFD_SETLKW, &fl) != 0) {
    if (errno != EINTR)
      return Status::io_error(path +
                              ".lock: cannot lock: " + std::strerror(errno));
  }
  Json index = load_index(working_dir);
  change(index);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << dumps(index, DumpOptions{2, false});
    if (!out)
      return Status::io_error(tmp + ": cannot write the experiments index");
  }
  fs::rename(tmp, path, ec);
  if (ec) return Status::io_error(path + ": cannot replace: " + ec.message());
  return Status::ok();
}  // the lock goes with the descriptor

Status update_index_entry(const std::string& working_dir, const std::string& id,
                          const std::function<void(Json&)>& change) {
  return update_index(working_dir, [&](Json& all) {
    Json entry =
        all.contains(id) && all[id].is_object() ? all[id] : Json::object();
    change(entry);
    all[id] = entry;
  });
}

StatusOr<std::string> find_experiment_dir(const std::string& id,
                                          const std::string& working_dir) {
  const Json all = load_index(working_dir);
  if (all.empty()) {
    return Status::not_found(
        "no experiment found under " + working_dir +
        " (start one with `archer create --config ...`, or pass "
        "--experiment_working_directory)");
  }
  if (!id.empty()) {
    if (!all.contains(id) || !all[id].is_object() ||
        !all[id].value("dir", Json()).is_string())
      return Status::not_found("experiment '" + id + "' not found under " +
                               working_dir);
    return all[id]["dir"].get<std::string>();
  }
  std::string latest;
  std::int64_t latest_time = -1;
  for (auto it = all.begin(); it != all.end(); ++it) {
    if (!it.value().is_object() || !it.value().value("dir", Json()).is_string())
      continue;
    const Json t = it.value().value("startTime", Json());
    const std::int64_t start =
        t.is_number_integer() ? t.get<std::int64_t>() : 0;
    if (start > latest_time) {
      latest_time = start;
      latest = it.value()["dir"].get<std::string>();
    }
  }
  if (latest.empty())
    return Status::not_found("no readable experiment entry under " +
                             working_dir);
  return latest;
}

}  // namespace archer
