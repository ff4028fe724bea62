// One manager suite, run against both real proposers (manager/proposer.h):
// Archer's tuner (Random) and NNI's dispatcher (running a customised NNI
// tuner that samples the same classic-NAS space). The training service is
// the in-process fake, so the suite checks the manager-proposer seam only.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "archer/tuner.h"
#include "manager/dispatcher_proposer.h"
#include "manager/experiment_manager.h"
#include "manager/tuner_proposer.h"
#include "testing/fake_training_service.h"
#include "testing/manager_harness.h"
#include "testing/nni_code.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

using testing::FakeOutcome;
using testing::FakeTrainingService;

// A customised NNI tuner: random architectures of a classic-NAS space.
const char* kClassicRandom = R"(import random
from nni.tuner import Tuner

class ClassicRandom(Tuner):
    def __init__(self, seed=0):
        self.rng = random.Random(seed)

    def update_search_space(self, search_space):
        self.space = search_space

    def generate_parameters(self, parameter_id, **kwargs):
        out = {}
        for key, spec in self.space.items():
            if spec['_type'] == 'layer_choice':
                i = self.rng.randrange(len(spec['_value']))
                out[key] = {'_value': spec['_value'][i], '_idx': i}
            else:
                c = spec['_value']['candidates']
                idx = sorted(self.rng.sample(range(len(c)), spec['_value'].get('n_chosen', 1)))
                out[key] = {'_value': [c[i] for i in idx], '_idx': idx}
        return out

    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        pass
)";

class ProposerSuite : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (nni() && !testing::nni_available())
      GTEST_SKIP() << "NNI's code is not at " << testing::nni_dir();
    testing::write_file(dir.file("classic_random.py"), kClassicRandom);
  }
  bool nni() const { return GetParam() == "nni"; }

  ExperimentConfig config(int max_trials) const {
    const std::string tuner =
        nni() ? "tuner:\n  className: classic_random.ClassicRandom\n"
                "  classArgs: {seed: 5}\n"
              : "tuner: {name: Random, classArgs: {seed: 5}}\n";
    auto c = parse_experiment_config(
        "searchSpace: {a: {_type: layer_choice, _value: [x, y]}, b: {_type: "
        "layer_choice, _value: [p, q]}, s: {_type: input_choice, _value: "
        "{candidates: ['', ''], n_chosen: 1}}}\ntrialCommand: ./trial\n"
        "trialConcurrency: 2\nmaxTrialNumber: " +
            std::to_string(max_trials) + "\n" + tuner,
        "exp.yml", dir.path());
    EXPECT_TRUE(c.is_ok()) << c.status().message();
    return c.is_ok() ? c.value() : ExperimentConfig();
  }
  std::unique_ptr<Proposer> proposer(const ExperimentConfig& c) const {
    if (!nni()) {
      return std::make_unique<TunerProposer>(
          c, "exp12345", dir.file("exp"),
          std::move(create_tuner("Random", c.tuner_class_args)).value(),
          store.get());
    }
    DispatcherOptions d;
    d.python = testing::kNniPython;
    d.exp_params = c.dispatcher_params;
    d.log_path = dir.file("dispatcher.log");
    d.env["PYTHONPATH"] = testing::nni_pythonpath();
    return std::make_unique<DispatcherProposer>(d, DispatcherClient::Timeouts(),
                                                c.search_space_json,
                                                c.tuner_name, "exp12345");
  }
  void make(int max_trials, std::function<FakeOutcome(const Json&)> outcome) {
    const ExperimentConfig c = config(max_trials);
    auto service = std::make_unique<FakeTrainingService>(2, std::move(outcome));
    fake = service.get();
    manager = std::make_unique<ExperimentManager>(
        c, "exp12345", dir.file("exp"), proposer(c), std::move(service),
        store.get(), 7);
  }
  // Steps until DONE, `until` holds or 60 s pass (NNI's proposals come in
  // their own time).
  StatusOr<bool> run(std::function<bool()> until = [] { return false; }) {
    const auto limit =
        std::chrono::steady_clock::now() + std::chrono::seconds(60);
    StatusOr<bool> more = true;
    while (more.is_ok() && more.value() && !until() &&
           std::chrono::steady_clock::now() < limit) {
      more = manager->step(std::chrono::milliseconds(0));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return more;
  }
  static FakeOutcome by_score(const Json& r) {
    return FakeOutcome{dumps(Json(testing::score(r)))};
  }

  testing::TempDir dir;
  std::shared_ptr<Store> store = std::move(Store::open(":memory:")).value();
  FakeTrainingService* fake = nullptr;
  std::unique_ptr<ExperimentManager> manager;
};

