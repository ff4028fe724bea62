#include "manager/commands.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <limits>

namespace archer {

StatusOr<Json> CommandQueue::call(const std::string& op, const Json& args,
                                  std::chrono::milliseconds timeout) {
  auto request = std::make_shared<Request>();
  request->op = op;
  request->args = args;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(request);
  }
  std::unique_lock<std::mutex> lock(request->mu);
  if (!request->cv.wait_for(lock, timeout, [&] { return request->done; })) {
    return Status::internal("the manager did not answer within " +
                            std::to_string(timeout.count()) + " ms");
  }
  return request->answer;
}

void CommandQueue::drain(const Handler& handler) {
  std::deque<std::shared_ptr<Request>> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending.swap(queue_);
  }
  for (auto& r : pending) {
    StatusOr<Json> answer = handler(r->op, r->args);
    std::lock_guard<std::mutex> lock(r->mu);
    r->answer = std::move(answer);
    r->done = true;
    r->cv.notify_all();
  }
}

namespace {

// An integer in 1..INT32_MAX (what the setting's type holds), from a number
// or its text; nothing is narrowed silently.
StatusOr<std::int64_t> positive_integer(const Json& v, const char* key) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
  if (v.is_number_integer()) {
    const std::optional<int> n = json_int32(v);
    if (n && *n >= 1) return *n;
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && *end == '\0' && errno == 0 && n >= 1 && n <= kMax)
      return n;
  }
  return Status::invalid_argument(
      std::string(key) + ": expected an integer in 1.." + std::to_string(kMax) +
      ", got " + json_excerpt(v));
}

StatusOr<Json> update(ExperimentManager& m, const Json& args) {
  const std::string type = args.value("type", "");
  const Json& value = args.contains("value") ? args["value"] : Json();
  Status st;
  if (type == "TRIAL_CONCURRENCY") {
    auto n = positive_integer(value, "trialConcurrency");
    if (!n.is_ok()) return n.status();
    st = m.update_concurrency(static_cast<int>(n.value()));
  } else if (type == "MAX_TRIAL_NUM") {
    auto n = positive_integer(value, "maxTrialNumber");
    if (!n.is_ok()) return n.status();
    st = m.update_max_trial_number(n.value());
  } else if (type == "MAX_EXEC_DURATION") {
    auto seconds = parse_duration(value);
    if (!seconds.is_ok() || !(seconds.value() > 0)) {
      return Status::invalid_argument(
          "maxExperimentDuration: expected a duration like 30m, 2h or 1.5d "
          "(or seconds), got " +
          dumps(value));
    }
    st = m.update_max_experiment_duration(seconds.value());
  } else if (type == "SEARCH_SPACE") {
    Json space = value;
    if (space.is_string()) {  // NNI sends the space as JSON text
      auto parsed = parse_json(space.get<std::string>(), "searchSpace");
      if (!parsed.is_ok()) return parsed.status();
      space = parsed.value();
    }
    st = m.update_search_space(space, "searchSpace");
  } else {
    return Status::invalid_argument(
        "update_type: expected TRIAL_CONCURRENCY, MAX_TRIAL_NUM, "
        "MAX_EXEC_DURATION or SEARCH_SPACE, got '" +
        type + "'");
  }
  if (!st.is_ok()) return st;
  return Json{{"updated", type}};
}

}  // namespace

StatusOr<Json> run_command(ExperimentManager& manager, const std::string& op,
                           const Json& args, bool* stop_requested) {
  if (op == "update") return update(manager, args);
  if (op == "kill") {
    Status st = manager.kill_trial(args.value("trial_id", ""));
    if (!st.is_ok()) return st;
    return Json{{"killed", args.value("trial_id", "")}};
  }
  if (op == "import") {
    auto n = manager.import_data(args.value("records", Json()),
                                 args.value("source", "import-data"));
    if (!n.is_ok()) return n.status();
    return Json{{"imported", n.value()}};
  }
  if (op == "stop") {
    *stop_requested = true;
    return Json{{"stopping", true}};
  }
  return Status::invalid_argument("unknown request '" + op + "'");
}

}  // namespace archer
