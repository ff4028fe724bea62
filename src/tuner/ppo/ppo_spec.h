// PPOTuner's registry entry without LibTorch: NNI's name, its classArgs (plus
// seed) and checks, around a factory given by the caller — the tuner itself
// (ppo_tuner.h, archer::torch), or the plugin that loads it on first use
// (ppo_plugin.h: the CLI does not load LibTorch to start).
#ifndef ARCHER_TUNER_PPO_PPO_SPEC_H_
#define ARCHER_TUNER_PPO_PPO_SPEC_H_

#include <functional>
#include <memory>

#include "archer/tuner.h"

namespace archer {

TunerSpec ppo_tuner_spec(
    std::function<std::unique_ptr<Tuner>(const Json& args)> factory);

}  // namespace archer

#endif  // ARCHER_TUNER_PPO_PPO_SPEC_H_
