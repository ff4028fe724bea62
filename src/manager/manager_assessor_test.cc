// The manager with an assessor over real local trials.
#include <gtest/gtest.h>

#include "archer/store.h"
#include "manager/experiment_manager.h"
#include "testing/temp_dir.h"
#include "training_service/local/local_training_service.h"

namespace archer {
namespace {

using std::chrono::milliseconds;

// Trial 0 reports 0.9 and finishes; the others report 0.1, then would train
// for two minutes before their final result.
const char* kTrial =
    "cd \"$NNI_OUTPUT_DIR\"; r() { printf 'ME%06d%s\\n' $((${#1}+1)) \"$1\" "
    ">> .nni/metrics; }; "
    "if [ \"$NNI_TRIAL_SEQ_ID\" = 0 ]; then v=0.9; else v=0.1; fi; "
    "r '{\"parameter_id\": 0, \"trial_job_id\": \"t\", \"type\": "
    "\"PERIODICAL\", \"sequence\": 0, \"value\": \"'$v'\"}'; "
    "[ \"$NNI_TRIAL_SEQ_ID\" = 0 ] || sleep 120; "
    "r '{\"parameter_id\": 0, \"trial_job_id\": \"t\", \"type\": \"FINAL\", "
    "\"sequence\": 0, \"value\": \"'$v'\"}'";

ExperimentConfig config(const testing::TempDir& dir) {
  auto c = parse_experiment_config(
      "searchSpace: {op: {_type: layer_choice, _value: [a, b, c]}}\n"
      "trialCommand: x\ntrialConcurrency: 1\nmaxTrialNumber: 3\n"
      "tuner: {name: Random, classArgs: {dedup: false, seed: 2}}\n"
      "assessor: {name: Medianstop, classArgs: {start_step: 1}}\n",
      "exp.yml", dir.path());
  EXPECT_TRUE(c.is_ok()) << c.status().message();
  ExperimentConfig e = c.value();
  e.trial_command = kTrial;
  e.trial_code_directory = dir.path();
  return e;
}

// A manager over the local platform (SIGKILL 0.5 s after a cancel).
std::unique_ptr<ExperimentManager> manager(const ExperimentConfig& c,
                                           const testing::TempDir& dir,
                                           Store* store, std::uint64_t seed) {
  LocalTrainingService::Options o;
  o.kill_grace = milliseconds(500);
  return std::make_unique<ExperimentManager>(
      c, "exp", dir.file("exp"),
      std::move(create_tuner("Random", c.tuner_class_args)).value(),
      std::move(LocalTrainingService::create(o)).value(), store, seed);
}

StatusOr<bool> run(ExperimentManager& m, int seconds) {
  const auto limit =
      std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  StatusOr<bool> more = true;
  while (more.is_ok() && more.value() &&
         std::chrono::steady_clock::now() < limit)
    more = m.step(milliseconds(100));
  return more;
}

TEST(ManagerAssessor, ATrialJudgedBadIsStoppedEarlyWithItsReason) {
  testing::TempDir dir;
  ExperimentConfig c = config(dir);
  auto store = std::move(Store::open(":memory:")).value();
  auto m = manager(c, dir, store.get(), 5);
  ASSERT_TRUE(m->start().is_ok());
  auto more = run(*m, 60);  // the stopped trials would train for 2 minutes
  ASSERT_TRUE(more.is_ok()) << more.status().message();
  EXPECT_FALSE(more.value());
  auto trials = store->trials().value();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].status, TrialStatus::kSucceeded);
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(trials[i].status, TrialStatus::kEarlyStopped);
    EXPECT_NE(trials[i].message.find("stopped early: Medianstop at step 1"),
              std::string::npos)
        << trials[i].message;
  }
  EXPECT_EQ(m->progress().best_trial_id, trials[0].trial_id);
}

// The local platform, with the cancel() calls recorded.
class CancelSpy : public TrainingService {
 public:
  explicit CancelSpy(std::unique_ptr<TrainingService> inner)
      : inner_(std::move(inner)) {}
  int free_slots() const override { return inner_->free_slots(); }
  Status submit(const TrialSpec& spec) override { return inner_->submit(spec); }
  Status cancel(const std::string& id, TrialStatus status) override {
    cancelled.emplace_back(id, status);
    return inner_->cancel(id, status);
  }
  StatusOr<std::vector<TrialEvent>> poll(milliseconds timeout) override {
    return inner_->poll(timeout);
  }
  int running() const override { return inner_->running(); }
  Status set_max_parallel(int n) override {
    return inner_->set_max_parallel(n);
  }
  Status adopt(const TrialSpec& spec, const std::string& handle) override {
    return inner_->adopt(spec, handle);
  }
  std::vector<std::pair<std::string, TrialStatus>> cancelled;

