// The REST API (spec §8.2): NNI's paths under /api/v1/nni, and the web UI
// (webui_routes.h) at /. Reads are answered
// from the experiment's store (its own SQLite connection per request, so they
// never block the manager); writes go to the running manager through a
// CommandQueue and wait for its answer. Binds 127.0.0.1 by default.
//
// GET  check-status, version, experiment, job-statistics, trial-jobs[/:id]
//      [?status=], metric-data[/:id][?type=], experiment/imported-data
// PUT  experiment?update_type=TRIAL_CONCURRENCY|MAX_TRIAL_NUM|
//      MAX_EXEC_DURATION|SEARCH_SPACE  body: {"value": v} or NNI's profile
//      {"params": {...}} with the new value under its config key
// DELETE experiment (stop), trial-jobs/:id (USER_CANCELED)
// POST experiment/import-data  body: [{"parameter": ..., "value": ...}]
// Errors: {"error": message} with 400 (bad request), 404 (unknown trial),
// 403 (no manager: `archer view` is read-only), 500/503.
#ifndef ARCHER_REST_REST_SERVER_H_
#define ARCHER_REST_REST_SERVER_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "archer/status.h"
#include "rest/request_guard.h"

namespace httplib {
class Server;
}

namespace archer {

class CommandQueue;
struct TaskQueueState;

// "" or "/a/b" from "a/b", "/a/b/"...; refused unless made of letters,
// digits, '-', '_', '~' and '/' (it becomes part of the route patterns).
StatusOr<std::string> normalize_url_prefix(const std::string& prefix);

class RestServer {
 public:
  // `db_path`: the experiment's store. Nothing listens until start().
  RestServer(std::string db_path, std::string host = "127.0.0.1");
  ~RestServer();
  // Where write requests go (nullptr, the default: read-only). Call before
  // start(); `queue` must outlive the server.
  void set_commands(CommandQueue* queue) { commands_ = queue; }
  // NNI's --url_prefix: everything (the web UI at <prefix>/, the API at
  // <prefix>/api/v1/nni) moves under "/<prefix>". Call before start(). Fails
  // (and changes nothing) unless normalize_url_prefix accepts it.
  Status set_url_prefix(const std::string& prefix);
  // Accept requests whose Host (and Origin) names `host`, e.g. the name of
  // a reverse proxy in front of the server (request_guard.h). Before start().
  void allow_host(const std::string& host) { guard_.allow_host(host); }
  // "" or "/<prefix>".
  const std::string& url_prefix() const { return url_prefix_; }
  // Listens on `port` (0: any free port) in a background thread. Fails if the
  // port is busy. Requests are checked by a RequestGuard first.
  Status start(int port);
  int port() const { return port_; }
  // Stops listening and waits for the workers, at most kStopGrace for one
  // stuck on a slow client (then it is left running, detached). Never hangs.
  void stop();

  static constexpr size_t kMinWorkers = 8, kMaxWorkers = 128;
  static constexpr std::chrono::milliseconds kStopGrace{2000};
  static constexpr std::chrono::milliseconds kStartWait{5000};

 private:
  std::string db_path_;
  std::string host_;
  int port_ = 0;
  CommandQueue* commands_ = nullptr;
  std::string url_prefix_;
  RequestGuard guard_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::shared_ptr<std::atomic<bool>> listening_ended_;
  std::shared_ptr<std::shared_ptr<TaskQueueState>> workers_;
};

}  // namespace archer

#endif  // ARCHER_REST_REST_SERVER_H_
