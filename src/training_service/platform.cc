#include "training_service/platform.h"

#include "common/edit_distance.h"
#include "common/registry.h"
#include "training_service/hybrid/hybrid_training_service.h"

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

Registry<PlatformSpec>& registry() {
  static auto* r = new Registry<PlatformSpec>("platform", builtin_platforms());
  return *r;
}

}  // namespace

void register_platform(PlatformSpec spec) { registry().add(std::move(spec)); }

std::vector<PlatformSpec> registered_platforms() { return registry().all(); }

std::optional<PlatformSpec> find_platform(const std::string& name) {
  return registry().find(name);
}

std::vector<std::string> platform_names() { return registry().names(); }

StatusOr<std::unique_ptr<TrainingService>> create_training_service(
    const ExperimentConfig& config, const PlatformContext& context) {
  if (config.platform == kHybridPlatform)
    return create_hybrid_service(config, context);
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
