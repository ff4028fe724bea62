// The one check of a trialConcurrency value (the config, `archer update
// concurrency`, and every training service's set_max_parallel).
#ifndef ARCHER_TRAINING_SERVICE_MAX_PARALLEL_H_
#define ARCHER_TRAINING_SERVICE_MAX_PARALLEL_H_

#include <string>

#include "archer/status.h"
#include "config/config_schema.h"

namespace archer {

inline Status check_max_parallel(int max_parallel) {
  return config::check_positive("trialConcurrency", max_parallel);
}

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_MAX_PARALLEL_H_
