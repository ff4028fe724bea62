#include <gtest/gtest.h>

#include <thread>

#include "archer/trial.h"
#include "common/metric_stream.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

TrialContext::Env local_env(const TempDir& dir) {
  return {{"NNI_PLATFORM", "local"},     {"NNI_EXP_ID", "exp1"},
          {"NNI_SYS_DIR", dir.path()},   {"NNI_OUTPUT_DIR", dir.path()},
          {"NNI_TRIAL_JOB_ID", "Tr1al"}, {"NNI_TRIAL_SEQ_ID", "7"},
          {"UNRELATED", "ignored"}};
}

TEST(TrialContext, StandaloneBehavesLikeNni) {
  TrialContext ctx(TrialContext::Env{});
  EXPECT_EQ(ctx.platform(), TrialContext::Platform::kStandalone);
  EXPECT_EQ(ctx.get_current_parameter(), Json());
  EXPECT_EQ(ctx.get_next_parameter(), Json::object());
  EXPECT_EQ(ctx.experiment_id(), "STANDALONE");
  EXPECT_EQ(ctx.trial_id(), "STANDALONE");
  EXPECT_EQ(ctx.sequence_id(), 0);
  ::testing::internal::CaptureStdout();
  ctx.report_intermediate_result(Json(0.5));
  ctx.report_final_result(Json(0.75));
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("Intermediate result: 0.5 (Index 0)"), std::string::npos)
      << out;
  EXPECT_NE(out.find("Final result: 0.75"), std::string::npos) << out;
}

TEST(TrialContext, LocalWritesGoldenMetricBytes) {
  TempDir dir;
  write_file(
      dir.file("parameter.cfg"),
      R"({"parameter_id": 3, "parameter_source": "algorithm", "parameters": {"a": 1}, "parameter_index": 0})");
  TrialContext ctx(local_env(dir));
  EXPECT_EQ(ctx.platform(), TrialContext::Platform::kLocal);
  EXPECT_EQ(ctx.get_next_parameter(), Json::parse(R"({"a": 1})"));
  EXPECT_EQ(ctx.parameter_id(), 3);
  ctx.report_intermediate_result(Json(0.5));
  Json final_metric = Json::object();
  final_metric["default"] = 1.25;
  final_metric["other"] = 1;
  ctx.report_final_result(final_metric);
  EXPECT_EQ(read_file(dir.file(".nni/metrics")),
            read_file(testing::golden_path("metrics")));
  EXPECT_EQ(ctx.experiment_id(), "exp1");
  EXPECT_EQ(ctx.trial_id(), "Tr1al");
  EXPECT_EQ(ctx.sequence_id(), 7);
}

TEST(TrialContext, SecondGetNextParameterReturnsNullButKeepsRecord) {
  TempDir dir;
  write_file(dir.file("parameter.cfg"),
             R"({"parameter_id": 5, "parameters": {"x": 2}})");
  TrialContext ctx(local_env(dir));
  EXPECT_EQ(ctx.get_next_parameter()["x"], 2);
  EXPECT_TRUE(ctx.get_next_parameter().is_null());
  EXPECT_EQ(ctx.get_current_parameter()["x"], 2);
  ctx.report_final_result(Json(1));
  auto rec = parse_metric_payload(
      read_file(dir.file(".nni/metrics")).substr(8, std::string::npos), "m");
  ASSERT_TRUE(rec.is_ok()) << rec.status().message();
  EXPECT_EQ(rec.value().parameter_id,
            5);  // NNI would have lost the record here
}

TEST(TrialContext, IntermediateSequenceCountsUp) {
  TrialContext ctx(TrialContext::Env{{"NNI_PLATFORM", "unittest"}});
  ctx.set_test_parameters(Json::parse(R"({"k": 1})"));
  EXPECT_EQ(ctx.get_next_parameter()["k"], 1);
  EXPECT_EQ(ctx.experiment_id(), "fakeidex");
  EXPECT_EQ(ctx.trial_id(), "fakeidtr");
  for (int i = 0; i < 3; ++i) ctx.report_intermediate_result(Json(i));
  ctx.report_final_result(Json(9));
  auto sent = ctx.sent_metrics();
  ASSERT_EQ(sent.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    auto rec = parse_metric_payload(sent[static_cast<size_t>(i)], "m").value();
    EXPECT_EQ(rec.sequence, i);
    EXPECT_EQ(rec.type, "PERIODICAL");
  }
  auto last = parse_metric_payload(sent[3], "m").value();
  EXPECT_EQ(last.type, "FINAL");
  EXPECT_EQ(last.sequence, 0);
}

