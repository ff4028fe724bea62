// Tuner throughput: one generate_parameters + receive_trial_result + trial_end
// cycle per iteration on NNI's 20-key space (15 layer choices of 4 ops, 5 input
// choices of 4 candidates with n_chosen 2), in process; and the PPO tuner's
// time per policy update. Google Benchmark flags work as usual; results also go
// to docs/benchmarks.md unless
// --no_write is given.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstring>
#include <iostream>
#include <sstream>

#include "bench_util.h"
#include "tuner/ppo/ppo_tuner.h"
#include "tuner/sampling.h"

namespace archer {
namespace {

// NNI's Regularized Evolution, measured in-process on this machine (issue 3).
constexpr double kNniCallsPerSecond = 11000;

SearchSpace twenty_keys() {
  SearchSpace s;
  for (int i = 0; i < 15; ++i) {
    (void)s.add(Choice{"layer_" + std::to_string(i),
                       ChoiceType::kLayerChoice,
                       {"conv3x3", "conv5x5", "maxpool", "identity"},
                       std::nullopt});
  }
  for (int i = 0; i < 5; ++i) {
    (void)s.add(Choice{"skip_" + std::to_string(i),
                       ChoiceType::kInputChoice,
                       {"in_a", "in_b", "in_c", "in_d"},
                       2});
  }
  return s;
}

std::unique_ptr<Tuner> make(const std::string& name, Json args) {
  args["seed"] = 1;
  auto tuner = create_tuner(name, args).value();
  (void)tuner->update_search_space(twenty_keys());
  return tuner;
}

void BM_TunerCycle(benchmark::State& state, std::string name, Json args) {
  auto tuner = make(name, args);
  std::int64_t id = 0;
  for (auto _ : state) {
    Proposal p = tuner->generate_parameters(id);
    if (p.kind == Proposal::Kind::kReady) {
      double reward = static_cast<double>((id * 7919) % 1000) / 1000.0;
      tuner->receive_trial_result(id, p.architecture, reward);
    }
    tuner->trial_end(id, true);
    ++id;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_PpoUpdate(benchmark::State& state) {
  auto tuner = make("PPOTuner", Json::object());
  std::int64_t id = 0;
  for (auto _ : state) {
    // 20 trials (trials_per_update); the last result triggers the update.
    for (int i = 0; i < 20; ++i, ++id) {
      Proposal p = tuner->generate_parameters(id);
      tuner->receive_trial_result(id, p.architecture,
                                  static_cast<double>(id % 13));
      tuner->trial_end(id, true);
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// LocalBOTuner with `state.range(0)` finished trials behind it (imported):
// the cost of one more proposal + result, its surrogate bounded by
// max_model_points.
void BM_LocalBOAt(benchmark::State& state) {
  auto tuner = make("LocalBOTuner", Json::object());
  tuner::Rng rng(7);
  std::vector<TrialHistory> history;
  const SearchSpace space = twenty_keys();
  std::int64_t id = 0;
  auto reward_of = [](const Architecture& a) {
    double r = 0;
    for (size_t i = 0; i < a.size(); ++i) r += (a[i][0] + i) % 4 == 0;
    return r;
  };
  for (; id < state.range(0); ++id) {
    Architecture a = tuner::random_architecture(space, rng);
    history.push_back({id, a, reward_of(a)});
  }
  tuner->import_data(history);
  for (auto _ : state) {
    Proposal p = tuner->generate_parameters(id);
    tuner->receive_trial_result(id, p.architecture, reward_of(p.architecture));
    tuner->trial_end(id, true);
    ++id;
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_TunerCycle, Random, std::string("Random"), Json::object());
BENCHMARK_CAPTURE(BM_TunerCycle, RandomWithRepeats, std::string("Random"),
                  Json{{"dedup", false}});
BENCHMARK_CAPTURE(BM_TunerCycle, RegularizedEvolution,
                  std::string("RegularizedEvolutionTuner"), Json::object());
BENCHMARK_CAPTURE(BM_TunerCycle, RegularizedEvolutionSkipDuplicates,
                  std::string("RegularizedEvolutionTuner"),
                  Json{{"skip_duplicates", true}});
BENCHMARK_CAPTURE(BM_TunerCycle, PPO, std::string("PPOTuner"), Json::object());
BENCHMARK(BM_PpoUpdate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LocalBOAt)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond);

// Keeps every run for the markdown table, and prints as usual.
class Collector : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) collected.push_back(r);
    ConsoleReporter::ReportRuns(runs);
  }
  std::vector<Run> collected;
};

}  // namespace
}  // namespace archer

int main(int argc, char** argv) {
  bool write = true;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no_write") == 0) {
      write = false;
    } else {
      args.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(args.size());
  torch::set_num_threads(1);
  archer::register_ppo_tuner();
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  archer::Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  std::ostringstream md;
  md << archer::bench::machine_line()
     << " `tuner_throughput_bench`: one generate + receive + trial_end cycle "
        "on the 20-key "
        "space, one thread, in process. NNI's Regularized Evolution does about "
        "11,000 such "
        "cycles per second in process on this machine (2,500/s through its "
        "dispatcher).\n\n"
        "| benchmark | time per iteration | cycles/s | × NNI RE in process "
        "|\n|---|---:|---:|---:|\n";
  for (const auto& r : collector.collected) {
    double seconds =
        r.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(r.time_unit);
    char line[256];
    if (r.benchmark_name().find("LocalBOAt/") != std::string::npos) {
      const std::string count =
          r.benchmark_name().substr(r.benchmark_name().find('/') + 1);
      std::snprintf(line, sizeof(line),
                    "| BM_TunerCycle/LocalBO after %s finished trials | %.2f "
                    "ms | %.0f | %.3g× |\n",
                    count.c_str(), seconds * 1e3, 1.0 / seconds,
                    1.0 / seconds / archer::kNniCallsPerSecond);
    } else if (r.benchmark_name().find("PpoUpdate") != std::string::npos) {
      std::snprintf(line, sizeof(line),
                    "| %s (20 trials + 1 policy update) | %.2f ms | — | — |\n",
                    r.benchmark_name().c_str(), seconds * 1e3);
    } else {
      std::snprintf(line, sizeof(line), "| %s | %.3f µs | %.0f | %.3g× |\n",
                    r.benchmark_name().c_str(), seconds * 1e6, 1.0 / seconds,
                    1.0 / seconds / archer::kNniCallsPerSecond);
    }
    md << line;
  }
  md << "\nThe de-duplicating variants keep a hash of every architecture "
        "proposed (about a "
        "million entries by the end of a run here), so they pay for cache "
        "misses; PPO's cost is "
        "its policy update, spread over the `trials_per_update` trials of a "
        "batch. LocalBO's cost is its surrogate: a fit to at most "
        "`max_model_points` (256) results, its hyperparameters re-chosen at "
        "every fifth result past 50, and expected improvement over a few "
        "hundred candidates; it stays flat from 10^3 finished trials on "
        "because the model's size is bounded.\n";
  if (write) {
    auto st = archer::bench::update_markdown_section(
        std::string(ARCHER_DOCS_DIR) + "/benchmarks.md", "tuner_throughput",
        md.str());
    if (!st.is_ok()) {
      std::cerr << "tuner_throughput_bench: error: " << st.message()
                << std::endl;
      return 1;
    }
  }
  benchmark::Shutdown();
  return 0;
}
