// One experiment, one manager. The process that runs an experiment (archer
// create/resume, or archer view serving it) holds an exclusive OFD lock on
// <dir>/db/manager.lock for its whole life; the file says who it is (pid,
// the process's start time, role, port). Liveness is "the lock is held", never
// a stored pid: a dead or zombie manager has released it, and a recycled pid
// proves nothing. A signal goes only to the process that holds the lock and
// whose start time matches (through a pidfd, so the pid cannot be reused
// between the check and the signal).
#ifndef ARCHER_MANAGER_MANAGER_LOCK_H_
#define ARCHER_MANAGER_MANAGER_LOCK_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "archer/status.h"

namespace archer {

struct ManagerIdentity {
  pid_t pid = 0;                 // 0 while the holder has not written it yet
  std::uint64_t start_time = 0;  // /proc/<pid>/stat field 22
  std::string role;              // "manager" or "viewer"
  int port = 0;                  // 0: no REST server
  std::string url_prefix;
};

// The lock file of the experiment in `experiment_dir`.
std::string manager_lock_path(const std::string& experiment_dir);

class ManagerLock {
 public:
  // Takes the experiment's lock for this process. Fails (kInvalidArgument)
  // naming the holder if another process has it: "experiment ... is running
  // (manager, process N)". The descriptor is close-on-exec: trials never
  // inherit the lock.
  static StatusOr<ManagerLock> acquire(const std::string& experiment_dir,
                                       const std::string& role);
  ManagerLock(ManagerLock&& other) noexcept;
  ManagerLock& operator=(ManagerLock&&) = delete;
  ManagerLock(const ManagerLock&) = delete;
  ~ManagerLock();  // releases the lock
  // Records the REST port (and prefix) for clients.
  Status publish(int port, const std::string& url_prefix);

 private:
  ManagerLock(int fd, std::string path, std::string role);
  int fd_ = -1;
  std::string path_, role_;
};

// Who holds the experiment's lock; nullopt when nobody does (no manager or
// viewer runs it, whatever the experiments index says).
std::optional<ManagerIdentity> lock_holder(const std::string& experiment_dir);

// Sends `sig` to the lock's holder after proving its identity (holds the lock,
// same pid and start time, through a pidfd). kNotFound if nobody holds the
// lock; kInvalidArgument if the recorded process is not the holder any more
// (nothing is signalled).
Status signal_holder(const std::string& experiment_dir, int sig);

// The start time of process `pid` (clock ticks since boot), nullopt if it
// does not exist.
std::optional<std::uint64_t> process_start_time(pid_t pid);

}  // namespace archer

#endif  // ARCHER_MANAGER_MANAGER_LOCK_H_
