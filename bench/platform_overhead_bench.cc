// Per-trial overhead on each platform: N trials that only report a result,
// at concurrency 1, through the manager and the local, remote (a loopback
// OpenSSH server) and Slurm (a single-node cluster) training services, both
// started here as the tests do (root; openssh-server, slurm-wlm, munge).
// Reports trials per second and the mean gap from a trial's exit to the next
// trial's start, and rewrites the "platform_overhead" section of
// docs/benchmarks.md.
//
//   platform_overhead_bench [--trials N] [--no_write]
#include <stdlib.h>

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
#include "training_service/platform.h"

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
       << "`: trials that only report a result, \"at once\" at a time, through "
          "the "
          "manager and each training service (remote: a loopback OpenSSH "
          "server; Slurm: a single-node cluster of 2 CPUs, pollInterval "
          "0.2 s; the gap is measured one trial at a time).\n\n"
          "| platform | at once | trials | wall time | trials/s | mean "
          "exit→next start gap | sbatch calls |\n"
          "|---|---:|---:|---:|---:|---:|---:|\n";
    // sbatch calls, counted by a shim in front of the real one on PATH.
    const std::string shim = dir.file("shim");
    std::filesystem::create_directories(shim);
    const std::string calls = dir.file("sbatch.calls");
    {
      std::ofstream f(shim + "/sbatch");
      f << "#!/bin/sh\necho >>'" << calls << "'\nexec /usr/bin/sbatch \"$@\"\n";
    }
    std::filesystem::permissions(shim + "/sbatch",
                                 std::filesystem::perms::owner_all);
    ::setenv("PATH", (shim + ":" + std::getenv("PATH")).c_str(), 1);
    auto sbatch_calls = [&]() {
      std::ifstream in(calls);
      int n = 0;
      for (std::string line; std::getline(in, line);) ++n;
      return n;
    };
    int concurrency = 1;
    auto row = [&](const std::string& name, const bench::OverheadResult& r,
                   int submissions) {
      char line[320];
      char gap[32] = "—", per100[32] = "—";
      if (concurrency == 1)
        std::snprintf(gap, sizeof(gap), "%.0f ms", r.gap_ms);
      if (submissions >= 0)
        std::snprintf(per100, sizeof(per100), "%d", submissions);
      std::snprintf(line, sizeof(line),
                    "| %s | %d | %d | %.1f s | %.2f | %s | %s |\n",
                    name.c_str(), concurrency, r.succeeded, r.seconds,
                    r.per_second, gap, per100);
      std::cout << line << std::flush;
      md << line;
    };
    // Each platform through the registry, from its config section.
    auto run = [&](const std::string& name, ExperimentConfig c,
                   const std::string& ts, const std::string& where) {
      auto section = parse_json(ts, "trainingService");
      if (!section.is_ok())
        throw std::runtime_error(section.status().message());
      c.platform = section.value()["platform"].get<std::string>();
      // The section as the config parser leaves it (defaults filled in).
      auto checked = parse_experiment_config(
          "searchSpace: {op: {_type: layer_choice, _value: [a]}}\n"
          "trialCommand: x\ntrialConcurrency: 1\n"
          "tuner: {name: Random}\ntrainingService: " +
              ts + "\n",
          "bench", dir.path());
      if (!checked.is_ok())
        throw std::runtime_error(checked.status().message());
      c.training_service = checked.value().training_service;
      PlatformContext ctx;
      ctx.experiment_id = "bench";
      ctx.experiment_dir = dir.file(where + "/exp");
      std::filesystem::create_directories(ctx.experiment_dir);
      auto service = create_training_service(c, ctx);
      if (!service.is_ok())
        throw std::runtime_error(service.status().message());
      const int before = sbatch_calls();
      auto r =
          bench::run_overhead(c, std::move(service).value(), dir.file(where));
      row(name, r, c.platform == "slurm" ? sbatch_calls() - before : -1);
    };
    run("local", bench::overhead_config(trials, 1, dir.path()),
        "{\"platform\": \"local\"}", "local");
    {
      testing::Sshd sshd;
      if (!sshd.available()) throw std::runtime_error(sshd.why_unavailable());
      ExperimentConfig c = bench::overhead_config(trials, 1, dir.path());
      c.trial_code_directory = dir.file("code");
      std::filesystem::create_directories(c.trial_code_directory);
      const Json ts = {{"platform", "remote"},
                       {"remoteDirectory", sshd.user_dir()},
                       {"machineList",
                        {{{"host", "127.0.0.1"},
                          {"port", sshd.port()},
                          {"user", sshd.user()},
                          {"sshKeyFile", sshd.client_key()},
                          {"knownHostsFile", sshd.known_hosts()}}}}};
      run("remote (SSH)", c, dumps(ts), "remote");
    }
    {
      testing::SlurmCluster cluster;
      if (!cluster.available())
        throw std::runtime_error(cluster.why_unavailable());
      for (const auto& [k, v] : cluster.env())
        ::setenv(k.c_str(), v.c_str(), 1);
      run("slurm, a job per trial",
          bench::overhead_config(trials, 1, dir.path()),
          "{\"platform\": \"slurm\", \"pollInterval\": \"0.2s\"}", "slurm");
      run("slurm pilot, 1 worker",
          bench::overhead_config(trials, 1, dir.path()),
          "{\"platform\": \"slurm\", \"pollInterval\": \"0.2s\", "
          "\"cpusPerTrial\": 1, \"pilot\": {\"workers\": 1}}",
          "pilot1");
      concurrency = 2;
      run("slurm, job arrays", bench::overhead_config(trials, 2, dir.path()),
          "{\"platform\": \"slurm\", \"pollInterval\": \"0.2s\", "
          "\"cpusPerTrial\": 1}",
          "arrays");
      run("slurm pilot, 2 workers",
          bench::overhead_config(trials, 2, dir.path()),
          "{\"platform\": \"slurm\", \"pollInterval\": \"0.2s\", "
          "\"cpusPerTrial\": 1, \"pilot\": {\"workers\": 2}}",
          "pilot2");
    }
    md << "\nPilot mode: the workers are submitted once (one sbatch --array) "
          "and each trial starts inside an allocation already held: the gap "
          "is the manager noticing the end (10 ms checks), proposing, "
          "writing the assignment and the worker taking it (10 ms checks). "
          "Job arrays group only trials submitted together (the first "
          "ones); afterwards each freed slot is one sbatch.\n";
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
