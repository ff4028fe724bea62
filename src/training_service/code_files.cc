#include "training_service/code_files.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace archer {

namespace fs = std::filesystem;

StatusOr<std::vector<std::string>> files_to_upload(
    const std::string& code_dir) {
  std::vector<std::string> patterns;
  {
    std::ifstream ignore(code_dir + "/.nniignore");
    std::string line;
    while (std::getline(ignore, line)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
        line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      while (line.size() > 1 && line.back() == '/') line.pop_back();
      patterns.push_back(line);
    }
  }
  auto ignored = [&](const std::string& rel, const std::string& name) {
    for (const auto& p : patterns) {
      const bool anchored = p.find('/') != std::string::npos;
      const std::string pat = p[0] == '/' ? p.substr(1) : p;
      if (::fnmatch(pat.c_str(), (anchored ? rel : name).c_str(), 0) == 0)
        return true;
    }
    return false;
  };
  constexpr size_t kMaxFiles = 2000;
  constexpr std::uintmax_t kMaxBytes = 300ull << 20;
  std::vector<std::string> files;
  std::uintmax_t bytes = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(code_dir, ec), end;
  if (ec) return Status::io_error(code_dir + ": cannot read: " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::io_error(code_dir + ": " + ec.message());
    const std::string rel = fs::relative(it->path(), code_dir).string();
    if (ignored(rel, it->path().filename().string())) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    files.push_back(rel);
    bytes += it->file_size(ec);
    if (files.size() > kMaxFiles || bytes > kMaxBytes) {
      return Status::invalid_argument(
          "trialCodeDirectory " + code_dir +
          ": more than 2,000 files or 300 MB to upload (NNI's limits); list "
          "what the trials do not need (data, checkpoints, logs) in " +
          code_dir + "/.nniignore");
    }
  }
  return files;
}

std::string code_fingerprint(const std::string& code_dir,
                             const std::vector<std::string>& files) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  auto mix = [&h](const std::string& text) {
    for (unsigned char c : text) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  };
  std::vector<std::string> sorted = files;
  std::sort(sorted.begin(), sorted.end());
  for (const auto& rel : sorted) {
    struct stat st {};
    mix(rel);
    if (::stat((code_dir + "/" + rel).c_str(), &st) == 0) {
      mix(std::to_string(st.st_size) + ":" + std::to_string(st.st_mode) + ":" +
          std::to_string(st.st_mtim.tv_sec) + "." +
          std::to_string(st.st_mtim.tv_nsec));
    }
  }
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx",
                static_cast<unsigned long long>(h));
  return out;
}

StatusOr<std::string> copy_code(const std::string& code_dir,
                                const std::string& root) {
  auto files = files_to_upload(code_dir);
  if (!files.is_ok()) return files.status();
  const std::string to =
      root + "/code/" + code_fingerprint(code_dir, files.value());
  std::error_code ec;
  if (fs::is_directory(to, ec)) return to;
  const std::string partial = to + ".partial";
  fs::remove_all(partial, ec);
  for (const auto& rel : files.value()) {
    const fs::path target = fs::path(partial) / rel;
    fs::create_directories(target.parent_path(), ec);
    if (!ec) {
      fs::copy_file(fs::path(code_dir) / rel, target,
                    fs::copy_options::overwrite_existing, ec);
    }
    if (ec) {
      return Status::io_error("cannot copy " + code_dir + "/" + rel + " to " +
                              target.string() + ": " + ec.message());
    }
  }
  fs::rename(partial, to, ec);
  if (ec && !fs::is_directory(to)) {
    return Status::io_error("cannot rename " + partial + " to " + to + ": " +
                            ec.message());
  }
  return to;
}

}  // namespace archer
