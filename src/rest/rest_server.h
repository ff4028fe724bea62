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

#include <memory>
#include <string>
#include <thread>

#include "archer/status.h"

namespace httplib {
class Server;
}

namespace archer {

class CommandQueue;

class RestServer {
 public:
  // `db_path`: the experiment's store. Nothing listens until start().
  RestServer(std::string db_path, std::string host = "127.0.0.1");
  ~RestServer();
  // Where write requests go (nullptr, the default: read-only). Call before
  // start(); `queue` must outlive the server.
  void set_commands(CommandQueue* queue) { commands_ = queue; }
  // NNI's --url_prefix: everything (the web UI at <prefix>/, the API at
  // <prefix>/api/v1/nni) moves under "/<prefix>". Call before start().
  void set_url_prefix(const std::string& prefix);
  // "" or "/<prefix>".
  const std::string& url_prefix() const { return url_prefix_; }
  // Listens on `port` (0: any free port) in a background thread. Fails if the
  // port is busy.
  Status start(int port);
  int port() const { return port_; }
  void stop();

 private:
  std::string db_path_;
  std::string host_;
  int port_ = 0;
  CommandQueue* commands_ = nullptr;
  std::string url_prefix_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace archer

#endif  // ARCHER_REST_REST_SERVER_H_