TEST_P(ProposerSuite, RunsToDoneWithinTheBudgetWithValidArchitectures) {
  make(6, by_score);
  ASSERT_TRUE(manager->start().is_ok());
  auto done = run();
  ASSERT_TRUE(done.is_ok()) << done.status().message();
  EXPECT_FALSE(done.value());
  const auto trials = store->trials().value();
  ASSERT_EQ(trials.size(), 6u);
  double best = -1;
  for (const auto& t : trials) {
    EXPECT_STREQ(to_string(t.status), "SUCCEEDED");
    const Json params = stored_parameters(t);
    EXPECT_TRUE(
        architecture_from_json(manager->config().search_space, params, "trial")
            .is_ok())
        << dumps(params);
    best = std::max(best, testing::score(stored_record(t)));
  }
  const Progress p = manager->progress();
  EXPECT_STREQ(to_string(p.status), "DONE");
  EXPECT_EQ(p.succeeded, 6);
  EXPECT_EQ(p.best_metric, best);
  EXPECT_EQ(testing::score(Json{{"parameters", p.best_architecture}}), best);
}

TEST_P(ProposerSuite, FailedTrialsAreCountedAndTheSearchGoesOn) {
  make(6, [](const Json& r) {
    return r["parameters"]["a"]["_idx"] == 0
               ? FakeOutcome{"", TrialStatus::kFailed}
               : by_score(r);
  });
  ASSERT_TRUE(manager->start().is_ok());
  ASSERT_TRUE(run().is_ok());
  const Progress p = manager->progress();
  EXPECT_EQ(p.succeeded + p.failed, 6);
  EXPECT_EQ(p.submitted, 6);
  EXPECT_STREQ(to_string(p.status), "DONE");
}

TEST_P(ProposerSuite, KilledTrialsEndAsCancelled) {
  make(3, [](const Json&) {
    FakeOutcome o;
    o.hang = true;
    return o;
  });
  ASSERT_TRUE(manager->start().is_ok());
  ASSERT_TRUE(run([&] { return fake->submitted.size() == 2; }).is_ok());
  ASSERT_EQ(fake->submitted.size(), 2u);
  const std::string id = fake->submitted[0].trial_id;
  ASSERT_TRUE(manager->kill_trial(id).is_ok());
  EXPECT_EQ(manager->kill_trial("nosuch").code(), Status::Code::kNotFound);
  ASSERT_TRUE(run([&] { return fake->submitted.size() == 3; }).is_ok());
  EXPECT_STREQ(to_string(store->trial(id).value()->status), "USER_CANCELED");
  ASSERT_TRUE(manager->stop(std::chrono::milliseconds(200)).is_ok());
  EXPECT_STREQ(to_string(manager->progress().status), "STOPPED");
}

TEST_P(ProposerSuite, StopThenResumeGoesOnToTheBudget) {
  make(6, by_score);
  ASSERT_TRUE(manager->start().is_ok());
  ASSERT_TRUE(run([&] { return manager->progress().succeeded >= 2; }).is_ok());
  ASSERT_TRUE(manager->stop(std::chrono::milliseconds(200)).is_ok());
  manager.reset();
  make(6, by_score);
  ASSERT_TRUE(manager->resume().is_ok());
  EXPECT_GE(manager->progress().succeeded, 2);
  ASSERT_TRUE(run().is_ok());
  const auto trials = store->trials().value();
  EXPECT_EQ(trials.size(), 6u);
  std::set<std::int64_t> sequences, parameter_ids;
  for (const auto& t : trials) {
    sequences.insert(t.sequence_id);
    parameter_ids.insert(t.parameter_id.value_or(-1));
  }
  EXPECT_EQ(sequences.size(), 6u);
  EXPECT_EQ(parameter_ids.size(), 6u);
  EXPECT_STREQ(to_string(manager->progress().status), "DONE");
}

TEST_P(ProposerSuite, ImportedDataIsCheckedThenFed) {
  make(2, by_score);
  ASSERT_TRUE(manager->start().is_ok());
  auto bad = manager->import_data(
      Json::array({Json{{"parameter", 3}, {"value", 1}}}), "data.json");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("data.json: record 0: parameter"),
            std::string::npos)
      << bad.status().message();
  const Json good = {{"a", {{"_value", "y"}, {"_idx", 1}}},
                     {"b", {{"_value", "q"}, {"_idx", 1}}},
                     {"s", {{"_value", {""}}, {"_idx", {0}}}}};
  auto fed = manager->import_data(
      Json::array({Json{{"parameter", good}, {"value", "{\"default\": 3}"}},
                   Json{{"parameter", good}, {"value", nullptr}}}),
      "data.json");
  ASSERT_TRUE(fed.is_ok()) << fed.status().message();
  EXPECT_EQ(fed.value(), 1);
  ASSERT_TRUE(run().is_ok());
  EXPECT_STREQ(to_string(manager->progress().status), "DONE");
}

INSTANTIATE_TEST_SUITE_P(BothProposers, ProposerSuite,
                         ::testing::Values("archer", "nni"),
                         [](const auto& param) { return param.param; });

}  // namespace
}  // namespace archer
