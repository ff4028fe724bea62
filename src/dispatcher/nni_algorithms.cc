#include "dispatcher/nni_algorithms.h"

namespace archer {

const std::vector<NniAlgorithm>& nni_algorithms() {
  static const std::vector<NniAlgorithm> all = {
      {"TPE", {}, "tuner", false, ""},
      {"Random", {}, "tuner", false, ""},
      {"Anneal", {}, "tuner", false, "hyperopt"},
      {"TPE_legacy", {}, "tuner", false, "hyperopt"},
      {"Evolution", {}, "tuner", false, ""},
      {"GridSearch", {}, "tuner", false, ""},
      {"Batch", {"BatchTuner"}, "tuner", false, ""},
      {"SMAC", {}, "tuner", false, "smac, ConfigSpace"},
      {"Metis", {"MetisTuner"}, "tuner", false, "scikit-learn"},
      {"GP", {"GPTuner"}, "tuner", false, "scikit-learn"},
      {"PBT", {"PBTTuner"}, "tuner", false, ""},
      {"DNGO", {"DNGOTuner"}, "tuner", false, "pybnn"},
      {"NetworkMorphism", {}, "tuner", false, "torch"},
      {"RegularizedEvolutionTuner", {}, "tuner", false, ""},
      {"PPO", {"PPOTuner"}, "tuner", false, "torch"},
      {"Hyperband", {}, "tuner", true, ""},
      {"BOHB", {}, "tuner", true, "ConfigSpace, statsmodels"},
      {"Medianstop", {}, "assessor", false, ""},
      {"Curvefitting", {}, "assessor", false, ""},
  };
  return all;
}

std::optional<NniAlgorithm> find_nni_algorithm(const std::string& name,
                                               const std::string& kind) {
  for (const auto& a : nni_algorithms()) {
    if (a.kind != kind) continue;
    if (a.name == name) return a;
    for (const auto& alias : a.aliases)
      if (alias == name) return a;
  }
  return std::nullopt;
}

std::vector<std::string> nni_algorithm_names(const std::string& kind) {
  std::vector<std::string> names;
  for (const auto& a : nni_algorithms()) {
    if (a.kind != kind) continue;
    names.push_back(a.name);
    names.insert(names.end(), a.aliases.begin(), a.aliases.end());
  }
  return names;
}

}  // namespace archer
