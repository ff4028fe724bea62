#include "replay_training_service.h"

#include <limits>

namespace archer {
namespace bench {

namespace {
constexpr std::int64_t kEpochMs = 1'700'000'000'000;  // the clock's origin
}

double ReplayTrainingService::Run::next_s() const {
  double t = start_s;
  for (size_t i = 0; i <= delivered && i < curve->seconds.size(); ++i)
    t += curve->seconds[i];
  return t;
}

TrialEvent ReplayTrainingService::event(TrialEvent::Kind kind,
                                        const std::string& id) const {
  TrialEvent e;
  e.kind = kind;
  e.trial_id = id;
  e.time_ms = kEpochMs + static_cast<std::int64_t>(now_s_ * 1000);
  return e;
}

int ReplayTrainingService::free_slots() const {
  return slots_ - static_cast<int>(running_.size());
}

Status ReplayTrainingService::submit(const TrialSpec& spec) {
  auto record = parse_json(spec.parameter_record, "parameter.cfg");
  if (!record.is_ok()) return record.status();
  TrialEvent started = event(TrialEvent::Kind::kStarted, spec.trial_id);
  started.handle = "replay";
  pending_.push_back(started);
  const Curve* curve = table_.find(record.value()["parameters"]);
  if (!curve) {
    TrialEvent e = event(TrialEvent::Kind::kEnded, spec.trial_id);
    e.status = TrialStatus::kFailed;
    e.message = "architecture not in the learning-curve table";
    pending_.push_back(e);
    return Status::ok();
  }
  running_[spec.trial_id] = {
      curve, record.value()["parameter_id"].get<std::int64_t>(), now_s_};
  return Status::ok();
}

Status ReplayTrainingService::cancel(const std::string& trial_id,
                                     TrialStatus status) {
  auto it = running_.find(trial_id);
  if (it == running_.end()) return Status::not_found(trial_id);
  running_.erase(it);
  TrialEvent e = event(TrialEvent::Kind::kEnded, trial_id);
  e.status = status;
  e.message = "cancelled";
  pending_.push_back(e);
  if (status == TrialStatus::kEarlyStopped) ++stopped_;
  return Status::ok();
}

StatusOr<std::vector<TrialEvent>> ReplayTrainingService::poll(
    std::chrono::milliseconds) {
  std::vector<TrialEvent> out(pending_.begin(), pending_.end());
  pending_.clear();
  if (!out.empty() || running_.empty()) return out;
  // The next result of any running trial (ties: the first id).
  auto next = running_.begin();
  for (auto it = running_.begin(); it != running_.end(); ++it) {
    if (it->second.next_s() < next->second.next_s()) next = it;
  }
  Run& run = next->second;
  now_s_ = run.next_s();
  const size_t epochs = run.curve->accuracy.size();
  TrialEvent m = event(TrialEvent::Kind::kMetric, next->first);
  m.parameter_id = run.parameter_id;
  m.metric_value = run.curve->metrics[run.delivered];
  const bool last = run.delivered + 1 == epochs;
  m.metric_type = last ? MetricType::kFinal : MetricType::kPeriodical;
  m.metric_sequence = last ? 0 : static_cast<std::int64_t>(run.delivered);
  out.push_back(m);
  ++run.delivered;
  ++epochs_;
  if (last) {
    finishes_.push_back({epochs_, run.curve->accuracy.back(), now_s_});
    TrialEvent e = event(TrialEvent::Kind::kEnded, next->first);
    e.status = TrialStatus::kSucceeded;
    e.exit_code = 0;
    out.push_back(e);
    running_.erase(next);
  }
  return out;
}

Status ReplayTrainingService::set_max_parallel(int max_parallel) {
  slots_ = max_parallel;
  return Status::ok();
}

Status ReplayTrainingService::adopt(const TrialSpec& spec, const std::string&) {
  return Status::internal("replay trials cannot be adopted (" + spec.trial_id +
                          ")");
}

}  // namespace bench
}  // namespace archer
