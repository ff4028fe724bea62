#include "testing/temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace archer {
namespace testing {

TempDir::TempDir() {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "archer-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string write_executable(const std::string& path,
                             const std::string& content) {
  write_file(path, content);
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return path;
}

std::string golden_path(const std::string& name) {
#ifdef ARCHER_SHARED_DIR
  return std::string(ARCHER_SHARED_DIR) + "/spec/golden/" + name;
#else
  return "../shared/spec/golden/" + name;
#endif
}

}  // namespace testing
}  // namespace archer
