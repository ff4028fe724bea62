// What early stopping saves, on recorded learning curves: the real manager,
// tuner and assessor run over the learning-curve table
// (bench/data/fmnist_curves) through ReplayTrainingService, which plays the
// recorded curves back in simulated time. For Random and Regularized
// Evolution x {no assessor, Medianstop, Curvefitting, ASHA (its defaults,
// from step 3, from step 3 on the best result so far, two Hyperband-style
// brackets)}, `runs` seeded
// runs each spend up to `trials` full trials' worth of epochs; reported:
// the best final validation accuracy found versus epochs spent (mean over
// the runs; before any trial finished, the table's worst), and the epochs
// each configuration needs to reach what the same tuner without an assessor
// reaches with 25, 50 and 100 full trials. Rewrites the "early_stopping"
// section of docs/benchmarks.md.
//
//   early_stopping_bench [--table JSON] [--runs N] [--trials N] [--threads N]
//                        [--no_write]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "archer/store.h"
#include "archer/tuner.h"
#include "assessor/curve_model.h"
#include "bench_util.h"
#include "curve_table.h"
#include "manager/experiment_manager.h"
#include "replay_training_service.h"

namespace archer {
namespace {

struct Variant {
  std::string tuner_label, tuner, tuner_args;  // args: YAML flow mapping
  std::string assessor_label, assessor;        // assessor: YAML or ""
};

struct RunResult {
  std::vector<double> best_at;  // per grid point (every `epochs` epochs)
  int started = 0, stopped = 0;
  double simulated_hours = 0;
};

const int kConcurrency = 2;

std::vector<Variant> variants(int epochs) {
  const std::string e = std::to_string(epochs);
  std::vector<std::pair<std::string, std::string>> assessors = {
      {"none", ""},
      {"Medianstop", "{name: Medianstop, classArgs: {start_step: 3}}"},
      {"Curvefitting", "{name: Curvefitting, classArgs: {epoch_num: " + e +
                           ", start_step: 4, threshold: 0.95, gap: 1}}"},
      {"ASHA",
       "{name: ASHA, classArgs: {reduction_factor: 3, min_step: 1, "
       "max_step: " +
           e + "}}"},
      {"ASHA, min_step 3",
       "{name: ASHA, classArgs: {reduction_factor: 3, min_step: 3, "
       "max_step: " +
           e + "}}"},
      {"ASHA, min_step 3, best so far",
       "{name: ASHA, classArgs: {reduction_factor: 3, min_step: 3, "
       "max_step: " +
           e + ", rung_value: best}}"},
      {"ASHA, 2 brackets",
       "{name: ASHA, classArgs: {reduction_factor: 3, min_step: 1, "
       "max_step: " +
           e + ", brackets: 2}}"}};
  std::vector<Variant> out;
  for (const auto& [label, yaml] : assessors) {
    out.push_back({"Random", "Random", "{dedup: true}", label, yaml});
    out.push_back({"RE", "RegularizedEvolutionTuner",
                   "{population_size: 8, sample_size: 3}", label, yaml});
  }
  return out;
}

RunResult run_one(const Variant& v, const bench::CurveTable& table,
                  const std::string& space_file, int seed, int budget_trials,
                  double worst) {
  std::string yaml = "searchSpaceFile: " + space_file +
                     "\ntrialCommand: replay\ntrialConcurrency: " +
                     std::to_string(kConcurrency) +
                     "\ntuner: {name: " + v.tuner +
                     ", classArgs: " + v.tuner_args + "}\n";
  if (!v.assessor.empty()) yaml += "assessor: " + v.assessor + "\n";
  auto config = parse_experiment_config(yaml, "early_stopping_bench", "/");
  if (!config.is_ok()) throw std::runtime_error(config.status().message());
  Json args = config.value().tuner_class_args;
  args["seed"] = seed;
  auto tuner = create_tuner(config.value().tuner_name, args);
  if (!tuner.is_ok()) throw std::runtime_error(tuner.status().message());
  auto store = std::move(Store::open(":memory:")).value();
  auto service =
      std::make_unique<bench::ReplayTrainingService>(table, kConcurrency);
  bench::ReplayTrainingService* replay = service.get();
  ExperimentManager m(config.value(), "replay", "/nonexistent",
                      std::move(tuner).value(), std::move(service), store.get(),
                      static_cast<std::uint64_t>(seed));
  Status st = m.start();
  if (!st.is_ok()) throw std::runtime_error(st.message());
  const std::int64_t budget =
      static_cast<std::int64_t>(budget_trials) * table.epochs();
  while (replay->epochs_spent() < budget) {
    auto more = m.step(std::chrono::milliseconds(0));
    if (!more.is_ok()) throw std::runtime_error(more.status().message());
    if (!more.value()) break;
  }
  RunResult r;
  r.started = m.progress().submitted;
  r.stopped = replay->stopped();
  const auto& finishes = replay->finishes();
  size_t next = 0;
  double best = worst;
  for (int t = 1; t <= budget_trials; ++t) {
    const std::int64_t epochs = static_cast<std::int64_t>(t) * table.epochs();
    while (next < finishes.size() && finishes[next].epochs_spent <= epochs)
      best = std::max(best, finishes[next++].accuracy);
    r.best_at.push_back(best);
  }
  if (!finishes.empty())
    r.simulated_hours = finishes.back().simulated_seconds / 3600;
  return r;
}

struct Summary {
  std::vector<double> mean_best;   // per grid point
  std::vector<double> final_best;  // per run, at the whole budget
  double started = 0, stopped = 0;
};

// The first grid point (in full trials' epochs) where `s` reaches `target`;
// 0 if it never does.
int reach(const Summary& s, double target) {
  for (size_t i = 0; i < s.mean_best.size(); ++i) {
    if (s.mean_best[i] >= target - 1e-9) return static_cast<int>(i) + 1;
  }
  return 0;
}

std::string fixed(double v, int digits) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(digits);
  o << v;
  return o.str();
}

int main_impl(int argc, char** argv) {
  std::string table_path =
      std::string(ARCHER_SOURCE_DIR) + "/bench/data/fmnist_curves/curves.json";
  std::string space_file = std::string(ARCHER_SOURCE_DIR) +
                           "/bench/data/fmnist_curves/search_space.json";
  int runs = 200, trials = 100, threads = 2;
  bool write = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--table") {
      table_path = next();
    } else if (a == "--space") {
      space_file = next();
    } else if (a == "--runs") {
      runs = std::stoi(next());
    } else if (a == "--trials") {
      trials = std::stoi(next());
    } else if (a == "--threads") {
      threads = std::stoi(next());
    } else if (a == "--no_write") {
      write = false;
    } else {
      throw std::invalid_argument(
          "unknown flag " + a +
          "; flags: --table JSON --space JSON --runs N --trials N --threads "
          "N --no_write");
    }
  }
  auto loaded = bench::CurveTable::load(table_path);
  if (!loaded.is_ok()) throw std::runtime_error(loaded.status().message());
  const bench::CurveTable& table = loaded.value();
  // "Nothing found yet" counts as the table's worst final accuracy.
  const double worst = table.worst();
  // Curvefitting's cost: its curve model on every prefix (4 .. epochs-1
  // results) of every recorded curve.
  double model_ms = 0;
  {
    std::mt19937_64 rng(1);
    int predictions = 0;
    const auto m0 = std::chrono::steady_clock::now();
    for (const auto& [arch, curve] : table.curves()) {
      // The intermediate results: every epoch but the last (the final).
      const std::vector<double>& h = curve.accuracy;
      for (size_t n = 4; n < h.size(); ++n, ++predictions)
        predict_curve({h.begin(), h.begin() + static_cast<long>(n)},
                      table.epochs(), rng);
    }
    model_ms = std::chrono::duration<double, std::milli>(
                   std::chrono::steady_clock::now() - m0)
                   .count() /
               predictions;
  }
  const std::vector<Variant> vs = variants(table.epochs());
  std::vector<std::vector<RunResult>> results(vs.size(),
                                              std::vector<RunResult>(runs));
  std::atomic<size_t> next_job{0};
  std::mutex error_mu;
  std::string error;
  const auto t0 = std::chrono::steady_clock::now();
  auto worker = [&] {
    for (;;) {
      const size_t job = next_job++;
      if (job >= vs.size() * static_cast<size_t>(runs)) return;
      const size_t v = job / static_cast<size_t>(runs);
      const int seed = static_cast<int>(job % static_cast<size_t>(runs));
      try {
        // Each configuration its own seeds (tuner and manager).
        results[v][static_cast<size_t>(seed)] =
            run_one(vs[v], table, space_file, 1000 * static_cast<int>(v) + seed,
                    trials, worst);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(error_mu);
        error =
            vs[v].tuner_label + "+" + vs[v].assessor_label + ": " + e.what();
      }
    }
  };
  // The managers log every start and stop on stdout: silence them while
  // the runs go (the table goes to stdout afterwards).
  std::fflush(stdout);
  const int saved_stdout = ::dup(1);
  const int null_fd = ::open("/dev/null", O_WRONLY);
  ::dup2(null_fd, 1);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  std::fflush(stdout);
  ::dup2(saved_stdout, 1);
  ::close(saved_stdout);
  ::close(null_fd);
  if (!error.empty()) throw std::runtime_error(error);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();

  std::vector<Summary> sums(vs.size());
  for (size_t v = 0; v < vs.size(); ++v) {
    Summary& s = sums[v];
    s.mean_best.assign(static_cast<size_t>(trials), 0);
    for (const RunResult& r : results[v]) {
      for (int t = 0; t < trials; ++t)
        s.mean_best[static_cast<size_t>(t)] +=
            r.best_at[static_cast<size_t>(t)] / runs;
      s.final_best.push_back(r.best_at.back());
      s.started += static_cast<double>(r.started) / runs;
      s.stopped += static_cast<double>(r.stopped) / runs;
    }
  }
  const int e = table.epochs();
  std::vector<int> marks = {10, 25, 50, 100};
  marks.erase(std::remove_if(marks.begin(), marks.end(),
                             [&](int m) { return m > trials; }),
              marks.end());
  std::ostringstream md;
  md << "Recorded curves: `bench/data/fmnist_curves/curves.json`, "
     << table.size() << " architectures (the whole space) x " << e
     << " epochs, best final validation accuracy in the table "
     << fixed(table.best(), 2) << "%. " << runs
     << " seeded runs per row (seeds differ between rows), " << kConcurrency
     << " trials at a time, each run spending up to " << trials
     << " full trials' epochs (" << trials * e
     << "). Best = the best final validation accuracy of the trials that "
        "finished, mean over the runs. "
     << bench::machine_line() << " "
     << "All " << vs.size() * static_cast<size_t>(runs) << " runs took "
     << fixed(seconds, 0) << " s. Curvefitting's curve model takes "
     << fixed(model_ms, 2) << " ms per prediction on these curves (4 to "
     << table.epochs() - 1 << " results).\n\n";
  md << "| tuner | assessor | trials started | stopped early |";
  for (int m : marks) md << " best at " << m * e << " epochs |";
  md << " best at the budget (mean ± std) |\n|---|---|---|---|";
  for (size_t i = 0; i < marks.size(); ++i) md << "---|";
  md << "---|\n";
  for (size_t v = 0; v < vs.size(); ++v) {
    const Summary& s = sums[v];
    md << "| " << vs[v].tuner_label << " | " << vs[v].assessor_label << " | "
       << fixed(s.started, 1) << " | " << fixed(s.stopped, 1) << " |";
    for (int m : marks)
      md << " " << fixed(s.mean_best[static_cast<size_t>(m - 1)], 3) << " |";
    md << " " << bench::mean_std(s.final_best, 3) << " |\n";
  }
  md << "\nEpochs needed to reach the same tuner's best without an assessor "
        "at N full trials (share of its N x "
     << e << " epochs; \"—\": not reached within " << trials * e
     << " epochs):\n\n| tuner | assessor |";
  for (int m : marks) md << " N = " << m << " |";
  md << "\n|---|---|";
  for (size_t i = 0; i < marks.size(); ++i) md << "---|";
  md << "\n";
  for (size_t v = 0; v < vs.size(); ++v) {
    if (vs[v].assessor_label == "none") continue;
    const Summary& base = sums[v % 2];  // "none" rows come first, per tuner
    md << "| " << vs[v].tuner_label << " | " << vs[v].assessor_label << " |";
    for (int m : marks) {
      const int at = reach(sums[v], base.mean_best[static_cast<size_t>(m - 1)]);
      if (at == 0) {
        md << " — |";
      } else {
        md << " " << at * e << " (" << fixed(100.0 * at / m, 0) << "%) |";
      }
    }
    md << "\n";
  }
  bench::publish(ARCHER_DOCS_DIR, "early_stopping", md.str(), write);
  return 0;
}

}  // namespace
}  // namespace archer

int main(int argc, char** argv) {
  return archer::bench::guarded_main(
      "early_stopping_bench", [&] { return archer::main_impl(argc, argv); });
}
