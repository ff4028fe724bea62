// The local platform's trainingService keys and factory (see platform.h).
#include "config/config_schema.h"
#include "training_service/local/local_training_service.h"
#include "training_service/platform.h"

namespace archer {

namespace {

using config::KeyType;
using config::Section;

const Section& section() {
  static const Section s{
      "trainingService",
      {
          {"platform", KeyType::kString, Json(), true, "local",
           [](const Json& v) { return v.get<std::string>() == "local"; },
           "where trials run: local"},
          {"useActiveGpu",
           KeyType::kBool,
           Json(),
           false,
           "true or false",
           {},
           "also use GPUs that other processes are using; must be set when "
           "trialGpuNumber > 0"},
          {"maxTrialNumberPerGpu", KeyType::kInt, 1, false,
           config::kPositiveInteger, config::positive_int,
           "trials sharing one GPU"},
          {"gpuIndices",
           KeyType::kIndices,
           Json(),
           false,
           "GPU indices (a list, an integer or \"0,1\")",
           {},
           "the GPUs trials may use"},
          {"reuseMode",
           KeyType::kBool,
           false,
           false,
           "true or false",
           {},
           "accepted for compatibility; no effect locally"},
      }};
  return s;
}
}  // namespace

StatusOr<LocalTrainingService::Options> local_options(
    const ExperimentConfig& config) {
  const Json& ts = config.training_service;
  LocalTrainingService::Options o;
  o.max_parallel = config.trial_concurrency;
  if (config.trial_gpu_number && *config.trial_gpu_number > 0) {
    GpuScheduler::Options gpu;
    gpu.gpus_per_trial = *config.trial_gpu_number;
    if (ts.value("gpuIndices", Json()).is_array())
      gpu.gpu_indices = ts["gpuIndices"].get<std::vector<int>>();
    gpu.max_trials_per_gpu = ts.value("maxTrialNumberPerGpu", 1);
    gpu.use_active_gpu = ts.value("useActiveGpu", Json()).is_boolean() &&
                         ts["useActiveGpu"].get<bool>();
    auto scheduler = GpuScheduler::create(gpu);
    if (!scheduler.is_ok()) return scheduler.status();
    o.gpus = std::make_shared<GpuScheduler>(std::move(scheduler).value());
  }
  return o;
}

PlatformSpec local_platform() {
  PlatformSpec p;
  p.name = "local";
  p.doc = "trials as processes of this machine";
  p.section = section();
  p.check = [](const Json& ts,
               const Json& top) -> std::optional<config::KeyError> {
    const Json gpus = top.value("trialGpuNumber", Json());
    if (gpus.is_number_integer() && gpus.get<int>() > 0 &&
        ts.value("useActiveGpu", Json()).is_null()) {
      return config::KeyError{
          "/trainingService", "trainingService.useActiveGpu",
          "must be set (true or false) when trialGpuNumber > 0"};
    }
    return std::nullopt;
  };
  p.factory =
      [](const ExperimentConfig& config,
         const PlatformContext&) -> StatusOr<std::unique_ptr<TrainingService>> {
    auto options = local_options(config);
    if (!options.is_ok()) return options.status();
    return as_service(LocalTrainingService::create(options.value()));
  };
  return p;
}

}  // namespace archer
