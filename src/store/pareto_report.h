// The Pareto front of a multi-objective experiment (config `objectives`),
// defined once for `experiment show`, export, REST and the web UI.
//
// A trial's point is its FINAL metric's value for each objective
// (store/trial_value.h: objective_values; trials without all of them are
// left out). The front: the points no other point dominates. The
// hypervolume: of the front, with each objective scaled to [0, 1] between its
// reference (the objective's `reference`, else the worst value among the
// points) and the best value among the points, so it is a fraction of the
// box between the two (1 = one trial is best at everything). `history`: the
// hypervolume after each trial, in the order they ended, on the same scale.
#ifndef ARCHER_STORE_PARETO_REPORT_H_
#define ARCHER_STORE_PARETO_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "archer/config.h"
#include "archer/json.h"
#include "archer/store.h"

namespace archer {

struct ParetoTrial {
  std::string trial_id;
  std::int64_t sequence_id = 0;
  std::int64_t end_time = 0;  // ms; the order of `history`
  std::string final_text;     // its FINAL metric's JSON text ("" if none)
};

// The objectives of a stored canonical config (empty when it has none).
std::vector<Objective> objectives_of_config(const Json& canonical);

// {"objectives": [{metric, mode}], "reference": [...], "best": [...],
//  "points": [{trialJobId, sequenceId, values, front}], "front": [ids, by
//  the first objective, best first], "hypervolume": x, "history":
//  [{sequenceId, hypervolume}]}; {"objectives": []} without objectives.
Json pareto_report(const std::vector<Objective>& objectives,
                   std::vector<ParetoTrial> trials);

// The report of the experiment in `store` (its stored config's objectives,
// every trial's first usable FINAL metric), with "costProbes": the cost
// probe's totals ({probed, rejected, seconds}, or null without
// constraints).
StatusOr<Json> pareto_report_of_store(Store& store);

}  // namespace archer

#endif  // ARCHER_STORE_PARETO_REPORT_H_
