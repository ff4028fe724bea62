// RemoteTrainingService: NNI's `remote` platform — trials on SSH hosts.
//
// Each host gets one shared SSH connection, the trial code once (under
// <remoteDirectory>/<experiment id>/code), and a watcher streaming metrics and
// exits back (see remote_host.h). A trial runs NNI's run.sh (NNI_PLATFORM
// remote) in its own session and process group under .../trials/<id>/; a
// local copy of its directory (parameter.cfg, run.sh, .nni/metrics as
// received, stdout and stderr fetched at the end) lives under the
// experiment's own trials/<id>/. Trials go to the connected host with the
// fewest of ours (and, with trialGpuNumber > 0, free GPUs: the trial gets
// CUDA_VISIBLE_DEVICES as on the local platform) and OMP_NUM_THREADS from the
// host's own cores. Cancel: SIGTERM to the remote group, SIGKILL after the
// grace period.
//
// Off the manager's thread (a BackgroundWorker): fetching a finished trial's
// stdout/stderr (its kEnded follows when they are here), signals, and
// reconnecting a host, and the launch command of a submitted trial.
//
// A host that goes down (connection lost, watcher ended): its running trials
// end SYS_CANCELED with the reason, the experiment goes on with the other
// hosts, and the host is retried with exponential back-off (1 s .. 60 s);
// on reconnection, process groups of trials it had lost are killed.
#ifndef ARCHER_TRAINING_SERVICE_REMOTE_REMOTE_TRAINING_SERVICE_H_
#define ARCHER_TRAINING_SERVICE_REMOTE_REMOTE_TRAINING_SERVICE_H_

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
#include "training_service/gpu_scheduler.h"
#include "training_service/platform.h"
#include "training_service/remote/remote_host.h"
#include "training_service/trial_files.h"

namespace archer {

// One SSH host (trainingService.machineList[]).
struct RemoteMachine {
  std::string host;
  int port = 22;
  std::string user;
  std::string ssh_key_file;  // absolute; "" = password authentication
  std::string ssh_passphrase;
  std::string password;
  bool use_active_gpu = false;
  int max_trial_number_per_gpu = 1;
  std::vector<int> gpu_indices;
  std::string python_path;
  bool check_host_key = true;
  std::string known_hosts_file;  // "" = ssh's default
};

class RemoteTrainingService : public TrainingService {
 public:
  struct Options {
    std::vector<RemoteMachine> machines;
    std::string experiment_id;
    std::string experiment_dir;    // local: <dir>/trials/<id>/ copies
    std::string code_dir;          // trialCodeDirectory, uploaded
    std::string remote_directory;  // on the hosts
    int max_parallel = 1;
    std::chrono::milliseconds kill_grace = kDefaultKillGrace;
    // trialGpuNumber: > 0 schedules GPUs on each host (its gpuIndices,
    // maxTrialNumberPerGpu, useActiveGpu) from nvidia-smi run over the shared
    // connection; a host whose GPUs cannot be read is not used (retried).
    int gpus_per_trial = 0;
  };
  // Connects to every host it can; fails if none can be used (naming why for
  // each).
  static StatusOr<std::unique_ptr<RemoteTrainingService>> create(
      Options options);
  ~RemoteTrainingService() override;

  int free_slots() const override;
  Status submit(const TrialSpec& spec) override;
  Status cancel(const std::string& trial_id, TrialStatus status) override;
  StatusOr<std::vector<TrialEvent>> poll(
      std::chrono::milliseconds timeout) override;
  int running() const override { return static_cast<int>(trials_.size()); }
  Status set_max_parallel(int max_parallel) override;
  // Handle: "<user>@<host>:<port>/<pgid>".
  Status adopt(const TrialSpec& spec, const std::string& handle) override;

  // Host index of a running trial (tests), or -1.
  int host_of(const std::string& trial_id) const;
  // Whether host `i` is connected (tests).
  bool host_up(size_t i) const { return i < hosts_.size() && usable(i); }

 private:
  struct Trial {
    TrialSpec spec;  // local trial_dir
    size_t host = 0;
    long pgid = -1;
    std::string remote_dir;
    std::unique_ptr<MetricFileReader> reader;  // on the local copy
    std::uint64_t received = 0;  // metric bytes appended to the local copy
    std::uint64_t session_offset = 0;
    int session_generation = -1;
    CancelState cancel;
    bool launching = false;  // the launch command has not answered yet
    bool ending = false;     // its end is known; outputs being fetched
  };
  explicit RemoteTrainingService(Options options);
  void handle_line(const RemoteInbox::Line& line);
  void append_metrics(Trial& t, const RemoteInbox::Line& line,
                      const std::string& bytes);
  void read_metrics(Trial& t, bool ended = false);
  // The trial has ended: its last metrics are read, its outputs fetched on
  // the worker, then finish() reports it.
  void end(const std::string& trial_id, TrialStatus status,
           std::optional<int> exit_code, std::int64_t time_ms,
           const std::string& message);
  void finish(const std::string& trial_id, const TrialEvent& ended);
  void host_down(size_t host, const std::string& reason);
  // Reconnects hosts that are down, on the worker.
  void retry_hosts();
  void connected_host(size_t host,
                      StatusOr<std::unique_ptr<GpuScheduler>> connected);
  // bring_up(), the host's cores, and its GPU scheduler when GPUs are
  // scheduled (null otherwise). Runs on the worker for a reconnection.
  StatusOr<std::unique_ptr<GpuScheduler>> connect_host(size_t host);
  // Connected, and not being reconnected by the worker.
  bool usable(size_t host) const;
  // Starts `spec` on host `index` with `gpus` (may be empty): the local
  // copy now, the launch command on the worker; launched() gets its answer
  // (the process group, or why not: the trial ends start_failed).
  Status launch(const TrialSpec& spec, size_t index,
                const std::vector<int>& gpus);
  void launched(const std::string& trial_id, const StatusOr<long>& pgid);
  // Sends a signal to the trial's process group (on the worker).
  void signal_group(const Trial& t, const char* signal);

  Options options_;
  std::shared_ptr<RemoteInbox> inbox_;
  std::vector<std::unique_ptr<RemoteHost>> hosts_;
  std::vector<std::unique_ptr<GpuScheduler>> gpus_;  // per host, or null
  std::map<std::string, Trial> trials_;
  std::vector<unsigned> cores_;   // per host, for OMP_NUM_THREADS
  std::vector<bool> connecting_;  // per host: the worker is reconnecting it
  std::map<size_t, std::vector<long>> orphans_;  // groups lost with a host
  std::vector<RemoteInbox::Line> deferred_;      // from hosts being reconnected
  std::deque<TrialEvent> ready_;
  // Declared last, destroyed first: its running job may use a host.
  std::unique_ptr<BackgroundWorker> worker_;
};

// The options a config's trainingService section gives (remote_platform.cc).
RemoteTrainingService::Options remote_options(const ExperimentConfig& config,
                                              const PlatformContext& context);

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_REMOTE_REMOTE_TRAINING_SERVICE_H_
