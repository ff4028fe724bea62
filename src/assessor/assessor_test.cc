// The assessors' decisions on hand-made histories, following NNI v2.10's
// code paths (medianstop_assessor.py) step by step.
#include "archer/assessor.h"

#include <gtest/gtest.h>

#include "assessor/asha_assessor.h"
#include "testing/generated_docs.h"

namespace archer {
namespace {

std::unique_ptr<Assessor> medianstop(const Json& args) {
  auto a = create_assessor("Medianstop", args);
  EXPECT_TRUE(a.is_ok()) << a.status().message();
  return a.is_ok() ? std::move(a).value() : nullptr;
}

TEST(Medianstop, StopsATrialWorseThanTheMedianOfCompletedRunningAverages) {
  auto a = medianstop(Json{{"optimize_mode", "maximize"}, {"start_step", 2}});
  // Completed trials (assessed at least once, then SUCCEEDED).
  for (const auto& [id, h] :
       std::vector<std::pair<std::string, std::vector<double>>>{
           {"a", {0.2, 0.4, 0.6}},     // running averages 0.2, 0.3, 0.4
           {"b", {0.4, 0.6, 0.8}},     // 0.4, 0.5, 0.6
           {"c", {0.6, 0.8, 1.0}}}) {  // 0.6, 0.7, 0.8
    for (size_t n = 1; n <= h.size(); ++n) {
      EXPECT_EQ(a->assess_trial(id, {h.begin(), h.begin() + n}),
                AssessResult::kGood);  // nothing completed yet
    }
    a->trial_end(id, true);
  }
  // Before start_step: always Good.
  EXPECT_EQ(a->assess_trial("x", {0.0}), AssessResult::kGood);
  // Step 2: the medians of {0.3, 0.5, 0.7} is 0.5 (index (3-1)//2).
  EXPECT_EQ(a->assess_trial("x", {0.0, 0.45}), AssessResult::kBad);
  EXPECT_NE(a->last_reason().find("step 2"), std::string::npos);
  EXPECT_EQ(a->assess_trial("y", {0.0, 0.5}), AssessResult::kGood);  // not <
  // Step 4: no completed trial has 4 results: Good.
  EXPECT_EQ(a->assess_trial("y", {0.0, 0.5, 0.1, 0.1}), AssessResult::kGood);
}

TEST(Medianstop, OnlyTrialsThatWereAssessedAndSucceededCount) {
  auto a = medianstop(Json{{"start_step", 3}});
  // Ended before start_step: never assessed, so not a completed trial.
  a->assess_trial("short", {0.9, 0.9});
  a->trial_end("short", true);
  // Failed trials do not count either.
  a->assess_trial("failed", {0.9, 0.9, 0.9});
  a->trial_end("failed", false);
  EXPECT_EQ(a->assess_trial("x", {0.0, 0.0, 0.0}), AssessResult::kGood);
  a->assess_trial("ok", {0.9, 0.9, 0.9});
  a->trial_end("ok", true);
  EXPECT_EQ(a->assess_trial("x", {0.0, 0.0, 0.0}), AssessResult::kBad);
}

TEST(Medianstop, MinimizeUsesTheUpperMedianAndTheLowestResult) {
  auto a = medianstop(Json{{"optimize_mode", "minimize"}});
  for (const auto& [id, v] :
       std::vector<std::pair<std::string, double>>{{"a", 1}, {"b", 2}}) {
    a->assess_trial(id, {v});
    a->trial_end(id, true);
  }
  // Averages at step 1: {1, 2}; minimize takes index 2//2 = 1: 2.
  EXPECT_EQ(a->assess_trial("x", {1.5}), AssessResult::kGood);
  EXPECT_EQ(a->assess_trial("y", {2.5}), AssessResult::kBad);
  EXPECT_EQ(a->assess_trial("z", {3.0, 1.0}), AssessResult::kGood);  // min 1
}

TEST(AssessorRegistry, BadNamesAndClassArgsAreRefusedClearly) {
  auto unknown = create_assessor("Medianstp", Json::object());
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_NE(unknown.status().message().find("did you mean 'Medianstop'"),
            std::string::npos)
      << unknown.status().message();
  auto bad = create_assessor("Medianstop", Json{{"start_step", -1}});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().message(),
            "assessor 'Medianstop': classArgs.start_step: expected an integer "
            "in [0, 9999], got -1");
  auto key = create_assessor("Medianstop", Json{{"start_stp", 1}});
  ASSERT_FALSE(key.is_ok());
  EXPECT_NE(key.status().message().find("unknown classArgs key 'start_stp'"),
            std::string::npos);
  EXPECT_NE(assessors_markdown().find("| `start_step` | an integer | `0` |"),
            std::string::npos)
      << assessors_markdown();
}

}  // namespace
}  // namespace archer

namespace archer {
namespace {

// docs/assessors.md embeds the registry's tables; regenerate with
// ARCHER_UPDATE_DOCS=1 archer_core_tests --gtest_filter=AssessorDocs.*
TEST(AssessorDocs, ArgumentTablesMatchTheRegistry) {
  testing::expect_generated_section(
      std::string(ARCHER_SOURCE_DIR) + "/docs/assessors.md", "assessor_args",
      assessors_markdown());
}

}  // namespace
}  // namespace archer

