#include "training_service/hybrid/hybrid_training_service.h"

#include <algorithm>

#include "training_service/max_parallel.h"
#include "training_service/run_script.h"
#include "training_service/trial_files.h"

namespace archer {

namespace {
constexpr auto kSlice = std::chrono::milliseconds(10);
}  // namespace

HybridTrainingService::HybridTrainingService(std::vector<Member> members,
                                             int max_parallel)
    : members_(std::move(members)), max_parallel_(max_parallel) {}

int HybridTrainingService::free_slots() const {
  int free = 0;
  for (const auto& m : members_) free += m.service->free_slots();
  return std::max(0, std::min(free, max_parallel_ - running()));
}

Status HybridTrainingService::set_max_parallel(int max_parallel) {
  Status st = check_max_parallel(max_parallel);
  if (st.is_ok()) max_parallel_ = max_parallel;
  return st;
}

Status HybridTrainingService::submit(const TrialSpec& spec) {
  if (where_.count(spec.trial_id)) {
    return Status::invalid_argument("trial '" + spec.trial_id +
                                    "' is already running");
  }
  for (size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].service->free_slots() <= 0) continue;
    Status st = members_[i].service->submit(spec);
    if (!st.is_ok())
      return st.with_context("trainingService " + members_[i].platform);
    where_[spec.trial_id] = i;
    // Where it went, for a restarted manager that has no handle for it.
    (void)write_text_file(spec.trial_dir + "/.nni/platform",
                          members_[i].platform + "\n");
    return Status::ok();
  }
  return Status::invalid_argument("no platform has a free slot");
}

Status HybridTrainingService::cancel(const std::string& trial_id,
                                     TrialStatus status) {
  auto it = where_.find(trial_id);
  if (it == where_.end())
    return Status::not_found("trial '" + trial_id + "' is not running");
  return members_[it->second].service->cancel(trial_id, status);
}

Status HybridTrainingService::adopt(const TrialSpec& spec,
                                    const std::string& handle) {
  std::string platform, rest;
  const size_t colon = handle.find(':');
  if (colon != std::string::npos) {
    platform = handle.substr(0, colon);
    rest = handle.substr(colon + 1);
  } else {
    platform = read_trial_word(spec.trial_dir, ".nni/platform");
  }
  for (size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].platform != platform) continue;
    Status st = members_[i].service->adopt(spec, rest);
    if (st.is_ok()) where_[spec.trial_id] = i;
    return st;
  }
  // Its platform is no longer in the list (or it never got one).
  ready_.push_back(ended_event(
      spec.trial_id, TrialStatus::kSysCanceled, std::nullopt, 0,
      platform.empty()
          ? "no record of the platform it ran on"
          : "platform " + platform + " is no longer in trainingService"));
  return Status::ok();
}

void HybridTrainingService::set_wake_fd(int fd) {
  TrainingService::set_wake_fd(fd);
  for (auto& m : members_) m.service->set_wake_fd(fd);
}

void HybridTrainingService::release() {
  for (auto& m : members_) m.service->release();
}

void HybridTrainingService::take(size_t member, std::vector<TrialEvent>& events,
                                 std::vector<TrialEvent>* out) {
  for (auto& e : events) {
    if (e.kind == TrialEvent::Kind::kStarted)
      e.handle = members_[member].platform + ":" + e.handle;
    if (e.kind == TrialEvent::Kind::kEnded) where_.erase(e.trial_id);
    out->push_back(std::move(e));
  }
}

StatusOr<std::vector<TrialEvent>> HybridTrainingService::poll(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<TrialEvent> out(std::make_move_iterator(ready_.begin()),
                              std::make_move_iterator(ready_.end()));
  ready_.clear();
  while (true) {
    // Every member once (the first one in turn), each waiting a slice at
    // most, until one has something or time is up.
    for (size_t k = 0; k < members_.size(); ++k) {
      const size_t i = (next_ + k) % members_.size();
      const auto now = std::chrono::steady_clock::now();
      auto slice = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::min<std::chrono::steady_clock::duration>(kSlice,
                                                        deadline - now));
      if (!out.empty() || slice.count() < 0)
        slice = std::chrono::milliseconds(0);
      auto events = members_[i].service->poll(slice);
      if (!events.is_ok())
        return events.status().with_context("trainingService " +
                                            members_[i].platform);
      take(i, events.value(), &out);
    }
    next_ = (next_ + 1) % members_.size();
    if (!out.empty() || std::chrono::steady_clock::now() >= deadline ||
        fd_readable(wake_fd_))
      return out;
  }
}

StatusOr<std::unique_ptr<TrainingService>> create_hybrid_service(
    const ExperimentConfig& config, const PlatformContext& context) {
  std::vector<HybridTrainingService::Member> members;
  const Json& list = config.training_service;
  for (size_t i = 0; i < list.size(); ++i) {
    ExperimentConfig one = config;
    Json section = list[i];
    if (section.value("trialConcurrency", Json()).is_number_integer())
      one.trial_concurrency = section["trialConcurrency"].get<int>();
    section.erase("trialConcurrency");
    one.platform = section.value("platform", "local");
    one.training_service = section;
    if (one.platform == kHybridPlatform)
      return Status::invalid_argument("trainingService[" + std::to_string(i) +
                                      "]: a list cannot hold a list");
    auto service = create_training_service(one, context);
    if (!service.is_ok())
      return service.status().with_context("trainingService[" +
                                           std::to_string(i) + "]");
    members.push_back({one.platform, std::move(service).value()});
  }
  return std::unique_ptr<TrainingService>(
      std::make_unique<HybridTrainingService>(std::move(members),
                                              config.trial_concurrency));
}

}  // namespace archer
