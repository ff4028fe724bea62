#include "manager/proposer.h"

#include <filesystem>

#include "dispatcher/nni_python.h"
#include "manager/dispatcher_proposer.h"
#include "manager/tuner_proposer.h"
#include "store/experiment_files.h"

namespace archer {

namespace {

// How NNI's dispatcher runs for `config`: the Python that has NNI, NNI's
// environment for it (nnimanager.ts's setupTuner), its log in the
// experiment's log folder.
StatusOr<DispatcherOptions> dispatcher_options(const ExperimentConfig& config,
                                               const std::string& dir) {
  auto python = find_nni_python(config.python_interpreter);
  if (!python.is_ok()) return python.status();
  DispatcherOptions o;
  o.python = python.value().python;
  o.channel = python.value().channel;
  o.exp_params = config.dispatcher_params;
  o.log_path = files::dispatcher_log_path(dir);
  std::error_code ec;
  std::filesystem::create_directories(files::checkpoint_dir(dir), ec);
  o.env["NNI_CHECKPOINT_DIRECTORY"] = files::checkpoint_dir(dir);
  o.env["NNI_LOG_DIRECTORY"] = files::log_dir(dir);
  o.env["NNI_LOG_LEVEL"] = config.log_level;
  o.env["NNI_INCLUDE_INTERMEDIATE_RESULTS"] = "false";
  const Json gpus = config.canonical.value("tunerGpuIndices", Json());
  if (gpus.is_array()) {
    std::string list;
    for (const auto& g : gpus) list += (list.empty() ? "" : ",") + dumps(g);
    o.env["CUDA_VISIBLE_DEVICES"] = list;
  } else if (!gpus.is_null()) {
    o.env["CUDA_VISIBLE_DEVICES"] =
        gpus.is_string() ? gpus.get<std::string>() : dumps(gpus);
  }
  return o;
}

}  // namespace

StatusOr<std::unique_ptr<Proposer>> make_proposer(
    const ExperimentConfig& config, const std::string& experiment_id,
    const std::string& experiment_dir, Store* store) {
  if (config.external_tuner) {
    auto options = dispatcher_options(config, experiment_dir);
    if (!options.is_ok()) return options.status();
    return std::unique_ptr<Proposer>(std::make_unique<DispatcherProposer>(
        std::move(options).value(), DispatcherClient::Timeouts(),
        config.search_space_json, config.tuner_name, experiment_id));
  }
  auto tuner = create_tuner(config.tuner_name, config.tuner_class_args);
  if (!tuner.is_ok()) return tuner.status();
  return std::unique_ptr<Proposer>(std::make_unique<TunerProposer>(
      config, experiment_id, experiment_dir, std::move(tuner).value(), store));
}

}  // namespace archer
