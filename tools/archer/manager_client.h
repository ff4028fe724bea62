// Talking to a running experiment's manager over its REST API (127.0.0.1).
#ifndef ARCHER_TOOLS_ARCHER_MANAGER_CLIENT_H_
#define ARCHER_TOOLS_ARCHER_MANAGER_CLIENT_H_

#include <optional>
#include <string>

#include "archer/json.h"
#include "manager/manager_lock.h"

namespace archer {
namespace cli {

// The process (manager or viewer) holding the lock of the experiment the
// index entry points to (its `dir`); nullopt if none does.
std::optional<ManagerIdentity> holder_of(const Json& entry);
// holder_of(entry) exists: a manager or viewer runs it now.
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
