#include "store/ledger.h"

#include <gtest/gtest.h>

namespace archer {
namespace {

TrialRow row(const std::string& id, std::int64_t seq, TrialStatus status,
             std::int64_t end) {
  TrialRow r;
  r.trial_id = id;
  r.sequence_id = seq;
  r.status = status;
  r.end_time = end;
  r.parameters = R"({"parameter_id": 0, "parameters": {"k": ")" + id + R"("}})";
  return r;
}

MetricRow final_metric(const std::string& id, const std::string& value) {
  return MetricRow{id, 0, MetricType::kFinal, 0, value, 0};
}

TEST(Ledger, CountsEachEndOnce) {
  Ledger l;
  l.ended("a", 0, TrialStatus::kSucceeded, 10);
  l.ended("a", 0, TrialStatus::kFailed, 20);  // a repeat: ignored
  l.ended("b", 1, TrialStatus::kEarlyStopped, 30);
  l.ended("c", 2, TrialStatus::kUserCanceled, 25);
  EXPECT_EQ(l.counts().succeeded, 1);
  EXPECT_EQ(l.counts().early_stopped, 1);
  EXPECT_EQ(l.counts().failed, 1);
  EXPECT_EQ(l.counts().ended(), 3);
  EXPECT_EQ(l.last_end_ms(), 30);
}

TEST(Ledger, BestFollowsTheDirection) {
  Ledger max(OptimizeMode::kMaximize), min(OptimizeMode::kMinimize);
  for (Ledger* l : {&max, &min}) {
    l->result("a", 0, 0.5, Json{{"k", 1}});
    l->result("b", 1, 0.9, Json{{"k", 2}});
    l->result("c", 2, 0.1, Json{{"k", 3}});
  }
  ASSERT_TRUE(max.best() && min.best());
  EXPECT_EQ(max.best()->trial_id, "b");
  EXPECT_EQ(max.best()->parameters, (Json{{"k", 2}}));
  EXPECT_EQ(min.best()->trial_id, "c");
  EXPECT_DOUBLE_EQ(min.best()->value, 0.1);
}

TEST(Ledger, AFirstValueIsKept) {
  Ledger l;
  l.result("a", 0, 0.5, Json());
  l.result("a", 0, 0.9, Json());
  EXPECT_DOUBLE_EQ(l.best()->value, 0.5);
}

// Equal values: the trial that ended first, whatever order the ledger hears
// them in — the same trial live (manager) and from the store (REST, CLI).
TEST(Ledger, TiesGoToTheTrialThatEndedFirst) {
  Ledger live;
  live.result("late", 0, 0.7, Json());  // reported first, ends last
  live.result("early", 1, 0.7, Json());
  EXPECT_EQ(live.best()->trial_id, "late");  // neither ended: lower sequence
  live.ended("early", 1, TrialStatus::kSucceeded, 100);
  EXPECT_EQ(live.best()->trial_id, "early");
  live.ended("late", 0, TrialStatus::kSucceeded, 200);
  EXPECT_EQ(live.best()->trial_id, "early");

  const std::vector<TrialRow> rows = {
      row("late", 0, TrialStatus::kSucceeded, 200),
      row("early", 1, TrialStatus::kSucceeded, 100)};
  const std::vector<MetricRow> finals = {final_metric("late", "0.7"),
                                         final_metric("early", "0.7")};
  Ledger stored = Ledger::of(OptimizeMode::kMaximize, rows, finals);
  EXPECT_EQ(stored.best()->trial_id, "early");
  EXPECT_EQ(stored.best()->parameters, (Json{{"k", "early"}}));
  Ledger reversed = Ledger::of(OptimizeMode::kMaximize,
                               std::vector<TrialRow>{rows[1], rows[0]},
                               std::vector<MetricRow>{finals[1], finals[0]});
  EXPECT_EQ(reversed.best()->trial_id, "early");
}

TEST(Ledger, StoredValuesAreTheFirstUsableFinal) {
  const std::vector<TrialRow> rows = {row("a", 0, TrialStatus::kSucceeded, 5),
                                      row("b", 1, TrialStatus::kRunning, 0)};
  Ledger l =
      Ledger::of(OptimizeMode::kMaximize, rows,
                 std::vector<MetricRow>{final_metric("a", "\"text\""),
                                        final_metric("a", "{\"default\": 0.2}"),
                                        final_metric("a", "0.99"),
                                        final_metric("b", "0.1")});
  EXPECT_EQ(l.best()->trial_id, "a");
  EXPECT_DOUBLE_EQ(l.best()->value, 0.2);
  EXPECT_EQ(l.counts().ended(), 1);
}

}  // namespace
}  // namespace archer
