#include "manager_client.h"

#include <httplib.h>
#include <signal.h>

#include "commands.h"

namespace archer {
namespace cli {

bool manager_alive(const Json& entry) {
  const std::string status = entry.value("status", "");
  if (status == "DONE" || status == "STOPPED") return false;
  const std::int64_t pid = entry.value("pid", std::int64_t{0});
  return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0;
}

ManagerEndpoint running_manager(const std::string& id,
                                const std::string& working_dir) {
  const Json index = load_index(working_dir);
  std::vector<std::string> running;
  for (auto it = index.begin(); it != index.end(); ++it) {
    if ((id.empty() || it.key() == id) && manager_alive(it.value()) &&
        it.value().value("status", "") != "VIEWED") {
      running.push_back(it.key());
    }
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
  const Json& entry = index[running[0]];
  if (!entry.contains("port")) {
    throw Error("experiment '" + running[0] +
                "' runs without a REST server (--no_server), so it cannot "
                "be changed while it runs; stop and resume it instead");
  }
  return {running[0], entry["port"].get<int>(),
          entry.value("urlPrefix", std::string())};
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
    std::string message = answer.is_ok() && answer.value().is_object()
                              ? answer.value().value("error", res->body)
                              : res->body;
    throw Error(message);
  }
  if (!answer.is_ok()) throw Error(answer.status().message());
  return answer.value();
}

}  // namespace cli
}  // namespace archer
