#include "training_service/platform.h"

#include <mutex>

#include "common/edit_distance.h"

namespace archer {

// Each built-in platform's definition, in its own directory.
PlatformSpec local_platform();
PlatformSpec remote_platform();
PlatformSpec slurm_platform();

namespace {

// One line per built-in platform.
std::vector<PlatformSpec> builtin_platforms() {
  return {local_platform(), remote_platform(), slurm_platform()};
}

struct Registry {
  std::mutex mu;
  std::vector<PlatformSpec> specs = builtin_platforms();
};

Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

}  // namespace

void register_platform(PlatformSpec spec) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (auto& s : r.specs) {
    if (s.name == spec.name) {
      s = std::move(spec);
      return;
    }
  }
  r.specs.push_back(std::move(spec));
}

std::vector<PlatformSpec> registered_platforms() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  return r.specs;
}

std::optional<PlatformSpec> find_platform(const std::string& name) {
  for (auto& s : registered_platforms()) {
    if (s.name == name) return s;
  }
  return std::nullopt;
}

std::vector<std::string> platform_names() {
  std::vector<std::string> names;
  for (const auto& s : registered_platforms()) names.push_back(s.name);
  return names;
}

StatusOr<std::unique_ptr<TrainingService>> create_training_service(
    const ExperimentConfig& config, const PlatformContext& context) {
  auto spec = find_platform(config.platform);
  if (!spec) {
    std::string names;
    for (const auto& n : platform_names())
      names += (names.empty() ? "" : ", ") + n;
    return Status::invalid_argument(
        "trainingService.platform: unknown platform '" + config.platform + "'" +
        did_you_mean(config.platform, platform_names()) +
        " (registered: " + names + ")");
  }
  return spec->factory(config, context);
}

}  // namespace archer
