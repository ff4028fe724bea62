// Multi-objective search quality on NAS-Bench-201: accuracy against parameter
// count. Every tuner searches the cell through the Tuner interface the manager
// uses; a query is answered from the accuracy table's validation column and
// the cost table (bench/data/nb201_costs/, measured by nb201_costs from the
// network built in LibTorch). After 25/50/100/200 queries, the front the
// search reports — the queried architectures no other queried one beats on
// validation accuracy and parameters — is scored on the test column: its
// hypervolume as a percentage of the exhaustive front's (all 15,625 cells,
// test column), both with accuracy scaled to [0, 1] between the table's worst
// and best and parameters between the smallest and the largest network, the
// reference point being (worst accuracy, largest network).
//
// Tuners: ParetoEvolution (both selections), Random, and Regularized
// Evolution (P=10, S=3) on a scalarised reward: scaled validation accuracy
// minus scaled parameters, equal weights. 500 seeded runs each (a hash of the
// label and the run), sequential trials.
//
//   nb201_pareto_bench [--data CSV] [--costs CSV] [--runs N] [--threads N]
//                      [--no_write]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iostream>
#include <sstream>
#include <thread>

#include "archer/tuner.h"
#include "bench_util.h"
#include "common/pareto.h"
#include "nb201_table.h"

