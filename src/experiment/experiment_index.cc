#include "experiment/experiment_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "common/atomic_file.h"
#include "common/bounded_file.h"
#include "store/experiment_files.h"

namespace archer {

namespace fs = std::filesystem;

namespace {

Status damaged_index(const std::string& path, std::string why) {
  const std::string own = path + ": ";
  if (why.rfind(own, 0) == 0) why = why.substr(own.size());
  return Status::invalid_argument(
      "the experiments index " + path + " is damaged (" + why +
      "); Archer does not overwrite it: repair it, or move it away to start "
      "a new one (the experiments' own folders are untouched)");
}

}  // namespace

std::string default_working_dir() {
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/archer-experiments";
}

StatusOr<Json> load_own_index(const std::string& working_dir) {
  const std::string path = files::index_path(working_dir);
  auto index = load_json_file(path);
  if (!index.is_ok()) {
    if (index.status().code() == Status::Code::kNotFound) return Json::object();
    return damaged_index(path, index.status().message());
  }
  if (!index.value().is_object()) {
    return damaged_index(path, "expected a JSON object of experiments, got " +
                                   json_excerpt(index.value(), 40));
  }
  return index;
}

namespace {

// `a` and `b` name the same directory (both may not exist yet).
bool same_dir(const std::string& a, const std::string& b) {
  std::error_code ec;
  const fs::path pa = fs::weakly_canonical(fs::absolute(a, ec), ec);
  const fs::path pb = fs::weakly_canonical(fs::absolute(b, ec), ec);
  return pa.lexically_normal() == pb.lexically_normal();
}

bool is_pointer(const Json& entry) {
  return entry.is_object() && entry.value("workingDir", Json()).is_string();
}

// The registry's pointer `entry` of experiment `id`, resolved through its
// working directory's own index.
Json resolve_pointer(const std::string& id, const Json& entry) {
  const std::string wd = entry["workingDir"].get<std::string>();
  const auto own = load_own_index(wd);
  Json resolved;
  if (own.is_ok() && own.value().contains(id) && own.value()[id].is_object() &&
      own.value()[id].value("dir", Json()).is_string()) {
    resolved = own.value()[id];
  } else {
    resolved = entry;
    resolved["status"] = "MISSING";
    std::error_code ec;
    resolved["missing"] =
        !own.is_ok() ? own.status().message()
        : fs::exists(files::index_path(wd), ec)
            ? "the index of its working directory " + wd + " no longer lists it"
        : fs::is_directory(wd, ec)
            ? "the index of its working directory " + wd +
                  " does not list it (its creation failed?)"
            : "its working directory " + wd + " is gone (moved or deleted?)";
  }
  resolved["workingDir"] = wd;
  return resolved;
}

// `entry` as the CLI may read it: null unless it is a mapping with a string
// "dir"; its other known keys kept only with their expected types (an index
// is a file anybody may have edited).
Json sanitized(const Json& entry) {
  if (!entry.is_object() || !entry.value("dir", Json()).is_string())
    return Json();
  Json out = entry;
  for (const char* k : {"id", "status", "experimentName", "urlPrefix",
                        "workingDir", "missing", "config"}) {
    if (out.contains(k) && !out[k].is_string()) out.erase(k);
  }
  for (const char* k : {"port", "pid", "startTime", "endTime", "resumeTime"}) {
    if (out.contains(k) && !out[k].is_number_integer()) out.erase(k);
  }
  return out;
}

}  // namespace

StatusOr<Json> load_index(const std::string& working_dir) {
  const std::string registry_dir = default_working_dir();
  const bool is_registry = same_dir(working_dir, registry_dir);
  auto own = load_own_index(working_dir);
  if (!own.is_ok()) return own.status();
  Json merged = std::move(own).value();
  Json registry;
  if (is_registry) {
    registry = merged;
  } else {
    auto loaded = load_own_index(registry_dir);
    if (!loaded.is_ok()) return loaded.status();
    registry = std::move(loaded).value();
  }
  for (auto it = registry.begin(); it != registry.end(); ++it) {
    if (is_pointer(it.value())) {
      if (!is_registry &&
          same_dir(it.value()["workingDir"].get<std::string>(), working_dir) &&
          merged.contains(it.key()))
        continue;  // its own entry is already here
      merged[it.key()] = resolve_pointer(it.key(), it.value());
    } else if (!is_registry && !merged.contains(it.key()) &&
               it.value().is_object()) {
      Json entry = it.value();
      entry["workingDir"] = registry_dir;
      merged[it.key()] = entry;
    }
  }
  Json readable = Json::object();
  for (auto it = merged.begin(); it != merged.end(); ++it) {
    Json entry = sanitized(it.value());
    if (entry.is_null()) continue;
    std::error_code ec;
    if (entry.value("status", "") != "MISSING" &&
        !fs::is_directory(entry["dir"].get<std::string>(), ec)) {
      entry["status"] = "MISSING";
      entry["missing"] = "its folder " + entry["dir"].get<std::string>() +
                         " is gone (moved or deleted?)";
    }
    readable[it.key()] = std::move(entry);
  }
  return readable;
}

bool in_scope(const Json& entry, const std::string& working_dir) {
  return same_dir(working_dir, default_working_dir()) ||
         same_dir(entry_working_dir(entry, working_dir), working_dir);
}

std::string entry_working_dir(const Json& entry,
                              const std::string& working_dir) {
  return entry.is_object() && entry.value("workingDir", Json()).is_string()
             ? entry["workingDir"].get<std::string>()
             : working_dir;
}

Status register_experiment(const std::string& working_dir,
                           const std::string& id, const std::string& dir) {
  if (same_dir(working_dir, default_working_dir())) return Status::ok();
  std::error_code ec;
  const std::string absolute_wd = fs::absolute(working_dir, ec).string();
  const std::string absolute_dir = fs::absolute(dir, ec).string();
  return update_index_entry(default_working_dir(), id, [&](Json& e) {
    e = Json{{"id", id}, {"dir", absolute_dir}, {"workingDir", absolute_wd}};
  });
}

Status unregister_experiment(const std::string& id) {
  const std::string registry_dir = default_working_dir();
  auto registry = load_own_index(registry_dir);
  if (!registry.is_ok()) return registry.status();
  if (!is_pointer(registry.value().value(id, Json()))) return Status::ok();
  return update_index(registry_dir, [&](Json& all) {
    if (is_pointer(all.value(id, Json()))) all.erase(id);
  });
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
  // What could not be read is never overwritten.
  auto index = load_own_index(working_dir);
  if (!index.is_ok()) return index.status();
  change(index.value());
  return replace_file(path, dumps(index.value(), DumpOptions{2, false}));
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
  auto found = locate_experiment(id, working_dir);
  if (!found.is_ok()) return found.status();
  return found.value().dir;
}

StatusOr<ExperimentLocation> locate_experiment(const std::string& id,
                                               const std::string& working_dir) {
  // Every entry of load_index is a mapping with a string "dir"; one whose
  // folder or working directory is gone is MISSING, with the reason.
  auto loaded = load_index(working_dir);
  if (!loaded.is_ok()) return loaded.status();
  const Json& all = loaded.value();
  if (all.empty()) {
    return Status::not_found(
        "no experiment found under " + working_dir +
        " (start one with `archer create --config ...`, or pass "
        "--experiment_working_directory)");
  }
  if (!id.empty()) {
    if (!all.contains(id))
      return Status::not_found("experiment '" + id + "' not found under " +
                               working_dir + " nor in the registry of " +
                               default_working_dir() +
                               " (`archer experiment list` lists them)");
    if (all[id].value("status", "") == "MISSING") {
      return Status::not_found(
          "experiment '" + id + "': " + all[id].value("missing", "") +
          "; forget it with `archer experiment delete " + id + "`");
    }
    return ExperimentLocation{id, all[id]["dir"].get<std::string>(),
                              entry_working_dir(all[id], working_dir)};
  }
  std::string latest;
  std::int64_t latest_time = -1;
  for (auto it = all.begin(); it != all.end(); ++it) {
    if (it.value().value("status", "") == "MISSING" ||
        !in_scope(it.value(), working_dir))
      continue;
    const std::int64_t start = it.value().value("startTime", std::int64_t{0});
    if (start > latest_time) {
      latest_time = start;
      latest = it.key();
    }
  }
  if (latest.empty())
    return Status::not_found("no readable experiment entry under " +
                             working_dir);
  return ExperimentLocation{latest, all[latest]["dir"].get<std::string>(),
                            entry_working_dir(all[latest], working_dir)};
}

}  // namespace archer
