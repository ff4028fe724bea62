// NNI's search spaces beyond classic NAS (spec §1.5 and NNI's HPO format), for
// tuners that run in NNI's dispatcher: checked by structure, stored and passed
// through unchanged.
//
//   {"lr": {"_type": "loguniform", "_value": [1e-4, 0.1]},
//    "optimizer": {"_type": "choice", "_value": [
//        {"_name": "sgd", "momentum": {"_type": "uniform", "_value": [0, 1]}},
//        {"_name": "adam"}]},
//    "conv": {"_type": "layer_choice", "_value": ["conv3x3", "conv5x5"]}}
//
// Types: choice (numbers and strings, or nested sub-spaces: objects with a
// `_name` whose other keys are search spaces), randint [low, high),
// uniform/loguniform [low, high], normal/lognormal [mu, sigma], their q forms
// with a third value q > 0, and classic NAS's layer_choice and input_choice
// (checked as SearchSpace does).
#ifndef ARCHER_COMMON_NNI_SEARCH_SPACE_H_
#define ARCHER_COMMON_NNI_SEARCH_SPACE_H_

#include <optional>
#include <string>

#include "archer/json.h"
#include "archer/status.h"

namespace archer {

// Checks `space` as NNI's tuners would read it. Errors start with `source`
// and name the entry by its path ("searchSpace.optimizer[0].momentum") and
// what was expected.
Status validate_nni_search_space(const Json& space, const std::string& source);

// The first top-level entry that is not a classic-NAS choice, as "key (type)",
// if any: what a native tuner cannot search.
std::optional<std::string> first_non_classic_entry(const Json& space);

// OK if Archer's own tuner `tuner` can search `space` (classic-NAS choices
// only, at least one); otherwise the one refusal of the config and of an
// update: `source`, and that the space is empty or which entry NNI's tuners
// (e.g. TPE) search instead.
Status check_native_tuner_space(const Json& space, const std::string& source,
                                const std::string& tuner);

}  // namespace archer

#endif  // ARCHER_COMMON_NNI_SEARCH_SPACE_H_
