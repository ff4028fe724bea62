// parameter.cfg as the trial SDK reads it: the one place its contents are
// checked (used by TrialContext and the fuzz target beside it).
#ifndef ARCHER_TRIAL_PARAMETER_RECORD_H_
#define ARCHER_TRIAL_PARAMETER_RECORD_H_

#include <string>
#include <string_view>

#include "archer/json.h"
#include "archer/status.h"

namespace archer {

// Parses a parameter record {"parameter_id": int|null, "parameters": ...}
// under the JSON entry point's limits. Errors start with `path`.
StatusOr<Json> parse_parameter_record(std::string_view text,
                                      const std::string& path);

}  // namespace archer

#endif  // ARCHER_TRIAL_PARAMETER_RECORD_H_
