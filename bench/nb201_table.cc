#include "nb201_table.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace archer {
namespace nb201 {

const std::vector<std::string> kOps = {"none", "skip_connect", "nor_conv_1x1",
                                       "nor_conv_3x3", "avg_pool_3x3"};

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
    if (!std::isnan(datasets.front().signal_of[static_cast<size_t>(code)])) {
      return Status::invalid_argument(
          path + ": cell " + f.at(static_cast<size_t>(cell_col)) +
          " appears twice (row " + std::to_string(rows + 2) +
          "): a table with duplicated cells would bias every tuner");
    }
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

// The configuration's own seed for run `run`: FNV-1a of its label, mixed.
std::uint64_t seed_for(const std::string& label, int run) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : label) h = (h ^ c) * 1099511628211ULL;
  h ^= static_cast<std::uint64_t>(run) * 0x9E3779B97F4A7C15ULL;
  h = (h ^ (h >> 31)) * 0xBF58476D1CE4E5B9ULL;
  return (h ^ (h >> 29)) & 0xFFFFFFFFULL;  // classArgs.seed's range
}

std::vector<int> ops_of(int code) {
  std::vector<int> ops(6);
  for (int i = 5; i >= 0; --i) {
    ops[static_cast<size_t>(i)] = code % 5;
    code /= 5;
  }
  return ops;
}

Status load_costs(const std::string& path, const std::string& dataset,
                  Costs& costs) {
  std::ifstream in(path);
  if (!in) return Status::not_found(path + ": cannot open the cost table");
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split(line, ',');
  int p = -1, m = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "params_" + dataset) p = static_cast<int>(i);
    if (header[i] == "macs_" + dataset) m = static_cast<int>(i);
  }
  if (p < 0 || m < 0 || header.empty() || header[0] != "index")
    return Status::invalid_argument(path + ": no index, params_" + dataset +
                                    " and macs_" + dataset + " columns");
  costs.params.assign(kCells, NAN);
  costs.macs.assign(kCells, NAN);
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const std::vector<std::string> f = split(line, ',');
    const int code = std::stoi(f.at(0));
    if (code < 0 || code >= kCells ||
        !std::isnan(costs.params[static_cast<size_t>(code)]))
      return Status::invalid_argument(path + ": bad or repeated code in " +
                                      line);
    costs.params[static_cast<size_t>(code)] =
        std::stod(f.at(static_cast<size_t>(p)));
    costs.macs[static_cast<size_t>(code)] =
        std::stod(f.at(static_cast<size_t>(m)));
    ++rows;
  }
  if (rows != kCells)
    return Status::invalid_argument(path + ": expected 15625 cells, read " +
                                    std::to_string(rows));
  return Status::ok();
}

}  // namespace nb201
}  // namespace archer
