// The service conformance suite (testing/service_conformance.h) over every
// platform: the scripted fake, local, remote over a loopback OpenSSH server
// and Slurm on a single-node cluster (both shared by the suite's tests).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

#include "testing/scripted_training_service.h"
#include "testing/service_conformance.h"
#include "testing/slurm_cluster.h"
#include "testing/sshd.h"
#include "testing/temp_dir.h"
#include "training_service/hybrid/hybrid_training_service.h"
#include "training_service/local/local_training_service.h"
#include "training_service/remote/remote_training_service.h"
#include "training_service/slurm/pilot_service.h"
#include "training_service/slurm/slurm_training_service.h"

namespace archer {
namespace testing {
namespace {

using std::chrono::milliseconds;

// Whether the process whose pid is in `pid_file` runs (a zombie does not).
bool process_alive(const std::string& pid_file) {
  std::ifstream in(pid_file);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() &&
         line[paren + 2] != 'Z';
}

std::string unique_id(const char* prefix) {
  static std::atomic<int> n{0};
  return std::string(prefix) + std::to_string(::getpid()) + "x" +
         std::to_string(n++);
}

// Common to the harnesses: a local experiment directory and a code dir.
class HarnessBase : public ServiceHarness {
 public:
  TrialSpec spec(const std::string& id, const std::string& command) override {
    TrialSpec s;
    s.trial_id = id;
    s.sequence_id = 1;
    s.parameter_record = R"({"parameter_id": 1, "parameters": {}})";
    s.trial_dir = dir_.file("trials/" + id);
    s.command = command;
    s.code_dir = code_.path();
    s.experiment_id = experiment_id_;
    return s;
  }
  std::string experiment_dir() const override { return dir_.path(); }

 protected:
  TempDir dir_, code_;
  std::string experiment_id_ = unique_id("conf");
};

class FakeHarness : public HarnessBase {
 public:
  std::unique_ptr<TrainingService> create(int parallel,
                                          milliseconds grace) override {
    return std::make_unique<ScriptedTrainingService>(parallel, grace);
  }
  std::string command(const TrialScript& script) override {
    return script_command(script);
  }
  bool child_alive(const TrialSpec& spec) override {
    return std::ifstream(spec.trial_dir + "/child.alive").good();
  }
};

class LocalHarness : public HarnessBase {
 public:
  std::unique_ptr<TrainingService> create(int parallel,
                                          milliseconds grace) override {
    LocalTrainingService::Options o;
    o.max_parallel = parallel;
    o.kill_grace = grace;
    auto s = LocalTrainingService::create(o);
    EXPECT_TRUE(s.is_ok()) << s.status().message();
    return s.is_ok() ? std::move(s).value() : nullptr;
  }
  bool child_alive(const TrialSpec& spec) override {
    return process_alive(spec.trial_dir + "/child.pid");
  }
};

// Hybrid mode over two local services (named apart): a trial goes to the
// first with a free slot, events and adoption go through the hybrid layer.
class HybridHarness : public LocalHarness {
 public:
  std::unique_ptr<TrainingService> create(int parallel,
                                          milliseconds grace) override {
    std::vector<HybridTrainingService::Member> members;
    for (const char* name : {"first", "second"}) {
      auto local = LocalHarness::create(1, grace);
      if (!local) return nullptr;
      members.push_back({name, std::move(local)});
    }
    return std::make_unique<HybridTrainingService>(std::move(members),
                                                   parallel);
  }
};

Sshd& shared_sshd() {
  static Sshd sshd;  // started once for the suite, stopped at exit
  return sshd;
}

class RemoteHarness : public HarnessBase {
 public:
  ~RemoteHarness() override {
    if (down_) shared_sshd().restart();  // a failed test left it down
  }
  std::string unavailable() const override {
    return shared_sshd().available() ? "" : shared_sshd().why_unavailable();
  }
  std::unique_ptr<TrainingService> create(int parallel,
                                          milliseconds grace) override {
    Sshd& sshd = shared_sshd();
    RemoteMachine m;
    m.host = "127.0.0.1";
    m.port = sshd.port();
    m.user = sshd.user();
    m.ssh_key_file = sshd.client_key();
    m.known_hosts_file = sshd.known_hosts();
    RemoteTrainingService::Options o;
    o.machines = {m};
    o.experiment_id = experiment_id_;
    o.experiment_dir = dir_.path();
    o.code_dir = code_.path();
    o.remote_directory = sshd.user_dir();
    o.max_parallel = parallel;
    o.kill_grace = grace;
    auto s = RemoteTrainingService::create(o);
    EXPECT_TRUE(s.is_ok()) << s.status().message();
    return s.is_ok() ? std::move(s).value() : nullptr;
  }
  bool child_alive(const TrialSpec& spec) override {
    return process_alive(shared_sshd().user_dir() + "/" + experiment_id_ +
                         "/trials/" + spec.trial_id + "/child.pid");
  }
  bool take_down() override {
    shared_sshd().crash();
    down_ = true;
    return true;
  }
  bool bring_back() override {
    down_ = false;
    return shared_sshd().restart();
  }
  bool outage_ends_trials() const override { return true; }
  int timeout_seconds() const override { return 60; }

