// PPOTuner: the conformance suite, its own serving rules, and a real learning
// test.
#include "tuner/ppo/ppo_tuner.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "archer/store.h"
#include "manager/experiment_manager.h"
#include "testing/generated_docs.h"
#include "testing/temp_dir.h"
#include "testing/tuner_conformance.h"
#include "training_service/local/local_training_service.h"
#include "tuner/sampling.h"
#include "tuner/simulator.h"

namespace archer {
namespace {

const bool kRegistered = (register_ppo_tuner(), true);

using testing::TunerCase;
using testing::TunerConformanceTest;

INSTANTIATE_TEST_SUITE_P(Ppo, TunerConformanceTest,
                         ::testing::Values(TunerCase{
                             "PPOTuner", Json{{"trials_per_update", 8},
                                              {"minibatch_size", 4},
                                              {"epochs_per_update", 2}}}),
                         testing::tuner_case_name);

SearchSpace target_space() {
  SearchSpace s;
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(s.add(Choice{"op" + std::to_string(i),
                             ChoiceType::kLayerChoice,
                             {"a", "b", "c", "d"},
                             std::nullopt})
                    .is_ok());
  }
  EXPECT_TRUE(
      s.add(Choice{"skip", ChoiceType::kInputChoice, {"", "", ""}, 1}).is_ok());
  return s;
}

// Reward: how many decisions equal 2 (the best architecture has every decision
// 2).
double matches(const Architecture& a) {
  double r = 0;
  for (size_t i = 0; i < a.size(); ++i)
    r += (a[i].size() == 1 && a[i][0] == 2) ? 1.0 : 0.0;
  return r;
}

Architecture best_of(const SearchSpace& space) {
  Architecture a;
  for (size_t i = 0; i < space.size(); ++i) a.push_back({2});
  return a;
}

TEST(PpoTuner, RegistryChecksArguments) {
  ASSERT_TRUE(kRegistered);
  EXPECT_TRUE(create_tuner("PPOTuner", Json()).is_ok());
  auto bad = create_tuner(
      "PPOTuner", Json{{"trials_per_update", 4}, {"minibatch_size", 8}});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().message(),
            "tuner 'PPOTuner': classArgs.minibatch_size (8) must not exceed "
            "classArgs.trials_per_update (4)");
  auto zero = create_tuner("PPOTuner", Json{{"trials_per_update", 0}});
  ASSERT_FALSE(zero.is_ok());
  EXPECT_NE(zero.status().message().find(
                "classArgs.trials_per_update: expected an integer in "
                "[1, 99999], got 0"),
            std::string::npos);
  EXPECT_FALSE(create_tuner("PPOTuner", Json{{"lr", "fast"}}).is_ok());
}

TEST(PpoTuner, RequestsBeyondTheBatchAreNotReadyAndFailuresAreLeftOut) {
  PpoOptions o;
  o.trials_per_update = 4;
  o.minibatch_size = 2;
  o.seed = 3;
  PpoTuner tuner(o);
  ASSERT_TRUE(tuner.update_search_space(target_space()).is_ok());
  std::vector<Architecture> archs;
  for (int id = 0; id < 4; ++id) {
    Proposal p = tuner.generate_parameters(id);
    ASSERT_EQ(p.kind, Proposal::Kind::kReady);
    archs.push_back(p.architecture);
  }
  EXPECT_EQ(tuner.generate_parameters(4).kind, Proposal::Kind::kNotReady);
  for (int id = 0; id < 4; ++id)
    tuner.trial_end(id, false);  // every trial failed
  EXPECT_EQ(tuner.updates(),
            0);  // nothing to learn from, but a new batch is served
  for (int id = 10; id < 14; ++id) {
    ASSERT_EQ(tuner.generate_parameters(id).kind, Proposal::Kind::kReady);
  }
  tuner.receive_trial_result(10, archs[0], 1.0);
  tuner.trial_end(10, true);
  tuner.trial_end(11, false);
  tuner.receive_trial_result(12, archs[1], 2.0);
  tuner.receive_trial_result(12, archs[1], 9.0);  // repeated report: ignored
  tuner.trial_end(12, true);
  EXPECT_EQ(tuner.updates(), 0);  // one trial still running
  tuner.trial_end(13, false);
  EXPECT_EQ(tuner.updates(), 1);
}

TEST(PpoTuner, PolicyLearnsTheBestArchitecture) {
  PpoOptions o;
  o.trials_per_update = 20;
  o.minibatch_size = 5;
  o.epochs_per_update = 4;
  o.lr = 3e-3;
  o.seed = 42;
  PpoTuner tuner(o);
  SearchSpace space = target_space();
  ASSERT_TRUE(tuner.update_search_space(space).is_ok());
  const Architecture best = best_of(space);
  std::vector<double> logp = {tuner.log_probability(best)};
  std::int64_t next = 0;
  for (int round = 0; round < 4; ++round) {
    auto r = tuner::simulate(
        tuner,
        [](const Architecture& a) { return std::optional<double>(matches(a)); },
        100, 2, next);
    next += 1000;
    logp.push_back(tuner.log_probability(best));
  }
  EXPECT_EQ(tuner.updates(), 20);
  // Uniform start: log(1/4^4 * 1/3) = -6.6. It must rise round after round, and
  // by a lot.
  EXPECT_NEAR(logp.front(), std::log(1.0 / (256.0 * 3.0)), 0.1);
  for (size_t i = 1; i < logp.size(); ++i)
    EXPECT_GT(logp[i], logp[i - 1]) << "round " << i;
  EXPECT_GT(logp.back(), logp.front() + 3.0);
}

