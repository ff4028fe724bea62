// NNI's algorithms as the manager's tuner: NNI's manager logic (nnimanager.ts)
// over a DispatcherClient, without its 5-second loop. The manager asks for as
// many trials as it has free slots (want()), the dispatcher's proposals queue
// up as they come (take()), and the dispatcher learns every metric and end as
// under NNI. Nothing blocks: poll() when fd() is readable, and at least every
// few seconds.
//
// * Proposals are NNI's parameter records {parameter_id, parameter_source,
//   parameters, parameter_index}, given to the trial verbatim.
// * After NO (the tuner has nothing now), nothing is asked again until a
//   trial ends: an advisor such as Hyperband proposes the next rung then.
//   NNI's dispatcher handles EN on another thread than GE, so a NO to a GE
//   sent less than kSettle after an EN may not have seen that end yet: such
//   a NO is asked again once kSettle has passed. exhausted() is true while a
//   settled NO stands and nothing is queued or coming.
// * NNI's dispatcher also handles EN and ME (FINAL) on different threads: an
//   EN that overtakes its trial's FINAL crashes NNI's TPE (KeyError in
//   receive_trial_result). NNI's manager rarely sends them close together
//   (it polls every 5 s); Archer often sees both in one step. So an EN is
//   held until no GE is in flight (the default thread is idle) and
//   kEndDelay has passed since the trial ended.
// * KI (an assessor in the dispatcher judged a trial bad) is handed out by
//   take_kills().
// * Resume: the trials proposed before (AD, so the dispatcher's ids continue)
//   and the finished ones' results (FD) follow its ID, as NNI's manager does.
#ifndef ARCHER_DISPATCHER_EXTERNAL_TUNER_H_
#define ARCHER_DISPATCHER_EXTERNAL_TUNER_H_

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "archer/json.h"
#include "dispatcher/dispatcher_client.h"

namespace archer {

class ExternalTuner {
 public:
  struct Resume {
    Json proposed = Json::array();  // AD: parameter records, all trials
    Json finished = Json::array();  // FD: {parameter, value} of results
  };
  // Starts the dispatcher and sends IN with `search_space`.
  static StatusOr<std::unique_ptr<ExternalTuner>> start(
      const DispatcherOptions& options, DispatcherClient::Timeouts timeouts,
      const Json& search_space, Resume resume);

  int fd() const { return client_->fd(); }
  // Reads what the dispatcher sent; an error ends the experiment (it names
  // how the dispatcher failed, with the end of its log).
  Status poll();
  bool initialized() const { return initialized_; }

  // Asks for trials so that `wanted` are queued or on their way.
  void want(int wanted);
  // Up to `n` queued proposals, oldest first.
  std::vector<Json> take(int n);
  size_t queued() const { return queue_.size(); }
  bool exhausted() const {
    return no_more_ && settled_ && requested_ == 0 && queue_.empty() &&
           held_.empty();
  }
  static constexpr std::chrono::milliseconds kEndDelay{300};
  static constexpr std::chrono::milliseconds kSettle{1000};
  std::vector<std::string> take_kills();

  // ME: a metric of a trial given `parameter_id`; `value` is the metric JSON.
  void metric(const std::string& trial_id, const Json& parameter_id,
              const std::string& type, std::int64_t sequence,
              const std::string& value);
  // EN: `status` as NNI names it; `record` the trial's parameter record.
  void trial_end(const std::string& trial_id, const std::string& status,
                 const std::string& record);
  void update_search_space(const Json& space);
  void import_data(const Json& records);
  // TE, then the process is stopped after `grace`.
  void terminate(std::chrono::milliseconds grace);

 private:
  ExternalTuner() = default;
  std::unique_ptr<DispatcherClient> client_;
  Resume resume_;
  bool initialized_ = false;
  bool no_more_ = false;
  bool settled_ = true;  // the last NO answered a GE sent kSettle after an EN
  std::chrono::steady_clock::time_point last_end_, last_request_;
  int requested_ = 0;  // asked for and not yet proposed
  int wanted_ = 0;     // asked before ID
  std::deque<Json> queue_;
  struct HeldEnd {
    std::string trial_id, status, record;
    std::chrono::steady_clock::time_point since;
  };
  std::deque<HeldEnd> held_;
  // Sends the held ENs that are due (all of them with `all`).
  void release_ends(bool all);
  std::vector<std::string> kills_;
};

}  // namespace archer

#endif  // ARCHER_DISPATCHER_EXTERNAL_TUNER_H_
