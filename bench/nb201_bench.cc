// Search quality on NAS-Bench-201 (12-epoch table): every tuner, through the
// same Tuner interface the manager uses, searches the NAS-Bench-201 cell as a
// classic-NAS space (6 layer choices of 5 ops). Each query is answered from the
// table's validation column; reported is the test column of the
// best-by-validation architecture after 25/50/100/200 queries, as mean±std over
// independent runs (seeds 0..runs-1).
//
//   nb201_bench [--data CSV] [--runs N] [--ppo_runs N] [--threads N]
//               [--dataset NAME=SIGNAL_COLUMN:REPORT_COLUMN]... [--no_write]
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "bench_util.h"
#include "tuner/ppo/ppo_tuner.h"
#include "tuner/simulator.h"

namespace archer {
namespace {

const std::vector<std::string> kOps = {"none", "skip_connect", "nor_conv_1x1",
                                       "nor_conv_3x3", "avg_pool_3x3"};
const int kBudgets[] = {25, 50, 100, 200};

struct Dataset {
  std::string name, signal, report;
  std::vector<double> signal_of,
      report_of;  // by architecture code (base-5 of 6 ops)
};

struct TunerConfig {
  std::string label, name;
  Json args;
  bool ppo;
};

SearchSpace nb201_space() {
  // Edges in the cell string's order: (0->1), (0->2), (1->2), (0->3), (1->3),
  // (2->3).
  const char* edges[] = {"edge_0_1", "edge_0_2", "edge_1_2",
                         "edge_0_3", "edge_1_3", "edge_2_3"};
  SearchSpace s;
  for (const char* e : edges) {
    Status st = s.add(Choice{e, ChoiceType::kLayerChoice, kOps, std::nullopt});
    if (!st.is_ok()) throw std::runtime_error(st.message());
  }
  return s;
}

int code_of(const Architecture& a) {
  int code = 0;
  for (size_t i = 0; i < a.size(); ++i) code = code * 5 + a[i][0];
  return code;
}

// "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|...|" -> code, or -1.
int code_of_cell(const std::string& cell) {
  int code = 0, count = 0;
  size_t pos = 0;
  while ((pos = cell.find('|', pos)) != std::string::npos) {
    size_t end = cell.find('|', pos + 1);
    if (end == std::string::npos) break;
    std::string token = cell.substr(pos + 1, end - pos - 1);
    pos = end;
    if (token == "+" || token.empty()) continue;
    std::string op = token.substr(0, token.find('~'));
    auto it = std::find(kOps.begin(), kOps.end(), op);
    if (it == kOps.end()) return -1;
    code = code * 5 + static_cast<int>(it - kOps.begin());
    ++count;
    if (token.find('~') == std::string::npos) return -1;
  }
  // The cell string lists edges as (0->1) | (0->2) (1->2) | (0->3) (1->3)
  // (2->3).
  return count == 6 ? code : -1;
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

Status load_table(const std::string& path, std::vector<Dataset>& datasets) {
  std::ifstream in(path);
  if (!in)
    return Status::not_found(path + ": cannot open the NAS-Bench-201 table");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header = split(line, ',');
  auto column = [&](const std::string& name) -> int {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return static_cast<int>(i);
    }
    return -1;
  };
  int cell_col = column("arch_str");
  if (cell_col < 0)
    return Status::invalid_argument(path + ": no arch_str column");
  std::vector<std::pair<int, int>> cols;
  for (auto& d : datasets) {
    int s = column(d.signal), r = column(d.report);
    if (s < 0 || r < 0) {
      return Status::invalid_argument(path + ": no column '" +
                                      (s < 0 ? d.signal : d.report) +
                                      "' (dataset " + d.name + ")");
    }
    cols.push_back({s, r});
    d.signal_of.assign(15625, NAN);
    d.report_of.assign(15625, NAN);
  }
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f = split(line, ',');
    int code = code_of_cell(f.at(static_cast<size_t>(cell_col)));
    if (code < 0)
      return Status::invalid_argument(path + ": bad cell string in row " +
                                      line);
    for (size_t i = 0; i < datasets.size(); ++i) {
      datasets[i].signal_of[static_cast<size_t>(code)] =
          std::stod(f.at(static_cast<size_t>(cols[i].first)));
      datasets[i].report_of[static_cast<size_t>(code)] =
          std::stod(f.at(static_cast<size_t>(cols[i].second)));
    }
    ++rows;
  }
  if (rows != 15625) {
    return Status::invalid_argument(path + ": expected 15625 cells, read " +
                                    std::to_string(rows));
  }
  return Status::ok();
}

// One run: reported test accuracy after each budget.
std::vector<double> one_run(const TunerConfig& cfg, const Dataset& data,
                            const SearchSpace& space, std::uint64_t seed) {
  Json args = cfg.args;
  args["seed"] = seed;
  auto tuner = create_tuner(cfg.name, args).value();
  if (!tuner->update_search_space(space).is_ok())
    throw std::runtime_error("space");
  auto result = tuner::simulate(
      *tuner,
      [&](const Architecture& a) {
        return std::optional<double>(
            data.signal_of[static_cast<size_t>(code_of(a))]);
      },
      kBudgets[3], 1);
  std::vector<double> out;
  double best = -1e300, report = NAN;
  size_t next_budget = 0;
  for (size_t i = 0; i < result.trials.size(); ++i) {
    const auto& t = result.trials[i];
    if (*t.reward > best) {
      best = *t.reward;
      report = data.report_of[static_cast<size_t>(code_of(t.architecture))];
    }
    if (static_cast<int>(i + 1) == kBudgets[next_budget]) {
      out.push_back(report);
      if (++next_budget == 4) break;
    }
  }
  while (out.size() < 4)
    out.push_back(report);  // an exhausted tuner keeps its best
  return out;
}

std::string usage() {
  return "usage: nb201_bench [--data CSV] [--runs N] [--ppo_runs N] [--threads "
         "N] "
         "[--dataset NAME=SIGNAL:REPORT]... [--no_write]";
}

int run_main(int argc, char** argv) {
  std::string data_path =
      std::string(ARCHER_SHARED_DIR) + "/data/nasbench201/nb201_hp12.csv";
  int runs = 500, ppo_runs = 100, threads = 2;
  bool write = true;
  std::vector<Dataset> datasets;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        throw std::invalid_argument(a + " needs a value; " + usage());
      return argv[++i];
    };
    if (a == "--data") {
      data_path = next();
    } else if (a == "--runs") {
      runs = std::stoi(next());
    } else if (a == "--ppo_runs") {
      ppo_runs = std::stoi(next());
    } else if (a == "--threads") {
      threads = std::max(1, std::stoi(next()));
    } else if (a == "--no_write") {
      write = false;
    } else if (a == "--dataset") {
      std::string v = next();
      size_t eq = v.find('='), colon = v.find(':');
      if (eq == std::string::npos || colon == std::string::npos || colon < eq) {
        throw std::invalid_argument(
            "--dataset expects NAME=SIGNAL_COLUMN:REPORT_COLUMN, got " + v);
      }
      datasets.push_back({v.substr(0, eq),
                          v.substr(eq + 1, colon - eq - 1),
                          v.substr(colon + 1),
                          {},
                          {}});
    } else {
      throw std::invalid_argument("unknown flag " + a + "; " + usage());
    }
  }
  if (datasets.empty()) {
    datasets = {
        {"CIFAR-10",
         "cifar10_valid_xvalid_hp12",
         "cifar10_oritest_hp12",
         {},
         {}},
        {"CIFAR-100", "cifar100_xvalid_hp12", "cifar100_xtest_hp12", {}, {}},
        {"ImageNet16-120",
         "imagenet16_xvalid_hp12",
         "imagenet16_xtest_hp12",
         {},
         {}}};
  }
  Status st = load_table(data_path, datasets);
  if (!st.is_ok()) throw std::runtime_error(st.message());
  torch::set_num_threads(1);
  register_ppo_tuner();
  const SearchSpace space = nb201_space();
  const std::vector<TunerConfig> configs = {
      {"Random (no repeats)", "Random", Json::object(), false},
      {"RE P=10 S=3", "RegularizedEvolutionTuner",
       Json{{"population_size", 10}, {"sample_size", 3}}, false},
      {"RE P=10 S=3 skip_duplicates", "RegularizedEvolutionTuner",
       Json{{"population_size", 10},
            {"sample_size", 3},
            {"skip_duplicates", true}},
       false},
      {"RE defaults (P=100 S=25)", "RegularizedEvolutionTuner", Json::object(),
       false},
      {"PPO defaults", "PPOTuner", Json::object(), true},
      {"PPO tpu=10 mb=5 lr=3e-3", "PPOTuner",
       Json{{"trials_per_update", 10}, {"minibatch_size", 5}, {"lr", 0.003}},
       true},
  };
  std::ostringstream md;
  md << bench::machine_line() << " `nb201_bench --runs " << runs
     << " --ppo_runs " << ppo_runs
     << "`: test accuracy (%) of the best-by-validation architecture, mean±std "
        "over runs; "
        "concurrency 1.\n\n";
  md << "| dataset | tuner | runs | 25 | 50 | 100 | 200 | s/run "
        "|\n|---|---|---:|---|---|---|---|---:|\n";
  for (const auto& data : datasets) {
    for (const auto& cfg : configs) {
      const int n = cfg.ppo ? ppo_runs : runs;
      std::vector<std::vector<double>> per_budget(
          4, std::vector<double>(static_cast<size_t>(n)));
      std::atomic<int> next_run{0};
      auto start = std::chrono::steady_clock::now();
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
          for (int r = next_run++; r < n; r = next_run++) {
            auto res = one_run(cfg, data, space, static_cast<std::uint64_t>(r));
            for (int b = 0; b < 4; ++b)
              per_budget[static_cast<size_t>(b)][static_cast<size_t>(r)] =
                  res[static_cast<size_t>(b)];
          }
        });
      }
      for (auto& th : pool) th.join();
      double secs = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start)
                        .count();
      std::ostringstream row;
      row << "| " << data.name << " | " << cfg.label << " | " << n;
      for (int b = 0; b < 4; ++b)
        row << " | " << bench::mean_std(per_budget[static_cast<size_t>(b)]);
      char per_run[32];
      std::snprintf(per_run, sizeof(per_run), "%.3f", secs * threads / n);
      row << " | " << per_run << " |";
      std::cout << row.str() << std::endl;
      md << row.str() << "\n";
    }
  }
  md << "\nReferences from `../shared/data/nasbench201/README.md` (500 runs, "
        "same table): "
        "CIFAR-10 random 87.21/87.72/88.11/88.32, REA (P=10, S=3) "
        "87.17/87.87/88.36/88.69; "
        "CIFAR-100 random 56.64/57.99/58.95/59.51, REA "
        "56.53/58.67/59.78/60.47; "
        "ImageNet16-120 random 32.80/34.07/34.99/35.53, REA "
        "32.70/34.86/36.00/36.78 "
        "(at 25/50/100/200 queries). Ceiling: 89.03 / 61.04 / 38.27.\n";
  if (write) {
    Status w = bench::update_markdown_section(
        std::string(ARCHER_DOCS_DIR) + "/benchmarks.md", "nb201", md.str());
    if (!w.is_ok()) throw std::runtime_error(w.message());
    std::cout << "wrote docs/benchmarks.md (section nb201)" << std::endl;
  }
  return 0;
}

}  // namespace
}  // namespace archer

int main(int argc, char** argv) {
  try {
    return archer::run_main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "nb201_bench: error: " << e.what() << std::endl;
    return 1;
  }
}
