// The cost probe (hardware-aware search, docs/hardware-aware.md): before a
// trial trains, the trial command runs in probe mode for its architecture —
// in <experiment>/probes/<parameter id>/, with NNI's variables, the trial's
// environment (manager/trial_env.h), parameter.cfg
// and ARCHER_COST_PROBE=<that folder>/costs.json — and the costs it writes
// are checked against the config's constraints.
//
// * One probe at a time, on a worker thread: the manager's loop never waits
//   for one (fd() wakes its poll when a probe finished).
// * The verdict is stored per architecture (store_keys::kCostProbePrefix +
//   the architecture's JSON) and cached: an architecture is probed once per
//   experiment, resumes included.
// * What the probe writes is untrusted: at most 64 KiB of a JSON object of
//   finite numbers. A probe that fails (exit status, timeout, no or bad
//   costs file, a constrained metric missing) is an error naming the
//   architecture and quoting the end of its stderr.
// Thread-safety: one thread (the manager's) calls every method.
#ifndef ARCHER_MANAGER_COST_PROBE_H_
#define ARCHER_MANAGER_COST_PROBE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "archer/config.h"
#include "archer/store.h"
#include "training_service/background_worker.h"

namespace archer {

struct ProbeVerdict {
  Json costs = Json::object();  // what the probe measured
  std::string violated;         // "" when feasible, else "latency_ms 7.2 > 5"
  double seconds = 0;           // the probe's wall time (0 when cached)
  bool feasible() const { return violated.empty(); }
};

// The first constraint `costs` violates, described ("" if none). A
// constrained metric missing from `costs` is an error.
StatusOr<std::string> violated_constraint(
    const std::vector<CostConstraint>& constraints, const Json& costs);

class CostProbe {
 public:
  CostProbe(const ExperimentConfig& config, std::string experiment_id,
            std::string experiment_dir, Store* store);

  // The stored verdict for `parameters` (the architecture's JSON), if probed.
  StatusOr<std::optional<ProbeVerdict>> cached(const Json& parameters);
  // Starts probing `parameters` for proposal `parameter_id`. REQUIRES:
  // !busy().
  void start(std::int64_t parameter_id, const Json& parameters);
  bool busy() const { return busy_; }
  int fd() const { return worker_.fd(); }

  struct Finished {
    std::int64_t parameter_id;
    Json parameters;
    StatusOr<ProbeVerdict> verdict;
  };
  // The probe that finished since the last call, its verdict stored.
  std::optional<Finished> take();

  // Totals for this experiment (stored as store_keys::kCostProbes).
  struct Totals {
    int probed = 0, rejected = 0;
    double seconds = 0;
  };
  const Totals& totals() const { return totals_; }
  // Counts a proposal the constraints rejected (cached verdicts too).
  Status count_rejection();
  // Every architecture a probe found infeasible so far (resumes included),
  // as stored: their JSON.
  StatusOr<Json> infeasible_architectures();

 private:
  Status save_totals();

  std::vector<CostConstraint> constraints_;
  std::string command_, code_dir_, experiment_id_, dir_;
  double timeout_;
  int threads_;
  std::map<std::string, std::string> env_;  // the trial's (trial_env.h)
  Store* store_;
  BackgroundWorker worker_;
  bool busy_ = false;
  std::optional<Finished> finished_;
  Totals totals_;
};

}  // namespace archer

#endif  // ARCHER_MANAGER_COST_PROBE_H_
