// NNI's built-in algorithm names (v2.10's builtin_algorithms.yml), so that a
// config naming one that Archer does not implement natively runs it in NNI's
// dispatcher, which resolves the name to NNI's class. Names only: nothing of
// NNI's code is here.
#ifndef ARCHER_DISPATCHER_NNI_ALGORITHMS_H_
#define ARCHER_DISPATCHER_NNI_ALGORITHMS_H_

#include <optional>
#include <string>
#include <vector>

namespace archer {

struct NniAlgorithm {
  std::string name;
  std::vector<std::string> aliases;
  std::string kind;      // "tuner", "assessor"
  bool advisor = false;  // a tuner that also decides early stopping
  // Python modules it needs beyond NNI's own dependencies ("" if none).
  std::string needs;
};

const std::vector<NniAlgorithm>& nni_algorithms();
// The built-in `name` (or alias) of this kind ("tuner" matches advisors too).
std::optional<NniAlgorithm> find_nni_algorithm(const std::string& name,
                                               const std::string& kind);
// Every name of this kind, for messages.
std::vector<std::string> nni_algorithm_names(const std::string& kind);

}  // namespace archer

#endif  // ARCHER_DISPATCHER_NNI_ALGORITHMS_H_
