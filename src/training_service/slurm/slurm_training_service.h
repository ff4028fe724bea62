// SlurmTrainingService: each trial is one Slurm batch job (Archer's platform;
// NNI has none).
//
// submit() writes NNI's trial directory (parameter.cfg, run.sh, .nni/) under
// the experiment's directory — or, with sharedDirectory, under
// <sharedDirectory>/<experiment id>/trials/ (the code copied to
// .../code/<fingerprint>, see code_files.h;
// the experiment's trials/<id> a symlink) — and runs `sbatch --parsable run.sh`
// with the configured partition, account, time limit, CPUs, memory, GPUs and
// extra options (on the worker: a refusal ends the trial FAILED with
// start_failed); the job id is the trial's handle (also in .nni/jobid). poll()
// asks `squeue` about every job at the poll interval (and reads metrics files
// from the shared directory, where inotify cannot be trusted): a PENDING job is
// a WAITING trial, kStarted comes when it runs (or is seen past running: every
// trial gets one). A job that left the queue ends from the .nni/state its
// run.sh wrote; without one, `scontrol show job` (or `sacct`) says why:
// CANCELLED by us -> the cancel status, by someone else -> SYS_CANCELED;
// TIMEOUT / OUT_OF_MEMORY -> FAILED with the reason; PREEMPTED / NODE_FAIL /
// BOOT_FAIL -> requeued once (if `requeue`), else SYS_CANCELED. When slurmctld
// does not answer, jobs keep their last known state and are asked about again
// (a restart of slurmctld loses nothing). sbatch, squeue, scontrol and
// scancel run on a BackgroundWorker, never on the manager's thread.
// OMP_NUM_THREADS: cpusPerTrial, else the CPUs Slurm gave the job.
// Cluster limits: at most maxJobs jobs (default: the association's
// MaxSubmitJobs) are queued or running, and sbatch calls are at least
// submitInterval apart (a paced submission waits on the worker). Trials
// submitted together (between two polls) go in one `sbatch --array` whose
// element i runs the i-th trial's run.sh; each element is its own job
// ("<array>_<i>", in .nni/jobid), watched, cancelled and requeued alone.
#ifndef ARCHER_TRAINING_SERVICE_SLURM_SLURM_TRAINING_SERVICE_H_
#define ARCHER_TRAINING_SERVICE_SLURM_SLURM_TRAINING_SERVICE_H_

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
#include "training_service/platform.h"

namespace archer {

// The trainingService keys of platform slurm.
struct SlurmOptions {
  std::string partition, account, time_limit, memory;
  std::string shared_directory;  // absolute; "" = the experiment directory
  std::optional<int> cpus, gpus;
  std::vector<std::string> sbatch_options;
  bool requeue = true;
  double poll_interval = 1;  // seconds
  // The most jobs queued or running at once (nullopt: the association's
  // MaxSubmitJobs if sacctmgr tells it, else none beyond trialConcurrency).
  std::optional<int> max_jobs;
  double submit_interval = 0.1;  // seconds between two sbatch calls
  // Trials submitted together go in one `sbatch --array` (one job per trial
  // when false).
  bool arrays = true;
};

// The user's association limit on submitted jobs (sacctmgr's MaxSubmitJobs),
// if Slurm's accounting has one; asked once, bounded in time.
std::optional<int> association_max_submit_jobs(
    const std::map<std::string, std::string>& env);

// With sharedDirectory (`root` = <sharedDirectory>/<experiment id>): copies
// the code there (once: `*shared_code` remembers where), makes the trial's
// directory there with the experiment's trials/<id> a link to it, and points
// `spec` at both.
Status place_on_shared_directory(const std::string& root,
                                 std::string* shared_code, TrialSpec& spec);

// A Slurm trial's directory (both modes): its threads (cpusPerTrial, else
// `threads`, a shell expression evaluated where it runs), its GPUs left to
// Slurm or the worker, its place on sharedDirectory, and NNI's files with
// NNI_PLATFORM=slurm.
Status write_slurm_trial(const SlurmOptions& slurm,
                         const std::string& experiment_id,
                         const std::string& threads, std::string* shared_code,
                         TrialSpec& spec);

class SlurmTrainingService : public TrainingService {
 public:
  struct Options {
    SlurmOptions slurm;
    std::string experiment_id;
    int max_parallel = 1;
    // Extra environment for the Slurm commands (tests: SLURM_CONF).
    std::map<std::string, std::string> env;
  };
  explicit SlurmTrainingService(Options options);
  ~SlurmTrainingService() override;

