// PPOTuner for programs that do not link LibTorch (the `archer` CLI): the
// registry entry is registered at once (names, classArgs, checks — config
// validation and docs need no LibTorch), the tuner itself comes from the
// module libarcher_ppo.so (ppo_module.cc, archer::torch), loaded on the first
// PPOTuner created. Every other command starts without loading LibTorch and
// its ~300 shared libraries.
#ifndef ARCHER_TUNER_PPO_PPO_PLUGIN_H_
#define ARCHER_TUNER_PPO_PPO_PLUGIN_H_

#include <string>
#include <vector>

namespace archer {

// Registers PPOTuner, its tuner made by the first module of `candidates`
// that exists. A module that cannot be loaded makes create_tuner fail with
// dlopen's message and the paths tried.
void register_ppo_plugin(std::vector<std::string> candidates);

// Where the module is looked for by a program at `executable` (beside it in
// a build tree, then <prefix>/lib/archer/ of an installation, then
// `install_dir`).
std::vector<std::string> ppo_module_candidates(const std::string& executable,
                                               const std::string& install_dir);

}  // namespace archer

#endif  // ARCHER_TUNER_PPO_PPO_PLUGIN_H_
