// A scripted proposer for manager tests (manager/proposer.h), as the fake
// training service is for platforms: proposes `script` in order, records
// every call, and fails, waits, checks or kills when told to.
#ifndef ARCHER_TESTING_FAKE_PROPOSER_H_
#define ARCHER_TESTING_FAKE_PROPOSER_H_

#include <deque>
#include <string>
#include <vector>

#include "manager/proposer.h"

namespace archer {
namespace testing {

class FakeProposer : public Proposer {
 public:
  std::deque<Json> script;         // the "parameters" of the next proposals
  bool wait_when_done = false;     // after the script: waiting, not exhausted
  bool checking = false;           // a proposal is being checked
  std::vector<int> asked;          // every n propose() was asked for
  std::vector<std::string> calls;  // "result <id> <value>", "ended <id> ..."
  std::vector<std::string> kills;  // handed out by the next take_kills()
  Status poll_error, revive_error;
  int restored_from = -1;  // the number of ended trials restore() saw

  Status start() override { return Status::ok(); }
  StatusOr<size_t> restore(const ProposerHistory& h) override {
    restored_from = static_cast<int>(h.ended.size());
    next_id_ = h.next_parameter_id;
    return h.ended.size();
  }
  Status poll() override { return poll_error; }
  StatusOr<std::vector<Proposed>> propose(int n) override {
    asked.push_back(n);
    std::vector<Proposed> out;
    while (static_cast<int>(out.size()) < n && !script.empty()) {
      Proposed p;
      p.parameter_id = next_id_++;
      p.record = {{"parameter_id", p.parameter_id},
                  {"parameter_source", "algorithm"},
                  {"parameters", script.front()},
                  {"parameter_index", 0}};
      script.pop_front();
      out.push_back(std::move(p));
    }
    return out;
  }
  Outlook outlook() const override {
    if (checking) return {Outlook::Kind::kChecking, ""};
    if (!script.empty()) return {};
    if (wait_when_done) return {Outlook::Kind::kWaiting, ""};
    return {Outlook::Kind::kExhausted, "the script is done"};
  }
  void metric(const std::string& id, const Proposed& p,
              const TrialEvent& e) override {
    calls.push_back("metric " + id + " " + to_string(e.metric_type) + " " +
                    std::to_string(p.parameter_id));
  }
  void result(const std::string& id, const Proposed& p, double value,
              const std::string&) override {
    calls.push_back("result " + id + " " + std::to_string(p.parameter_id) +
                    " " + dumps(Json(value)));
  }
  void ended(const std::string& id, const Proposed& p, TrialStatus status,
             bool success) override {
    calls.push_back("ended " + id + " " + std::to_string(p.parameter_id) + " " +
                    to_string(status) + (success ? " success" : ""));
  }
  std::vector<std::string> take_kills() override {
    std::vector<std::string> k;
    k.swap(kills);
    return k;
  }
  Status set_concurrency(int n) override {
    calls.push_back("concurrency " + std::to_string(n));
    return Status::ok();
  }
  Status revive() override { return revive_error; }
  StatusOr<Json> update_search_space(const Json& space,
                                     const std::string&) override {
    calls.push_back("space");
    return space;
  }
  Status check_imported(const Json& parameter,
                        const std::string& where) const override {
    if (parameter.is_object()) return Status::ok();
    return Status::invalid_argument(where + ": parameter: not an object");
  }
  void import_data(const Json& records) override {
    calls.push_back("import " + std::to_string(records.size()));
  }
  void terminate(std::chrono::milliseconds) override {
    calls.push_back("terminate");
  }

 private:
  std::int64_t next_id_ = 0;
};

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_FAKE_PROPOSER_H_
