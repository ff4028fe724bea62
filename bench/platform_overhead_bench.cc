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
#include "overhead_run.h"
#include "testing/slurm_cluster.h"
#include "testing/sshd.h"
#include "testing/temp_dir.h"
#include "training_service/local/local_training_service.h"
#include "training_service/remote/remote_training_service.h"
#include "training_service/slurm/slurm_training_service.h"

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
    auto row = [&](const std::string& name, const bench::OverheadResult& r) {
      char line[256];
      std::snprintf(line, sizeof(line),
                    "| %s | %d | %.1f s | %.2f | %.0f ms |\n", name.c_str(),
                    r.succeeded, r.seconds, r.per_second, r.gap_ms);
      std::cout << line << std::flush;
      md << line;
    };
    {
      ExperimentConfig c = bench::overhead_config(trials, 1, dir.path());
      LocalTrainingService::Options o;
      row("local", bench::run_overhead(
                       c, std::move(LocalTrainingService::create(o)).value(),
                       dir.file("local")));
    }
    {
      testing::Sshd sshd;
      if (!sshd.available()) throw std::runtime_error(sshd.why_unavailable());
      ExperimentConfig c = bench::overhead_config(trials, 1, dir.path());
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
      row("remote (SSH)",
          bench::run_overhead(c, std::move(s).value(), dir.file("remote")));
    }
    {
      testing::SlurmCluster cluster;
      if (!cluster.available())
        throw std::runtime_error(cluster.why_unavailable());
      ExperimentConfig c = bench::overhead_config(trials, 1, dir.path());
      SlurmTrainingService::Options o;
      o.experiment_id = "bench";
      o.slurm.poll_interval = 0.2;
      o.env = cluster.env();
      row("slurm",
          bench::run_overhead(c, std::make_unique<SlurmTrainingService>(o),
                              dir.file("slurm")));
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
