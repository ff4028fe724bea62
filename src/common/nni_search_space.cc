#include "common/nni_search_space.h"

#include <cmath>
#include <set>

#include "archer/search_space.h"

namespace archer {

namespace {

const std::set<std::string>& numeric_types() {
  static const std::set<std::string> types = {
      "randint", "uniform", "quniform",  "loguniform", "qloguniform",
      "normal",  "qnormal", "lognormal", "qlognormal"};
  return types;
}

bool is_classic(const std::string& type) {
  return type == "layer_choice" || type == "input_choice";
}

Status bad(const std::string& where, const std::string& what) {
  return Status::invalid_argument(where + ": " + what);
}

Status check_space(const Json& space, const std::string& where);

Status check_choice(const Json& values, const std::string& where) {
  if (values.empty()) return bad(where, "choice has no candidates");
  bool nested = false, plain = false;
  for (size_t i = 0; i < values.size(); ++i) {
    const Json& v = values[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (v.is_number() || v.is_string()) {
      plain = true;
      continue;
    }
    if (!v.is_object() || !v.contains("_name")) {
      return bad(at,
                 "expected a number, a string or a nested space "
                 "{\"_name\": ..., <key>: {\"_type\": ..., \"_value\": ...}}, "
                 "got " +
                     json_excerpt(v, 60));
    }
    nested = true;
    Json sub = v;
    sub.erase("_name");
    Status st = check_space(sub, at);
    if (!st.is_ok()) return st;
  }
  if (nested && plain)
    return bad(where, "choice mixes nested spaces with plain values");
  return Status::ok();
}

Status check_numeric(const std::string& type, const Json& values,
                     const std::string& where) {
  const size_t want = type[0] == 'q' ? 3 : 2;
  const std::string form = type.find("normal") != std::string::npos
                               ? (want == 3 ? "[mu, sigma, q]" : "[mu, sigma]")
                               : (want == 3 ? "[low, high, q]" : "[low, high]");
  if (values.size() != want)
    return bad(where,
               type + " expects " + form + ", got " + json_excerpt(values, 60));
  for (const auto& v : values) {
    if (type == "randint" ? !v.is_number_integer() : !v.is_number())
      return bad(where, type + " expects " +
                            (type == "randint" ? "integers" : "numbers") + " " +
                            form + ", got " + json_excerpt(values, 60));
    if (!std::isfinite(v.get<double>()))
      return bad(where, type + " expects finite numbers");
  }
  const double a = values[0].get<double>(), b = values[1].get<double>();
  if (type.find("normal") != std::string::npos) {
    if (b <= 0) return bad(where, type + " expects sigma > 0");
  } else {
    if (a >= b) return bad(where, type + " expects low < high");
    if (type.find("log") != std::string::npos && a <= 0)
      return bad(where, type + " expects low > 0");
  }
  if (want == 3 && values[2].get<double>() <= 0)
    return bad(where, type + " expects q > 0");
  return Status::ok();
}

Status check_entry(const std::string& key, const Json& entry,
                   const std::string& where) {
  if (!entry.is_object() || !entry.contains("_type") ||
      !entry.contains("_value"))
    return bad(where, "expected {\"_type\": ..., \"_value\": ...}, got " +
                          json_excerpt(entry, 60));
  if (!entry["_type"].is_string())
    return bad(where, "\"_type\" must be a string, got " +
                          json_excerpt(entry["_type"], 40));
  const std::string type = entry["_type"].get<std::string>();
  if (is_classic(type)) {
    auto one = SearchSpace::from_json(Json{{key, entry}}, where);
    return one.status();
  }
  const Json& values = entry["_value"];
  if (type != "choice" && !numeric_types().count(type))
    return bad(where,
               "unknown \"_type\" " + json_excerpt(entry["_type"], 40) +
                   " (expected choice, randint, uniform, quniform, "
                   "loguniform, qloguniform, normal, qnormal, lognormal, "
                   "qlognormal, layer_choice or input_choice)");
  if (!values.is_array())
    return bad(where,
               "\"_value\" must be a list, got " + json_excerpt(values, 40));
  return type == "choice" ? check_choice(values, where)
                          : check_numeric(type, values, where);
}

Status check_space(const Json& space, const std::string& where) {
  if (!space.is_object())
    return bad(where,
               "expected a mapping of names to {\"_type\", "
               "\"_value\"}, got " +
                   json_excerpt(space, 40));
  for (auto it = space.begin(); it != space.end(); ++it) {
    Status st = check_entry(it.key(), it.value(), where + "." + it.key());
    if (!st.is_ok()) return st;
  }
  return Status::ok();
}

}  // namespace

Status validate_nni_search_space(const Json& space, const std::string& source) {
  if (space.is_object() && space.empty())
    return bad(source, "the search space is empty");
  return check_space(space, source);
}

std::optional<std::string> first_non_classic_entry(const Json& space) {
  if (!space.is_object()) return std::nullopt;
  for (auto it = space.begin(); it != space.end(); ++it) {
    const Json& e = it.value();
    const std::string type =
        e.is_object() && e.contains("_type") && e["_type"].is_string()
            ? e["_type"].get<std::string>()
            : "";
    if (!is_classic(type))
      return "'" + it.key() + "' (" + (type.empty() ? "no _type" : type) + ")";
  }
  return std::nullopt;
}

Status check_native_tuner_space(const Json& space, const std::string& source,
                                const std::string& tuner) {
  if (space.is_object() && space.empty()) {
    return bad(source,
               "the search space is empty: expected at least one choice (a "
               "model declares them with LayerChoice and InputChoice; "
               "`archer ss_gen` writes the space a trial declares)");
  }
  const std::optional<std::string> other = first_non_classic_entry(space);
  if (!other) return Status::ok();
  return Status::invalid_argument(
      source + ": entry " + *other + ": tuner " + tuner +
      " is Archer's own and searches classic-NAS choices (layer_choice, "
      "input_choice) only; NNI's tuners search every NNI type: e.g. "
      "tuner: {name: TPE}, run by NNI's dispatcher "
      "(docs/nni-compatibility.md)");
}

}  // namespace archer
