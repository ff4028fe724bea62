// Curvefitting's decisions on hand-made histories (NNI v2.10's code paths in
// curvefitting_assessor.py), and the curve model itself.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "archer/assessor.h"
#include "assessor/curve_model.h"

namespace archer {
namespace {

std::unique_ptr<Assessor> curvefitting(const Json& args) {
  auto a = create_assessor("Curvefitting", args);
  EXPECT_TRUE(a.is_ok()) << a.status().message();
  return a.is_ok() ? std::move(a).value() : nullptr;
}

// A saturating accuracy curve: top - (top - start) * exp(-rate * epoch).
std::vector<double> curve(double start, double top, double rate, int n) {
  std::vector<double> h;
  for (int e = 1; e <= n; ++e)
    h.push_back(top - (top - start) * std::exp(-rate * (e - 1)));
  return h;
}

// Feeds `h` one result at a time; returns the decision at the last one.
AssessResult feed(Assessor& a, const std::string& id,
                  const std::vector<double>& h) {
  AssessResult r = AssessResult::kGood;
  for (size_t n = 1; n <= h.size(); ++n)
    r = a.assess_trial(id, {h.begin(), h.begin() + n});
  return r;
}

TEST(CurveModel, ExtrapolatesASaturatingCurveNearItsPlateau) {
  std::mt19937_64 rng(1);
  auto h = curve(0.5, 0.8, 0.4, 8);
  auto p = predict_curve(h, 12, rng);
  ASSERT_TRUE(p.has_value());
  EXPECT_GE(p->families.size(), 4u);
  // The curve is at 0.78 at step 8 and tends to 0.8.
  EXPECT_GT(p->value, 0.70);
  EXPECT_LT(p->value, 0.85);
  // Deterministic for the same generator state.
  std::mt19937_64 again(1);
  EXPECT_EQ(predict_curve(h, 12, again)->value, p->value);
}

TEST(CurveModel, NoPredictionWhenTooFewFamiliesAgree) {
  std::mt19937_64 rng(1);
  // Rising fast at the end: NNI's consistency filter keeps too few families.
  EXPECT_FALSE(predict_curve({0.3, 0.5, 0.6, 0.65, 0.68, 0.7}, 12, rng));
  EXPECT_FALSE(predict_curve({}, 12, rng));
}

TEST(Curvefitting, GoodUntilATrialSucceededAndBeforeStartStep) {
  auto a = curvefitting(Json{{"epoch_num", 12}, {"start_step", 6}});
  // Nothing completed: a dreadful trial goes on.
  EXPECT_EQ(feed(*a, "x", curve(0.1, 0.2, 0.4, 8)), AssessResult::kGood);
  a->trial_end("x", false);  // failed: no best performance
  EXPECT_EQ(feed(*a, "y", curve(0.1, 0.2, 0.4, 8)), AssessResult::kGood);
  a->trial_end("y", false);
  EXPECT_EQ(feed(*a, "best", curve(0.6, 0.9, 0.4, 12)), AssessResult::kGood);
  a->trial_end("best", true);
  // Before start_step, Good whatever the values.
  EXPECT_EQ(feed(*a, "z", curve(0.1, 0.2, 0.4, 5)), AssessResult::kGood);
  // At step 6 its curve heads for ~0.2, far below 0.95 * 0.9: Bad.
  EXPECT_EQ(a->assess_trial("z", curve(0.1, 0.2, 0.4, 6)), AssessResult::kBad);
  EXPECT_NE(a->last_reason().find("Curvefitting at step 6"), std::string::npos)
      << a->last_reason();
  // A trial heading for the best one's result goes on.
  EXPECT_EQ(feed(*a, "w", curve(0.6, 0.9, 0.4, 8)), AssessResult::kGood);
}

TEST(Curvefitting, TheBestIsEachSucceededTrialsOwnLastResult) {
  auto a = curvefitting(Json{{"epoch_num", 12}, {"start_step", 6}});
  feed(*a, "low", curve(0.3, 0.5, 0.4, 12));
  feed(*a, "high", curve(0.6, 0.9, 0.4, 12));  // assessed last
  a->trial_end("low", true);  // NNI would take "high"'s last result here
  // With only "low" (0.49) succeeded, a trial heading for 0.5 goes on.
  EXPECT_EQ(feed(*a, "mid", curve(0.3, 0.5, 0.4, 8)), AssessResult::kGood);
  a->trial_end("high", true);
  // Now the best is 0.9: the same curve, first judged at step 8, is Bad.
  EXPECT_EQ(a->assess_trial("mid2", curve(0.3, 0.5, 0.4, 8)),
            AssessResult::kBad);
}

TEST(Curvefitting, GapSpacesTheJudgments) {
  auto a = curvefitting(Json{{"epoch_num", 12}, {"start_step", 6}, {"gap", 3}});
  feed(*a, "best", curve(0.6, 0.9, 0.4, 12));
  a->trial_end("best", true);
  auto bad = curve(0.1, 0.2, 0.4, 12);
  // Judged at 6 (Bad), then not again before 9.
  EXPECT_EQ(a->assess_trial("z", {bad.begin(), bad.begin() + 6}),
            AssessResult::kBad);
  EXPECT_EQ(a->assess_trial("z", {bad.begin(), bad.begin() + 7}),
            AssessResult::kGood);
  EXPECT_EQ(a->assess_trial("z", {bad.begin(), bad.begin() + 8}),
            AssessResult::kGood);
  EXPECT_EQ(a->assess_trial("z", {bad.begin(), bad.begin() + 9}),
            AssessResult::kBad);
}

TEST(Curvefitting, ClassArgsAreCheckedAsNnisAre) {
  auto missing = create_assessor("Curvefitting", Json::object());
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("epoch_num"), std::string::npos)
      << missing.status().message();
  for (const Json& bad :
       {Json{{"epoch_num", 0}}, Json{{"epoch_num", 12}, {"gap", 0}},
        Json{{"epoch_num", 12}, {"threshold", -1}},
        Json{{"epoch_num", 12}, {"start_step", "6"}},
        Json{{"epoch_num", 12}, {"optimize_mode", "maximize"}}}) {
    auto a = create_assessor("Curvefitting", bad);
    EXPECT_FALSE(a.is_ok()) << dumps(bad);
  }
  auto defaults = create_assessor("Curvefitting", Json{{"epoch_num", 20}});
  EXPECT_TRUE(defaults.is_ok()) << defaults.status().message();
}

}  // namespace
}  // namespace archer
