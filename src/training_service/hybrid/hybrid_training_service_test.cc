// Hybrid mode: the config's list form (each bad list one line naming the
// item), placement, handles and adoption (the conformance suite runs it too,
// and tests/hybrid_e2e_test.cc over local + remote + Slurm).
#include "training_service/hybrid/hybrid_training_service.h"

#include <gtest/gtest.h>

#include "archer/config.h"
#include "store/trial_where.h"
#include "testing/scripted_training_service.h"
#include "testing/service_conformance.h"
#include "testing/temp_dir.h"
#include "testing/trial_events.h"

namespace archer {
namespace {

using std::chrono::milliseconds;

const char kHead[] =
    "searchSpace: {a: {_type: layer_choice, _value: [x]}}\n"
    "trialCommand: t\ntrialConcurrency: 4\ntuner: {name: Random}\n"
    "trainingService: ";

TEST(HybridConfig, AListIsEachPlatformsSectionWithItsConcurrency) {
  auto c = parse_experiment_config(
      std::string(kHead) +
          "[{platform: local, trialConcurrency: 1}, {platform: slurm, "
          "cpusPerTrial: 2}]\n",
      "exp.yml", "/tmp");
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c.value().platform, kHybridPlatform);
  const Json& ts = c.value().training_service;
  ASSERT_TRUE(ts.is_array());
  EXPECT_EQ(ts[0]["trialConcurrency"], 1);
  EXPECT_TRUE(ts[1]["trialConcurrency"].is_null());  // the experiment's
  EXPECT_EQ(ts[1]["pollInterval"], 1);               // defaults filled in
  EXPECT_EQ(platforms_of(c.value().canonical), "hybrid (local, slurm)");
  PlatformContext ctx;
  ctx.experiment_id = "exp";
  ctx.experiment_dir = "/tmp/exp";
  auto service = create_training_service(c.value(), ctx);
  ASSERT_TRUE(service.is_ok()) << service.status().message();
  EXPECT_EQ(service.value()->free_slots(), 4);  // 1 + 4, capped at 4
}

TEST(HybridConfig, BadListsSayWhichItemAndWhy) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[{platform: local}, {platform: slurm}, {platform: local}]",
       "exp.yml:5: trainingService[2].platform: 'local' is already "
       "trainingService[0]; give each platform once"},
      {"[{platform: local}, {platform: kubeflow}]",
       "trainingService[1].platform: platform 'kubeflow' is not supported yet "
       "by Archer"},
      {"[{platform: local}, {platform: slrum}]", "did you mean 'slurm'?"},
      {"[]", "trainingService: an empty list; give one platform or several"},
      {"[local]",
       "trainingService[0]: expected a mapping {platform: ..., ...}, got "
       "\"local\""},
      {"[{platform: local, trialConcurrency: 0}]",
       "trainingService[0].trialConcurrency: expected an integer >= 1, got 0"},
      {"[{platform: local}, {platform: slurm, maxJobs: 0}]",
       "trainingService[1].maxJobs: expected an integer >= 1, got 0"},
      {"[{platform: local}, {platform: slurm, cpusPerTrial: 4, pilot: "
       "{cpusPerWorker: 2}}]",
       "trainingService[1].pilot.cpusPerWorker: a worker of 2 CPUs cannot "
       "fit 1 trial of cpusPerTrial 4"},
      {"[{platform: remote, machineList: [{host: h, user: u, prot: 22}]}]",
       "trainingService[0].machineList[0].prot: unknown key"},
      {"[{platform: local, gpuIndices: 0}, {platform: slurm}]\n"
       "trialGpuNumber: 1",
       "trainingService[0]"},
  };
  for (const auto& [bad, want] : cases) {
    auto c = parse_experiment_config(kHead + bad + "\n", "exp.yml", "/tmp");
    ASSERT_FALSE(c.is_ok()) << bad;
    EXPECT_NE(c.status().message().find(want), std::string::npos)
        << bad << "\n"
        << c.status().message();
    EXPECT_EQ(c.status().message().find('\n'), std::string::npos)
        << c.status().message();
  }
}

class HybridTest : public ::testing::Test {
 protected:
  std::unique_ptr<HybridTrainingService> make(int total) {
    std::vector<HybridTrainingService::Member> m;
    m.push_back({"near", std::make_unique<testing::ScriptedTrainingService>(
                             1, milliseconds(100))});
    m.push_back({"far", std::make_unique<testing::ScriptedTrainingService>(
                            2, milliseconds(100))});
    return std::make_unique<HybridTrainingService>(std::move(m), total);
  }
  TrialSpec spec(const std::string& id, double sleep_s) {
    testing::TrialScript s;
    s.sleep_s = sleep_s;
    TrialSpec t;
    t.trial_id = id;
    t.trial_dir = dir_.file("trials/" + id);
    t.command = testing::script_command(s);
    t.code_dir = dir_.path();
    return t;
  }
  testing::TempDir dir_;
};

