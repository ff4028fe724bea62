// A training service without processes, for manager tests: each poll() finishes
// the oldest running trial with the outcome `outcome(parameter record)`
// decides.
#ifndef ARCHER_TESTING_FAKE_TRAINING_SERVICE_H_
#define ARCHER_TESTING_FAKE_TRAINING_SERVICE_H_

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "archer/training_service.h"

namespace archer {
namespace testing {

struct FakeOutcome {
  std::string final_metric =
      "0.5";  // JSON text of the FINAL metric; "" = none reported
  TrialStatus status = TrialStatus::kSucceeded;
  bool hang = false;  // never ends by itself (only cancel() ends it)
};

class FakeTrainingService : public TrainingService {
 public:
  FakeTrainingService(int slots,
                      std::function<FakeOutcome(const Json& record)> outcome)
      : slots_(slots), outcome_(std::move(outcome)) {}

  int free_slots() const override {
    return slots_ - static_cast<int>(running_.size() + refusals_.size());
  }
  Status submit(const TrialSpec& spec) override {
    if (refuse_submissions) return Status::io_error("no space left on device");
    submitted.push_back(spec);
    if (!refuse_later.empty()) {  // the platform's answer comes later
      TrialEvent e = event(TrialEvent::Kind::kEnded, spec.trial_id);
      e.status = TrialStatus::kFailed;
      e.message = refuse_later;
      e.start_failed = true;
      refusals_.push_back(e);  // holds its slot until polled
      return Status::ok();
    }
    running_.push_back(spec.trial_id);
    records_[spec.trial_id] = Json::parse(spec.parameter_record);
    TrialEvent started = event(TrialEvent::Kind::kStarted, spec.trial_id);
    started.handle = "fake-" + spec.trial_id;
    (hold_starts ? held_starts_ : events_).push_back(started);
    max_running = std::max(max_running, static_cast<int>(running_.size()));
    return Status::ok();
  }
  Status cancel(const std::string& id, TrialStatus status) override {
    for (auto it = running_.begin(); it != running_.end(); ++it) {
      if (*it != id) continue;
      running_.erase(it);
      TrialEvent e = event(TrialEvent::Kind::kEnded, id);
      e.status = status;
      events_.push_back(e);
      return Status::ok();
    }
    return Status::not_found(id);
  }
  StatusOr<std::vector<TrialEvent>> poll(std::chrono::milliseconds) override {
    if (!poll_error.empty()) return Status::io_error(poll_error);
    events_.insert(events_.end(), refusals_.begin(), refusals_.end());
    refusals_.clear();
    for (auto it = running_.begin(); it != running_.end(); ++it) {
      FakeOutcome o = outcome_(records_[*it]);
      if (o.hang) continue;
      if (!o.final_metric.empty()) {
        TrialEvent m = event(TrialEvent::Kind::kMetric, *it);
        m.metric_type = MetricType::kFinal;
        m.metric_value = o.final_metric;
        m.parameter_id = records_[*it]["parameter_id"].get<std::int64_t>();
        events_.push_back(m);
      }
      TrialEvent e = event(TrialEvent::Kind::kEnded, *it);
      e.status = o.status;
      e.exit_code = o.status == TrialStatus::kSucceeded ? 0 : 1;
      events_.push_back(e);
      running_.erase(it);
      break;
    }
    std::vector<TrialEvent> out(events_.begin(), events_.end());
    events_.clear();
    return out;
  }
  int running() const override { return static_cast<int>(running_.size()); }
  Status set_max_parallel(int max_parallel) override {
    slots_ = max_parallel;
    return Status::ok();
  }
  // Adopted trials run on like submitted ones (no kStarted).
  Status adopt(const TrialSpec& spec, const std::string& handle) override {
    adopted.emplace_back(spec.trial_id, handle);
    running_.push_back(spec.trial_id);
    records_[spec.trial_id] = Json::parse(spec.parameter_record);
    return Status::ok();
  }

  std::vector<TrialSpec> submitted;
  std::vector<std::pair<std::string, std::string>> adopted;  // id, handle
  // Submitted trials stay queued (no kStarted, as a Slurm job PENDING) until
  // release_starts().
  bool hold_starts = false;
  void release_starts() {
    events_.insert(events_.end(), held_starts_.begin(), held_starts_.end());
    held_starts_.clear();
  }
  bool refuse_submissions = false;
  std::string poll_error;    // non-empty: poll() fails with it
  std::string refuse_later;  // non-empty: submissions end start_failed
  int max_running = 0;

 private:
  static TrialEvent event(TrialEvent::Kind kind, const std::string& id) {
    TrialEvent e;
    e.kind = kind;
    e.trial_id = id;
    return e;
  }
  int slots_;
  std::function<FakeOutcome(const Json&)> outcome_;
  std::deque<std::string> running_;
  std::map<std::string, Json> records_;
  std::deque<TrialEvent> held_starts_;
  std::deque<TrialEvent> events_;
  std::vector<TrialEvent> refusals_;
};

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_FAKE_TRAINING_SERVICE_H_
