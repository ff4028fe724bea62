#include "training_service/gpu_scheduler.h"

#include <stdio.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "common/bounded_file.h"
#include "common/log.h"

namespace archer {

namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(trim(item));
  return out;
}

// Runs a command; its stdout, or an error with its exit status.
StatusOr<std::string> run(const std::string& command) {
  FILE* p = ::popen((command + " 2>/dev/null").c_str(), "r");
  if (!p) return Status::io_error("cannot run " + command);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return Status::io_error(
        code == 127 ? "nvidia-smi was not found on PATH (no NVIDIA driver?)"
                    : "`" + command + "` failed (exit status " +
                          std::to_string(code) + ")");
  }
  return out;
}

}  // namespace

StatusOr<std::vector<GpuInfo>> parse_nvidia_smi(const std::string& gpus_csv,
                                                const std::string& apps_csv) {
  std::vector<GpuInfo> gpus;
  std::stringstream lines(gpus_csv);
  std::string line;
  while (std::getline(lines, line)) {
    if (trim(line).empty()) continue;
    std::vector<std::string> f = split(line, ',');
    char* end = nullptr;
    const long index = f.empty() ? -1 : std::strtol(f[0].c_str(), &end, 10);
    if (f.size() < 2 || f[0].empty() || *end != '\0' || index < 0) {
      return Status::invalid_argument(
          "nvidia-smi --query-gpu: expected 'index, uuid' lines, got '" + line +
          "'");
    }
    gpus.push_back(GpuInfo{static_cast<int>(index), f[1], 0});
  }
  std::stringstream apps(apps_csv);
  while (std::getline(apps, line)) {
    std::vector<std::string> f = split(line, ',');
    if (f.empty() || f[0].empty()) continue;
    for (auto& g : gpus) {
      if (g.uuid == f[0]) ++g.active_processes;
    }
  }
  return gpus;
}

StatusOr<std::vector<GpuInfo>> query_gpus_with(const ShellRunner& runner) {
  auto listed =
      runner("nvidia-smi --query-gpu=index,uuid --format=csv,noheader");
  if (!listed.is_ok()) return listed.status();
  auto apps = runner(
      "nvidia-smi --query-compute-apps=gpu_uuid,pid --format=csv,noheader");
  if (!apps.is_ok()) return apps.status();
  return parse_nvidia_smi(listed.value(), apps.value());
}

StatusOr<std::vector<GpuInfo>> query_gpus() { return query_gpus_with(run); }

std::vector<int> gpus_in_run_script(const std::string& run_sh_path) {
  // The trial may have rewritten its run.sh: read it as untrusted.
  auto text = read_regular_file(run_sh_path, size_t{1} << 20);
  std::istringstream script(text.is_ok() ? text.value() : "");
  std::string line;
  const std::string key = "export CUDA_VISIBLE_DEVICES='";
  std::vector<int> gpus;
  while (std::getline(script, line)) {
    if (line.rfind(key, 0) != 0) continue;
    gpus.clear();
    std::stringstream list(line.substr(key.size()));
    std::string item;
    while (std::getline(list, item, ',')) {
      if (!item.empty() && std::isdigit(static_cast<unsigned char>(item[0])))
        gpus.push_back(std::atoi(item.c_str()));
    }
  }
  return gpus;
}

StatusOr<GpuScheduler> GpuScheduler::create(Options options) {
  GpuScheduler s(options);
  s.refreshed_ = std::chrono::steady_clock::now();
  auto found = options.query();
  if (!found.is_ok()) {
    return Status::invalid_argument(
        "trialGpuNumber is " + std::to_string(options.gpus_per_trial) +
        " but no GPU can be found: " + found.status().message() +
        " (set trialGpuNumber: 0 to run trials on the CPU)");
  }
  std::string seen;
  for (const auto& g : found.value()) {
    seen += (seen.empty() ? "" : ", ") + std::to_string(g.index);
    const auto& wanted = options.gpu_indices;
    if (wanted.empty() ||
        std::find(wanted.begin(), wanted.end(), g.index) != wanted.end()) {
      s.gpus_.push_back(g);
    }
  }
  for (int wanted : options.gpu_indices) {
    bool present = false;
    for (const auto& g : found.value()) present = present || g.index == wanted;
    if (!present) {
      return Status::invalid_argument("trainingService.gpuIndices: GPU " +
                                      std::to_string(wanted) +
                                      " does not exist (nvidia-smi lists: " +
                                      (seen.empty() ? "none" : seen) + ")");
    }
  }
  if (static_cast<int>(s.gpus_.size()) < options.gpus_per_trial) {
    return Status::invalid_argument(
        "trialGpuNumber is " + std::to_string(options.gpus_per_trial) +
        " but only " + std::to_string(s.gpus_.size()) +
        " GPU(s) can be used (nvidia-smi lists: " +
        (seen.empty() ? "none" : seen) + ")");
  }
  return s;
}

bool GpuScheduler::usable(const GpuInfo& g) const {
  auto it = load_.find(g.index);
  const int ours = it == load_.end() ? 0 : it->second;
  if (ours >= options_.max_trials_per_gpu) return false;
  // Busy with someone else's work (processes, none of them our trials').
  return options_.use_active_gpu || ours > 0 || g.active_processes == 0;
}

void GpuScheduler::refresh() const {
  refreshed_ = std::chrono::steady_clock::now();
  auto fresh = options_.query();
  if (!fresh.is_ok()) {
    log_warning("archer",
                "cannot refresh the GPUs' state: " + fresh.status().message());
    return;
  }
  for (auto& g : gpus_) {
    for (const auto& f : fresh.value()) {
      if (f.uuid == g.uuid) g.active_processes = f.active_processes;
    }
  }
}

int GpuScheduler::free_trial_slots() const {
  if (!options_.use_active_gpu &&
      std::chrono::steady_clock::now() - refreshed_ > std::chrono::seconds(5))
    refresh();
  int capacity = 0;
  for (const auto& g : gpus_) {
    if (!usable(g)) continue;
    auto it = load_.find(g.index);
    capacity +=
        options_.max_trials_per_gpu - (it == load_.end() ? 0 : it->second);
  }
  return capacity / options_.gpus_per_trial;
}

std::vector<int> GpuScheduler::allocate(const std::string& trial_id) {
  if (!options_.use_active_gpu) refresh();
  std::vector<const GpuInfo*> candidates;
  for (const auto& g : gpus_) {
    if (usable(g)) candidates.push_back(&g);
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const GpuInfo* a, const GpuInfo* b) {
                     return load_[a->index] < load_[b->index];
                   });
  if (static_cast<int>(candidates.size()) < options_.gpus_per_trial) return {};
  std::vector<int> chosen;
  for (int i = 0; i < options_.gpus_per_trial; ++i)
    chosen.push_back(candidates[static_cast<size_t>(i)]->index);
  std::sort(chosen.begin(), chosen.end());
  reserve(trial_id, chosen);
  return chosen;
}

void GpuScheduler::reserve(const std::string& trial_id,
                           const std::vector<int>& indices) {
  for (int i : indices) ++load_[i];
  by_trial_[trial_id] = indices;
}

void GpuScheduler::release(const std::string& trial_id) {
  auto it = by_trial_.find(trial_id);
  if (it == by_trial_.end()) return;
  for (int i : it->second) --load_[i];
  by_trial_.erase(it);
}

std::string cuda_visible_devices(const std::vector<int>& indices) {
  std::string out;
  for (int i : indices) out += (out.empty() ? "" : ",") + std::to_string(i);
  return out;
}

}  // namespace archer
