// The manager's half of NNI's tuner protocol (what NNI's nnimanager.ts does
// with its dispatcher), over a DispatcherProcess: commands out with NNI's
// payloads, the dispatcher's answers in as events, and every way it can go
// wrong turned into an error that names it — the process exited (with the
// end of its log: the traceback), it sent ER (NNI's report_error), it closed
// the channel, it did not connect in time, or it left a request unanswered
// for longer than the configured time (a hung dispatcher). Never blocks;
// poll() when fd() is readable and at least every few seconds (it sends
// NNI's PI after 5 quiet seconds, as NNI's manager does).
#ifndef ARCHER_DISPATCHER_DISPATCHER_CLIENT_H_
#define ARCHER_DISPATCHER_DISPATCHER_CLIENT_H_

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "archer/json.h"
#include "dispatcher/dispatcher_process.h"

namespace archer {

struct DispatcherEvents {
  bool initialized = false;              // ID
  std::vector<Json> new_trials;          // TR: {parameter_id, parameters, ...}
  bool no_more_trials = false;           // NO
  std::vector<std::string> kill_trials;  // KI: trial job ids
};

class DispatcherClient {
 public:
  struct Timeouts {
    std::chrono::milliseconds connect{std::chrono::seconds(60)};
    std::chrono::milliseconds answer{std::chrono::minutes(10)};
  };
  DispatcherClient(std::unique_ptr<DispatcherProcess> process,
                   Timeouts timeouts);
  DispatcherClient(std::unique_ptr<DispatcherProcess> process)
      : DispatcherClient(std::move(process), Timeouts()) {}

  void initialize(const Json& search_space);      // IN; answered by ID
  void request_trials(int n);                     // GE; answered by TR/NO
  void report_metric(const std::string& record);  // ME: the trial's line
  // EN: `status` as NNI names it, `parameter_record` as the trial got it.
  void trial_end(const std::string& trial_job_id, const std::string& status,
                 const std::string& parameter_record);
  void update_search_space(const Json& search_space);  // SS
  void import_data(const Json& records);               // FD
  // AD: trials proposed before a restart (NNI's resume), so that the
  // dispatcher's parameter ids continue after theirs.
  void add_customized_trials(const Json& records);
  // TE, then waits up to `grace` for the exit (then stops the process).
  void terminate(std::chrono::milliseconds grace);

  StatusOr<DispatcherEvents> poll();
  int fd() const { return process_->channel().fd(); }
  DispatcherProcess& process() { return *process_; }

 private:
  Status failed(const std::string& what);
  void send(const std::string& type, const std::string& payload);

  std::unique_ptr<DispatcherProcess> process_;
  Timeouts timeouts_;
  std::chrono::steady_clock::time_point started_;
  bool ever_connected_ = false;
  // Requests not yet answered, oldest first: IN (until ID) and GE (until
  // its trials came, or NO).
  struct Request {
    std::chrono::steady_clock::time_point sent;
    std::string type;
    int remaining = 0;  // GE: trials still to come
  };
  std::deque<Request> waiting_;
  void answered(const std::string& type, bool all);
  bool terminated_ = false;
  // NNI's manager pings every 5 s: the dispatcher only notices that a worker
  // thread died (a tuner raised) when a command arrives.
  std::chrono::steady_clock::time_point last_sent_;
  std::optional<Status> error_;
};

}  // namespace archer

#endif  // ARCHER_DISPATCHER_DISPATCHER_CLIENT_H_
