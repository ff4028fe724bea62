// A training service that plays back recorded learning curves in simulated
// time (no sleeping, no processes): a trial's epoch k result arrives when the
// simulated clock reaches its start plus the recorded seconds of epochs
// 1..k; results before the last are PERIODICAL (sequence k-1), the last one is
// FINAL, then the trial SUCCEEDED — what the example's trial reports. poll()
// moves the clock to the next result of any running trial. cancel() ends a
// trial at the current simulated time, so a trial stopped after k results
// spent k epochs. An architecture missing from the table ends FAILED.
#ifndef ARCHER_BENCH_REPLAY_TRAINING_SERVICE_H_
#define ARCHER_BENCH_REPLAY_TRAINING_SERVICE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "archer/training_service.h"
#include "curve_table.h"

namespace archer {
namespace bench {

class ReplayTrainingService : public TrainingService {
 public:
  ReplayTrainingService(const CurveTable& table, int slots)
      : table_(table), slots_(slots) {}

  int free_slots() const override;
  Status submit(const TrialSpec& spec) override;
  Status cancel(const std::string& trial_id, TrialStatus status) override;
  StatusOr<std::vector<TrialEvent>> poll(
      std::chrono::milliseconds timeout) override;
  int running() const override { return static_cast<int>(running_.size()); }
  Status set_max_parallel(int max_parallel) override;
  Status adopt(const TrialSpec& spec, const std::string& handle) override;

  // Epochs trained so far, over all trials (each delivered result is one).
  std::int64_t epochs_spent() const { return epochs_; }
  // Each trial that finished its whole curve: the epochs spent by then (all
  // trials together) and its final accuracy, in order.
  struct Finish {
    std::int64_t epochs_spent = 0;
    double accuracy = 0;
    double simulated_seconds = 0;
  };
  const std::vector<Finish>& finishes() const { return finishes_; }
  int stopped() const { return stopped_; }

 private:
  struct Run {
    const Curve* curve;
    std::int64_t parameter_id;
    double start_s;
    size_t delivered = 0;
    double next_s() const;
  };
  TrialEvent event(TrialEvent::Kind kind, const std::string& id) const;

  const CurveTable& table_;
  int slots_;
  double now_s_ = 0;  // simulated seconds since the start
  std::int64_t epochs_ = 0;
  int stopped_ = 0;
  std::map<std::string, Run> running_;
  std::deque<TrialEvent> pending_;  // starts, failures, cancellations
  std::vector<Finish> finishes_;
};

}  // namespace bench
}  // namespace archer

#endif  // ARCHER_BENCH_REPLAY_TRAINING_SERVICE_H_
