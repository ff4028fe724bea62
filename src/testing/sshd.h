// A throwaway OpenSSH server on 127.0.0.1 for tests (no systemd: started by
// hand, stopped by PID). It lets in the user `archer-ssh-test` (created on
// first use, shell /bin/sh and an empty home, so no start-up files slow it
// down) by a
// generated key (client_key, no passphrase), by client_key_with_passphrase
// ("secret words"), or by the password "test-password". Requires root and
// /usr/sbin/sshd; available() says whether it started, and why not.
#ifndef ARCHER_TESTING_SSHD_H_
#define ARCHER_TESTING_SSHD_H_

#include <sys/types.h>

#include <string>

#include "testing/temp_dir.h"

namespace archer {
namespace testing {

class Sshd {
 public:
  Sshd();
  ~Sshd();  // stops the server
  bool available() const { return pid_ > 0; }
  const std::string& why_unavailable() const { return why_; }
  int port() const { return port_; }
  std::string user() const { return "archer-ssh-test"; }
  std::string client_key() const { return dir_.file("client_key"); }
  std::string client_key_with_passphrase() const {
    return dir_.file("client_key_pp");
  }
  std::string known_hosts() const { return dir_.file("known_hosts"); }
  // A directory the test user owns (for trial files).
  std::string user_dir() const { return dir_.file("remote"); }
  // A directory first on the PATH of the user's commands (for stand-ins such
  // as a fake nvidia-smi).
  std::string bin_dir() const { return dir_.file("bin"); }
  void stop();
  // Cuts every open connection, then stops the server (a host going down).
  void crash();
  // Starts a stopped server again on the same port with the same keys (a
  // host coming back); true when it listens.
  bool restart();

 private:
  void launch();  // sshd -D on port_; pid_ set, or why_ on failure
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string why_;
};

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_SSHD_H_
