// The REST API (spec §8.2), read side: NNI's paths under /api/v1/nni, answered
// from the experiment's store (its own SQLite connection per request, so it
// never blocks the manager). Binds 127.0.0.1 by default. Endpoints:
// check-status, version, experiment, job-statistics, trial-jobs[/:id],
// metric-data[/:id].
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

class RestServer {
 public:
  // `db_path`: the experiment's store. Nothing listens until start().
  RestServer(std::string db_path, std::string host = "127.0.0.1");
  ~RestServer();
  // Listens on `port` (0: any free port) in a background thread. Fails if the
  // port is busy.
  Status start(int port);
  int port() const { return port_; }
  void stop();

 private:
  std::string db_path_;
  std::string host_;
  int port_ = 0;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace archer

#endif  // ARCHER_REST_REST_SERVER_H_
