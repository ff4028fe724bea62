#include "store/trial_where.h"

namespace archer {

namespace {

std::string platform_name(const Json& section) {
  return section.is_object() && section.value("platform", Json()).is_string()
             ? section["platform"].get<std::string>()
             : "local";
}

}  // namespace

bool is_hybrid(const Json& config) {
  return config.is_object() &&
         config.value("trainingService", Json()).is_array();
}

std::string platforms_of(const Json& config) {
  if (!config.is_object()) return "";
  const Json ts = config.value("trainingService", Json::object());
  if (!ts.is_array()) return platform_name(ts);
  std::string names;
  for (const auto& item : ts)
    names += (names.empty() ? "" : ", ") + platform_name(item);
  return "hybrid (" + names + ")";
}

TrialWhere trial_where(const Json& config, const std::string& handle) {
  TrialWhere w;
  if (!is_hybrid(config)) {
    w.platform = platforms_of(config);
    w.detail = handle;
    return w;
  }
  const size_t colon = handle.find(':');
  if (colon == std::string::npos) return w;  // not started yet
  w.platform = handle.substr(0, colon);
  w.detail = handle.substr(colon + 1);
  return w;
}

std::string TrialWhere::text() const {
  if (platform.empty()) return "";
  return detail.empty() ? platform : platform + " " + detail;
}

}  // namespace archer