  int free_slots() const override;
  Status submit(const TrialSpec& spec) override;
  Status cancel(const std::string& trial_id, TrialStatus status) override;
  StatusOr<std::vector<TrialEvent>> poll(
      std::chrono::milliseconds timeout) override;
  int running() const override { return static_cast<int>(trials_.size()); }
  Status set_max_parallel(int max_parallel) override;
  Status adopt(const TrialSpec& spec, const std::string& handle) override;

  // The sbatch command line for a trial (tests).
  std::vector<std::string> sbatch_command(const TrialSpec& spec) const;
  // sbatch calls made so far (an array is one).
  int submissions() const { return submissions_; }

 private:
  struct Trial {
    TrialSpec spec;
    std::string job;
    bool started = false;
    bool requeued = false;
    std::optional<TrialStatus> cancel;  // scancel asked for
    bool submitting = false;            // sbatch has not answered yet
    std::unique_ptr<MetricFileReader> reader;
  };
  // What the worker asks Slurm about a trial's job, and what it learns.
  struct Query {
    std::string trial_id, job;
    bool has_state;    // run.sh wrote .nni/state (killed by a signal)
    bool may_requeue;  // requeue on and not requeued yet
  };
  struct Answer {
    std::string trial_id;
    std::string state;  // squeue's, "" when it no longer lists the job
    bool requeued = false;
    bool ended = false;
    std::string final_state, reason;  // scontrol's (or sacct's), if ended
  };
  struct QueryResult {
    std::string error;  // squeue failed: nothing learnt
    std::vector<Answer> answers;
  };
  // sbatch for the trials submitted since the last poll: one job, or one
  // array whose element i runs ids[i] (a script in <trials>/../slurm-arrays).
  void submit_batch();
  std::vector<std::string> array_command(const std::vector<std::string>& ids,
                                         const std::string& script,
                                         const std::string& output) const;
  // Runs `argv` on the worker, paced; the job id (element i: <id>_i) comes
  // back to submitted() for each of `ids`.
  void post_sbatch(const std::vector<std::string>& ids,
                   const std::vector<std::string>& argv);
  // sbatch's answer (the job id, or why not).
  void submitted(const std::string& trial_id, const StatusOr<std::string>& job);
  void scancel(const std::string& job);  // on the worker
  // Ends trials whose run.sh reported, and asks the worker about the others.
  void refresh();
  // On the worker: squeue for every job, requeue, scontrol for those ended.
  static QueryResult ask_scheduler(
      const std::vector<Query>& queries,
      const std::map<std::string, std::string>& env);
  void apply(const QueryResult& result);
  // Ends the trial from its exit state or, without one, what Slurm said.
  void finish(const std::string& trial_id, const std::string& job_state,
              const std::string& reason);
  void read_metrics(Trial& t, bool ended = false);
  // Emits the trial's one kStarted (handle: the job id), unless it was.
  void mark_started(const std::string& trial_id, Trial& t);

  Options options_;
  std::map<std::string, Trial> trials_;
  std::deque<TrialEvent> ready_;
  std::chrono::steady_clock::time_point next_refresh_{};
  bool controller_warned_ = false;
  std::string shared_code_;  // <shared>/<exp>/code/<fingerprint>, once copied
  bool querying_ = false;    // a scheduler query is on the worker
  std::vector<std::string> batch_;  // submitted, sbatch not yet asked
  int arrays_ = 0, submissions_ = 0;
  // When the next sbatch may run (pacing; the worker waits for it).
  std::chrono::steady_clock::time_point next_submit_{};
  std::unique_ptr<BackgroundWorker> worker_;  // last: destroyed first
};

// The options a config's trainingService section gives (slurm_platform.cc).
SlurmTrainingService::Options slurm_options(const ExperimentConfig& config,
                                            const PlatformContext& context);

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_SLURM_SLURM_TRAINING_SERVICE_H_
