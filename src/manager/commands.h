// Requests to a running manager from other threads (the REST server): a queue
// the manager's thread drains between steps, and what each request does.
//
// Requests (op, args):
//   "update" {"type": "TRIAL_CONCURRENCY" | "MAX_TRIAL_NUM" |
//             "MAX_EXEC_DURATION" | "SEARCH_SPACE", "value": ...}
//            (NNI's update_type names; durations as seconds or "2h")
//   "kill"   {"trial_id": "..."}          -> the trial is USER_CANCELED
//   "import" {"records": [...], "source": "..."} -> {"imported": n}
//   "stop"   {}                           -> the caller's loop stops
#ifndef ARCHER_MANAGER_COMMANDS_H_
#define ARCHER_MANAGER_COMMANDS_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "archer/json.h"
#include "archer/status.h"
#include "manager/experiment_manager.h"

namespace archer {

class CommandQueue {
 public:
  using Handler =
      std::function<StatusOr<Json>(const std::string& op, const Json& args)>;
  // Any thread: queues a request and waits up to `timeout` for the answer
  // (then fails with "the manager did not answer"; the request may still run).
  StatusOr<Json> call(const std::string& op, const Json& args,
                      std::chrono::milliseconds timeout);
  // The manager's thread: answers every queued request with `handler`.
  void drain(const Handler& handler);

 private:
  struct Request {
    std::string op;
    Json args;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    StatusOr<Json> answer = Status::internal("no answer");
  };
  std::mutex mu_;
  std::deque<std::shared_ptr<Request>> queue_;
};

// Carries out one request on `manager` (see above). "stop" sets
// *stop_requested.
StatusOr<Json> run_command(ExperimentManager& manager, const std::string& op,
                           const Json& args, bool* stop_requested);

}  // namespace archer

#endif  // ARCHER_MANAGER_COMMANDS_H_
