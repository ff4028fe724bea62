// The tuner conformance suite over the torch-free tuners.
#include "testing/tuner_conformance.h"

namespace archer {
namespace testing {
namespace {

INSTANTIATE_TEST_SUITE_P(
    Core, TunerConformanceTest,
    ::testing::Values(
        TunerCase{"Random", Json::object(), "", true},
        TunerCase{"Random", Json{{"dedup", false}}, "_with_repeats"},
        TunerCase{"RegularizedEvolutionTuner",
                  Json{{"population_size", 8}, {"sample_size", 3}}},
        TunerCase{"RegularizedEvolutionTuner",
                  Json{{"population_size", 8},
                       {"sample_size", 3},
                       {"skip_duplicates", true}},
                  "_skip_duplicates"},
        TunerCase{"LocalBOTuner", Json{{"initial_trials", 4}}, "", true},
        TunerCase{"ParetoEvolution",
                  Json{{"population_size", 6}, {"sample_size", 3}}, "", true},
        TunerCase{"ParetoEvolution",
                  Json{{"population_size", 6},
                       {"sample_size", 3},
                       {"selection", "aging"}},
                  "_aging", true}),
    tuner_case_name);

}  // namespace
}  // namespace testing
}  // namespace archer