 private:
  bool down_ = false;
};

SlurmCluster& shared_cluster() {
  static SlurmCluster cluster;
  return cluster;
}

class SlurmHarness : public HarnessBase {
 public:
  std::string unavailable() const override {
    return shared_cluster().available() ? ""
                                        : shared_cluster().why_unavailable();
  }
  std::unique_ptr<TrainingService> create(int parallel, milliseconds) override {
    SlurmTrainingService::Options o;
    o.experiment_id = experiment_id_;
    o.max_parallel = parallel;
    o.slurm.poll_interval = 0.2;
    o.env = shared_cluster().env();
    return std::make_unique<SlurmTrainingService>(o);
  }
  bool child_alive(const TrialSpec& spec) override {
    return process_alive(spec.trial_dir + "/child.pid");
  }
  // slurmctld stops and starts again on the same state.
  bool take_down() override { return shared_cluster().restart_controller(); }
  bool bring_back() override { return true; }
  // SIGKILL after a cancel is Slurm's (KillWait), not the service's.
  bool kills_after_grace() const override { return false; }
  int timeout_seconds() const override { return 90; }
  bool hold_queued() override {
    return shared_cluster().run(
               "sh -c 'scontrol update nodename=$(sinfo -h -o %N) "
               "state=drain reason=queued-by-test'") == 0;
  }
  void release_queued() override {
    shared_cluster().run(
        "sh -c 'scontrol update nodename=$(sinfo -h -o %N) state=resume'");
  }
};

// Pilot mode on the same cluster: one-CPU workers, one trial each, that exit
// 2 s after their last trial (the next test's workers find the node free).
class SlurmPilotHarness : public SlurmHarness {
 public:
  std::unique_ptr<TrainingService> create(int parallel,
                                          milliseconds grace) override {
    SlurmPilotService::Options o;
    o.experiment_id = experiment_id_;
    o.max_parallel = parallel;
    o.slurm.poll_interval = 0.2;
    o.pilot.workers = parallel;
    o.pilot.cpus = 1;
    o.pilot.idle_timeout = 2;
    o.pilot_dir = dir_.file("pilot");
    o.kill_grace = grace;
    o.env = shared_cluster().env();
    return std::make_unique<SlurmPilotService>(o);
  }
  // The worker sends SIGKILL after the service's grace.
  bool kills_after_grace() const override { return true; }
};

template <typename H>
ServiceCase service_case(const std::string& name) {
  return {name, [] { return std::unique_ptr<ServiceHarness>(new H()); }};
}

INSTANTIATE_TEST_SUITE_P(
    Platforms, ServiceConformanceTest,
    ::testing::Values(service_case<FakeHarness>("fake"),
                      service_case<LocalHarness>("local"),
                      service_case<HybridHarness>("hybrid"),
                      service_case<RemoteHarness>("remote"),
                      service_case<SlurmHarness>("slurm"),
                      service_case<SlurmPilotHarness>("slurm_pilot")),
    service_case_name);

}  // namespace
}  // namespace testing
}  // namespace archer
