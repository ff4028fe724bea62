// How long one manager step takes while a platform does slow work: the
// remote service fetching a finished trial's large stdout over SSH (a
// loopback OpenSSH server), and the Slurm service whose squeue answers
// slowly (a stand-in on PATH that sleeps, then runs the real one; a
// single-node cluster). The manager steps with a 100 ms timeout; a step
// longer than that was held up by the platform. Rewrites the
// "platform_latency" section of docs/benchmarks.md.
//
//   platform_latency_bench [--stdout_mb N] [--squeue_delay S] [--no_write]
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "archer/store.h"
#include "archer/tuner.h"
#include "bench_util.h"
#include "manager/experiment_manager.h"
#include "testing/slurm_cluster.h"
#include "testing/sshd.h"
#include "testing/temp_dir.h"
#include "training_service/platform.h"

namespace archer {
namespace {

struct StepStats {
  int steps = 0, over = 0;
  double max_ms = 0, p50_ms = 0, p99_ms = 0, seconds = 0;
  int succeeded = 0;
};

const char* kFinal =
    "m='{\"parameter_id\": 0, \"trial_job_id\": \"'$NNI_TRIAL_JOB_ID'\", "
    "\"type\": \"FINAL\", \"sequence\": 0, \"value\": \"0.5\"}'; "
    "printf 'ME%06d%s\\n' $((${#m}+1)) \"$m\" >> "
    "\"$NNI_OUTPUT_DIR/.nni/metrics\"";

std::string config_yaml(int trials, const std::string& platform) {
  return "searchSpace: {op: {_type: layer_choice, _value: [a, b, c]}}\n"
         "trialCommand: x\ntrialConcurrency: 2\nmaxTrialNumber: " +
         std::to_string(trials) +
         "\ntuner: {name: Random, classArgs: {dedup: false, seed: 1}}\n" +
         platform;
}

StepStats run_steps(ExperimentConfig c, const std::string& dir) {
  std::filesystem::create_directories(dir + "/exp");
  auto store = std::move(Store::open(dir + "/exp/db.sqlite")).value();
  PlatformContext ctx;
  ctx.experiment_id = "bench";
  ctx.experiment_dir = dir + "/exp";
  auto service = create_training_service(c, ctx);
  if (!service.is_ok()) throw std::runtime_error(service.status().message());
  ExperimentManager m(
      c, "bench", dir + "/exp",
      std::move(create_tuner("Random", c.tuner_class_args)).value(),
      std::move(service).value(), store.get(), 1);
  if (!m.start().is_ok()) throw std::runtime_error("start");
  std::vector<double> ms;
  const auto t0 = std::chrono::steady_clock::now();
  while (true) {
    const auto s = std::chrono::steady_clock::now();
    auto more = m.step(std::chrono::milliseconds(100));
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - s)
                     .count());
    if (!more.is_ok()) throw std::runtime_error(more.status().message());
    if (!more.value()) break;
  }
  StepStats r;
  r.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  r.succeeded = m.progress().succeeded;
  r.steps = static_cast<int>(ms.size());
  for (double v : ms) r.over += v > 200 ? 1 : 0;
  std::sort(ms.begin(), ms.end());
  r.max_ms = ms.back();
  r.p50_ms = ms[ms.size() / 2];
  r.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  return r;
}

}  // namespace
}  // namespace archer

int main(int argc, char** argv) {
  using namespace archer;
  int stdout_mb = 200;
  double squeue_delay = 2;
  bool write = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--stdout_mb") == 0 && i + 1 < argc) {
      stdout_mb = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--squeue_delay") == 0 && i + 1 < argc) {
      squeue_delay = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--no_write") == 0) {
      write = false;
    } else {
      std::cerr << "usage: platform_latency_bench [--stdout_mb N] "
                   "[--squeue_delay S] [--no_write]"
                << std::endl;
      return 2;
    }
  }
  try {
    testing::TempDir dir;
    std::ostringstream md;
    md << bench::machine_line() << " `platform_latency_bench --stdout_mb "
       << stdout_mb << " --squeue_delay " << squeue_delay
       << "`: 4 trials, 2 at a time, the manager stepping with a 100 ms "
          "timeout; a step over 200 ms was held up by the platform.\n\n"
          "| platform, slow operation | trials | steps | median step | p99 "
          "step | longest step | steps > 200 ms |\n"
          "|---|---:|---:|---:|---:|---:|---:|\n";
    auto row = [&](const std::string& name, const StepStats& r) {
      char line[320];
      std::snprintf(line, sizeof(line),
                    "| %s | %d | %d | %.0f ms | %.0f ms | %.0f ms | %d |\n",
                    name.c_str(), r.succeeded, r.steps, r.p50_ms, r.p99_ms,
                    r.max_ms, r.over);
      std::cout << line << std::flush;
      md << line;
    };
    const std::string code = dir.file("code");
    std::filesystem::create_directories(code);
    {
      testing::Sshd sshd;
      if (!sshd.available()) throw std::runtime_error(sshd.why_unavailable());
      const std::string platform =
          "trainingService:\n  platform: remote\n  remoteDirectory: " +
          sshd.user_dir() + "\n  machineList:\n    - {host: 127.0.0.1, port: " +
          std::to_string(sshd.port()) + ", user: " + sshd.user() +
          ", sshKeyFile: " + sshd.client_key() +
          ", knownHostsFile: " + sshd.known_hosts() + "}\n";
      ExperimentConfig c =
          parse_experiment_config(config_yaml(4, platform), "bench", code)
              .value();
      c.trial_code_directory = code;
      c.trial_command = "head -c " + std::to_string(stdout_mb) +
                        "000000 /dev/zero; " + kFinal;
      row("remote, " + std::to_string(stdout_mb) +
              " MB stdout fetched at each end",
          run_steps(c, dir.file("remote")));
    }
    {
      testing::SlurmCluster cluster;
      if (!cluster.available())
        throw std::runtime_error(cluster.why_unavailable());
      // The stand-in: squeue that sleeps first.
      const std::string bin = dir.file("slow-bin");
      std::filesystem::create_directories(bin);
      {
        std::ofstream s(bin + "/squeue");
        s << "#!/bin/sh\nsleep " << squeue_delay
          << "\nexec /usr/bin/squeue \"$@\"\n";
      }
      ::chmod((bin + "/squeue").c_str(), 0755);
      const std::string path = bin + ":" + std::getenv("PATH");
      ::setenv("PATH", path.c_str(), 1);
      for (const auto& [k, v] : cluster.env())
        ::setenv(k.c_str(), v.c_str(), 1);
      ExperimentConfig c = parse_experiment_config(
                               config_yaml(4,
                                           "trainingService: {platform: slurm, "
                                           "pollInterval: 0.2s}\n"),
                               "bench", code)
                               .value();
      c.trial_code_directory = code;
      c.trial_command = std::string("sleep 1; ") + kFinal;
      char name[96];
      std::snprintf(name, sizeof(name), "slurm, squeue taking %.1f s",
                    squeue_delay);
      row(name, run_steps(c, dir.file("slurm")));
    }
    if (write) {
      auto st = bench::update_markdown_section(
          std::string(ARCHER_DOCS_DIR) + "/benchmarks.md", "platform_latency",
          md.str());
      if (!st.is_ok()) throw std::runtime_error(st.message());
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "platform_latency_bench: error: " << e.what() << std::endl;
    return 1;
  }
}