// A trial started again in its directory (ARCHER_TRIAL_RESTARTS, set by
// run.sh) knows it, and its intermediate results continue the earlier
// starts' sequence.
TEST(TrialContext, ARestartKnowsItAndContinuesTheSequence) {
  TempDir dir;
  write_file(dir.file("parameter.cfg"),
             R"({"parameter_id": 3, "parameters": {"a": 1}})");
  {
    TrialContext first(local_env(dir));
    EXPECT_EQ(first.restart_count(), 0);
    first.get_next_parameter();
    first.report_intermediate_result(Json(0.1));
    first.report_intermediate_result(Json(0.2));
  }
  TrialContext::Env env = local_env(dir);
  env["ARCHER_TRIAL_RESTARTS"] = "1";
  TrialContext again(env);
  EXPECT_EQ(again.restart_count(), 1);
  again.get_next_parameter();
  again.report_intermediate_result(Json(0.3));
  again.report_final_result(Json(0.4));
  MetricStreamDecoder decoder;
  decoder.feed(read_file(dir.file(".nni/metrics")));
  std::vector<std::pair<std::string, std::int64_t>> seen;
  while (auto r = decoder.next().value())
    seen.emplace_back(r->type, r->sequence);
  const std::vector<std::pair<std::string, std::int64_t>> want = {
      {"PERIODICAL", 0}, {"PERIODICAL", 1}, {"PERIODICAL", 2}, {"FINAL", 0}};
  EXPECT_EQ(seen, want);
  for (const char* bad : {"x", "-2", ""}) {
    env["ARCHER_TRIAL_RESTARTS"] = bad;
    EXPECT_EQ(TrialContext(env).restart_count(), 0) << bad;
  }
}

TEST(TrialContext, RejectsMetricsOfOtherShapes) {
  TrialContext ctx(TrialContext::Env{{"NNI_PLATFORM", "unittest"}});
  for (const char* bad :
       {R"("0.9")", R"({"loss": 1})", R"({"default": "x"})", "[1]", "null"}) {
    try {
      ctx.report_final_result(Json::parse(bad));
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_NE(
          std::string(e.what()).find("report_final_result: a metric must be a "
                                     "number or a JSON object with a "
                                     "numeric \"default\""),
          std::string::npos);
    }
  }
  EXPECT_THROW(ctx.report_intermediate_result(Json("x")), Error);
  EXPECT_NO_THROW(
      ctx.report_final_result(Json::parse(R"({"default": 1, "loss": "a"})")));
  EXPECT_TRUE(ctx.sent_metrics().size() == 1u);
}

TEST(TrialContext, MissingSysDirIsAClearError) {
  TrialContext ctx(TrialContext::Env{{"NNI_PLATFORM", "local"}});
  try {
    ctx.get_next_parameter();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("NNI_SYS_DIR is not set"),
              std::string::npos);
  }
}

TEST(TrialContext, BadParameterFileNamesThePath) {
  TempDir dir;
  write_file(dir.file("parameter.cfg"), "{\"parameter_id\": 1, ");
  TrialContext ctx(local_env(dir));
  try {
    ctx.get_next_parameter();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("parameter.cfg") +
                                         ": invalid JSON"),
              std::string::npos)
        << e.what();
  }
  TempDir dir2;
  write_file(dir2.file("parameter.cfg"), R"({"parameter_id": 1})");
  TrialContext ctx2(local_env(dir2));
  EXPECT_THROW(ctx2.get_next_parameter(), Error);
}

TEST(TrialContext, WaitsForParameterFileAfterRequestingIt) {
  TempDir dir;
  TrialContext ctx(local_env(dir));
  std::thread writer([&] {
    // Wait for the REQUEST_PARAMETER record before writing the parameter file.
    for (int i = 0; i < 200 && read_file(dir.file(".nni/metrics")).empty();
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    write_file(dir.file("parameter.cfg.tmp"),
               R"({"parameter_id": 2, "parameters": {"y": 1}})");
    std::rename(dir.file("parameter.cfg.tmp").c_str(),
                dir.file("parameter.cfg").c_str());
  });
  Json p = ctx.get_next_parameter();
  writer.join();
  EXPECT_EQ(p["y"], 1);
  std::string metrics = read_file(dir.file(".nni/metrics"));
  auto rec = parse_metric_payload(metrics.substr(8), "m");
  ASSERT_TRUE(rec.is_ok()) << rec.status().message();
  EXPECT_EQ(rec.value().type, "REQUEST_PARAMETER");
  EXPECT_EQ(rec.value().trial_job_id, "Tr1al");
}

TEST(TrialContext, BadSequenceIdIsAClearError) {
  TempDir dir;
  auto env = local_env(dir);
  env["NNI_TRIAL_SEQ_ID"] = "seven";
  TrialContext ctx(env);
  EXPECT_THROW(ctx.sequence_id(), Error);
}

}  // namespace
}  // namespace archer
