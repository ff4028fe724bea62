// NNI's dispatcher as the experiment's proposer (manager/proposer.h), over
// dispatcher/external_tuner.h: the manager asks for as many trials as it has
// free slots, submits the dispatcher's parameter records verbatim as they
// arrive (its channel wakes the service's wait), tells it every metric and
// end, and cancels the trials its assessor kills. A crash, hang or error of
// the dispatcher is an error of poll() (the experiment ends as ERROR).
// Resume restarts it in NNI's resume mode with the history replayed (AD: the
// trials proposed; FD: the results and the imported data).
#ifndef ARCHER_MANAGER_DISPATCHER_PROPOSER_H_
#define ARCHER_MANAGER_DISPATCHER_PROPOSER_H_

#include <memory>
#include <string>

#include "dispatcher/external_tuner.h"
#include "manager/proposer.h"

namespace archer {

class DispatcherProposer : public Proposer {
 public:
  DispatcherProposer(DispatcherOptions options,
                     DispatcherClient::Timeouts timeouts, Json search_space,
                     std::string tuner_name, std::string experiment_id);

  Status start() override;
  StatusOr<size_t> restore(const ProposerHistory& history) override;
  int fd() const override { return external_ ? external_->fd() : -1; }
  Status poll() override;
  StatusOr<std::vector<Proposed>> propose(int n) override;
  Outlook outlook() const override;
  void metric(const std::string& trial_id, const Proposed& p,
              const TrialEvent& event) override;
  void result(const std::string&, const Proposed&, double,
              const std::string&) override {}  // the dispatcher saw the ME
  void ended(const std::string& trial_id, const Proposed& p, TrialStatus status,
             bool success) override;
  std::vector<std::string> take_kills() override;
  Status set_concurrency(int) override { return Status::ok(); }
  Status revive() override;
  StatusOr<Json> update_search_space(const Json& space,
                                     const std::string& source) override;
  Status check_imported(const Json& parameter,
                        const std::string& where) const override;
  void import_data(const Json& records) override;
  void terminate(std::chrono::milliseconds grace) override;

 private:
  Status launch(ExternalTuner::Resume resume);

  DispatcherOptions options_;
  DispatcherClient::Timeouts timeouts_;
  Json space_;
  std::string tuner_name_, experiment_id_;
  std::unique_ptr<ExternalTuner> external_;
};

}  // namespace archer

#endif  // ARCHER_MANAGER_DISPATCHER_PROPOSER_H_
