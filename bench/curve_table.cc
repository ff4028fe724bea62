#include "curve_table.h"

#include <algorithm>

namespace archer {
namespace bench {

std::string CurveTable::key(const Json& parameters) {
  std::string k;
  for (const auto& [name, choice] : parameters.items()) {
    const Json& v = choice.is_object() && choice.contains("_value")
                        ? choice["_value"]
                        : choice;
    k += name + "=" + dumps(v) + ";";
  }
  return k;
}

StatusOr<CurveTable> CurveTable::load(const std::string& path) {
  auto json = load_json_file(path);
  if (!json.is_ok()) return json.status();
  if (!json.value().is_array())
    return Status::invalid_argument(path + ": expected a JSON list of trials");
  CurveTable table;
  size_t index = 0;
  for (const Json& record : json.value()) {
    const std::string where = path + ": record " + std::to_string(index++);
    if (!record.is_object() || record.value("status", "") != "SUCCEEDED" ||
        !record.contains("parameter") || !record["intermediate"].is_array() ||
        !record["value"].is_string()) {
      return Status::invalid_argument(
          where +
          ": expected a SUCCEEDED trial with \"parameter\", "
          "\"intermediate\" and \"value\"");
    }
    Curve curve;
    std::vector<std::string> texts =
        record["intermediate"].get<std::vector<std::string>>();
    texts.push_back(record["value"].get<std::string>());
    for (const std::string& text : texts) {
      auto m = parse_json(text, where);
      if (!m.is_ok()) return m.status();
      if (!m.value().is_object() || !m.value()["default"].is_number() ||
          !m.value()["seconds"].is_number()) {
        return Status::invalid_argument(
            where +
            ": expected metrics {\"default\": accuracy, \"seconds\": "
            "s}, got " +
            text);
      }
      curve.accuracy.push_back(m.value()["default"].get<double>());
      curve.seconds.push_back(m.value()["seconds"].get<double>());
      curve.metrics.push_back(text);
    }
    const int epochs = static_cast<int>(curve.accuracy.size());
    if (table.epochs_ == 0) table.epochs_ = epochs;
    if (epochs != table.epochs_) {
      return Status::invalid_argument(where + ": " + std::to_string(epochs) +
                                      " epochs, the others have " +
                                      std::to_string(table.epochs_));
    }
    const std::string k = key(record["parameter"]);
    if (!table.curves_.emplace(k, std::move(curve)).second)
      return Status::invalid_argument(where + ": architecture repeated (" + k +
                                      ")");
  }
  if (table.curves_.empty())
    return Status::invalid_argument(path + ": no trials");
  return table;
}

const Curve* CurveTable::find(const Json& parameters) const {
  auto it = curves_.find(key(parameters));
  return it == curves_.end() ? nullptr : &it->second;
}

double CurveTable::best() const {
  double best = -1e300;
  for (const auto& [k, c] : curves_) best = std::max(best, c.accuracy.back());
  return best;
}

double CurveTable::worst() const {
  double worst = 1e300;
  for (const auto& [k, c] : curves_) worst = std::min(worst, c.accuracy.back());
  return worst;
}

}  // namespace bench
}  // namespace archer
