#include "manager/experiment_manager.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "common/nni_ids.h"
#include "store/status_report.h"
#include "testing/fake_training_service.h"
#include "testing/manager_harness.h"
#include "testing/temp_dir.h"
#include "training_service/local/local_training_service.h"

namespace archer {
namespace {

using testing::config_for;
using testing::FakeOutcome;
using testing::FakeTrainingService;
using testing::Harness;
using testing::score;

TEST(ExperimentManager, RunsMaxTrialNumberTrialsAndStoresEverything) {
  ExperimentConfig c = config_for("Random", Json{{"dedup", false}}, 2, 6);
  Harness h(c, 2, [](const Json& r) {
    return FakeOutcome{std::to_string(score(r)), TrialStatus::kSucceeded,
                       false};
  });
  ASSERT_TRUE(h.manager->start().is_ok());
  h.run();
  Progress p = h.manager->progress();
  EXPECT_STREQ(to_string(p.status), "DONE");
  EXPECT_EQ(p.submitted, 6);
  EXPECT_EQ(p.succeeded, 6);
  EXPECT_EQ(h.fake->max_running, 2);
  auto trials = h.store->trials().value();
  ASSERT_EQ(trials.size(), 6u);
  std::set<std::string> ids;
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_STREQ(to_string(trials[i].status), "SUCCEEDED");
    EXPECT_EQ(trials[i].sequence_id, static_cast<std::int64_t>(i));
    EXPECT_EQ(trials[i].trial_id.size(), 5u);
    EXPECT_TRUE(
        std::isalpha(static_cast<unsigned char>(trials[i].trial_id[0])));
    ids.insert(trials[i].trial_id);
    Json record = Json::parse(trials[i].parameters);
    EXPECT_EQ(record["parameter_source"], "algorithm");
    EXPECT_EQ(record["parameter_index"], 0);
    EXPECT_TRUE(
        architecture_from_json(c.search_space, record["parameters"], "p")
            .is_ok());
  }
  EXPECT_EQ(ids.size(), 6u);
  EXPECT_EQ(h.store->metrics("").value().size(), 6u);
  EXPECT_EQ(h.store->get_value("status").value(), "DONE");
  EXPECT_EQ(h.store->get_value("next_sequence_id").value(), 6);
  // Threads are the training service's decision, for the trial's host.
  EXPECT_EQ(h.fake->submitted[0].env.count("OMP_NUM_THREADS"), 0u);
  ASSERT_TRUE(p.best_metric.has_value());
}

TEST(ExperimentManager, ExhaustedTunerEndsTheExperiment) {
  ExperimentConfig c = config_for("Random", Json::object(), 3, 100);
  Harness h(c, 3, [](const Json& r) {
    return FakeOutcome{std::to_string(score(r))};
  });
  ASSERT_TRUE(h.manager->start().is_ok());
  h.run();
  EXPECT_STREQ(to_string(h.manager->progress().status), "DONE");
  EXPECT_EQ(h.manager->progress().submitted,
            8);  // the whole 2x2x2 space, once each
  EXPECT_EQ(h.manager->progress().best_metric, 3.0);
  // Said wherever the state shows: the progress, the store, check-status.
  const std::string why = "search space exhausted: all 8 architectures tried";
  EXPECT_EQ(h.manager->progress().message, why);
  EXPECT_EQ(h.store->get_value("status_message").value(), why);
  const Json status = status_json(*h.store);
  EXPECT_EQ(status["status"], "DONE");
  EXPECT_EQ(status["message"], why);
  EXPECT_EQ(status["errors"], Json::array());
}

TEST(ExperimentManager, ABudgetReachedSaysNothingAndALargerOneRevivesIt) {
  ExperimentConfig c = config_for("Random", Json::object(), 1, 2);
  Harness h(c, 1, [](const Json& r) {
    return FakeOutcome{std::to_string(score(r))};
  });
  ASSERT_TRUE(h.manager->start().is_ok());
  h.run();
  EXPECT_STREQ(to_string(h.manager->progress().status), "DONE");
  EXPECT_EQ(h.manager->progress().message, "");
  EXPECT_FALSE(status_json(*h.store).contains("message"));
  // As NNI's: `update trialnum` on a DONE experiment its manager still
  // serves runs the new trials.
  ASSERT_TRUE(h.manager->update_max_trial_number(4).is_ok());
  EXPECT_STREQ(to_string(h.manager->progress().status), "RUNNING");
  h.run();
  EXPECT_STREQ(to_string(h.manager->progress().status), "DONE");
  EXPECT_EQ(h.manager->progress().succeeded, 4);
  // Past the space's 8: exhausted, and said.
  ASSERT_TRUE(h.manager->update_max_trial_number(20).is_ok());
  h.run();
  EXPECT_EQ(h.manager->progress().succeeded, 8);
  EXPECT_EQ(h.manager->progress().message,
            "search space exhausted: all 8 architectures tried");
  EXPECT_EQ(h.store->get_value("status").value(), "DONE");
}

TEST(ExperimentManager, NotReadyNeverLosesConcurrency) {
  // Evolution with a population of 4 and 3 slots: after the initial population
  // the tuner answers "not ready" until results arrive; each ending trial must
  // refill its slot.
  ExperimentConfig c =
      config_for("RegularizedEvolutionTuner",
                 Json{{"population_size", 4}, {"sample_size", 2}}, 3, 30);
  Harness h(c, 3, [](const Json& r) {
    return FakeOutcome{std::to_string(score(r))};
  });
  ASSERT_TRUE(h.manager->start().is_ok());
  h.run();
  EXPECT_STREQ(to_string(h.manager->progress().status), "DONE");
  EXPECT_EQ(h.manager->progress().submitted, 30);
  EXPECT_EQ(h.fake->max_running, 3);
  EXPECT_EQ(h.manager->progress().best_metric, 3.0);
}

TEST(ExperimentManager, RunsConcurrencyAtOrAbovePopulation) {
  // NNI refuses this (its NO_MORE_TRIAL trap); Archer runs it, the extra
  // slots idling only while the initial population has not reported.
  ExperimentConfig c =
      config_for("RegularizedEvolutionTuner",
                 Json{{"population_size", 2}, {"sample_size", 2}}, 3, 10);
  Harness h(c, 3, [](const Json& r) {
    return FakeOutcome{std::to_string(score(r))};
  });
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(h.manager->start().is_ok());
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("slots will idle until the initial population reports"),
            std::string::npos)
      << err;
  h.run();
  EXPECT_STREQ(to_string(h.manager->progress().status), "DONE");
  EXPECT_EQ(h.manager->progress().succeeded, 10);
}

