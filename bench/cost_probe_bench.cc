// The cost probe's time per architecture on the example and the share of
// proposals the shipped constraint rejects. The probe runs exactly as the
// manager runs it (manager/cost_probe.h, the trial command of
// examples/mnist/config_constrained.yml, one at a time) for `--n` random
// architectures of the example's cell space; the process start of the same
// binary alone (`mnist_nas --help`) is timed beside it.
//
//   cost_probe_bench [--n N] [--no_write]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "archer/config.h"
#include "bench_util.h"
#include "common/subprocess.h"
#include "manager/cost_probe.h"
#include "testing/temp_dir.h"
#include "tuner/sampling.h"

namespace archer {
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int run_main(int argc, char** argv) {
  int n = 40;
  bool write = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--n" && i + 1 < argc) {
      n = std::max(1, std::stoi(argv[++i]));
    } else if (a == "--no_write") {
      write = false;
    } else {
      std::cerr << "usage: cost_probe_bench [--n N] [--no_write]\n";
      return 2;
    }
  }
  const std::string example =
      std::string(ARCHER_SOURCE_DIR) + "/examples/mnist";
  const std::string binary =
      std::string(ARCHER_BINARY_DIR) + "/examples/mnist/mnist_nas";
  testing::TempDir dir;
  // The search space, as ss_gen writes it.
  auto gen = run_process({binary, "--space", "cells"},
                         {{"NNI_GEN_SEARCH_SPACE", dir.file("space.json")}});
  if (!gen.is_ok() || gen.value().exit_code != 0)
    throw std::runtime_error("cannot run " + binary +
                             " (build mnist_nas first)");
  auto config = load_experiment_config(example + "/config_constrained.yml");
  if (!config.is_ok()) {
    // The shipped config names the generated file beside it: use ours.
    std::string text;
    {
      std::ifstream f(example + "/config_constrained.yml");
      std::stringstream ss;
      ss << f.rdbuf();
      text = ss.str();
    }
    const std::string key = "searchSpaceFile: nni_auto_gen_search_space.json";
    text.replace(text.find(key), key.size(),
                 "searchSpaceFile: " + dir.file("space.json"));
    config = parse_experiment_config(text, "config_constrained.yml", example);
  }
  if (!config.is_ok()) throw std::runtime_error(config.status().message());
  auto store = std::move(Store::open(":memory:")).value();
  CostProbe probe(config.value(), "bench", dir.file("exp"), store.get());
  tuner::Rng rng(1);
  std::vector<double> seconds;
  int rejected = 0;
  std::string constraints;
  for (const auto& k : config.value().constraints)
    constraints += (constraints.empty() ? "" : ", ") + k.describe();
  for (int i = 0; i < n; ++i) {
    const Json params = architecture_to_json(
        config.value().search_space,
        tuner::random_architecture(config.value().search_space, rng));
    probe.start(i, params);
    std::optional<CostProbe::Finished> done;
    while (!(done = probe.take()))
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (!done->verdict.is_ok())
      throw std::runtime_error(done->verdict.status().message());
    seconds.push_back(done->verdict.value().seconds);
    rejected += done->verdict.value().feasible() ? 0 : 1;
  }
  std::vector<double> start;
  for (int i = 0; i < 10; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = run_process({binary, "--help"});
    (void)r;
    start.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count());
  }
  std::ostringstream md;
  char line[2048];
  std::snprintf(line, sizeof line,
                "%s `cost_probe_bench --n %d`: the probe of %d random "
                "architectures of the example's cell space, as the manager "
                "runs it.\n\n"
                "| | median | mean | max |\n|---|---|---|---|\n"
                "| cost probe, per architecture (s) | %.3f | %.3f | %.3f |\n"
                "| process start alone: `mnist_nas --help` (s) | %.3f | %.3f | "
                "%.3f |\n\n"
                "Goal: under 0.5 s per architecture including process start — "
                "%s (median %.3f s; the process start alone, loading "
                "LibTorch's shared libraries, is %.0f%% of it).\n\n"
                "Under the shipped constraint (`config_constrained.yml`: %s), "
                "%d of %d random architectures (%.0f%%) are rejected before "
                "training.\n",
                bench::machine_line().c_str(), n, n, median(seconds),
                bench::mean(seconds),
                *std::max_element(seconds.begin(), seconds.end()),
                median(start), bench::mean(start),
                *std::max_element(start.begin(), start.end()),
                median(seconds) < 0.5 ? "met" : "**missed**", median(seconds),
                100 * median(start) / median(seconds), constraints.c_str(),
                rejected, n, 100.0 * rejected / n);
  md << line;
  bench::publish(ARCHER_DOCS_DIR, "cost_probe", md.str(), write);
  return 0;
}

}  // namespace
}  // namespace archer

int main(int argc, char** argv) {
  return archer::bench::guarded_main(
      "cost_probe_bench", [&] { return archer::run_main(argc, argv); });
}