namespace archer {
namespace {

TEST(Asha, RungsAndTheTopOneOverEtaGoOn) {
  auto made = create_assessor(
      "ASHA", Json{{"reduction_factor", 2}, {"min_step", 1}, {"max_step", 4}});
  ASSERT_TRUE(made.is_ok()) << made.status().message();
  Assessor& a = *made.value();
  // Rungs at steps 1, 2, 4. The first trial at a rung has no peers: Good.
  EXPECT_EQ(a.assess_trial("t1", {0.5}), AssessResult::kGood);
  // Second at rung 0: n = 2, the top 1 goes on; 0.6 beats 0.5.
  EXPECT_EQ(a.assess_trial("t2", {0.6}), AssessResult::kGood);
  // Third, 0.4: two are better, the top 1 of 3 goes on: stopped.
  EXPECT_EQ(a.assess_trial("t3", {0.4}), AssessResult::kBad);
  EXPECT_NE(a.last_reason().find("rung 0 (step 1)"), std::string::npos)
      << a.last_reason();
  // A trial is judged once per rung: t1 at step 1 again changes nothing,
  // and it reaches rung 1 (step 2) alone.
  EXPECT_EQ(a.assess_trial("t1", {0.5, 0.7}), AssessResult::kGood);
  EXPECT_EQ(a.assess_trial("t2", {0.6, 0.65}), AssessResult::kBad);  // 2nd of 2
  // Past the last rung (step 4) nothing is stopped.
  EXPECT_EQ(a.assess_trial("t1", {0.5, 0.7, 0.1, 0.1, 0.0}),
            AssessResult::kGood);
}

TEST(Asha, HyperbandBracketsStartTheirRungsLater) {
  AshaAssessor a(OptimizeMode::kMaximize, 3, 1, 9, 2);
  EXPECT_EQ(a.rungs(0), (std::vector<int>{1, 3, 9}));
  EXPECT_EQ(a.rungs(1), (std::vector<int>{3, 9}));
  // Trials of each bracket (assigned by id, the same after a resume).
  std::vector<std::string> in[2];
  for (int i = 0; in[0].size() < 4 || in[1].size() < 4; ++i) {
    const std::string id = "t" + std::to_string(i);
    in[a.bracket_of(id)].push_back(id);
  }
  // Bracket 0 judges at step 1: the third, worst one is stopped there.
  EXPECT_EQ(a.assess_trial(in[0][0], {0.9}), AssessResult::kGood);
  EXPECT_EQ(a.assess_trial(in[0][1], {0.8}), AssessResult::kGood);
  EXPECT_EQ(a.assess_trial(in[0][2], {0.1}), AssessResult::kBad);
  EXPECT_NE(a.last_reason().find("(bracket 0)"), std::string::npos);
  // Bracket 1 lets its trials reach step 3 first, and ranks them among
  // themselves: worse at step 1 than anyone above, they go on.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(a.assess_trial(in[1][static_cast<size_t>(i)], {0.05}),
              AssessResult::kGood);
  EXPECT_EQ(a.assess_trial(in[1][0], {0.05, 0.5, 0.6}), AssessResult::kGood);
  EXPECT_EQ(a.assess_trial(in[1][1], {0.05, 0.5, 0.7}), AssessResult::kGood);
  EXPECT_EQ(a.assess_trial(in[1][2], {0.05, 0.5, 0.2}), AssessResult::kBad);
  EXPECT_NE(a.last_reason().find("rung 0 (step 3)"), std::string::npos)
      << a.last_reason();
  // Through the registry: classArgs brackets.
  EXPECT_TRUE(create_assessor("ASHA", Json{{"brackets", 3}}).is_ok());
  EXPECT_FALSE(create_assessor("ASHA", Json{{"brackets", 0}}).is_ok());
}

TEST(Asha, RungValueBestJudgesTheBestResultSoFar) {
  auto made = create_assessor(
      "ASHA",
      Json{{"reduction_factor", 2}, {"min_step", 2}, {"rung_value", "best"}});
  ASSERT_TRUE(made.is_ok()) << made.status().message();
  Assessor& a = *made.value();
  EXPECT_EQ(a.assess_trial("x", {0.5, 0.6}), AssessResult::kGood);
  // 0.9 then a dip to 0.4: its best (0.9) ranks first, so it goes on; with
  // rung_value last it would be judged on 0.4 and stopped.
  EXPECT_EQ(a.assess_trial("y", {0.9, 0.4}), AssessResult::kGood);
  EXPECT_EQ(a.assess_trial("z", {0.55, 0.3}), AssessResult::kBad);
  EXPECT_FALSE(create_assessor("ASHA", Json{{"rung_value", "mean"}}).is_ok());
}

TEST(Asha, MinimizeAndBadArguments) {
  auto made = create_assessor(
      "ASHA", Json{{"optimize_mode", "minimize"}, {"reduction_factor", 2}});
  ASSERT_TRUE(made.is_ok());
  Assessor& a = *made.value();
  EXPECT_EQ(a.assess_trial("x", {1.0}), AssessResult::kGood);
  EXPECT_EQ(a.assess_trial("y", {2.0}), AssessResult::kBad);  // higher loss
  auto bad = create_assessor("ASHA", Json{{"min_step", 5}, {"max_step", 2}});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().message(),
            "assessor 'ASHA': classArgs.min_step (5) must not exceed "
            "classArgs.max_step (2)");
  auto eta = create_assessor("ASHA", Json{{"reduction_factor", 1}});
  ASSERT_FALSE(eta.is_ok());
}

}  // namespace
}  // namespace archer