TEST(ExperimentManager, FailuresBadMetricsAndMinimize) {
  ExperimentConfig c = config_for(
      "Random", Json{{"dedup", false}, {"optimize_mode", "minimize"}}, 1, 9);
  int n = 0;
  Harness h(c, 1, [&n](const Json& r) {
    int k = static_cast<int>(r["parameter_id"].get<std::int64_t>());
    ++n;
    if (k % 3 == 1)
      return FakeOutcome{"", TrialStatus::kFailed, false};  // crashed
    if (k % 3 == 2)
      return FakeOutcome{"\"oops\"", TrialStatus::kSucceeded,
                         false};  // unusable metric
    return FakeOutcome{std::to_string(10 - k), TrialStatus::kSucceeded, false};
  });
  ASSERT_TRUE(h.manager->start().is_ok());
  h.run();
  Progress p = h.manager->progress();
  EXPECT_EQ(p.submitted, 9);
  EXPECT_EQ(p.failed, 3);
  EXPECT_EQ(p.succeeded, 6);
  EXPECT_EQ(p.best_metric, 4.0);  // minimised: 10 - 6
}

TEST(ExperimentManager, MaxTrialDurationStopsTrialsEarly) {
  ExperimentConfig c = config_for("Random", Json{{"dedup", false}}, 1, 2);
  c.max_trial_duration = 0.0;
  Harness h(c, 1, [](const Json&) {
    return FakeOutcome{"", TrialStatus::kSucceeded, true};
  });
  ASSERT_TRUE(h.manager->start().is_ok());
  h.run(50);
  auto trials = h.store->trials().value();
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_STREQ(to_string(trials[0].status), "EARLY_STOPPED");
  EXPECT_STREQ(to_string(h.manager->progress().status), "DONE");
}

// maxTrialDuration counts from the trial's start: a trial waiting in a queue
// (a Slurm job PENDING) past the limit is not stopped; once it runs, it is.
TEST(ExperimentManager, MaxTrialDurationCountsFromTheStart) {
  ExperimentConfig c = config_for("Random", Json{{"dedup", false}}, 1, 1);
  c.max_trial_duration = 0.2;
  Harness h(c, 1, [](const Json&) {
    return FakeOutcome{"", TrialStatus::kSucceeded, true};
  });
  h.fake->hold_starts = true;
  ASSERT_TRUE(h.manager->start().is_ok());
  const auto queued_until =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (std::chrono::steady_clock::now() < queued_until)
    ASSERT_TRUE(h.manager->step(std::chrono::milliseconds(20)).is_ok());
  auto trials = h.store->trials().value();
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_STREQ(to_string(trials[0].status), "WAITING");  // queued, not stopped
  h.fake->release_starts();
  ASSERT_TRUE(h.manager->step(std::chrono::milliseconds(20)).is_ok());
  EXPECT_STREQ(to_string(h.store->trials().value()[0].status), "RUNNING");
  const auto limit =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < limit &&
         h.store->trials().value()[0].status == TrialStatus::kRunning)
    ASSERT_TRUE(h.manager->step(std::chrono::milliseconds(20)).is_ok());
  EXPECT_STREQ(to_string(h.store->trials().value()[0].status), "EARLY_STOPPED");
}

