#include "training_service/remote/ssh_host.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace archer {

std::vector<std::string> SshHost::common_options() const {
  std::vector<std::string> o = {"ssh", "-S", control_path_, "-p",
                                std::to_string(machine_.port)};
  for (const std::string& opt :
       {std::string("ServerAliveInterval=5"),
        std::string("ServerAliveCountMax=3"), std::string("ConnectTimeout=10"),
        std::string("LogLevel=ERROR"),
        std::string("StrictHostKeyChecking=") +
            (machine_.check_host_key ? "yes" : "no")}) {
    o.push_back("-o");
    o.push_back(opt);
  }
  if (!machine_.known_hosts.empty()) {
    o.push_back("-o");
    o.push_back("UserKnownHostsFile=" + machine_.known_hosts);
  }
  if (!machine_.check_host_key) {
    o.push_back("-o");
    o.push_back("UserKnownHostsFile=/dev/null");
  }
  return o;
}

std::vector<std::string> SshHost::command_line(
    const std::string& command) const {
  std::vector<std::string> argv = common_options();
  argv.insert(argv.end(), {"-o", "ControlMaster=no", "-o", "BatchMode=yes",
                           machine_.user + "@" + machine_.host, "--", command});
  return argv;
}

StatusOr<std::unique_ptr<SshHost>> SshHost::connect(
    const SshMachine& machine, const std::string& control_dir,
    std::chrono::seconds timeout) {
  std::error_code ec;
  std::filesystem::create_directories(control_dir, ec);
  ::chmod(control_dir.c_str(), 0700);
  const std::string control =
      control_dir + "/" +
      std::to_string(std::hash<std::string>{}(machine.name())) + ".sock";
  std::unique_ptr<SshHost> h(new SshHost(machine, control));
  std::vector<std::string> argv = h->common_options();
  argv.insert(argv.end(), {"-M", "-f", "-N", "-o", "ControlPersist=yes"});
  std::map<std::string, std::string> env;
  const std::string secret =
      machine.key_file.empty() ? machine.password : machine.passphrase;
  if (!machine.key_file.empty()) {
    argv.insert(argv.end(),
                {"-i", machine.key_file, "-o", "IdentitiesOnly=yes"});
  }
  if (!secret.empty()) {
    // The secret reaches ssh through an askpass program reading the
    // environment, never through argv or a file.
    const std::string askpass = control_dir + "/askpass.sh";
    {
      std::ofstream out(askpass, std::ios::trunc);
      out << "#!/bin/sh\nprintf '%s\\n' \"$ARCHER_SSH_SECRET\"\n";
    }
    ::chmod(askpass.c_str(), 0700);
    env = {{"SSH_ASKPASS", askpass},
           {"SSH_ASKPASS_REQUIRE", "force"},
           {"DISPLAY", ":0"},
           {"ARCHER_SSH_SECRET", secret}};
    if (machine.key_file.empty()) {
      argv.insert(argv.end(), {"-o",
                               "PreferredAuthentications=password,"
                               "keyboard-interactive",
                               "-o", "PubkeyAuthentication=no"});
    }
  } else {
    argv.insert(argv.end(), {"-o", "BatchMode=yes"});
  }
  argv.push_back(machine.user + "@" + machine.host);
  auto r = run_process(argv, env, "", timeout);
  if (!r.is_ok()) return r.status();
  if (r.value().exit_code != 0) {
    std::string why = r.value().err;
    while (!why.empty() && (why.back() == '\n' || why.back() == '\r'))
      why.pop_back();
    return Status::io_error("ssh " + machine.name() + ": cannot connect" +
                            (r.value().timed_out ? " (timed out)" : "") +
                            (why.empty() ? "" : ": " + why));
  }
  return h;
}

SshHost::~SshHost() {
  std::vector<std::string> argv = common_options();
  argv.insert(argv.end(), {"-O", "exit", machine_.user + "@" + machine_.host});
  // Best effort: a master whose exit fails ends with its socket anyway.
  (void)run_process(argv, {}, "", std::chrono::seconds(5));
}

bool SshHost::alive() {
  std::vector<std::string> argv = common_options();
  argv.insert(argv.end(), {"-O", "check", machine_.user + "@" + machine_.host});
  auto r = run_process(argv, {}, "", std::chrono::seconds(5));
  return r.is_ok() && r.value().exit_code == 0;
}

StatusOr<ProcessResult> SshHost::run_raw(const std::string& command,
                                         const std::string& input,
                                         std::chrono::milliseconds timeout) {
  return run_process(command_line(command), {}, input, timeout);
}

StatusOr<std::string> SshHost::run(const std::string& command,
                                   const std::string& input,
                                   std::chrono::milliseconds timeout) {
  auto r = run_raw(command, input, timeout);
  if (!r.is_ok()) return r.status();
  if (r.value().exit_code != 0) {
    std::string err = r.value().err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return Status::io_error(
        "ssh " + machine_.name() + ": `" + command + "` " +
        (r.value().timed_out
             ? std::string("timed out")
             : "exited with status " + std::to_string(r.value().exit_code)) +
        (err.empty() ? "" : ": " + err));
  }
  return r.value().out;
}

}  // namespace archer
