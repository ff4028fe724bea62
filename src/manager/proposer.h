// What proposes an experiment's trials, behind one interface in the shape of
// TrainingService (private to the manager). The manager asks for up to N
// proposals, submits them, tells every metric, result and end, and takes the
// kills; the proposer never blocks. Two implementations, built by
// make_proposer() (manager/proposers.h):
//
// * Archer's tuners (manager/tuner_proposer.h): the tuner, the cost probe as
//   a filter between proposal and submission (constraints), objectives,
//   checkpoints.
// * NNI's dispatcher (manager/dispatcher_proposer.h): NNI's tuners, advisors
//   and assessors in their own process.
//
// The manager keeps live trials, store writes, budgets and status, the
// assessor and the one way to stop a trial; the proposer keeps the
// proposal protocol. Thread-safety: one thread calls every method.
#ifndef ARCHER_MANAGER_PROPOSER_H_
#define ARCHER_MANAGER_PROPOSER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "archer/config.h"
#include "archer/search_space.h"
#include "archer/store.h"
#include "archer/training_service.h"
#include "store/ledger.h"
#include "store/trial_value.h"

namespace archer {

// A proposal: what a trial is given, and what the proposer needs back.
struct Proposed {
  // The parameter record the trial gets (NNI's {parameter_id,
  // parameter_source, parameters, parameter_index}).
  Json record;
  std::int64_t parameter_id = -1;  // -1: none, or NNI's non-integer id
  Architecture architecture;       // Archer's tuners only
  int generation = 0;  // the search space it was proposed from (-1: none
                       // that fits it; never fed back)
  Json parameters() const { return record.value("parameters", Json()); }
};

// What the proposer will do next, for the manager's status.
struct Outlook {
  enum class Kind {
    kOpen,       // propose() may give more
    kChecking,   // a proposal is being checked (it holds a slot): not done
    kWaiting,    // nothing until a trial ends (the tuner is "not ready")
    kExhausted,  // never more; `why` says why
  };
  Kind kind = Kind::kOpen;
  std::string why;
};

// The stored history a proposer restores itself from on resume.
struct ProposerHistory {
  const std::vector<TrialRow>* trials = nullptr;  // every trial, by sequence
  std::vector<const TrialRow*> ended;             // ended, in end order
  std::map<std::string, TrialValue> values;       // trials' values
  Json imported = Json::array();                  // stored imported records
  int generation = 0;                             // the current search space's
  std::int64_t next_parameter_id = 0;  // the next unused parameter id
  // The architecture of a stored trial in its own generation's space.
  std::function<std::optional<Architecture>(const TrialRow&)> architecture;
};

// What a checkpoint records beside the proposer's state.
struct CheckpointContext {
  int ended = 0;                 // trials ended so far
  std::int64_t last_end_ms = 0;  // the latest end
  Json live = Json::array();     // ids of the trials still running
  int imported = 0;              // imported records fed so far
};

class Proposer {
 public:
  virtual ~Proposer() = default;

  // Starts on the config's search space (a new experiment).
  virtual Status start() = 0;
  // Continues from the store; returns how many trials it was rebuilt from.
  virtual StatusOr<size_t> restore(const ProposerHistory& history) = 0;
  // Readable when poll() has news (-1: never).
  virtual int fd() const { return -1; }
  // Reads news (a probe's verdict, the dispatcher's messages). An error ends
  // the experiment.
  virtual Status poll() = 0;
  // At most `n` (>= 0) proposals ready to become trials. With `n` 0 a
  // proposal held for a slot is let go (the budget shrank).
  virtual StatusOr<std::vector<Proposed>> propose(int n) = 0;
  virtual Outlook outlook() const = 0;
  // Proposals the constraints rejected before training, in total.
  virtual int rejected() const { return 0; }

  // Every metric of a trial (NNI's dispatcher hears them all).
  virtual void metric(const std::string& trial_id, const Proposed& p,
                      const TrialEvent& event) = 0;
  // The trial's value: its first usable FINAL, `final_text`.
  virtual void result(const std::string& trial_id, const Proposed& p,
                      double value, const std::string& final_text) = 0;
  // The trial ended (`success`: SUCCEEDED with a value).
  virtual void ended(const std::string& trial_id, const Proposed& p,
                     TrialStatus status, bool success) = 0;
  // Trials the proposer's own assessor judged bad since the last call.
  virtual std::vector<std::string> take_kills() { return {}; }

  // Checks a concurrency (config or update); then proposes again.
  virtual Status set_concurrency(int trial_concurrency) = 0;
  // A DONE experiment got a larger budget; refused when the proposer cannot
  // go on (NNI's dispatcher exited at DONE).
  virtual Status revive() = 0;
  // A new search space, checked (errors name `source`); on error the old
  // one stays. Returns the space as stored.
  virtual StatusOr<Json> update_search_space(const Json& space,
                                             const std::string& source) = 0;
  // An imported record's "parameter" checked against the space.
  virtual Status check_imported(const Json& parameter,
                                const std::string& where) const = 0;
  // Imported records {parameter, value (user's units), reward (oriented)}.
  virtual void import_data(const Json& records) = 0;
  // Saves the proposer's state every few ends (or now, with `force`).
  virtual Status checkpoint(bool /*force*/, const CheckpointContext&) {
    return Status::ok();
  }
  // The experiment ended: let go of processes.
  virtual void terminate(std::chrono::milliseconds /*grace*/) {}
};

// The config's proposer: NNI's dispatcher when the config names NNI's
// algorithms (config.external_tuner; the Python with NNI found), else the
// registered Archer tuner. Errors name what is missing or wrong.
StatusOr<std::unique_ptr<Proposer>> make_proposer(
    const ExperimentConfig& config, const std::string& experiment_id,
    const std::string& experiment_dir, Store* store);

}  // namespace archer

#endif  // ARCHER_MANAGER_PROPOSER_H_
