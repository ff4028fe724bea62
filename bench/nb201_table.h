// The NAS-Bench-201 table for the benchmarks (../shared/data/nasbench201/):
// the cell as a classic-NAS space (6 layer choices of 5 ops, edges in the
// cell string's order), architecture codes (base 5 of the 6 ops), loading
// the accuracy columns (a table with a cell twice, or without all 15,625, is
// refused) and the cost table (bench/data/nb201_costs/), and the seeds each
// configuration draws.
#ifndef ARCHER_BENCH_NB201_TABLE_H_
#define ARCHER_BENCH_NB201_TABLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "archer/search_space.h"
#include "archer/status.h"

namespace archer {
namespace nb201 {

extern const std::vector<std::string> kOps;
constexpr int kCells = 15625;

struct Dataset {
  std::string name, signal, report;
  std::vector<double> signal_of,
      report_of;  // by architecture code (base-5 of 6 ops)
};

SearchSpace nb201_space();
int code_of(const Architecture& a);
// "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|...|" -> code, or -1.
int code_of_cell(const std::string& cell);
// The op index of each of the 6 edges of `code`.
std::vector<int> ops_of(int code);
std::vector<std::string> split(const std::string& line, char sep);
// Fills each dataset's signal_of/report_of from the table's columns.
Status load_table(const std::string& path, std::vector<Dataset>& datasets);

// Per-cell costs (params and MACs of one image) for each dataset, by code.
struct Costs {
  std::vector<double> params, macs;
};
// bench/data/nb201_costs/nb201_costs.csv; `dataset` is cifar10, cifar100 or
// imagenet16.
Status load_costs(const std::string& path, const std::string& dataset,
                  Costs& costs);

// The configuration's own seed for run `run`: FNV-1a of its label, mixed.
std::uint64_t seed_for(const std::string& label, int run);

}  // namespace nb201
}  // namespace archer

#endif  // ARCHER_BENCH_NB201_TABLE_H_
