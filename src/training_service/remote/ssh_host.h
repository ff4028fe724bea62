// One SSH host for the remote training service: a single OpenSSH connection
// (ControlMaster) opened once and shared by every command, so a command costs
// a channel on an open connection instead of a fresh login (~0.65 s here).
//
// Authentication: a key file (with an optional passphrase) or a password, fed
// to ssh through SSH_ASKPASS (never on a command line). Host keys are checked
// against known_hosts unless `check_host_key` is false.
#ifndef ARCHER_TRAINING_SERVICE_REMOTE_SSH_HOST_H_
#define ARCHER_TRAINING_SERVICE_REMOTE_SSH_HOST_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "archer/status.h"
#include "common/subprocess.h"

namespace archer {

struct SshMachine {
  std::string host;
  int port = 22;
  std::string user;
  std::string key_file;    // sshKeyFile
  std::string passphrase;  // sshPassphrase (for the key)
  std::string password;    // password (when there is no key)
  bool check_host_key = true;
  std::string known_hosts;  // "" = ssh's default
  std::string name() const {
    return user + "@" + host + ":" + std::to_string(port);
  }
};

class SshHost {
 public:
  // Opens the shared connection; its socket lives in `control_dir` (keep the
  // path short: a Unix socket path is limited to 107 bytes). Fails with ssh's
  // own message (refused, timed out, authentication, host key).
  static StatusOr<std::unique_ptr<SshHost>> connect(
      const SshMachine& machine, const std::string& control_dir,
      std::chrono::seconds timeout = std::chrono::seconds(20));
  // Closes the shared connection.
  ~SshHost();

  // Runs a shell command on the host; fails unless it exits 0 (the message
  // has its exit status and stderr).
  StatusOr<std::string> run(
      const std::string& command, const std::string& input = "",
      std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // The same, returning the exit status and both outputs.
  StatusOr<ProcessResult> run_raw(const std::string& command,
                                  const std::string& input,
                                  std::chrono::milliseconds timeout);
  // True while the shared connection is up.
  bool alive();
  const SshMachine& machine() const { return machine_; }
  // The ssh command line (argv) that runs `command` over the shared
  // connection, for callers that stream its output themselves.
  std::vector<std::string> command_line(const std::string& command) const;

 private:
  SshHost(SshMachine machine, std::string control_path)
      : machine_(std::move(machine)), control_path_(std::move(control_path)) {}
  std::vector<std::string> common_options() const;
  SshMachine machine_;
  std::string control_path_;
};

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_REMOTE_SSH_HOST_H_
