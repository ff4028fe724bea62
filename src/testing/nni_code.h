// Where tests find NNI's own code (../shared/nni, README there) and the
// Python that runs it (Debian's, with the apt-installed python3-* packages).
#ifndef ARCHER_TESTING_NNI_CODE_H_
#define ARCHER_TESTING_NNI_CODE_H_

#include <filesystem>
#include <string>

namespace archer {
namespace testing {

constexpr char kNniPython[] = "/usr/bin/python3";

inline std::string nni_dir() { return std::string(ARCHER_SHARED_DIR) + "/nni"; }
// PYTHONPATH for NNI v2.10 (its json_tricks shim first).
inline std::string nni_pythonpath() {
  return nni_dir() + "/shims:" + nni_dir() + "/v2.10";
}
// The same for NNI v2.8 (whose Hyperband still runs: v2.10's compares its
// string parameter ids with an int on the first result and raises).
inline std::string nni_pythonpath_v28() {
  return nni_dir() + "/shims:" + nni_dir() + "/v2.8";
}
inline bool nni_available() {
  return std::filesystem::exists(nni_dir() + "/v2.10/nni");
}

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_NNI_CODE_H_
