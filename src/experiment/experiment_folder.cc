#include "experiment/experiment_folder.h"

#include <sys/stat.h>

#include <cctype>
#include <filesystem>

#include "archer/store.h"
#include "store/experiment_files.h"

namespace archer {

namespace fs = std::filesystem;

namespace {

bool is_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      return false;
  }
  return true;
}

// What `path` is, not following a final symlink: "" for a real directory
// (or regular file when `want_file`), else what it is instead.
std::string kind_problem(const std::string& path, bool want_file) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "does not exist";
  if (S_ISLNK(st.st_mode)) return "is a symlink";
  if (want_file ? S_ISREG(st.st_mode) : S_ISDIR(st.st_mode)) return "";
  return want_file ? "is not a regular file" : "is not a directory";
}

}  // namespace

Status check_experiment_folder(const std::string& id, const std::string& dir,
                               const std::string& working_dir) {
  auto refuse = [&](const std::string& why) {
    return Status::invalid_argument("experiment '" + id.substr(0, 80) +
                                    "': its index entry names " + dir +
                                    ", which is not provably its folder (" +
                                    why + "); nothing was deleted");
  };
  if (!is_id(id)) return refuse("the id is not an experiment id");
  fs::path path = fs::path(dir).lexically_normal();
  if (path.filename().empty()) path = path.parent_path();  // "a/b/"
  if (path.filename().string() != id)
    return refuse("its last component is not the id");
  std::error_code ec;
  const fs::path parent =
      fs::weakly_canonical(fs::absolute(path, ec).parent_path(), ec);
  const fs::path wd = fs::weakly_canonical(fs::absolute(working_dir, ec), ec);
  if (ec || parent.lexically_normal() != wd.lexically_normal())
    return refuse("it is not directly under its working directory " +
                  working_dir);
  const std::string folder = (parent / id).string();
  const std::string db = files::store_path(folder);
  for (const auto& [p, file] : {std::pair<std::string, bool>{folder, false},
                                {folder + "/db", false},
                                {db, true}}) {
    const std::string problem = kind_problem(p, file);
    if (!problem.empty()) return refuse(p + " " + problem);
  }
  auto stored = Store::peek_value(db, store_keys::kExperimentId);
  if (!stored.is_ok()) return refuse(stored.status().message());
  if (stored.value() != Json(id))
    return refuse("its store belongs to experiment " +
                  json_excerpt(stored.value(), 40));
  return Status::ok();
}

Status delete_experiment_folder(const std::string& id, const std::string& dir,
                                const std::string& working_dir) {
  Status st = check_experiment_folder(id, dir, working_dir);
  if (!st.is_ok()) return st;
  std::error_code ec;
  const fs::path wd = fs::weakly_canonical(fs::absolute(working_dir, ec), ec);
  fs::remove_all(wd / id, ec);
  if (ec) return Status::io_error(dir + ": cannot delete: " + ec.message());
  return Status::ok();
}

}  // namespace archer
