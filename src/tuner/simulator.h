// Drives a tuner the way the manager does, against an objective function
// instead of real trials: keep up to `concurrency` trials running, finish the
// oldest, report its reward (or its failure), ask again. Used by the tuner
// conformance tests and the benchmarks.
#ifndef ARCHER_TUNER_SIMULATOR_H_
#define ARCHER_TUNER_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "archer/tuner.h"

namespace archer {
namespace tuner {

// The reward of an architecture, or nullopt for a failed trial.
using Objective = std::function<std::optional<double>(const Architecture&)>;

struct SimulatedTrial {
  std::int64_t parameter_id = 0;
  Architecture architecture;
  std::optional<double> reward;
};

struct SimulationResult {
  std::vector<SimulatedTrial> trials;  // in the order they finished
  bool exhausted = false;              // the tuner answered kExhausted
  int not_ready = 0;                   // kNotReady answers received
};

// Runs until `budget` trials were proposed and finished, the tuner is
// exhausted, or it is not ready with nothing running. Parameter ids start at
// `first_id`. REQUIRES: the tuner's search space is set; concurrency >= 1.
SimulationResult simulate(Tuner& tuner, const Objective& objective, int budget,
                          int concurrency, std::int64_t first_id = 0);

}  // namespace tuner
}  // namespace archer

#endif  // ARCHER_TUNER_SIMULATOR_H_
