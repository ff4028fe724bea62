// GPUs for trials (trialGpuNumber > 0), one scheduler per machine: NNI's
// gpuIndices, maxTrialNumberPerGpu and useActiveGpu, with the GPUs found by
// nvidia-smi.
//
// A trial gets `gpus_per_trial` distinct GPUs, the least loaded first (fewest
// of our trials, then lowest index); a GPU takes at most maxTrialNumberPerGpu
// of our trials. With useActiveGpu false, a GPU that runs another program's
// compute process (and none of our trials) is not used, as NNI does; its
// state is refreshed from nvidia-smi before each placement.
#ifndef ARCHER_TRAINING_SERVICE_GPU_SCHEDULER_H_
#define ARCHER_TRAINING_SERVICE_GPU_SCHEDULER_H_

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "archer/status.h"

namespace archer {

struct GpuInfo {
  int index = 0;
  std::string uuid;
  int active_processes = 0;  // compute processes nvidia-smi lists on it
};

// Parses `nvidia-smi --query-gpu=index,uuid --format=csv,noheader` and
// `nvidia-smi --query-compute-apps=gpu_uuid,pid --format=csv,noheader`.
StatusOr<std::vector<GpuInfo>> parse_nvidia_smi(const std::string& gpus_csv,
                                                const std::string& apps_csv);

// Runs nvidia-smi twice through `run` (a shell command -> its stdout, or an
// error) and parses its answers.
using ShellRunner = std::function<StatusOr<std::string>(const std::string&)>;
StatusOr<std::vector<GpuInfo>> query_gpus_with(const ShellRunner& run);

// query_gpus_with() on this machine (nvidia-smi from PATH). Fails with a
// message saying what is missing (no nvidia-smi, it failed).
StatusOr<std::vector<GpuInfo>> query_gpus();

// The GPU indices a trial's run.sh exports in CUDA_VISIBLE_DEVICES (for
// re-reserving an adopted trial's GPUs); empty when it sets none.
std::vector<int> gpus_in_run_script(const std::string& run_sh_path);

class GpuScheduler {
 public:
  struct Options {
    int gpus_per_trial = 1;        // trialGpuNumber (> 0)
    std::vector<int> gpu_indices;  // empty: every GPU
    int max_trials_per_gpu = 1;    // maxTrialNumberPerGpu
    bool use_active_gpu = false;   // useActiveGpu
    std::function<StatusOr<std::vector<GpuInfo>>()> query = query_gpus;
  };
  // Queries the GPUs. Fails when fewer GPUs than gpus_per_trial remain after
  // gpuIndices (naming what was found), or when the query fails.
  static StatusOr<GpuScheduler> create(Options options);

  // How many more trials could be placed now. With use_active_gpu false, the
  // GPUs' activity is re-read when older than 5 s (a GPU that another program
  // stops using becomes usable again).
  int free_trial_slots() const;
  // Chooses GPUs for `trial_id` (re-querying activity when use_active_gpu is
  // false); returns their indices, or an empty list when none fit now.
  std::vector<int> allocate(const std::string& trial_id);
  // Marks GPUs as used by a trial that already runs (adopted after a restart).
  void reserve(const std::string& trial_id, const std::vector<int>& indices);
  void release(const std::string& trial_id);
  const std::vector<GpuInfo>& gpus() const { return gpus_; }

 private:
  explicit GpuScheduler(Options options) : options_(std::move(options)) {}
  bool usable(const GpuInfo& gpu) const;
  void refresh() const;  // activity from a new query
  Options options_;
  mutable std::vector<GpuInfo> gpus_;  // after gpuIndices
  mutable std::chrono::steady_clock::time_point refreshed_;
  std::map<int, int> load_;  // index -> our trials
  std::map<std::string, std::vector<int>> by_trial_;
};

// "0,2" for CUDA_VISIBLE_DEVICES.
std::string cuda_visible_devices(const std::vector<int>& indices);

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_GPU_SCHEDULER_H_
