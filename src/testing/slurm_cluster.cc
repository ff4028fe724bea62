#include "testing/slurm_cluster.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <vector>

#include "testing/ports.h"

namespace archer {
namespace testing {

namespace {

pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // gone with the test process
    FILE* f = std::fopen(log.c_str(), "a");
    if (f) {
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

void terminate(pid_t& pid) {
  if (pid <= 0) return;
  ::kill(-pid, SIGTERM);
  int status;
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  pid = -1;
}

}  // namespace

int SlurmCluster::run(const std::string& command) const {
  const std::string line =
      "SLURM_CONF=" + dir_.file("slurm.conf") + " " + command;
  int status = std::system(line.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

SlurmCluster::SlurmCluster() {
  if (::geteuid() != 0) {
    why_ = "not root (the test Slurm cluster needs root)";
    return;
  }
  for (const char* bin : {"/usr/sbin/munged", "/usr/sbin/slurmctld",
                          "/usr/sbin/slurmd", "/usr/bin/sbatch"}) {
    if (::access(bin, X_OK) != 0) {
      why_ = std::string(bin) + " missing (apt-get install slurm-wlm munge)";
      return;
    }
  }
  const std::string d = dir_.path();
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  if (std::system(("mkdir -p " + d + "/state " + d + "/spool " + d +
                   "/munge && chmod 700 " + d +
                   "/munge && dd if=/dev/urandom of=" + d +
                   "/munge/key bs=1024 count=1 2>/dev/null && chmod 600 " + d +
                   "/munge/key")
                      .c_str()) != 0) {
    why_ = "cannot prepare the munge key";
    return;
  }
  munged_ =
      spawn({"/usr/sbin/munged", "--foreground", "--force",
             "--key-file=" + d + "/munge/key", "--socket=" + d + "/munge/sock",
             "--pid-file=" + d + "/munge/pid", "--log-file=" + d + "/munge/log",
             "--seed-file=" + d + "/munge/seed"},
            d + "/munged.out");
  {
    std::ofstream c(d + "/slurm.conf");
    c << "ClusterName=archertest\nSlurmctldHost=" << host << "(127.0.0.1)\n"
      << "SlurmUser=root\nSlurmdUser=root\n"
      << "SlurmctldPort=" << free_loopback_port()
      << "\nSlurmdPort=" << free_loopback_port()
      << "\nAuthType=auth/munge\nCredType=cred/munge\n"
      << "AuthInfo=socket=" << d << "/munge/sock\n"
      << "StateSaveLocation=" << d << "/state\nSlurmdSpoolDir=" << d
      << "/spool\nSlurmctldPidFile=" << d << "/ctld.pid\nSlurmdPidFile=" << d
      << "/slurmd.pid\nProctrackType=proctrack/linuxproc\n"
      << "TaskPlugin=task/none\nJobCompType=jobcomp/filetxt\nJobCompLoc=" << d
      << "/jobcomp\nSchedulerType=sched/backfill\n"
      // Array elements start on the main scheduler's cycle (default 60 s).
      << "SchedulerParameters=sched_interval=1,bf_interval=1\n"
      << "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n"
      << "ReturnToService=2\nMpiDefault=none\nMinJobAge=600\n"
      << "SlurmctldLogFile=" << d << "/ctld.log\nSlurmdLogFile=" << d
      << "/slurmd.log\nSlurmdTimeout=30\n"
      << "NodeName=archernode NodeAddr=127.0.0.1 NodeHostname=" << host
      << " CPUs=2 State=UNKNOWN\n"
      << "PartitionName=debug Nodes=archernode Default=YES MaxTime=INFINITE "
         "State=UP\n";
  }
  for (int i = 0; i < 50 && ::access((d + "/munge/sock").c_str(), F_OK) != 0;
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!start_controller()) {
    why_ = "slurmctld did not start (see " + d + "/ctld.log)";
    stop();
    return;
  }
  slurmd_ = spawn(
      {"/usr/sbin/slurmd", "-D", "-N", "archernode", "-f", d + "/slurm.conf"},
      d + "/slurmd.out");
  if (!wait_idle()) {
    why_ = "the Slurm node did not become idle";
    stop();
  }
}

bool SlurmCluster::start_controller() {
  const std::string d = dir_.path();
  ctld_ = spawn({"/usr/sbin/slurmctld", "-D", "-f", d + "/slurm.conf"},
                d + "/ctld.out");
  for (int i = 0; i < 100; ++i) {
    if (run("scontrol ping >/dev/null 2>&1") == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool SlurmCluster::wait_idle() {
  for (int i = 0; i < 150; ++i) {
    if (run("sinfo -h -o %T 2>/dev/null | grep -q '^idle'") == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool SlurmCluster::restart_controller() {
  terminate(ctld_);
  return start_controller();
}

void SlurmCluster::stop() {
  if (ctld_ > 0) run("scancel --user=root >/dev/null 2>&1");
  terminate(slurmd_);
  terminate(ctld_);
  terminate(munged_);
}

SlurmCluster::~SlurmCluster() { stop(); }

}  // namespace testing
}  // namespace archer
