#include "manager/commands.h"

#include "manager/update_table.h"

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

StatusOr<Json> update(ExperimentManager& m, const Json& args) {
  const std::string type = args.value("type", "");
  const UpdateKind* kind = find_update(type);
  if (!kind) {
    return Status::invalid_argument("update_type: expected " +
                                    update_type_names() + ", got '" + type +
                                    "'");
  }
  Status st = kind->apply(m, args.contains("value") ? args["value"] : Json());
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
