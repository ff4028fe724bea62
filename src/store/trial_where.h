// Where a stored trial ran, for every view (trial ls/show, REST, the web
// UI): its platform and the platform's handle (a pid, a host and pid, a
// Slurm job, a pilot worker's slot). In a hybrid experiment (trainingService
// a list) the handle is "<platform>:<handle>" (hybrid_training_service.h).
#ifndef ARCHER_STORE_TRIAL_WHERE_H_
#define ARCHER_STORE_TRIAL_WHERE_H_

#include <string>

#include "archer/json.h"

namespace archer {

// The platforms of a stored (canonical) config: "local", or for a list
// "hybrid (local, remote, slurm)".
std::string platforms_of(const Json& config);
// Whether the stored config's trainingService is a list.
bool is_hybrid(const Json& config);

struct TrialWhere {
  std::string platform;  // "" when unknown (never started)
  std::string detail;    // the platform's handle, "" when none
  // "slurm 12_0 slot 1 on node3", "local 4242", "" when unknown.
  std::string text() const;
};
TrialWhere trial_where(const Json& config, const std::string& handle);

}  // namespace archer

#endif  // ARCHER_STORE_TRIAL_WHERE_H_
