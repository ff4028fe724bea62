// libarcher_ppo.so: PPOTuner for programs that load it on demand
// (ppo_plugin.h). The arguments are validated by the caller's registry entry.
#include "tuner/ppo/ppo_tuner.h"

extern "C" __attribute__((visibility("default"))) archer::Tuner*
archer_ppo_make(const archer::Json* args) {
  return new archer::PpoTuner(archer::ppo_options(*args));
}
