// The platform registry (shaped like the tuner registry in archer/tuner.h):
// each platform registers its name, the keys of its `trainingService` section
// (the same one-definition-per-key tables that drive the config parser, its
// errors and docs/config.md), a check across those keys, and a factory.
// create_training_service() is the only way the rest of Archer gets a
// service.
//
// Adding a platform: a directory src/training_service/<name>/ with the
// service (a TrainingService over the shared trial bookkeeping in
// trial_files.h), a <name>_platform.cc defining `PlatformSpec
// <name>_platform()`, and one line in builtin_platforms() (platform.cc). It
// then passes the service conformance suite (src/testing/service_conformance.h)
// by adding a harness there. docs/architecture.md walks through it.
#ifndef ARCHER_TRAINING_SERVICE_PLATFORM_H_
#define ARCHER_TRAINING_SERVICE_PLATFORM_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "archer/config.h"
#include "archer/training_service.h"
#include "config/config_schema.h"

namespace archer {

// What a service needs besides the config: where the experiment lives.
struct PlatformContext {
  std::string experiment_id;
  std::string experiment_dir;  // <experimentWorkingDirectory>/<id>
  // Extra environment for the platform's own commands (tests: SLURM_CONF).
  std::map<std::string, std::string> env;
};

struct PlatformSpec {
  std::string name;  // trainingService.platform
  std::string doc;   // one line for docs/config.md
  // The trainingService keys for this platform ("platform" included); a key
  // with `items` set holds a list of mappings checked against that section.
  config::Section section;
  // Checks across keys once each was checked alone: `ts` is the section with
  // defaults filled in, `top` the whole config. May be empty.
  std::function<std::optional<config::KeyError>(const Json& ts,
                                                const Json& top)>
      check;
  // Builds the service; errors name the config key or the host that failed.
  std::function<StatusOr<std::unique_ptr<TrainingService>>(
      const ExperimentConfig& config, const PlatformContext& context)>
      factory;
};

// Adds (or replaces, by name) a platform.
void register_platform(PlatformSpec spec);
// The registered platform called `name`, if any.
std::optional<PlatformSpec> find_platform(const std::string& name);
// Registered names, in registration order.
std::vector<std::string> platform_names();
std::vector<PlatformSpec> registered_platforms();

// A string key of a checked trainingService section (or of one of its list
// items); "" when it is unset.
inline std::string section_text(const Json& section, const char* key) {
  const Json v = section.value(key, Json());
  return v.is_string() ? v.get<std::string>() : std::string();
}

// A factory's result as the registry returns it.
template <typename Service>
StatusOr<std::unique_ptr<TrainingService>> as_service(
    StatusOr<std::unique_ptr<Service>> built) {
  if (!built.is_ok()) return built.status();
  return std::unique_ptr<TrainingService>(std::move(built).value());
}

// The service for `config.platform`, built by its factory.
StatusOr<std::unique_ptr<TrainingService>> create_training_service(
    const ExperimentConfig& config, const PlatformContext& context);

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_PLATFORM_H_