TEST(PpoTuner, SaveAndLoadRestoreThePolicy) {
  PpoOptions o;
  o.trials_per_update = 8;
  o.seed = 5;
  PpoTuner a(o);
  SearchSpace space = target_space();
  ASSERT_TRUE(a.update_search_space(space).is_ok());
  tuner::simulate(
      a,
      [](const Architecture& x) { return std::optional<double>(matches(x)); },
      32, 2);
  ASSERT_GT(a.updates(), 0);
  Json state = a.save();
  o.seed = 6;
  PpoTuner b(o);
  ASSERT_TRUE(b.update_search_space(space).is_ok());
  ASSERT_TRUE(b.load(state).is_ok());
  EXPECT_NEAR(a.log_probability(best_of(space)),
              b.log_probability(best_of(space)), 1e-6);
  EXPECT_FALSE(b.load(Json{{"format", "other"}}).is_ok());
}

TEST(PpoTuner, ImportDataTrainsOnHistory) {
  PpoOptions o;
  o.trials_per_update = 10;
  o.minibatch_size = 5;
  o.lr = 3e-3;
  o.seed = 8;
  PpoTuner tuner(o);
  SearchSpace space = target_space();
  ASSERT_TRUE(tuner.update_search_space(space).is_ok());
  double before = tuner.log_probability(best_of(space));
  tuner::Rng rng(1);
  std::vector<TrialHistory> history;
  for (int i = 0; i < 60; ++i) {
    Architecture a = tuner::random_architecture(space, rng);
    history.push_back(
        {i, a, i % 7 == 0 ? std::nullopt : std::optional<double>(matches(a))});
  }
  tuner.import_data(history);
  EXPECT_EQ(tuner.updates(), 6);  // 52 successful trials: 6 batches of up to 10
  EXPECT_GT(tuner.log_probability(best_of(space)), before);
  EXPECT_EQ(tuner.generate_parameters(100).kind, Proposal::Kind::kReady);
}

// docs/tuners.md embeds the registry's argument tables; regenerate with
// ARCHER_UPDATE_DOCS=1 archer_torch_tests --gtest_filter=TunerDocs.*
// PPO under an assessor: trials stopped early reach it as failures, and the
// experiment goes on to its budget. Even sequence ids report 0.9 and finish;
// odd ones report 0.1 and would train two minutes.
TEST(PpoTuner, WorksWithAnAssessorStoppingTrials) {
  testing::TempDir dir;
  auto c = parse_experiment_config(
      "searchSpace: {op: {_type: layer_choice, _value: [a, b, c]}}\n"
      "trialCommand: x\ntrialConcurrency: 1\nmaxTrialNumber: 6\n"
      "tuner: {name: PPOTuner, classArgs: {trials_per_update: 4, "
      "minibatch_size: 2, epochs_per_update: 1, seed: 3}}\n"
      "assessor: {name: ASHA, classArgs: {reduction_factor: 2, max_step: 4}}\n",
      "exp.yml", dir.path());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  ExperimentConfig config = c.value();
  config.trial_command =
      "cd \"$NNI_OUTPUT_DIR\"; r() { printf 'ME%06d%s\\n' $((${#1}+1)) "
      "\"$1\" >> .nni/metrics; }; "
      "if [ $((NNI_TRIAL_SEQ_ID % 2)) = 0 ]; then v=0.9; else v=0.1; fi; "
      "r '{\"parameter_id\": 0, \"trial_job_id\": \"t\", \"type\": "
      "\"PERIODICAL\", \"sequence\": 0, \"value\": \"'$v'\"}'; "
      "[ $v = 0.9 ] || sleep 120; "
      "r '{\"parameter_id\": 0, \"trial_job_id\": \"t\", \"type\": "
      "\"FINAL\", \"sequence\": 0, \"value\": \"'$v'\"}'";
  config.trial_code_directory = dir.path();
  auto store = std::move(Store::open(":memory:")).value();
  LocalTrainingService::Options o;
  o.kill_grace = std::chrono::milliseconds(500);
  ExperimentManager m(
      config, "exp", dir.file("exp"),
      std::move(create_tuner("PPOTuner", config.tuner_class_args)).value(),
      std::move(LocalTrainingService::create(o)).value(), store.get(), 3);
  ASSERT_TRUE(m.start().is_ok());
  const auto limit =
      std::chrono::steady_clock::now() + std::chrono::seconds(90);
  StatusOr<bool> more = true;
  while (more.is_ok() && more.value() &&
         std::chrono::steady_clock::now() < limit)
    more = m.step(std::chrono::milliseconds(100));
  ASSERT_TRUE(more.is_ok()) << more.status().message();
  EXPECT_FALSE(more.value()) << "the experiment should have ended";
  auto trials = store->trials().value();
  ASSERT_EQ(trials.size(), 6u);
  for (const auto& t : trials) {
    EXPECT_EQ(t.status, t.sequence_id % 2 == 0 ? TrialStatus::kSucceeded
                                               : TrialStatus::kEarlyStopped)
        << t.trial_id << " " << t.message;
  }
  EXPECT_EQ(m.progress().early_stopped, 3);
}

TEST(TunerDocs, ArgumentTablesMatchTheRegistry) {
  testing::expect_generated_section(
      std::string(ARCHER_SOURCE_DIR) + "/docs/tuners.md", "tuner_args",
      tuners_markdown());
}

}  // namespace
}  // namespace archer
