// The conformance suite every tuner passes (optuna-style): each test binary
// instantiates TunerConformanceTest with its tuners, e.g.
//   INSTANTIATE_TEST_SUITE_P(Core, TunerConformanceTest,
//       ::testing::Values(TunerCase{"Random", {}}), tuner_case_name);
#ifndef ARCHER_TESTING_TUNER_CONFORMANCE_H_
#define ARCHER_TESTING_TUNER_CONFORMANCE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "archer/tuner.h"

namespace archer {
namespace testing {

struct TunerCase {
  std::string name;        // registry name
  Json args;               // classArgs (seed is added by the suite)
  std::string label = "";  // suffix for the test name
  // The tuner promises never to propose an architecture twice (nor one it
  // imported): checked by NeverRepeats and after import_data.
  bool never_repeats = false;
};

void PrintTo(const TunerCase& c, std::ostream* os);
std::string tuner_case_name(const ::testing::TestParamInfo<TunerCase>& info);

// Named search spaces covering the corner cases: n_chosen null, 0 and equal to
// the number of candidates, single-candidate choices, a one-architecture space,
// NNI's MNIST and 20-key spaces, the NAS-Bench-201 cell.
std::vector<std::pair<std::string, SearchSpace>> search_space_zoo();

class TunerConformanceTest : public ::testing::TestWithParam<TunerCase> {
 protected:
  // A tuner of the parameter's kind with `seed`, its space set to `space`.
  std::unique_ptr<Tuner> make(std::uint64_t seed,
                              const SearchSpace& space) const;
};

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_TUNER_CONFORMANCE_H_