TEST(ExperimentManager, StopCancelsRunningTrials) {
  ExperimentConfig c = config_for("Random", Json{{"dedup", false}}, 2, 10);
  Harness h(c, 2, [](const Json&) {
    return FakeOutcome{"", TrialStatus::kSucceeded, true};
  });
  ASSERT_TRUE(h.manager->start().is_ok());
  h.run(3);
  ASSERT_TRUE(h.manager->stop(std::chrono::milliseconds(1000)).is_ok());
  EXPECT_STREQ(to_string(h.manager->progress().status), "STOPPED");
  for (const auto& t : h.store->trials().value())
    EXPECT_STREQ(to_string(t.status), "USER_CANCELED");
}

TEST(ExperimentManager, EndToEndWithPythonTrialsOnTheLocalService) {
  testing::TempDir dir;
  ExperimentConfig c =
      config_for("RegularizedEvolutionTuner",
                 Json{{"population_size", 3}, {"sample_size", 2}}, 2, 6);
  c.trial_code_directory = dir.path();
  c.trial_command =
      std::string("PYTHONPATH=") + ARCHER_PYTHON_DIR + " " + ARCHER_PYTHON +
      " -c \"import archer_trial as nni; p = nni.get_next_parameter(); "
      "nni.report_intermediate_result(0.1); "
      "nni.report_final_result(p['a']['_idx'] * 2 + p['b']['_idx'])\"";
  Json args = c.tuner_class_args;
  args["seed"] = 3;
  LocalTrainingService::Options o;
  o.max_parallel = 2;
  auto store = std::move(Store::open(dir.file("db.sqlite"))).value();
  ExperimentManager m(c, "e2e00001", dir.file("exp"),
                      std::move(create_tuner(c.tuner_name, args)).value(),
                      std::move(LocalTrainingService::create(o)).value(),
                      store.get(), 5);
  ASSERT_TRUE(m.start().is_ok());
  auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < limit) {
    auto more = m.step(std::chrono::milliseconds(200));
    ASSERT_TRUE(more.is_ok()) << more.status().message();
    if (!more.value()) break;
  }
  EXPECT_STREQ(to_string(m.progress().status), "DONE");
  EXPECT_EQ(m.progress().succeeded, 6);
  auto metrics = store->metrics("").value();
  EXPECT_EQ(metrics.size(), 12u);  // one PERIODICAL and one FINAL per trial
  for (const auto& t : store->trials().value()) {
    EXPECT_STREQ(to_string(t.status), "SUCCEEDED")
        << t.trial_id << " " << t.message;
    EXPECT_EQ(t.exit_code, 0);
  }
}

TEST(ExperimentManager, ATrialThatCannotStartIsAnErrorNotALoop) {
  ExperimentConfig c =
      config_for("Random", Json{{"dedup", false}}, 1, std::nullopt);
  Harness h(c, 1, [](const Json&) { return FakeOutcome{}; });
  h.fake->refuse_submissions = true;
  ASSERT_TRUE(h.manager->start().is_ok());
  auto more = h.manager->step(std::chrono::milliseconds(0));
  ASSERT_FALSE(more.is_ok());
  EXPECT_NE(more.status().message().find("no space left on device"),
            std::string::npos);
  auto trials = h.store->trials().value();
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_STREQ(to_string(trials[0].status), "FAILED");
  EXPECT_EQ(trials[0].message, "no space left on device");
}

TEST(ExperimentManager, ASubmissionRefusedLaterStopsLikeARefusedSubmit) {
  ExperimentConfig c =
      config_for("Random", Json{{"dedup", false}}, 1, std::nullopt);
  Harness h(c, 1, [](const Json&) { return FakeOutcome{}; });
  h.fake->refuse_later = "sbatch failed: invalid partition";
  ASSERT_TRUE(h.manager->start().is_ok());
  StatusOr<bool> more = true;
  for (int i = 0; i < 5 && more.is_ok() && more.value(); ++i)
    more = h.manager->step(std::chrono::milliseconds(0));
  ASSERT_FALSE(more.is_ok());
  EXPECT_NE(more.status().message().find("invalid partition"),
            std::string::npos);
  auto trials = h.store->trials().value();
  ASSERT_EQ(trials.size(), 1u);  // not a stream of failed trials
  EXPECT_STREQ(to_string(trials[0].status), "FAILED");
}

TEST(ExperimentIds, ShapesMatchNni) {
  std::mt19937_64 rng(1);
  std::string e = random_experiment_id(rng);
  EXPECT_EQ(e.size(), 8u);
  EXPECT_EQ(std::set<char>(e.begin(), e.end()).size(),
            8u);  // no repeated character
  std::string t = random_trial_id(rng);
  EXPECT_EQ(t.size(), 5u);
  EXPECT_TRUE(std::isalpha(static_cast<unsigned char>(t[0])));
}

}  // namespace
}  // namespace archer
