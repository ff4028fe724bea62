#include "manager/update_table.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "archer/config.h"
#include "manager/experiment_manager.h"

namespace archer {

namespace {

// An integer in 1..INT32_MAX (what the setting's type holds), from a number
// or its text; nothing is narrowed silently.
StatusOr<std::int64_t> positive_integer(const Json& v, const char* key) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
  if (v.is_number_integer()) {
    const std::optional<int> n = json_int32(v);
    if (n && *n >= 1) return *n;
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && *end == '\0' && errno == 0 && n >= 1 && n <= kMax)
      return n;
  }
  return Status::invalid_argument(
      std::string(key) + ": expected an integer in 1.." + std::to_string(kMax) +
      ", got " + json_excerpt(v));
}

Status apply_concurrency(ExperimentManager& m, const Json& v) {
  auto n = positive_integer(v, "trialConcurrency");
  if (!n.is_ok()) return n.status();
  return m.update_concurrency(static_cast<int>(n.value()));
}

Status apply_max_trial_number(ExperimentManager& m, const Json& v) {
  auto n = positive_integer(v, "maxTrialNumber");
  if (!n.is_ok()) return n.status();
  return m.update_max_trial_number(n.value());
}

Status apply_duration(ExperimentManager& m, const Json& v) {
  auto seconds = parse_duration(v);
  if (!seconds.is_ok() || !(seconds.value() > 0)) {
    return Status::invalid_argument(
        "maxExperimentDuration: expected a duration like 30m, 2h or 1.5d "
        "(or seconds), got " +
        dumps(v));
  }
  return m.update_max_experiment_duration(seconds.value());
}

Status apply_search_space(ExperimentManager& m, const Json& v) {
  Json space = v;
  if (space.is_string()) {  // NNI sends the space as JSON text
    auto parsed = parse_json(space.get<std::string>(), "searchSpace");
    if (!parsed.is_ok()) return parsed.status();
    space = parsed.value();
  }
  return m.update_search_space(space, "searchSpace");
}

template <typename T>
Json optional_json(const std::optional<T>& v) {
  return v ? Json(*v) : Json();
}

void write_concurrency(const ExperimentConfig& c, Json& out) {
  out["trialConcurrency"] = c.trial_concurrency;
}
void write_max_trial_number(const ExperimentConfig& c, Json& out) {
  out["maxTrialNumber"] = optional_json(c.max_trial_number);
}
void write_duration(const ExperimentConfig& c, Json& out) {
  // As the user wrote it ("30m") while it denotes the same duration.
  const Json& current = out.value("maxExperimentDuration", Json());
  auto seconds = parse_duration(current);
  if (c.max_experiment_duration && !current.is_null() && seconds.is_ok() &&
      seconds.value() == *c.max_experiment_duration)
    return;
  out["maxExperimentDuration"] = optional_json(c.max_experiment_duration);
}
void write_search_space(const ExperimentConfig& c, Json& out) {
  const bool inline_space = c.search_space_file.empty();
  out["searchSpace"] = inline_space ? c.search_space_json : Json();
  out["searchSpaceFile"] = inline_space ? Json() : Json(c.search_space_file);
}

}  // namespace

Json canonical_of(const ExperimentConfig& config) {
  Json canonical = config.canonical;
  for (const auto& k : update_kinds()) k.write(config, canonical);
  return canonical;
}

const std::vector<UpdateKind>& update_kinds() {
  static const std::vector<UpdateKind> kinds = {
      {"TRIAL_CONCURRENCY",
       {"trialConcurrency"},
       "concurrency",
       "trials at once (trialConcurrency)",
       apply_concurrency,
       write_concurrency},
      {"MAX_TRIAL_NUM",
       {"maxTrialNumber", "maxTrialNum"},
       "trialnum",
       "maximum number of trials (maxTrialNumber)",
       apply_max_trial_number,
       write_max_trial_number},
      {"MAX_EXEC_DURATION",
       {"maxExperimentDuration", "maxExecDuration"},
       "duration",
       "maximum experiment duration (maxExperimentDuration): number + s|m|h|d",
       apply_duration,
       write_duration},
      {"SEARCH_SPACE",
       {"searchSpace"},
       nullptr,
       "replace the search space (the tuner restarts its search on it)",
       apply_search_space,
       write_search_space}};
  return kinds;
}

const UpdateKind* find_update(const std::string& type) {
  for (const auto& k : update_kinds()) {
    if (type == k.type) return &k;
  }
  return nullptr;
}

std::string update_type_names() {
  const auto& kinds = update_kinds();
  std::string out;
  for (size_t i = 0; i < kinds.size(); ++i) {
    if (i) out += i + 1 == kinds.size() ? " or " : ", ";
    out += kinds[i].type;
  }
  return out;
}

}  // namespace archer
