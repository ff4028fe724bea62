// LocalTrainingService: trials as child processes of the manager (spec §3),
// event-driven.
//
// Each trial runs NNI's run.sh under bash in its own process group, in NNI's
// trial directory layout (parameter.cfg, .nni/metrics, .nni/state, stdout,
// stderr). Exits are seen when the process ends (a waiter thread per trial, no
// kill -0 polling); metrics are read when inotify reports a write, and once
// more at exit, so none is lost. cancel() sends SIGTERM to the process group
// and SIGKILL after the grace period. OMP_NUM_THREADS: this machine's cores
// over trialConcurrency.
//
// A trial's handle is the pid of its run.sh (also written to .nni/pid). After
// a manager restart adopt() checks that this pid still runs that trial's
// run.sh (a reboot may have given the pid to another process) and watches it
// with a pidfd (it is no longer our child, so waitpid cannot); its exit code
// then comes from .nni/state, which run.sh writes itself.
#ifndef ARCHER_TRAINING_SERVICE_LOCAL_LOCAL_TRAINING_SERVICE_H_
#define ARCHER_TRAINING_SERVICE_LOCAL_LOCAL_TRAINING_SERVICE_H_

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "archer/config.h"
#include "archer/training_service.h"
#include "common/metric_stream.h"
#include "training_service/gpu_scheduler.h"
#include "training_service/trial_files.h"

namespace archer {

class LocalTrainingService : public TrainingService {
 public:
  struct Options {
    int max_parallel = 1;
    std::chrono::milliseconds kill_grace = kDefaultKillGrace;
    // trialGpuNumber > 0: trials also wait for GPUs, and get theirs in
    // CUDA_VISIBLE_DEVICES. Null: CPU trials (the spec's env decides).
    std::shared_ptr<GpuScheduler> gpus;
  };
  // Fails only if the kernel refuses inotify/eventfd.
  static StatusOr<std::unique_ptr<LocalTrainingService>> create(
      Options options);
  // Trials still running are left running (the manager may be restarted and
  // adopt them).
  ~LocalTrainingService() override;

  int free_slots() const override;
  Status submit(const TrialSpec& spec) override;
  Status cancel(const std::string& trial_id, TrialStatus status) override;
  StatusOr<std::vector<TrialEvent>> poll(
      std::chrono::milliseconds timeout) override;
  int running() const override { return static_cast<int>(trials_.size()); }
  Status set_max_parallel(int max_parallel) override;
  Status adopt(const TrialSpec& spec, const std::string& handle) override;

  // The process group of a running trial (for tests), or -1.
  pid_t process_group(const std::string& trial_id) const;

  struct Exits;  // shared with the waiter threads

 private:
  struct Trial {
    pid_t pid = -1;
    TrialSpec spec;
    std::unique_ptr<MetricFileReader> reader;
    int watch = -1;
    CancelState cancel;
    bool adopted = false;  // started by an earlier manager process
    bool lost = false;     // adopted, but its process was already gone
  };
  LocalTrainingService(Options options, int inotify_fd,
                       std::shared_ptr<Exits> exits);
  Status prepare(const TrialSpec& spec, Trial& trial);
  Status start(const TrialSpec& spec);
  void read_metrics(Trial& trial, bool ended = false);
  void finish(const std::string& trial_id, int wait_status);
  void drain_inotify();

  Options options_;
  int inotify_fd_;
  std::shared_ptr<Exits> exits_;
  std::map<std::string, Trial> trials_;
  std::map<int, std::string> watch_to_trial_;
  std::deque<TrialEvent> ready_;
};

// The options a config gives (local_platform.cc): trialConcurrency, and a
// GPU scheduler when trialGpuNumber > 0 (fails if the GPUs cannot be read).
StatusOr<LocalTrainingService::Options> local_options(
    const ExperimentConfig& config);

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_LOCAL_LOCAL_TRAINING_SERVICE_H_
