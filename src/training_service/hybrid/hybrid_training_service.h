// HybridTrainingService: NNI v2's hybrid mode, `trainingService` as a list
// (e.g. local + remote + slurm). Each item is a platform's own section, built
// by that platform's factory, with its own concurrency (the item's
// `trialConcurrency`, default the experiment's); the experiment's
// trialConcurrency still caps the total. A trial goes to the first platform
// in the list with a free slot (put the cheapest first). Its kStarted handle
// is "<platform>:<the platform's handle>", so the store, and every view of
// it, says where it ran, and a restarted manager hands each adopted trial
// back to its own platform (a trial without a stored handle: the platform
// named in its .nni/platform). poll() turns to each platform in a short
// slice (10 ms) until one has events or the timeout is over.
#ifndef ARCHER_TRAINING_SERVICE_HYBRID_HYBRID_TRAINING_SERVICE_H_
#define ARCHER_TRAINING_SERVICE_HYBRID_HYBRID_TRAINING_SERVICE_H_

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "archer/training_service.h"
#include "training_service/platform.h"

namespace archer {

class HybridTrainingService : public TrainingService {
 public:
  struct Member {
    std::string platform;  // unique in the list
    std::unique_ptr<TrainingService> service;
  };
  HybridTrainingService(std::vector<Member> members, int max_parallel);

  int free_slots() const override;
  Status submit(const TrialSpec& spec) override;
  Status cancel(const std::string& trial_id, TrialStatus status) override;
  StatusOr<std::vector<TrialEvent>> poll(
      std::chrono::milliseconds timeout) override;
  int running() const override { return static_cast<int>(where_.size()); }
  Status set_max_parallel(int max_parallel) override;
  Status adopt(const TrialSpec& spec, const std::string& handle) override;
  void set_wake_fd(int fd) override;
  void release() override;

 private:
  // Takes `member`'s events: prefixes starts' handles, forgets ended trials.
  void take(size_t member, std::vector<TrialEvent>& events,
            std::vector<TrialEvent>* out);

  std::vector<Member> members_;
  std::map<std::string, size_t> where_;  // trial -> member
  int max_parallel_;
  size_t next_ = 0;  // the member poll() turns to first
  std::deque<TrialEvent> ready_;
};

// The service for a config whose trainingService is a list: each item's
// platform built by its factory (create_training_service), with the item as
// its section and the item's trialConcurrency; errors name the item.
StatusOr<std::unique_ptr<TrainingService>> create_hybrid_service(
    const ExperimentConfig& config, const PlatformContext& context);

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_HYBRID_HYBRID_TRAINING_SERVICE_H_
