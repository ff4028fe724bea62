// Test helpers: a temporary directory removed on destruction, and small file
// utilities.
#ifndef ARCHER_TESTING_TEMP_DIR_H_
#define ARCHER_TESTING_TEMP_DIR_H_

#include <string>

namespace archer {
namespace testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Whole-file read ("" if missing) and write (throws std::runtime_error on
// failure).
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);
// write_file(), then made executable by its owner (a fake program); `path`.
std::string write_executable(const std::string& path,
                             const std::string& content);
// The golden file `name` under <shared>/spec/golden.
std::string golden_path(const std::string& name);

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_TEMP_DIR_H_
