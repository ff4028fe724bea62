// A trial with what the CLI shows of it: final metric, reward, architecture.
#ifndef ARCHER_TOOLS_ARCHER_TRIAL_TABLE_H_
#define ARCHER_TOOLS_ARCHER_TRIAL_TABLE_H_

#include <optional>
#include <string>
#include <vector>

#include "archer/json.h"
#include "archer/store.h"
#include "store/trial_where.h"

namespace archer {
namespace cli {

struct TrialSummary {
  TrialRow row;
  Json architecture;         // the "parameters" of the record
  std::string final_metric;  // its value's FINAL text (trial_value.h), or ""
  std::optional<double>
      reward;  // the final metric with optimize_mode applied (bigger = better)
  std::vector<MetricRow> metrics;
  TrialWhere where;     // where it ran (store/trial_where.h)
  bool hybrid = false;  // the experiment runs on several platforms
  double duration_seconds() const {
    return row.end_time && row.start_time
               ? (row.end_time - row.start_time) / 1000.0
               : 0.0;
  }
};

// Every trial of the experiment in `dir`, by sequence id. Throws archer::Error.
std::vector<TrialSummary> load_trials(const std::string& dir);

// The texts of `t`'s intermediate (PERIODICAL) results, in order.
std::vector<std::string> intermediate_values(const TrialSummary& t);

// `t` for `trial ls --json` (docs/cli.md): trialJobId, sequenceId, status,
// startTime, endTime (ms or null), duration (s), value (its FINAL metric's
// JSON or null), parameter (the architecture), intermediateCount,
// lastIntermediate (JSON or null), message, platform and where (where it
// ran: the platform and its handle).
Json trial_json(const TrialSummary& t);

}  // namespace cli
}  // namespace archer

#endif  // ARCHER_TOOLS_ARCHER_TRIAL_TABLE_H_
