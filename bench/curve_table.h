// The learning-curve table (bench/data/fmnist_curves): every architecture of a
// search space with its validation accuracy and seconds after each epoch, read
// from the JSON `archer experiment export --intermediate` wrote (one record
// per trial: "parameter", "status", "intermediate" and "value", each metric
// a {"default": accuracy, "seconds": s} dict).
#ifndef ARCHER_BENCH_CURVE_TABLE_H_
#define ARCHER_BENCH_CURVE_TABLE_H_

#include <map>
#include <string>
#include <vector>

#include "archer/json.h"
#include "archer/status.h"

namespace archer {
namespace bench {

struct Curve {
  std::vector<double> accuracy;      // after epoch 1, 2, ... (the last: final)
  std::vector<double> seconds;       // each epoch's training + validation
  std::vector<std::string> metrics;  // the metric JSON texts, as reported
};

class CurveTable {
 public:
  // Refuses (naming the file and record) a record that did not succeed, has
  // no per-epoch results, a different number of epochs than the others, or
  // an architecture already in the table.
  static StatusOr<CurveTable> load(const std::string& path);
  // The curve of `parameters` (an architecture as a trial receives it), or
  // nullptr if the table does not have it.
  const Curve* find(const Json& parameters) const;
  size_t size() const { return curves_.size(); }
  int epochs() const { return epochs_; }
  // The best and the worst final accuracy in the table.
  double best() const;
  double worst() const;
  // Every curve, by architecture.
  const std::map<std::string, Curve>& curves() const { return curves_; }

 private:
  static std::string key(const Json& parameters);
  std::map<std::string, Curve> curves_;
  int epochs_ = 0;
};

}  // namespace bench
}  // namespace archer

#endif  // ARCHER_BENCH_CURVE_TABLE_H_
