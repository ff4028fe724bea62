#include "testing/sshd.h"

#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "testing/ports.h"

namespace archer {
namespace testing {

namespace {

bool sh(const std::string& command) {
  return std::system(command.c_str()) == 0;
}

}  // namespace

Sshd::Sshd() {
  if (::geteuid() != 0) {
    why_ = "not root (the test sshd needs root)";
    return;
  }
  if (::access("/usr/sbin/sshd", X_OK) != 0) {
    why_ = "/usr/sbin/sshd missing (apt-get install openssh-server)";
    return;
  }
  const std::string d = dir_.path();
  const std::string u = user();
  const std::string home = "/home/" + u;  // empty: nothing to source
  // Test processes may run this at once: /etc/passwd is locked by one of
  // them at a time, so retry.
  bool ready = false;
  for (int i = 0; i < 50 && !ready; ++i) {
    if (!::getpwnam(u.c_str()))
      sh("useradd --no-create-home --shell /bin/sh " + u + " 2>/dev/null");
    struct passwd* pw = ::getpwnam(u.c_str());
    ready = pw && (home == pw->pw_dir ||
                   sh("usermod --home " + home + " " + u + " 2>/dev/null"));
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!ready || !sh("mkdir -p " + home + " && chown " + u + " " + home)) {
    why_ = "cannot create the test user " + u;
    return;
  }
  bool password_set = false;
  for (int i = 0; i < 50 && !password_set; ++i) {
    password_set = sh("echo '" + u + ":test-password' | chpasswd 2>/dev/null");
    if (!password_set)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!password_set ||
      !sh("ssh-keygen -q -t ed25519 -N '' -f " + d + "/host_key") ||
      !sh("ssh-keygen -q -t ed25519 -N '' -f " + d + "/client_key") ||
      !sh("ssh-keygen -q -t ed25519 -N 'secret words' -f " + d +
          "/client_key_pp") ||
      !sh("cat " + d + "/client_key.pub " + d + "/client_key_pp.pub > " + d +
          "/authorized_keys && chmod 644 " + d + "/authorized_keys") ||
      !sh("mkdir -p /run/sshd " + d + "/remote " + d + "/bin && chown " + u +
          " " + d + "/remote && chmod 755 " + d + " " + d + "/bin")) {
    why_ = "cannot prepare keys";
    return;
  }
  port_ = free_loopback_port();
  {
    std::ofstream c(d + "/sshd_config");
    c << "Port " << port_ << "\nListenAddress 127.0.0.1\n"
      << "HostKey " << d << "/host_key\n"
      << "AuthorizedKeysFile " << d << "/authorized_keys\n"
      << "PidFile " << d << "/sshd.pid\n"
      << "StrictModes no\nUsePAM no\nPasswordAuthentication yes\n"
      << "KbdInteractiveAuthentication no\nPermitRootLogin no\n"
      << "AllowUsers " << u << "\nMaxSessions 100\nMaxStartups 100\n"
      << "Subsystem sftp internal-sftp\n"
      << "SetEnv PATH=" << d << "/bin:/usr/local/bin:/usr/bin:/bin\n";
  }
  {
    std::ifstream pub(d + "/host_key.pub");
    std::string type, key;
    pub >> type >> key;
    std::ofstream kh(d + "/known_hosts");
    kh << "[127.0.0.1]:" << port_ << " " << type << " " << key << "\n";
  }
  launch();
}

void Sshd::launch() {
  const std::string d = dir_.path();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Not on the test's stdout (a runner waits for that to close), and gone
    // with the test process even if it dies without cleaning up.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    FILE* log = std::fopen((d + "/sshd.log").c_str(), "a");
    if (log) {
      ::dup2(fileno(log), 1);
      ::dup2(fileno(log), 2);
    }
    ::execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f",
            (d + "/sshd_config").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_ = pid;
  for (int i = 0; i < 100 && !loopback_port_open(port_); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!loopback_port_open(port_)) {
    why_ = "sshd did not start listening";
    stop();
  }
}

bool Sshd::restart() {
  if (pid_ > 0 || port_ <= 0) return pid_ > 0;
  launch();
  return available();
}

void Sshd::stop() { crash(); }  // connections and sessions too

void Sshd::crash() {
  if (pid_ <= 0) return;
  // The whole tree: per-connection processes, sessions, their children.
  sh("kill_tree() { for c in $(pgrep -P \"$1\"); do kill_tree \"$c\"; done; "
     "kill -KILL \"$1\" 2>/dev/null; }; kill_tree " +
     std::to_string(pid_));
  int status;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

Sshd::~Sshd() { stop(); }

}  // namespace testing
}  // namespace archer
