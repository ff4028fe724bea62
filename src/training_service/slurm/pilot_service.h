// SlurmPilotService: Slurm's pilot mode (`trainingService: {platform: slurm,
// pilot: {...}}`). Archer submits worker jobs — each an allocation with the
// configured resources and time limit, running pilot_worker.h's script — and
// feeds trials to their slots as they free, so a trial starts within
// milliseconds inside an allocation already held, with NNI's trial layout,
// environment and metrics unchanged (run.sh is the same as one job per
// trial's). Workers go in one `sbatch --array` (the submissions are the
// workers, never the trials), at most pilot.workers (and maxJobs) at once,
// as many as the trials need; new ones are submitted as workers end (time
// limit, preemption, idle) while trials remain.
//
// Placement: a trial goes to the free slot of the ready worker with the
// most time left, and not to one whose time left is shorter than the trial's
// expected duration — the longest of the last 10 successful trials' run
// times (unknown before the first; a trial longer than a whole allocation is
// placed anyway and resumes from its checkpoint). An idle worker too short
// for the expected duration is released while trials wait.
//
// A worker lost under a trial (its job ended: time limit, preemption, node
// failure, scancel; a trial killed without an exit state) returns the trial
// to the front of the queue as the same trial — same id, same directory, so
// ARCHER_TRIAL_RESTARTS counts it — at most pilot.maxRestarts times, then it
// ends FAILED saying why. cancel() of a queued trial ends it at once, of an
// assigned one withdraws the assignment, of a running one asks the worker
// (SIGTERM, SIGKILL after the grace). A worker job that runs but does not
// start (no `ready` within startTimeout) or ends before starting is given up
// with a log line saying why (its output's last line); after three such in a
// row the queued trials end FAILED (start_failed) with that line. adopt()
// (a restarted manager) finds the workers and their slots in the pilot
// directory and goes on using them. release() (the experiment stopped or
// done) stops every worker and scancels their jobs; the manager's death
// does not (workers exit after idleTimeout with nothing to run).
#ifndef ARCHER_TRAINING_SERVICE_SLURM_PILOT_SERVICE_H_
#define ARCHER_TRAINING_SERVICE_SLURM_PILOT_SERVICE_H_

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "archer/training_service.h"
#include "common/metric_stream.h"
#include "training_service/background_worker.h"
#include "training_service/slurm/slurm_jobs.h"
#include "training_service/slurm/slurm_training_service.h"

namespace archer {

// trainingService.pilot.
struct PilotOptions {
  int workers = 1;             // worker jobs at once, at most
  int slots = 1;               // trials side by side in one worker
  std::optional<int> cpus;     // per worker (sbatch --cpus-per-task)
  std::optional<int> gpus;     // per worker (sbatch --gpus)
  std::string memory;          // per worker (sbatch --mem)
  std::string time_limit;      // per worker (sbatch --time)
  int max_restarts = 2;        // a trial lost with its worker, started again
  double start_timeout = 120;  // seconds from RUNNING to the worker's ready
  double idle_timeout = 60;    // seconds with nothing to run before exiting
  std::string prelude;         // tests: shell run first in the worker script
};

class SlurmPilotService : public TrainingService {
 public:
  struct Options {
    SlurmOptions slurm;  // partition, account, sbatchOptions, limits, ...
    PilotOptions pilot;
    std::string experiment_id;
    std::string pilot_dir;  // <sharedDirectory or experiment dir>/pilot
    int max_parallel = 1;
    std::chrono::milliseconds kill_grace{5000};
    SlurmEnv env;
  };
  explicit SlurmPilotService(Options options);
  ~SlurmPilotService() override;

  int free_slots() const override;
  Status submit(const TrialSpec& spec) override;
  Status cancel(const std::string& trial_id, TrialStatus status) override;
  StatusOr<std::vector<TrialEvent>> poll(
      std::chrono::milliseconds timeout) override;
  int running() const override { return static_cast<int>(trials_.size()); }
  Status set_max_parallel(int max_parallel) override;
  Status adopt(const TrialSpec& spec, const std::string& handle) override;
  void release() override;

  // sbatch calls made so far (each submits one or more workers).
  int submissions() const { return submissions_; }
  // The sbatch command for `count` workers numbered from `first`.
  std::vector<std::string> worker_command(int first, int count) const;

 private:
  struct Trial {
    TrialSpec spec;
    int worker = -1, slot = -1;  // -1: queued
    bool started = false;
    std::optional<TrialStatus> cancel;
    int restarts = 0;
    std::int64_t start_ms = 0;
    std::unique_ptr<MetricFileReader> reader;
  };
  struct Worker {
    std::string dir, job;  // job "" while sbatch has not answered
    std::string out;       // its Slurm output, in the pilot directory
    bool ready = false, gone = false, releasing = false;
    std::int64_t ready_ms = 0;
    std::string host;
    std::optional<std::chrono::steady_clock::time_point> running_since;
    bool pending_warned = false;
    std::chrono::steady_clock::time_point submitted_at;
    std::vector<std::string> slots;  // trial id per slot, "" when free
  };
  void tick();            // the files: ready, run, state, gone
  void dispatch();        // queued trials to free slots
  void ensure_workers();  // submits workers the trials need
  void query_workers();   // squeue about the workers (background)
  void worker_submitted(int first, int count, const StatusOr<std::string>& job);
  void worker_ended(int number, const std::string& why);
  void worker_failed(int number, const std::string& why);
  // The trial's end from its exit state (or nullopt when it has none).
  bool end_from_state(const std::string& id);
  void end_trial(std::string id, TrialEvent ev);
  void lost(std::string id, const std::string& why);
  void discover();  // a restarted manager: workers on disk
  std::optional<std::int64_t> expected_ms() const;
  std::int64_t time_left_ms(const Worker& w) const;
  void scancel(const std::string& job);

  Options options_;
  std::map<std::string, Trial> trials_;
  std::deque<std::string> queue_;
  std::map<int, Worker> workers_;
  int next_worker_ = 0;
  std::deque<TrialEvent> ready_;
  std::deque<std::int64_t> durations_;  // the last successful run times
  std::optional<long long> limit_s_;    // a worker's time limit
  int failures_ = 0, submissions_ = 0;
  std::string failure_;  // the last worker failure's line
  bool querying_ = false, submitting_ = false, discovered_ = false;
  bool script_written_ = false;
  std::string shared_code_;  // with sharedDirectory, once copied
  std::chrono::steady_clock::time_point next_tick_{}, next_query_{},
      next_metrics_{}, next_submit_{};
  std::unique_ptr<BackgroundWorker> worker_;  // last: destroyed first
};

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_SLURM_PILOT_SERVICE_H_
