#include "store/trial_value.h"

#include <gtest/gtest.h>

namespace archer {
namespace {

MetricRow final_row(const std::string& trial, const std::string& value) {
  return MetricRow{trial, 1, MetricType::kFinal, 0, value, 1};
}

TEST(TrialValue, TheFirstUsableFinalIsTheValue) {
  const std::vector<MetricRow> metrics = {
      MetricRow{"a", 1, MetricType::kPeriodical, 0, "0.1", 1},
      final_row("a", "\"oops\""),            // not usable: shown, no value
      final_row("b", "0.3"),                 // another trial
      final_row("a", "{\"default\": 0.7}"),  // the value
      final_row("a", "0.9"),                 // later ones change nothing
  };
  auto a = trial_value(metrics, "a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->final_text, "{\"default\": 0.7}");
  EXPECT_EQ(a->value, 0.7);
  EXPECT_EQ(trial_value(metrics, "b")->value, 0.3);
  EXPECT_FALSE(trial_value(metrics, "c").has_value());
}

TEST(TrialValue, AnUnusableFinalAloneIsShownWithoutAValue) {
  TrialValueBuilder b;
  EXPECT_FALSE(b.add("{\"acc\": 1}"));  // no "default"
  EXPECT_FALSE(b.add("NaN"));
  ASSERT_TRUE(b.result().has_value());
  EXPECT_EQ(b.result()->final_text, "{\"acc\": 1}");
  EXPECT_FALSE(b.result()->value.has_value());
  EXPECT_TRUE(b.add("2"));
  EXPECT_EQ(b.result()->value, 2.0);
}

TEST(TrialValue, OptimizeModeFromArgsOrAStoredConfig) {
  EXPECT_EQ(optimize_mode_of(std::nullopt, Json{{"optimize_mode", "minimize"}}),
            OptimizeMode::kMinimize);
  EXPECT_EQ(optimize_mode_of(std::nullopt, Json()), OptimizeMode::kMaximize);
  EXPECT_EQ(optimize_mode_of_config(Json{
                {"tuner", {{"classArgs", {{"optimize_mode", "minimize"}}}}}}),
            OptimizeMode::kMinimize);
  EXPECT_EQ(optimize_mode_of_config(Json{{"tuner", "x"}}),
            OptimizeMode::kMaximize);
  // NNI's advisor key (Hyperband) holds the tuner's classArgs.
  EXPECT_EQ(optimize_mode_of_config(Json{
                {"tuner", nullptr},
                {"advisor", {{"classArgs", {{"optimize_mode", "minimize"}}}}}}),
            OptimizeMode::kMinimize);
  // Regression (issue 28): with objectives, "best" follows the default
  // objective's direction everywhere, not the tuner's missing optimize_mode.
  const Json pareto = Json::parse(R"({
    "objectives": [{"metric": "default", "mode": "minimize"},
                   {"metric": "params", "mode": "minimize"}],
    "tuner": {"name": "ParetoEvolution", "classArgs": {}}})");
  EXPECT_EQ(optimize_mode_of_config(pareto), OptimizeMode::kMinimize);
  EXPECT_EQ(optimize_mode_of(false, Json{{"optimize_mode", "maximize"}}),
            OptimizeMode::kMinimize);
  EXPECT_TRUE(better_value(1, 2, OptimizeMode::kMinimize));
  EXPECT_FALSE(better_value(1, 2, OptimizeMode::kMaximize));
}

TEST(States, NniSpellingsRoundTrip) {
  for (TrialStatus s :
       {TrialStatus::kWaiting, TrialStatus::kRunning, TrialStatus::kSucceeded,
        TrialStatus::kFailed, TrialStatus::kUserCanceled,
        TrialStatus::kSysCanceled, TrialStatus::kEarlyStopped}) {
    EXPECT_EQ(parse_trial_status(to_string(s)), s);
    EXPECT_EQ(Json(s), to_string(s));  // JSON carries the name, not a number
  }
  EXPECT_FALSE(parse_trial_status("succeeded").has_value());
  EXPECT_EQ(parse_experiment_status("NO_MORE_TRIAL"),
            ExperimentStatus::kNoMoreTrial);
  EXPECT_EQ(parse_metric_type("REQUEST_PARAMETER"),
            MetricType::kRequestParameter);
  EXPECT_TRUE(is_terminal(TrialStatus::kEarlyStopped));
  EXPECT_FALSE(is_terminal(TrialStatus::kWaiting));
  EXPECT_TRUE(is_failure(TrialStatus::kSysCanceled));
  EXPECT_FALSE(is_failure(TrialStatus::kSucceeded));
}

}  // namespace
}  // namespace archer
