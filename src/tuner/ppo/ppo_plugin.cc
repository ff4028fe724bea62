#include "tuner/ppo/ppo_plugin.h"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>

#include "tuner/ppo/ppo_spec.h"

namespace archer {

namespace {

using MakeFn = Tuner* (*)(const Json*);

// The module's factory, loaded once (the module stays loaded).
MakeFn load(const std::vector<std::string>& candidates) {
  static std::mutex mu;
  static MakeFn make = nullptr;
  std::lock_guard<std::mutex> lock(mu);
  if (make) return make;
  std::string tried;
  for (const auto& path : candidates) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      tried += (tried.empty() ? "" : ", ") + path;
      continue;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = dlerror();
      throw Error("PPOTuner: cannot load " + path + ": " +
                  (why ? why : "dlopen failed"));
    }
    make = reinterpret_cast<MakeFn>(dlsym(handle, "archer_ppo_make"));
    if (!make) throw Error("PPOTuner: " + path + " is not Archer's PPO module");
    return make;
  }
  throw Error(
      "PPOTuner: its module libarcher_ppo.so (LibTorch) is not installed "
      "(looked for " +
      tried + ")");
}

}  // namespace

void register_ppo_plugin(std::vector<std::string> candidates) {
  register_tuner(ppo_tuner_spec([candidates](const Json& args) {
    return std::unique_ptr<Tuner>(load(candidates)(&args));
  }));
}

std::vector<std::string> ppo_module_candidates(const std::string& executable,
                                               const std::string& install_dir) {
  const std::filesystem::path dir =
      std::filesystem::path(executable).parent_path();
  return {(dir / "libarcher_ppo.so").string(),
          (dir.parent_path() / "lib" / "archer" / "libarcher_ppo.so").string(),
          install_dir + "/libarcher_ppo.so"};
}

}  // namespace archer