 private:
  std::unique_ptr<TrainingService> inner_;
};

TEST(ManagerAssessor, TheStopIsIssuedInTheStepThatStoresTheBadResult) {
  testing::TempDir dir;
  ExperimentConfig c = config(dir);
  c.max_trial_number = 2;
  auto store = std::move(Store::open(":memory:")).value();
  LocalTrainingService::Options o;
  o.kill_grace = milliseconds(500);
  auto spy = std::make_unique<CancelSpy>(
      std::move(LocalTrainingService::create(o)).value());
  CancelSpy* cancels = spy.get();
  ExperimentManager m(
      c, "exp", dir.file("exp"),
      std::move(create_tuner("Random", c.tuner_class_args)).value(),
      std::move(spy), store.get(), 5);
  ASSERT_TRUE(m.start().is_ok());
  const auto limit =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool stored = false;
  StatusOr<bool> more = true;
  while (more.is_ok() && more.value() &&
         std::chrono::steady_clock::now() < limit) {
    more = m.step(milliseconds(100));
    auto trials = store->trials().value();
    if (stored || trials.size() < 2) continue;
    if (store->metrics(trials[1].trial_id).value().empty()) continue;
    // The step that stored trial 1's bad result also stopped it.
    stored = true;
    ASSERT_EQ(cancels->cancelled.size(), 1u);
    EXPECT_EQ(cancels->cancelled[0].first, trials[1].trial_id);
    EXPECT_EQ(cancels->cancelled[0].second, TrialStatus::kEarlyStopped);
  }
  ASSERT_TRUE(more.is_ok()) << more.status().message();
  EXPECT_TRUE(stored);
  EXPECT_FALSE(more.value());  // it ended long before its 2 minutes
  EXPECT_EQ(store->trials().value()[1].status, TrialStatus::kEarlyStopped);
}

TEST(ManagerAssessor, AshaStopsTrialsOutsideTheTopOfTheirRung) {
  testing::TempDir dir;
  ExperimentConfig c = config(dir);
  c.assessor_name = "ASHA";
  c.assessor_class_args = {{"reduction_factor", 2}, {"max_step", 4}};
  auto store = std::move(Store::open(":memory:")).value();
  auto m = manager(c, dir, store.get(), 5);
  ASSERT_TRUE(m->start().is_ok());
  auto more = run(*m, 60);
  ASSERT_TRUE(more.is_ok()) << more.status().message();
  EXPECT_FALSE(more.value());
  auto trials = store->trials().value();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].status, TrialStatus::kSucceeded);
  EXPECT_EQ(trials[1].status, TrialStatus::kEarlyStopped);
  EXPECT_NE(trials[1].message.find("stopped early: ASHA at rung 0"),
            std::string::npos)
      << trials[1].message;
}

TEST(ManagerAssessor, ResumeRebuildsTheAssessorFromTheStore) {
  testing::TempDir dir;
  ExperimentConfig c = config(dir);
  c.max_trial_number = 1;
  const std::string db = dir.file("db.sqlite");
  {
    auto store = std::move(Store::open(db)).value();
    auto m = manager(c, dir, store.get(), 5);
    ASSERT_TRUE(m->start().is_ok());
    ASSERT_TRUE(run(*m, 30).is_ok());  // trial 0: 0.9, SUCCEEDED
  }
  // The resumed manager knows trial 0, so the next one (0.1) is stopped.
  auto store = std::move(Store::open(db)).value();
  ASSERT_TRUE(store->put_value("config", c.canonical).is_ok());
  c.max_trial_number = 2;
  auto m = manager(c, dir, store.get(), 6);
  ASSERT_TRUE(m->resume().is_ok());
  auto more = run(*m, 60);
  ASSERT_TRUE(more.is_ok()) << more.status().message();
  auto trials = store->trials().value();
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[1].status, TrialStatus::kEarlyStopped) << trials[1].message;
}

}  // namespace
}  // namespace archer