namespace archer {
namespace {

const int kBudgets[] = {25, 50, 100, 200};

struct Problem {
  std::string name;
  nb201::Dataset acc;
  nb201::Costs costs;
  double acc_lo = 0, acc_hi = 0, sig_lo = 0, sig_hi = 0, p_lo = 0, p_hi = 0;
  double exhaustive_hv = 0;
  int front_size = 0;
};

struct Config {
  std::string label, tuner;
  Json args;
  bool scalarised = false;
};

double scaled(double v, double lo, double hi) { return (v - lo) / (hi - lo); }

// The point of cell `c` (to maximise): scaled accuracy of `column`, scaled
// parameters negated into "1 - scaled".
pareto::Point point(const Problem& p, size_t c, bool test) {
  const double a = test ? scaled(p.acc.report_of[c], p.acc_lo, p.acc_hi)
                        : scaled(p.acc.signal_of[c], p.sig_lo, p.sig_hi);
  return {a, 1.0 - scaled(p.costs.params[c], p.p_lo, p.p_hi)};
}

void prepare(Problem& p) {
  auto range = [](const std::vector<double>& v, double& lo, double& hi) {
    lo = *std::min_element(v.begin(), v.end());
    hi = *std::max_element(v.begin(), v.end());
  };
  range(p.acc.report_of, p.acc_lo, p.acc_hi);
  range(p.acc.signal_of, p.sig_lo, p.sig_hi);
  range(p.costs.params, p.p_lo, p.p_hi);
  std::vector<pareto::Point> all;
  for (size_t c = 0; c < nb201::kCells; ++c) all.push_back(point(p, c, true));
  p.front_size = static_cast<int>(pareto::front(all).size());
  // The reference is (0, 0): the worst accuracy, the largest network; the
  // worst points sit on it and add nothing.
  p.exhaustive_hv = pareto::hypervolume(all, {0, 0});
}

// The reported front's test hypervolume (% of the exhaustive one) after
// each budget.
std::vector<double> one_run(const Config& cfg, const Problem& p,
                            const SearchSpace& space, std::uint64_t seed) {
  Json args = cfg.args;
  args["seed"] = seed;
  auto tuner = create_tuner(cfg.tuner, args).value();
  if (!tuner->update_search_space(space).is_ok())
    throw std::runtime_error("space");
  std::vector<size_t> queried;
  std::vector<double> out;
  size_t next = 0;
  for (int i = 0; i < kBudgets[3]; ++i) {
    Proposal prop = tuner->generate_parameters(i);
    if (prop.kind != Proposal::Kind::kReady) break;
    const size_t c = static_cast<size_t>(nb201::code_of(prop.architecture));
    const pareto::Point v = point(p, c, false);
    if (cfg.scalarised) {
      tuner->receive_trial_result(i, prop.architecture, v[0] + v[1] - 1.0);
    } else {
      tuner->receive_trial_results(i, prop.architecture, v);
    }
    tuner->trial_end(i, true);
    queried.push_back(c);
    if (i + 1 == kBudgets[next]) {
      std::vector<pareto::Point> seen;
      for (size_t q : queried) seen.push_back(point(p, q, false));
      std::vector<pareto::Point> reported;
      for (size_t f : pareto::front(seen))
        reported.push_back(point(p, queried[f], true));
      out.push_back(100.0 * pareto::hypervolume(reported, {0, 0}) /
                    p.exhaustive_hv);
      ++next;
    }
  }
  while (out.size() < 4) out.push_back(out.empty() ? 0 : out.back());
  return out;
}

std::string usage() {
  return "usage: nb201_pareto_bench [--data CSV] [--costs CSV] [--runs N] "
         "[--threads N] [--no_write]";
}

int run_main(int argc, char** argv) {
  std::string data =
      std::string(ARCHER_SHARED_DIR) + "/data/nasbench201/nb201_hp12.csv";
  std::string costs_path = std::string(ARCHER_SOURCE_DIR) +
                           "/bench/data/nb201_costs/nb201_costs.csv";
  int runs = 500, threads = 2;
  bool write = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        throw std::invalid_argument(a + " needs a value; " + usage());
      return argv[++i];
    };
    if (a == "--data") {
      data = next();
    } else if (a == "--costs") {
      costs_path = next();
    } else if (a == "--runs") {
      runs = std::max(2, std::stoi(next()));
    } else if (a == "--threads") {
      threads = std::max(1, std::stoi(next()));
    } else if (a == "--no_write") {
      write = false;
    } else {
      throw std::invalid_argument("unknown flag " + a + "; " + usage());
    }
  }
  std::vector<nb201::Dataset> accs = {
      {"CIFAR-10", "cifar10_valid_xvalid_hp12", "cifar10_oritest_hp12", {}, {}},
      {"CIFAR-100", "cifar100_xvalid_hp12", "cifar100_xtest_hp12", {}, {}},
      {"ImageNet16-120",
       "imagenet16_xvalid_hp12",
       "imagenet16_xtest_hp12",
       {},
       {}}};
  Status st = nb201::load_table(data, accs);
  if (!st.is_ok()) throw std::runtime_error(st.message());
  const char* cost_names[] = {"cifar10", "cifar100", "imagenet16"};
  std::vector<Problem> problems(3);
  for (size_t d = 0; d < 3; ++d) {
    problems[d].name = accs[d].name;
    problems[d].acc = accs[d];
    st = nb201::load_costs(costs_path, cost_names[d], problems[d].costs);
    if (!st.is_ok()) throw std::runtime_error(st.message());
    prepare(problems[d]);
  }
  const SearchSpace space = nb201::nb201_space();
  const std::vector<Config> configs = {
      {"ParetoEvolution", "ParetoEvolution", Json::object(), false},
      {"ParetoEvolution aging", "ParetoEvolution", Json{{"selection", "aging"}},
       false},
      {"Random", "Random", Json::object(), false},
      {"RE scalarised P=10 S=3", "RegularizedEvolutionTuner",
       Json{{"population_size", 10}, {"sample_size", 3}}, true}};
  // results[problem][config][budget] = per-run values
  std::vector<std::vector<std::vector<std::vector<double>>>> results(
      problems.size(),
      std::vector<std::vector<std::vector<double>>>(
          configs.size(), std::vector<std::vector<double>>(4)));
  const auto start = std::chrono::steady_clock::now();
  for (size_t d = 0; d < problems.size(); ++d) {
    for (size_t k = 0; k < configs.size(); ++k) {
      std::vector<std::vector<double>> per_run(static_cast<size_t>(runs));
      std::atomic<int> next{0};
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
          for (int r; (r = next++) < runs;) {
            per_run[static_cast<size_t>(r)] =
                one_run(configs[k], problems[d], space,
                        nb201::seed_for(configs[k].label, r));
          }
        });
      }
      for (auto& t : pool) t.join();
      for (const auto& v : per_run) {
        for (size_t b = 0; b < 4; ++b) results[d][k][b].push_back(v[b]);
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::ostringstream md;
  std::string machine = bench::machine_line();
  if (!machine.empty() && machine.back() == '.') machine.pop_back();
  md << machine << "; " << runs << " runs per tuner and dataset, "
     << static_cast<int>(seconds) << " s in all.\n\n"
     << "Hypervolume (accuracy vs parameters) of the front each search "
        "reports, as % of the exhaustive front's (mean ± std over runs):\n\n"
     << "| dataset | tuner | 25 | 50 | 100 | 200 "
        "|\n|---|---|---|---|---|---|\n";
  for (size_t d = 0; d < problems.size(); ++d) {
    for (size_t k = 0; k < configs.size(); ++k) {
      md << "| " << problems[d].name << " | " << configs[k].label;
      for (size_t b = 0; b < 4; ++b)
        md << " | " << bench::mean_std(results[d][k][b]);
      md << " |\n";
    }
  }
  md << "\nThe goal — ParetoEvolution at 100 queries beats Random at 200 and "
        "scalarised RE at 100 — as differences of the means (± standard "
        "error):\n\n"
     << "| dataset | exhaustive front (cells) | ParetoEvolution@100 − "
        "Random@200 | ParetoEvolution@100 − scalarised RE@100 | met |\n"
        "|---|---|---|---|---|\n";
  bool all_met = true;
  for (size_t d = 0; d < problems.size(); ++d) {
    const auto& mo = results[d][0][2];
    const auto& rnd = results[d][2][3];
    const auto& re = results[d][3][2];
    const bool met =
        bench::mean(mo) > bench::mean(rnd) && bench::mean(mo) > bench::mean(re);
    all_met = all_met && met;
    md << "| " << problems[d].name << " | " << problems[d].front_size << " | "
       << bench::difference(mo, rnd) << " | " << bench::difference(mo, re)
       << " | " << (met ? "yes" : "**no**") << " |\n";
  }
  md << "\nGoal "
     << (all_met ? "met on all three datasets"
                 : "**missed**: not met on every dataset")
     << ".\n";
  bench::publish(ARCHER_DOCS_DIR, "nb201_pareto", md.str(), write);
  return 0;
}

}  // namespace
}  // namespace archer

int main(int argc, char** argv) {
  return archer::bench::guarded_main(
      "nb201_pareto_bench", [&] { return archer::run_main(argc, argv); });
}
