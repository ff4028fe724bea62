// The experiment loop (spec §4.4, without its 5-second ticks): fill free slots
// from the tuner, wait for training-service events, store every event, feed the
// tuner, repeat.
//
// * A finished trial's slot is refilled in the same step that sees it end.
// * "Not ready" from the tuner: ask again after the next trial ends
// (concurrency is not lost).
// * "Exhausted": no more proposals; the experiment is DONE when the running
// trials finish.
// * maxTrialNumber / maxExperimentDuration stop proposals (NO_MORE_TRIAL, then
// DONE);
//   maxTrialDuration cancels a trial as EARLY_STOPPED.
// * With an assessor (config `assessor:`), each intermediate result is
//   judged in the step that stores it; a Bad trial without a final result is
//   cancelled EARLY_STOPPED, the reason in its message.
// * A trial the training service cannot start is stored as FAILED and step()
// returns that
//   error (the environment is broken; proposing more would only fail more
//   trials).
// * A trial's result is its first usable FINAL metric (store/trial_value.h);
//   a trial that ends without one reaches the tuner as a failure.
// * resume() instead of start() continues an experiment from its store: the
//   tuner is rebuilt (checkpoint, then import_data of the trials that ended
//   after it, in the order they ended), ids continue from the stored counters,
//   trials left WAITING/RUNNING are adopted from the training service (those
//   that ended while no manager ran end at once, from their exit state and
//   metrics files; the store ignores metrics it already has).
// * The update_* and kill_trial calls act on the running experiment; updates
//   are stored in the config, so a resume keeps them.
// * With NNI's algorithms (use_dispatcher()), NNI's dispatcher process is the
//   tuner (dispatcher/external_tuner.h): the manager asks it for as many
//   trials as there are free slots, submits its proposals as they arrive
//   (its channel wakes the service's wait), tells it every metric and end,
//   cancels the trials its assessor kills (EARLY_STOPPED), and ends as
//   ERROR (fail()) when it crashes, hangs or reports an error. Resume
//   restarts it in NNI's resume mode with the history replayed.
// * With `constraints` (hardware-aware search), each proposal's costs are
//   measured by the cost probe (manager/cost_probe.h) before it may become a
//   trial: an infeasible one is never trained — the tuner hears infeasible()
//   and it counts in Progress::rejected, not as a trial; a probe that fails
//   ends the experiment as ERROR (the trial cannot be probed). 1000
//   rejections in a row end the proposals ("the constraints rejected ...").
// * With `objectives`, the tuner gets receive_trial_results() with each
//   objective's value from the final metric (oriented: bigger is better); a
//   final metric without one counts as failed for the tuner.
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
#include "manager/cost_probe.h"

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
                    std::string experiment_dir, std::unique_ptr<Tuner> tuner,
                    std::unique_ptr<TrainingService> service, Store* store,
                    std::uint64_t id_seed = std::random_device{}());

  // The tuner is NNI's dispatcher (config.external_tuner), started with
  // these options by start() or resume(); `tuner` given to the constructor
  // is then null. Call before start()/resume().
  void use_dispatcher(DispatcherOptions options,
                      DispatcherClient::Timeouts timeouts);
  // Stores the config and the search space, sets the tuner's search space and
  // checks the concurrency against it.
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
  Progress progress() const { return progress_; }
  const ExperimentConfig& config() const { return config_; }
  // REQUIRES: Archer's own tuner (not use_dispatcher()).
  const Tuner& tuner() const { return *tuner_; }

  // Changes to a running experiment (nnictl update ...). Each is checked like
  // the config key it changes (and against the tuner), stored, and applied at
  // once: more concurrency or budget starts trials in the next step; less
  // never stops running trials. A larger budget (trial number, duration)
  // revives a DONE experiment that a manager still serves, as in NNI.
  Status update_concurrency(int trial_concurrency);
  Status update_max_trial_number(std::int64_t max_trial_number);
  Status update_max_experiment_duration(double seconds);
  // The tuner restarts its search on the new space; trials of the old space
  // run on and are stored, but their results are not fed to the tuner. The
  // space is checked as the config's is (classic NAS for Archer's tuners,
  // any NNI type for the dispatcher's); errors name `source`.
  Status update_search_space(const Json& space, const std::string& source);
  // Cancels a running trial (USER_CANCELED). Not found for unknown or ended
  // trials.
  Status kill_trial(const std::string& trial_id);
  // Feeds past results to the tuner (nnictl experiment import): a JSON list of
  // {"parameter": architecture, "value": metric} (value: a number, {"default":
  // number} or such JSON in a string, as `experiment export` writes it; null
  // or "" = no result, skipped). Every record is checked first (errors name
  // `source`, the index and the key); then all are fed, stored, and fed again
  // on resume. Returns how many were fed.
  StatusOr<int> import_data(const Json& records, const std::string& source);

 private:
  // optimize_mode, the tuner's search space and its concurrency check.
  Status prepare_tuner();
  Status load_spaces();
  // resume()'s steps (manager_resume.cc).
  void restore_counters(const std::vector<TrialRow>& trials);
  // Returns how many trials the tuner was rebuilt from.
  StatusOr<size_t> restore_tuner(const std::vector<TrialRow>& trials,
                                 const std::vector<MetricRow>& metrics);
  void restore_assessor(const std::vector<TrialRow>& trials,
                        const std::vector<MetricRow>& metrics);
  Status adopt_trials(const std::vector<TrialRow>& trials);
  Status fill_slots();
  // fill_slots() with the dispatcher as the tuner (manager_dispatcher.cc).
  Status fill_from_dispatcher();
  Status start_dispatcher(ExternalTuner::Resume resume);
  Status poll_dispatcher();
  // A trial for `record` (the parameter record the trial gets).
  Status submit_record(const Json& record, const Architecture& arch);
  Status submit_one(std::int64_t parameter_id, const Architecture& arch);
  // With constraints: submits `arch` if its stored verdict is feasible,
  // rejects it if not, or starts its probe (returns true: wait for it).
  StatusOr<bool> check_then_submit(std::int64_t parameter_id,
                                   const Architecture& arch);
  // A finished probe's verdict: submit or reject.
  Status poll_probe();
  Status reject(std::int64_t parameter_id, const Architecture& arch,
                const ProbeVerdict& verdict);
  Status handle(const TrialEvent& event);
  // The one way to end a trial: asks the training service to end `id` as
  // `status`; a refusal is logged (`why` says what asked: "stopping",
  // "stopping (assessor)") and returned.
  Status cancel_trial(const std::string& id, TrialStatus status,
                      const std::string& why);
  void warn_if_conflicting(const TrialEvent& event);
  struct Live;
  void assess(const TrialEvent& event, Live& live);
  // A trial's result (its value, what it was given): the best so far if it
  // beats it in the experiment's direction. The one place "best" is decided.
  void note_result(const std::string& trial_id, double value,
                   const Json& parameters);
  // A trial ended as `status`: the progress counts and ended_.
  void count_end(TrialStatus status);
  // The tuner's view of a final metric under `objectives`.
  void feed_objectives(const std::string& trial_id, const Live& live,
                       const std::string& final_text);

  // The results for sequences 0, 1, ... up to the first one missing.
  static std::vector<double> gapless_prefix(
      const std::map<std::int64_t, double>& by_sequence);
  // Records the status (in the store too) if it changed, or with `force`;
  // and progress_.message (store_keys::kStatusMessage) if it changed.
  Status set_status(ExperimentStatus status, bool force = false);
  // A DONE experiment given a larger budget runs again (RUNNING; the next
  // step proposes); refused with NNI's dispatcher, which ended at DONE.
  Status revive();
  // "search space exhausted: all N architectures tried" (the current space).
  std::string exhausted_message() const;
  Status save_config();
  Status save_elapsed();
  Status maybe_checkpoint(bool force);
  TrialSpec spec_for(const TrialRow& row) const;
  double elapsed() const;
  // An id no stored trial has; fails if the store does not answer.
  StatusOr<std::string> new_trial_id();

  ExperimentConfig config_;
  std::string id_;
  std::string dir_;
  std::unique_ptr<Tuner> tuner_;  // null with the dispatcher
  std::optional<DispatcherOptions> dispatcher_options_;
  DispatcherClient::Timeouts dispatcher_timeouts_;
  std::unique_ptr<ExternalTuner> external_;
  std::unique_ptr<TrainingService> service_;
  std::unique_ptr<Assessor> assessor_;  // null without an assessor
  std::unique_ptr<CostProbe> probe_;    // null without constraints
  struct Probing {
    std::int64_t parameter_id;
    Architecture architecture;
  };
  std::optional<Probing> probing_;  // the proposal the probe is measuring
  int rejected_in_a_row_ = 0;
  Store* store_;
  std::mt19937_64 rng_;
  OptimizeMode mode_ = OptimizeMode::kMaximize;
  std::chrono::steady_clock::time_point start_;
  std::int64_t next_sequence_id_ = 0;
  std::int64_t next_parameter_id_ = 0;
  bool waiting_for_end_ = false;  // the tuner said "not ready"
  bool exhausted_ = false;
  double elapsed_before_ = 0;  // seconds run before the last (re)start
  std::chrono::steady_clock::time_point elapsed_saved_;
  int space_generation_ = 0;    // bumped by update_search_space
  std::string stored_message_;  // progress_.message as last stored
  int ended_ = 0;               // trials ended (in the store), for checkpoints
  int checkpointed_ = 0;        // ended_ at the last checkpoint
  std::int64_t last_end_ms_ = 0;  // latest end time of an ended trial
  int imported_ = 0;              // records fed by import_data()
  struct Live {
    std::int64_t parameter_id;
    Architecture architecture;
    // When the trial started running (its kStarted); maxTrialDuration counts
    // from here, so a trial waiting in a queue is never stopped for it.
    std::optional<std::chrono::steady_clock::time_point> started;
    bool has_final = false;
    int generation = 0;  // the search space it was proposed from (-1: none
                         // that fits it; never fed to the tuner)
    Json parameters;     // the architecture as the trial received it
    std::map<std::int64_t, double> history;  // intermediate results
    std::string stop_reason;     // the assessor's, once it judged the trial Bad
    Json nni_parameter_id;       // as in its record (NNI's may be a string)
    std::string record;          // its parameter record, as stored
    bool over_duration = false;  // cancelled for maxTrialDuration
  };
  // The search space of each generation (spaces_[space_generation_] is
  // config_.search_space); stored as "search_spaces".
  std::vector<SearchSpace> spaces_;
  // The same as given (NNI's types too: spaces_ holds an empty SearchSpace
  // for those).
  std::vector<Json> space_json_;
  // The space of generation `g`, or nullptr if unknown.
  const SearchSpace* space_of(int g) const;
  std::map<std::string, Live> live_;
  Progress progress_;
};

// An 8-character experiment id (NNI's alphabet) and a 5-character trial id (a
// letter first).
std::string random_experiment_id(std::mt19937_64& rng);
std::string random_trial_id(std::mt19937_64& rng);

}  // namespace archer

#endif  // ARCHER_MANAGER_EXPERIMENT_MANAGER_H_
