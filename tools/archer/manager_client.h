// Talking to a running experiment's manager over its REST API (127.0.0.1).
#ifndef ARCHER_TOOLS_ARCHER_MANAGER_CLIENT_H_
#define ARCHER_TOOLS_ARCHER_MANAGER_CLIENT_H_

#include <string>

#include "archer/json.h"

namespace archer {
namespace cli {

// True if the index entry's manager (or viewer) process is alive and the
// experiment is not over.
bool manager_alive(const Json& entry);

struct ManagerEndpoint {
  std::string id;
  int port = 0;
  std::string url_prefix;  // "" or "/<prefix>"
};

// The running experiment `id` (or the only running one when `id` is empty).
// Throws archer::Error naming what is wrong: unknown, not running (with the
// resume command), several running, or running without a REST server.
ManagerEndpoint running_manager(const std::string& id,
                                const std::string& working_dir);

// Sends a request (method GET/PUT/POST/DELETE, path under /api/v1/nni, JSON
// body or "") and returns the JSON answer. Throws archer::Error with the
// manager's error message, or when it cannot be reached (10 s timeout).
Json call_manager(const ManagerEndpoint& manager, const std::string& method,
                  const std::string& path, const std::string& body = "");

}  // namespace cli
}  // namespace archer

#endif  // ARCHER_TOOLS_ARCHER_MANAGER_CLIENT_H_
