// The experiment loop (spec §4.4, without its 5-second ticks): fill free slots
// from the proposer (manager/proposer.h: Archer's tuners or NNI's
// dispatcher), wait for training-service events, store every event, tell the
// proposer, repeat.
//
// * A finished trial's slot is refilled in the same step that sees it end.
// * The proposer "waiting" (a tuner not ready): asked again after the next
//   end (concurrency is not lost); waiting with no trial running is DONE.
//   "Exhausted": no more proposals; DONE when the running trials finish.
// * maxTrialNumber / maxExperimentDuration stop proposals (NO_MORE_TRIAL,
//   then DONE); maxTrialDuration cancels a trial as EARLY_STOPPED, counted
//   from its start (a trial waiting in a queue is never stopped for it).
// * With an assessor (config `assessor:`), each intermediate result is
//   judged in the step that stores it; a Bad trial without a final result is
//   cancelled EARLY_STOPPED, the reason in its message. The kills of NNI's
//   assessors (in the dispatcher) end the same way.
// * A trial the training service cannot start is stored as FAILED and step()
//   returns that error (the environment is broken; proposing more would only
//   fail more trials).
// * A trial's result is its first usable FINAL metric (store/trial_value.h);
//   a trial that ends without one reaches the proposer as a failure. The
//   counts and the best trial are the ledger's (store/ledger.h), as REST,
//   the web UI and the CLI compute them.
// * resume() instead of start() continues an experiment from its store: the
//   proposer restores itself from the stored history (ProposerHistory), ids
//   continue from the stored counters, trials left WAITING/RUNNING are
//   adopted from the training service (those that ended while no manager
//   ran end at once, from their exit state and metrics files; the store
//   ignores metrics it already has).
// * The update_* and kill_trial calls act on the running experiment; updates
//   are stored in the config, so a resume keeps them.
// * An error of the proposer (NNI's dispatcher crashed, hung or reported an
//   error; a cost probe failed) is step()'s error: the caller fail()s.
// Thread-safety: one thread drives step() and every other call.
#ifndef ARCHER_MANAGER_EXPERIMENT_MANAGER_H_
#define ARCHER_MANAGER_EXPERIMENT_MANAGER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "archer/assessor.h"
#include "archer/config.h"
#include "archer/store.h"
#include "archer/training_service.h"
#include "archer/tuner.h"
#include "dispatcher/external_tuner.h"
#include "manager/proposer.h"
#include "store/ledger.h"

namespace archer {

struct Progress {
  ExperimentStatus status = ExperimentStatus::kRunning;
  int submitted = 0, running = 0, succeeded = 0, failed = 0;
  int early_stopped = 0;  // EARLY_STOPPED trials (not counted as failed)
  int rejected = 0;       // proposals the constraints rejected (never trials)
  std::optional<double>
      best_metric;  // in the user's units (optimize_mode applied back)
  std::string best_trial_id;
  Json best_architecture;
  double elapsed_seconds = 0;
  std::string message;
};

class ExperimentManager {
 public:
  ExperimentManager(ExperimentConfig config, std::string experiment_id,
                    std::string experiment_dir,
                    std::unique_ptr<Proposer> proposer,
                    std::unique_ptr<TrainingService> service, Store* store,
                    std::uint64_t id_seed = std::random_device{}());
  // With Archer's tuner `tuner` as the proposer (manager/tuner_proposer.h).
  ExperimentManager(ExperimentConfig config, std::string experiment_id,
                    std::string experiment_dir, std::unique_ptr<Tuner> tuner,
                    std::unique_ptr<TrainingService> service, Store* store,
                    std::uint64_t id_seed = std::random_device{}());
  ~ExperimentManager();

  // The proposer is NNI's dispatcher (config.external_tuner), started with
  // these options by start() or resume(). Call before start()/resume().
  void use_dispatcher(DispatcherOptions options,
                      DispatcherClient::Timeouts timeouts);
  // Stores the config and the search space, starts the proposer (which
  // checks the concurrency against the space).
  Status start();
  // Continues the experiment stored in the store (see above). The config is
  // the stored one (the caller rebuilt it from the store).
  Status resume();
  // One iteration: submit what can be submitted, wait up to `timeout` for
  // events, handle them. Returns false once the experiment is DONE (or
  // STOPPED).
  StatusOr<bool> step(std::chrono::milliseconds timeout);
  // Cancels the running trials (USER_CANCELED), waits for them, status STOPPED.
  Status stop(
      std::chrono::milliseconds wait = std::chrono::milliseconds(10000));
  // The experiment cannot go on (`why`: the dispatcher failed, the store
  // broke): cancels the running trials, stops the dispatcher, status ERROR
  // with `why` as its message (stored as "error").
  Status fail(const Status& why);
  Progress progress() const;
  const ExperimentConfig& config() const { return config_; }

