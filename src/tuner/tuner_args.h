// classArgs helpers shared by the registry entries (including PPO's in
// archer::torch).
#ifndef ARCHER_TUNER_TUNER_ARGS_H_
#define ARCHER_TUNER_TUNER_ARGS_H_

#include <cstdint>
#include <string>

#include "archer/tuner.h"

namespace archer {

// `optimize_mode` (maximize|minimize) and `seed` (optional unsigned integer).
TunerArg optimize_mode_arg();
TunerArg seed_arg();
// The seed of validated args, or one drawn from std::random_device when unset.
std::uint64_t seed_of(const Json& args);
// Fails unless args[small] <= args[large], naming both.
Status not_greater(const Json& args, const std::string& small,
                   const std::string& large);

}  // namespace archer

#endif  // ARCHER_TUNER_TUNER_ARGS_H_
