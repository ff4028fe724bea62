// The assessor conformance suite: what every registered assessor does, as the
// tuners have theirs (testing/tuner_conformance.h). Instantiated over the
// registry, so a new assessor is checked by registering it.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "archer/assessor.h"

namespace archer {
namespace {

// The classArgs an assessor cannot do without (the rest take their defaults);
// a new assessor with a required argument adds its line here.
Json required_args(const std::string& name) {
  if (name == "Curvefitting") return Json{{"epoch_num", 20}};
  return Json::object();
}

class AssessorConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Assessor> make() {
    auto a = create_assessor(GetParam(), required_args(GetParam()));
    EXPECT_TRUE(a.is_ok()) << a.status().message();
    return a.is_ok() ? std::move(a).value() : nullptr;
  }
};

// A learning curve that rises to `top` (trial k of a population).
std::vector<double> curve(double top, int steps) {
  std::vector<double> h;
  for (int s = 1; s <= steps; ++s) h.push_back(top * (1 - std::exp(-0.3 * s)));
  return h;
}

TEST_P(AssessorConformanceTest, BuildsFromDefaultsAndRefusesUnknownArguments) {
  ASSERT_NE(make(), nullptr);
  Json args = required_args(GetParam());
  args["no_such_argument"] = 1;
  auto bad = create_assessor(GetParam(), args);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find(GetParam()), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("no_such_argument"), std::string::npos)
      << bad.status().message();
}

TEST_P(AssessorConformanceTest, TheFirstTrialIsNeverStopped) {
  auto a = make();
  ASSERT_NE(a, nullptr);
  const std::vector<double> h = curve(0.9, 30);
  for (size_t n = 1; n <= h.size(); ++n) {
    EXPECT_EQ(a->assess_trial("t0", {h.begin(), h.begin() + n}),
              AssessResult::kGood)
        << "step " << n << ": nothing to compare it with";
  }
}

// The same events give the same answers, and every Bad says why.
TEST_P(AssessorConformanceTest, DeterministicAndBadSaysWhy) {
  auto a = make();
  auto b = make();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  int bad = 0;
  for (int k = 0; k < 24; ++k) {
    const std::string id = "t" + std::to_string(k);
    const double top = 0.3 + 0.6 * ((k * 7) % 24) / 24.0;
    const std::vector<double> h = curve(top, 20);
    for (size_t n = 1; n <= h.size(); ++n) {
      const std::vector<double> prefix(h.begin(), h.begin() + n);
      const AssessResult ra = a->assess_trial(id, prefix);
      ASSERT_EQ(ra, b->assess_trial(id, prefix)) << id << " step " << n;
      if (ra == AssessResult::kBad) {
        ++bad;
        EXPECT_FALSE(a->last_reason().empty()) << id << " step " << n;
        break;
      }
    }
    a->trial_end(id, true);
    b->trial_end(id, true);
  }
  // A population of clearly different curves: some are worth stopping.
  EXPECT_GT(bad, 0);
}

TEST_P(AssessorConformanceTest, EndsOfUnknownTrialsAreHarmless) {
  auto a = make();
  ASSERT_NE(a, nullptr);
  a->trial_end("never-seen", false);
  a->trial_end("never-seen", true);
  EXPECT_EQ(a->assess_trial("t0", {0.5}), AssessResult::kGood);
}

INSTANTIATE_TEST_SUITE_P(Assessors, AssessorConformanceTest,
                         ::testing::ValuesIn(assessor_names()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           return i.param;
                         });

}  // namespace
}  // namespace archer
