// Archer's tuners as the experiment's proposer (manager/proposer.h).
//
// * Proposals are the tuner's, numbered by parameter id; "not ready" waits
//   for the next end; "exhausted" ends the proposals ("search space
//   exhausted: all N architectures tried").
// * With `constraints`, each proposal's costs are measured by the cost probe
//   (manager/cost_probe.h) before it may become a trial, one at a time, never
//   blocking: an infeasible one is never trained — the tuner hears
//   infeasible() and it counts in rejected(); a probe that fails ends the
//   experiment (poll() returns the error). 1000 rejections in a row end the
//   proposals.
// * With `objectives`, the tuner gets receive_trial_results() with each
//   objective's value (oriented); a final metric without one counts as failed
//   for the tuner.
// * Only trials of the current search space are fed back.
// * Checkpoints: the tuner's save() every 10 ends (store_keys::
//   kTunerCheckpoint); restore() loads it, then imports the trials that ended
//   after it, in end order, the imported data and the rejected proposals.
#ifndef ARCHER_MANAGER_TUNER_PROPOSER_H_
#define ARCHER_MANAGER_TUNER_PROPOSER_H_

#include <memory>
#include <optional>
#include <set>
#include <string>

#include "archer/config.h"
#include "archer/tuner.h"
#include "manager/cost_probe.h"
#include "manager/proposer.h"

namespace archer {

class TunerProposer : public Proposer {
 public:
  TunerProposer(const ExperimentConfig& config, std::string experiment_id,
                std::string experiment_dir, std::unique_ptr<Tuner> tuner,
                Store* store);

  Status start() override;
  StatusOr<size_t> restore(const ProposerHistory& history) override;
  int fd() const override { return probe_ ? probe_->fd() : -1; }
  Status poll() override;
  StatusOr<std::vector<Proposed>> propose(int n) override;
  Outlook outlook() const override;
  int rejected() const override { return rejected_; }
  void metric(const std::string&, const Proposed&, const TrialEvent&) override {
  }
  void result(const std::string& trial_id, const Proposed& p, double value,
              const std::string& final_text) override;
  void ended(const std::string& trial_id, const Proposed& p, TrialStatus status,
             bool success) override;
  Status set_concurrency(int trial_concurrency) override;
  Status revive() override;
  StatusOr<Json> update_search_space(const Json& space,
                                     const std::string& source) override;
  Status check_imported(const Json& parameter,
                        const std::string& where) const override;
  void import_data(const Json& records) override;
  Status checkpoint(bool force, const CheckpointContext& context) override;

 private:
  // The proposal for `parameter_id`: `architecture` as its record.
  Proposed proposal(std::int64_t parameter_id, Architecture architecture) const;
  // Probes `p` (returns true: wait for it), or decides from its stored
  // verdict: false with `p` rejected or pushed to `out`.
  StatusOr<bool> check(Proposed p, std::vector<Proposed>& out);
  Status reject(const Proposed& p, const ProbeVerdict& verdict);
  // The imported `records` ({parameter, reward}) from the `from`-th on, as
  // history; records that do not fit the space are skipped.
  void imported_history(const Json& records, int from,
                        std::vector<TrialHistory>& out) const;
  // The checkpoint's position, or -1 with none (or one of another space).
  struct Checkpointed {
    std::int64_t until = -1;
    std::set<std::string> live;
    int imported = 0;
  };
  StatusOr<Checkpointed> load_checkpoint(int generation);

  SearchSpace space_;
  std::vector<Objective> objectives_;
  std::string tuner_name_;
  int concurrency_;
  OptimizeMode mode_;
  std::unique_ptr<Tuner> tuner_;
  Store* store_;
  std::unique_ptr<CostProbe> probe_;  // null without constraints
  std::optional<Proposed> probing_;   // the proposal the probe measures
  std::optional<Proposed> checked_;   // probed feasible, waiting for a slot
  int rejected_ = 0, rejected_in_a_row_ = 0;
  int generation_ = 0;
  std::int64_t next_parameter_id_ = 0;
  bool waiting_ = false;
  std::optional<std::string> exhausted_;  // why, once exhausted
  int checkpointed_ = 0;                  // ends at the last checkpoint
};

}  // namespace archer

#endif  // ARCHER_MANAGER_TUNER_PROPOSER_H_
