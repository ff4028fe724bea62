// Experiment configuration: NNI's v1 and v2 YAML formats (spec §5.2, §5.3).
//
// v2 keys are case- and underscore-insensitive (camelCase canonical); a v1 file
// (one with authorName, trainingServicePlatform, trial: {...}, ...) is
// converted to v2 first, as nnictl does. Relative paths resolve against the
// config file's folder, "~" against $HOME. Every key is defined once (name,
// type, default, check, documentation); that table drives the parser, its error
// messages and docs/config.md.
#ifndef ARCHER_CONFIG_H_
#define ARCHER_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "archer/json.h"
#include "archer/search_space.h"
#include "archer/status.h"

namespace archer {

// Hardware-aware search (docs/hardware-aware.md): a bound on a cost the
// cost probe measures before a trial trains.
struct CostConstraint {
  std::string metric;  // "params", "macs", "latency_ms" or another probe key
  std::optional<double> min, max;  // at least one is set
  // "latency_ms <= 5", "params in [1e5, 1e6]".
  std::string describe() const;
};

// One of several objectives (multi-objective search).
struct Objective {
  std::string metric;  // a key of the final metric ("default": its value)
  bool maximize = true;
  std::optional<double> reference;  // the hypervolume's reference value
};

// ExperimentConfig::platform when trainingService is a list.
inline constexpr char kHybridPlatform[] = "hybrid";

struct ExperimentConfig {
  std::string
      config_path;  // absolute path of the file read ("" when parsed from text)
  std::string experiment_name;
  std::string search_space_file;  // absolute; "" when the space is inline
  // The search space as given (any of NNI's types when the tuner runs in
  // NNI's dispatcher, checked by structure: common/nni_search_space.h).
  Json search_space_json = Json::object();
  // Its classic-NAS form (what Archer's own tuners search); empty when the
  // space has other types.
  SearchSpace search_space;
  std::string trial_command;
  std::string trial_code_directory;  // absolute
  int trial_concurrency = 1;
  std::optional<int> trial_gpu_number;
  std::optional<double> max_experiment_duration;  // seconds
  std::optional<std::int64_t> max_trial_number;
  std::optional<double> max_trial_duration;  // seconds
  std::string nni_manager_ip;
  bool use_annotation = false;
  bool debug = false;
  std::string log_level = "info";
  std::string experiment_working_directory;  // absolute
  std::string tuner_name;  // a built-in's name, or the className
  Json tuner_class_args = Json::object();
  // assessor (empty name: none; Archer's own unless external_assessor)
  std::string assessor_name;
  Json assessor_class_args = Json::object();
  // NNI's algorithms: a tuner (or advisor) that is not Archer's own, a
  // customised one (className), or a customised assessor run by NNI's
  // dispatcher (src/dispatcher/). `dispatcher_params` is what NNI's manager
  // gives it (--exp_params): {"tuner": {...}, "assessor": {...}} as in the
  // config, codeDirectory absolute.
  bool external_tuner = false;
  bool external_assessor = false;
  Json dispatcher_params = Json::object();
  std::string python_interpreter;  // "" = the first python3 with NNI
  // Hardware-aware search: checked by the cost probe before a trial starts;
  // empty = no probe.
  std::vector<CostConstraint> constraints;
  double cost_probe_timeout = 60;  // seconds
  // Multi-objective search (2 to 4 objectives); empty = the one objective of
  // the tuner's optimize_mode.
  std::vector<Objective> objectives;
  // trainingService: the platform's name and its section, checked against
  // that platform's key table with defaults filled in (each platform reads
  // its own options from it; see src/training_service/platform.h). A list
  // (NNI's hybrid mode): platform is kHybridPlatform and training_service
  // the list of checked sections, each with its trialConcurrency (null:
  // the experiment's).
  std::string platform = "local";
  Json training_service = Json{{"platform", "local"}};
  // The whole configuration as v2 JSON with canonical key names and defaults
  // filled in.
  Json canonical;
};

// Reads and validates a config file. Errors name the file, line and key and say
// what was expected ("exp.yml:7: trialConcurrency: expected an integer >= 1,
// got 0"); unknown keys get a "did you mean"; platforms Archer does not support
// yet are named as such.
StatusOr<ExperimentConfig> load_experiment_config(const std::string& path);
// The same from text; relative paths resolve against `base_dir`.
StatusOr<ExperimentConfig> parse_experiment_config(const std::string& yaml_text,
                                                   const std::string& source,
                                                   const std::string& base_dir);

// Rebuilds a config from what a manager stored: its canonical JSON and the
// search space (resume, view). Checked like a file; `source` (the store's path)
// prefixes errors.
StatusOr<ExperimentConfig> config_from_canonical(const Json& canonical,
                                                 const Json& search_space,
                                                 const std::string& source);

// Parses "<number><s|m|h|d>" (fraction allowed) or a plain number of seconds.
StatusOr<double> parse_duration(const Json& value);

// The reference of every key, as markdown (docs/config.md embeds it).
std::string config_reference_markdown();

}  // namespace archer

#endif  // ARCHER_CONFIG_H_
