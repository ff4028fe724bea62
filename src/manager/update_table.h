// The changes a running experiment accepts (nnictl update, NNI's REST
// PUT /experiment?update_type=...), in one table shared by the REST server
// (which value of NNI's profile to read), the command queue (how to check and
// apply it) and the CLI (`archer update <cli>`).
#ifndef ARCHER_MANAGER_UPDATE_TABLE_H_
#define ARCHER_MANAGER_UPDATE_TABLE_H_

#include <string>
#include <vector>

#include "archer/config.h"
#include "archer/json.h"
#include "archer/status.h"

namespace archer {

class ExperimentManager;

struct UpdateKind {
  const char* type;  // NNI's update_type ("TRIAL_CONCURRENCY")
  // The config keys NNI's profile may carry the value under (v2 name first,
  // then the v1 one).
  std::vector<const char*> keys;
  const char* cli;   // `archer update <cli>`; nullptr: a subcommand of its own
  const char* help;  // the CLI's help
  // Checks `value` (a number or its text; a duration like "2h"; a space as
  // JSON or JSON text) and applies it; errors name the config key.
  Status (*apply)(ExperimentManager& manager, const Json& value);
  // Writes the setting's typed value into the canonical config: the manager
  // changes only the typed struct and stores canonical JSON written from it,
  // so the two are equal by construction.
  void (*write)(const ExperimentConfig& config, Json& canonical);
};

// The canonical config of `config`: its `canonical` with every updatable
// setting written from the typed fields.
Json canonical_of(const ExperimentConfig& config);

// Every update, in NNI's order.
const std::vector<UpdateKind>& update_kinds();
// The update of NNI's `type`, or nullptr.
const UpdateKind* find_update(const std::string& type);
// "TRIAL_CONCURRENCY, MAX_TRIAL_NUM, MAX_EXEC_DURATION or SEARCH_SPACE".
std::string update_type_names();

}  // namespace archer

#endif  // ARCHER_MANAGER_UPDATE_TABLE_H_
