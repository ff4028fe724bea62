// Training services run trials (ninja's CommandRunner shape): the manager
// submits trials while free_slots() > 0 and calls poll() to learn what
// happened. Services are built by create_training_service() from the platform
// registry (src/training_service/platform.h); every one passes the service
// conformance suite (src/testing/service_conformance.h).
//
// The contract:
// * Each submitted trial produces exactly one kStarted and exactly one kEnded
//   event, with its kMetric events in between; metrics written just before
//   the trial exits are delivered before its kEnded. An adopted trial (one a
//   previous manager started) produces its metrics and one kEnded, no
//   kStarted.
// * poll(timeout) returns within `timeout` (plus a few milliseconds of its
//   own work): whatever may be slow — a command over SSH, a scheduler query,
//   fetching a trial's logs — runs off the caller's thread and is reported by
//   a later poll. A failure of the service itself (not of one trial) is
//   returned as an error; one trial's problems end that trial.
// * A trial's end reason is a TrialStatus (SUCCEEDED, FAILED, USER_CANCELED,
//   EARLY_STOPPED or SYS_CANCELED) with a message saying why.
// * Per-trial resources are the service's decision, for the host that runs
//   the trial: OMP_NUM_THREADS from that host's cores and the trials sharing
//   it (the manager's own OMP_NUM_THREADS, when set, wins), GPUs through
//   CUDA_VISIBLE_DEVICES.
// * cancel() stops the trial's whole process group: SIGTERM, then SIGKILL
//   after the service's grace period (5 s by default).
// Thread-safety: one caller.
#ifndef ARCHER_TRAINING_SERVICE_H_
#define ARCHER_TRAINING_SERVICE_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "archer/json.h"
#include "archer/states.h"
#include "archer/status.h"

namespace archer {

struct TrialSpec {
  std::string trial_id;
  std::int64_t sequence_id = 0;
  std::string parameter_record;  // written verbatim to parameter.cfg
  std::string trial_dir;         // NNI_SYS_DIR = NNI_OUTPUT_DIR
  std::string command;           // the trialCommand
  std::string code_dir;          // where the command runs (NNI_CODE_DIR)
  std::string experiment_id;
  // Extra environment on top of NNI's variables and what the service decides
  // (CUDA_VISIBLE_DEVICES="-1" for trialGpuNumber 0, GLIBC_TUNABLES, ...).
  std::map<std::string, std::string> env;
};

struct TrialEvent {
  enum class Kind { kStarted, kMetric, kEnded };
  Kind kind = Kind::kStarted;
  std::string trial_id;
  std::int64_t time_ms = 0;  // epoch milliseconds
  // kMetric: the record's type and decoded fields.
  MetricType metric_type = MetricType::kPeriodical;
  std::int64_t metric_sequence = 0;
  std::optional<std::int64_t> parameter_id;
  std::string
      metric_value;  // the metric JSON text (decoded once from NNI's string)
  // kEnded: why the trial ended (a terminal status).
  TrialStatus status = TrialStatus::kFailed;
  // kStarted: where to find the trial again after a manager restart (stored
  // with the trial, given back to adopt()).
  std::string handle;
  std::optional<int> exit_code;
  std::string
      message;  // why it failed ("exit code 3", "killed by signal 9", ...)
  // kEnded: the platform refused to start it (see above).
  bool start_failed = false;
};

class TrainingService {
 public:
  virtual ~TrainingService() = default;
  // How many more trials can be submitted now.
  virtual int free_slots() const = 0;
  // Starts a trial. Fails (nothing started) if the directory or process cannot
  // be created.
  virtual Status submit(const TrialSpec& spec) = 0;
  // Stops a running trial; it ends with `status` (USER_CANCELED or
  // EARLY_STOPPED). Unknown or finished trials: not found.
  virtual Status cancel(const std::string& trial_id, TrialStatus status) = 0;
  // Waits up to `timeout` for events and returns all that are available
  // (possibly none); never blocks past the timeout (see above).
  virtual StatusOr<std::vector<TrialEvent>> poll(
      std::chrono::milliseconds timeout) = 0;
  // Trials submitted and not yet ended.
  virtual int running() const = 0;
  // Changes how many trials may run at once (running trials are never stopped;
  // fewer start until the count is below the new limit).
  virtual Status set_max_parallel(int max_parallel) = 0;
  // Watches a trial that a previous manager process submitted (resume after a
  // stop, a crash or a reboot), given the `handle` of its kStarted event ("" if
  // none was stored). Its metrics are delivered again from the first one (the
  // store ignores repeats) and it ends with one kEnded: when it ends, or at
  // once when it had already ended (from the exit state it left) or is gone
  // without one (SYS_CANCELED).
  virtual Status adopt(const TrialSpec& spec, const std::string& handle) = 0;
  // poll() also returns early, with whatever it has, when `fd` is readable:
  // the manager's other event source (NNI's dispatcher's channel). -1: none.
  // A service that ignores it still returns within poll()'s timeout.
  virtual void set_wake_fd(int fd) { wake_fd_ = fd; }
  // The experiment is over (stopped, done or failed): free what the service
  // holds beyond its trials (Slurm pilot workers' allocations). Not called
  // when the manager dies: a restarted one adopts. The service may be used
  // again after it (an experiment revived by a larger budget).
  virtual void release() {}

 protected:
  int wake_fd_ = -1;
};

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_H_