TEST_F(HybridTest, TrialsGoToTheFirstFreePlatformAndSayWhere) {
  auto ts = make(3);
  EXPECT_EQ(ts->free_slots(), 3);
  for (const char* id : {"t1", "t2", "t3"})
    ASSERT_TRUE(ts->submit(spec(id, 0.2)).is_ok());
  EXPECT_EQ(ts->free_slots(), 0);  // the total, not the members' 1 + 2
  EXPECT_FALSE(ts->submit(spec("t4", 0)).is_ok());
  auto events = testing::poll_until_ended(*ts, 3, 10);
  auto handle = [&](const char* id) {
    return testing::find_event(events, TrialEvent::Kind::kStarted, id)->handle;
  };
  EXPECT_EQ(handle("t1").rfind("near:", 0), 0u) << handle("t1");
  EXPECT_EQ(handle("t2").rfind("far:", 0), 0u) << handle("t2");
  EXPECT_EQ(handle("t3").rfind("far:", 0), 0u) << handle("t3");
  EXPECT_EQ(testing::read_file(dir_.file("trials/t1/.nni/platform")), "near\n");
  EXPECT_EQ(ts->free_slots(), 3);
}

TEST_F(HybridTest, CancelAndAdoptionGoToTheTrialsOwnPlatform) {
  std::map<std::string, std::string> handles;
  {
    auto first = make(3);
    ASSERT_TRUE(first->submit(spec("a1", 2)).is_ok());
    ASSERT_TRUE(first->submit(spec("a2", 2)).is_ok());
    ASSERT_TRUE(first->submit(spec("a3", 30)).is_ok());
    for (const auto& e : testing::poll_once(*first, milliseconds(200))) {
      if (e.kind == TrialEvent::Kind::kStarted) handles[e.trial_id] = e.handle;
    }
    ASSERT_EQ(handles.size(), 3u);
  }
  auto second = make(3);
  ASSERT_TRUE(second->adopt(spec("a1", 2), handles["a1"]).is_ok());
  // No handle stored: its .nni/platform says where.
  ASSERT_TRUE(second->adopt(spec("a2", 2), "").is_ok());
  ASSERT_TRUE(second->adopt(spec("a3", 30), handles["a3"]).is_ok());
  ASSERT_TRUE(second->cancel("a3", TrialStatus::kUserCanceled).is_ok());
  // A platform no longer in the list: the trial ends, saying so.
  ASSERT_TRUE(second->adopt(spec("gone", 1), "cloud:17").is_ok());
  auto events = testing::poll_until_ended(*second, 4, 10);
  auto end = [&](const char* id) {
    return testing::find_event(events, TrialEvent::Kind::kEnded, id);
  };
  EXPECT_EQ(end("a1")->status, TrialStatus::kSucceeded) << end("a1")->message;
  EXPECT_EQ(end("a2")->status, TrialStatus::kSucceeded) << end("a2")->message;
  EXPECT_EQ(end("a3")->status, TrialStatus::kUserCanceled);
  EXPECT_EQ(end("gone")->status, TrialStatus::kSysCanceled);
  EXPECT_NE(end("gone")->message.find("platform cloud is no longer"),
            std::string::npos);
  EXPECT_EQ(testing::find_event(events, TrialEvent::Kind::kStarted, "a1"),
            nullptr);
}

TEST(TrialWhere, FromTheStoredConfigAndTheHandle) {
  const Json single = {{"trainingService", {{"platform", "slurm"}}}};
  EXPECT_EQ(trial_where(single, "12_3").text(), "slurm 12_3");
  const Json hybrid = {
      {"trainingService",
       Json::array({{{"platform", "local"}}, {{"platform", "remote"}}})}};
  const TrialWhere w = trial_where(hybrid, "remote:u@h:22/77");
  EXPECT_EQ(w.platform, "remote");
  EXPECT_EQ(w.detail, "u@h:22/77");
  EXPECT_EQ(trial_where(hybrid, "").text(), "");
  EXPECT_EQ(platforms_of(hybrid), "hybrid (local, remote)");
}

}  // namespace
}  // namespace archer