  // Changes to a running experiment (nnictl update ...; manager_updates.cc).
  // Each is checked like the config key it changes (and by the proposer),
  // stored, and applied at once: more concurrency or budget starts trials in
  // the next step; less never stops running trials. A larger budget (trial
  // number, duration) revives a DONE experiment that a manager still serves,
  // as in NNI.
  Status update_concurrency(int trial_concurrency);
  Status update_max_trial_number(std::int64_t max_trial_number);
  Status update_max_experiment_duration(double seconds);
  // The proposer restarts its search on the new space; trials of the old
  // space run on and are stored, but their results are not fed back. The
  // space is checked as the config's is (classic NAS for Archer's tuners,
  // any NNI type for the dispatcher's); errors name `source`.
  Status update_search_space(const Json& space, const std::string& source);
  // Cancels a running trial (USER_CANCELED). Not found for unknown or ended
  // trials.
  Status kill_trial(const std::string& trial_id);
  // Feeds past results to the proposer (nnictl experiment import): a JSON
  // list of {"parameter": architecture, "value": metric} (value: a number,
  // {"default": number} or such JSON in a string, as `experiment export`
  // writes it; null or "" = no result, skipped). Every record is checked
  // first (errors name `source`, the index and the key); then all are fed,
  // stored, and fed again on resume. Returns how many were fed.
  StatusOr<int> import_data(const Json& records, const std::string& source);

 private:
  struct Live;
  // The assessor, the proposer's wake-up, the spaces (start and resume).
  Status prepare();
  Status load_spaces();
  // resume()'s steps (manager_resume.cc).
  void restore_counters(const std::vector<TrialRow>& trials);
  // The assessor learns the `ended` trials again (in end order).
  void restore_assessor(const std::vector<const TrialRow*>& ended,
                        const std::vector<MetricRow>& metrics);
  Status adopt_trials(const std::vector<TrialRow>& trials);
  // Asks the proposer for as many proposals as slots and budget allow,
  // submits them, and decides the status (NO_MORE_TRIAL, DONE).
  Status fill_slots();
  Status submit(Proposed proposal);
  Status handle(const TrialEvent& event);
  Status handle_final(const TrialEvent& event, Live& live);
  Status handle_end(const TrialEvent& event, TrialRow row);
  // The one way to end a trial: asks the training service to end `id` as
  // `status`; a refusal is logged (`why` says what asked: "stopping",
  // "stopping (assessor)") and returned.
  Status cancel_trial(const std::string& id, TrialStatus status,
                      const std::string& why);
  // Stops a live trial early for `reason` (an assessor's verdict), once.
  void stop_early(const std::string& id, Live& live, const std::string& reason);
  void cancel_over_duration();
  void warn_if_conflicting(const TrialEvent& event);
  void assess(const TrialEvent& event, Live& live);
  // Cancels every live trial as `status` and handles events until they
  // ended or `wait` passed.
  Status end_live_trials(std::chrono::milliseconds wait);
  // The experiment's end: end time, elapsed, a last checkpoint, the
  // proposer let go.
  Status record_end(std::chrono::milliseconds grace);

  // The results for sequences 0, 1, ... up to the first one missing.
  static std::vector<double> gapless_prefix(
      const std::map<std::int64_t, double>& by_sequence);
  // Records the status (in the store too) if it changed, or with `force`;
  // and progress_.message (store_keys::kStatusMessage) if it changed.
  Status set_status(ExperimentStatus status, bool force = false);
  // A DONE experiment given a larger budget runs again (RUNNING; the next
  // step proposes); refused when the proposer cannot go on.
  Status revive();
  Status save_config();
  Status save_elapsed();
  Status checkpoint(bool force);
  TrialSpec spec_for(const TrialRow& row) const;
  double elapsed() const;
  // An id no stored trial has; fails if the store does not answer.
  StatusOr<std::string> new_trial_id();

  ExperimentConfig config_;
  std::string id_;
  std::string dir_;
  std::unique_ptr<Proposer> proposer_;
  std::unique_ptr<TrainingService> service_;
  std::unique_ptr<Assessor> assessor_;  // null without an assessor
  Store* store_;
  std::mt19937_64 rng_;
  Ledger ledger_;  // every trial's outcome; the best; the direction
  std::chrono::steady_clock::time_point start_;
  std::int64_t next_sequence_id_ = 0;
  std::int64_t next_parameter_id_ = 0;
  double elapsed_before_ = 0;  // seconds run before the last (re)start
  std::chrono::steady_clock::time_point elapsed_saved_;
  std::string stored_message_;  // progress_.message as last stored
  int imported_ = 0;            // records fed by import_data()
  struct Live {
    Proposed proposal;
    std::int64_t sequence = 0;
    // When the trial started running (its kStarted); maxTrialDuration counts
    // from here, so a trial waiting in a queue is never stopped for it.
    std::optional<std::chrono::steady_clock::time_point> started;
    bool has_final = false;
    std::map<std::int64_t, double> history;  // intermediate results
    std::string stop_reason;     // why it was stopped early (an assessor)
    bool over_duration = false;  // cancelled for maxTrialDuration
  };
  // The search space of each generation (the last is config_'s); stored as
  // "search_spaces", as given (NNI's types too: spaces_ holds an empty
  // SearchSpace for those).
  std::vector<SearchSpace> spaces_;
  std::vector<Json> space_json_;
  // The architecture of a stored trial in its own generation's space.
  std::optional<Architecture> stored_architecture(const TrialRow& row) const;
  std::map<std::string, Live> live_;
  Progress progress_;
};

}  // namespace archer

#endif  // ARCHER_MANAGER_EXPERIMENT_MANAGER_H_
