// The environment Archer adds to every process that runs the trial command
// — trials and cost probes alike, so that a probe measures (latency) under
// the trial's own settings.
#ifndef ARCHER_MANAGER_TRIAL_ENV_H_
#define ARCHER_MANAGER_TRIAL_ENV_H_

#include <cstdlib>
#include <map>
#include <string>

#include "archer/config.h"

namespace archer {

inline std::map<std::string, std::string> trial_env(
    const ExperimentConfig& config) {
  std::map<std::string, std::string> env;
  // Threads (OMP_NUM_THREADS) are the service's decision, for the host that
  // runs the trial.
  if (config.trial_gpu_number && *config.trial_gpu_number == 0)
    env["CUDA_VISIBLE_DEVICES"] = "-1";
  // glibc malloc settings that spare large-tensor trials (any language) a
  // page fault storm; see include/archer/nn/runtime.h. A user's
  // GLIBC_TUNABLES or ARCHER_RUNTIME_DEFAULTS=0 wins.
  const char* off = std::getenv("ARCHER_RUNTIME_DEFAULTS");
  if (!std::getenv("GLIBC_TUNABLES") && !(off && std::string(off) == "0")) {
    env["GLIBC_TUNABLES"] =
        "glibc.malloc.mmap_threshold=33554432:"
        "glibc.malloc.trim_threshold=268435456";
  }
  return env;
}

}  // namespace archer

#endif  // ARCHER_MANAGER_TRIAL_ENV_H_
