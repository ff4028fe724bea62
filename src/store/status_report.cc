#include "store/status_report.h"

#include "store/experiment_files.h"

namespace archer {

Json status_json(Store& store) {
  auto text = [&](const char* key) -> std::string {
    auto v = store.get_value(key);
    return v.is_ok() && v.value().is_string() ? v.value().get<std::string>()
                                              : std::string();
  };
  const std::string status = text(store_keys::kStatus);
  Json out = {{"status", status.empty() ? "INITIALIZED" : status},
              {"errors", Json::array()}};
  const std::string error = text(store_keys::kError);
  if (status == "ERROR" && !error.empty()) out["errors"].push_back(error);
  const std::string message = text(store_keys::kStatusMessage);
  if (!message.empty()) out["message"] = message;
  return out;
}

}  // namespace archer
