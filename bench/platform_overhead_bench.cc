// Per-trial overhead on each platform: N trials that only report a result,
// at concurrency 1, through the manager and the local, remote (a loopback
// OpenSSH server) and Slurm (a single-node cluster) training services, both
// started here as the tests do (root; openssh-server, slurm-wlm, munge).
// Reports trials per second and the mean gap from a trial's exit to the next
// trial's start, and rewrites the "platform_overhead" section of
// docs/benchmarks.md.
//
//   platform_overhead_bench [--trials N] [--no_write]
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bench_util.h"
#include "manager/experiment_manager.h"
#include "testing/slurm_cluster.h"
#include "testing/sshd.h"
#include "testing/temp_dir.h"
#include "training_service/local_training_service.h"
#include "training_service/remote_training_service.h"
#include "training_service/slurm_training_service.h"

namespace archer {
namespace {

const char* kTrial =
    "m='{\"parameter_id\": 0, \"trial_job_id\": \"'$NNI_TRIAL_JOB_ID'\", "
    "\"type\": \"FINAL\", \"sequence\": 0, \"value\": \"0.5\"}'; "
    "printf 'ME%06d%s\\n' $((${#m}+1)) \"$m\" >> "
    "\"$NNI_OUTPUT_DIR/.nni/metrics\"";

struct Result {
  double seconds = 0, per_second = 0, gap_ms = 0;
  int succeeded = 0;
};

ExperimentConfig config(int trials, const std::string& dir) {
  const std::string yaml =
      "searchSpace: {op: {_type: layer_choice, _value: [a, b, c]}}\n"
      "trialCommand: x\ntrialConcurrency: 1\nmaxTrialNumber: " +
      std::to_string(trials) +
      "\ntuner: {name: Random, classArgs: {dedup: false, seed: 1}}\n";
  ExperimentConfig c = parse_experiment_config(yaml, "bench", dir).value();
  c.trial_command = kTrial;
  c.trial_code_directory = dir;
  return c;
}

Result run(const ExperimentConfig& c, std::unique_ptr<TrainingService> service,
           const std::string& dir) {
  std::filesystem::create_directories(dir + "/exp");
  auto store = std::move(Store::open(dir + "/exp/db.sqlite")).value();
  ExperimentManager m(
      c, "bench", dir + "/exp",
      std::move(create_tuner("Random", c.tuner_class_args)).value(),
      std::move(service), store.get(), 1);
  if (!m.start().is_ok()) throw std::runtime_error("start");
  const auto t0 = std::chrono::steady_clock::now();
  while (m.step(std::chrono::milliseconds(1000)).value()) {
  }
  Result r;
  r.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  r.succeeded = m.progress().succeeded;
  r.per_second = r.succeeded / r.seconds;
  auto rows = store->trials().value();
  double gaps = 0;
  int n = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].start_time && rows[i - 1].end_time) {
      gaps += static_cast<double>(rows[i].start_time - rows[i - 1].end_time);
      ++n;
    }
  }
  r.gap_ms = n ? gaps / n : 0;
  return r;
}

}  // namespace
}  // namespace archer

int main(int argc, char** argv) {
  using namespace archer;
  int trials = 50;
  bool write = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--trials") == 0 && i + 1 < argc) {
      trials = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--no_write") == 0) {
      write = false;
    } else {
      std::cerr << "usage: platform_overhead_bench [--trials N] [--no_write]"
                << std::endl;
      return 2;
    }
  }
  try {
    testing::TempDir dir;
    std::ostringstream md;
    md << bench::machine_line() << " `platform_overhead_bench --trials "
       << trials
       << "`: trials that only report a result, one at a time, through the "
          "manager and each training service (remote: a loopback OpenSSH "
          "server; Slurm: a single-node cluster, pollInterval 0.2 s).\n\n"
          "| platform | trials | wall time | trials/s | mean exit→next start "
          "gap |\n|---|---:|---:|---:|---:|\n";
    auto row = [&](const std::string& name, const Result& r) {
      char line[256];
      std::snprintf(line, sizeof(line),
                    "| %s | %d | %.1f s | %.2f | %.0f ms |\n", name.c_str(),
                    r.succeeded, r.seconds, r.per_second, r.gap_ms);
      std::cout << line << std::flush;
      md << line;
    };
    {
      ExperimentConfig c = config(trials, dir.path());
      LocalTrainingService::Options o;
      row("local", run(c, std::move(LocalTrainingService::create(o)).value(),
                       dir.file("local")));
    }
    {
      testing::Sshd sshd;
      if (!sshd.available()) throw std::runtime_error(sshd.why_unavailable());
      ExperimentConfig c = config(trials, dir.path());
      RemoteMachine m;
      m.host = "127.0.0.1";
      m.port = sshd.port();
      m.user = sshd.user();
      m.ssh_key_file = sshd.client_key();
      m.known_hosts_file = sshd.known_hosts();
      RemoteTrainingService::Options o;
      o.machines = {m};
      o.experiment_id = "bench";
      o.experiment_dir = dir.file("remote/exp");
      o.code_dir = dir.file("code");
      std::filesystem::create_directories(o.code_dir);
      o.remote_directory = sshd.user_dir();
      auto s = RemoteTrainingService::create(o);
      if (!s.is_ok()) throw std::runtime_error(s.status().message());
      row("remote (SSH)", run(c, std::move(s).value(), dir.file("remote")));
    }
    {
      testing::SlurmCluster cluster;
      if (!cluster.available())
        throw std::runtime_error(cluster.why_unavailable());
      ExperimentConfig c = config(trials, dir.path());
      SlurmTrainingService::Options o;
      o.experiment_id = "bench";
      o.slurm.poll_interval = 0.2;
      o.env = cluster.env();
      row("slurm",
          run(c, std::make_unique<SlurmTrainingService>(o), dir.file("slurm")));
    }
    md << "\nRemote: a trial costs one ssh command on the shared connection "
          "to start, the watcher noticing its end (at once through inotify "
          "when the host has inotifywait, else by polling every 200 ms: ~205 "
          "ms before), and two more to fetch stdout/stderr. Slurm: sbatch, "
          "then squeue every poll "
          "interval; the scheduler's own latency dominates.\n";
    if (write) {
      auto st = bench::update_markdown_section(
          std::string(ARCHER_DOCS_DIR) + "/benchmarks.md", "platform_overhead",
          md.str());
      if (!st.is_ok()) throw std::runtime_error(st.message());
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "platform_overhead_bench: error: " << e.what() << std::endl;
    return 1;
  }
}
