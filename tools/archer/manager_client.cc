#include "manager_client.h"

#include <httplib.h>
#include <signal.h>

#include <optional>

#include "commands.h"
#include "experiment/experiment_index.h"
#include "manager/manager_lock.h"

namespace archer {
namespace cli {

std::optional<ManagerIdentity> holder_of(const Json& entry) {
  if (!entry.is_object() || !entry.contains("dir") || !entry["dir"].is_string())
    return std::nullopt;
  return lock_holder(entry["dir"].get<std::string>());
}

bool manager_alive(const Json& entry) { return holder_of(entry).has_value(); }

ManagerEndpoint running_manager(const std::string& id,
                                const std::string& working_dir) {
  const Json index = load_index(working_dir);
  std::vector<std::string> running;
  for (auto it = index.begin(); it != index.end(); ++it) {
    auto who = holder_of(it.value());
    if ((id.empty() ? in_scope(it.value(), working_dir) : it.key() == id) &&
        who && who->role != "viewer")
      running.push_back(it.key());
  }
  if (!id.empty() && !index.contains(id))
    throw Error("experiment '" + id + "' not found under " + working_dir);
  if (!id.empty() && running.empty()) {
    throw Error("experiment '" + id + "' is not running (status " +
                index[id].value("status", "?") +
                "); resume it with `archer "
                "resume " +
                id + "`");
  }
  if (running.empty())
    throw Error("no experiment is running under " + working_dir);
  if (running.size() > 1) {
    std::string ids;
    for (const auto& r : running) ids += " " + r;
    throw Error("several experiments are running:" + ids + "; name one");
  }
  // The lock's holder says where it listens (the index may lag behind).
  auto who = holder_of(index[running[0]]);
  if (!who || who->port <= 0) {
    throw Error("experiment '" + running[0] +
                "' runs without a REST server (--no_server), so it cannot "
                "be changed while it runs; stop and resume it instead");
  }
  return {running[0], who->port, who->url_prefix};
}

Json call_manager(const ManagerEndpoint& manager, const std::string& method,
                  const std::string& path, const std::string& body) {
  httplib::Client client("127.0.0.1", manager.port);
  client.set_connection_timeout(10, 0);
  client.set_read_timeout(40, 0);
  const std::string url = manager.url_prefix + "/api/v1/nni" + path;
  httplib::Result res =
      method == "GET"    ? client.Get(url.c_str())
      : method == "PUT"  ? client.Put(url.c_str(), body, "application/json")
      : method == "POST" ? client.Post(url.c_str(), body, "application/json")
                         : client.Delete(url.c_str());
  if (!res) {
    throw Error("cannot reach experiment " + manager.id +
                " at 127.0.0.1:" + std::to_string(manager.port) + " (" +
                httplib::to_string(res.error()) + ")");
  }
  auto answer = parse_json(res->body, "the manager's answer");
  if (res->status >= 300) {
    std::string message =
        answer.is_ok() && answer.value().is_object() &&
                answer.value().value("error", Json()).is_string()
            ? answer.value()["error"].get<std::string>()
            : res->body;
    if (message.empty())
      message = "experiment " + manager.id + " answered HTTP " +
                std::to_string(res->status) + " to " + method + " " + path;
    throw Error(message);
  }
  if (!answer.is_ok()) throw Error(answer.status().message());
  return answer.value();
}

}  // namespace cli
}  // namespace archer
