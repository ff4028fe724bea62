// A trial with what the CLI shows of it: final metric, reward, architecture.
#ifndef ARCHER_TOOLS_ARCHER_TRIAL_TABLE_H_
#define ARCHER_TOOLS_ARCHER_TRIAL_TABLE_H_

#include <optional>
#include <string>
#include <vector>

#include "archer/json.h"
#include "archer/store.h"

namespace archer {
namespace cli {

struct TrialSummary {
  TrialRow row;
  Json architecture;         // the "parameters" of the record
  std::string final_metric;  // its value's FINAL text (trial_value.h), or ""
  std::optional<double>
      reward;  // the final metric with optimize_mode applied (bigger = better)
  std::vector<MetricRow> metrics;
  double duration_seconds() const {
    return row.end_time && row.start_time
               ? (row.end_time - row.start_time) / 1000.0
               : 0.0;
  }
};

// Every trial of the experiment in `dir`, by sequence id. Throws archer::Error.
std::vector<TrialSummary> load_trials(const std::string& dir);

}  // namespace cli
}  // namespace archer

#endif  // ARCHER_TOOLS_ARCHER_TRIAL_TABLE_H_
