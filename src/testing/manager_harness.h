// Manager tests' fixtures: a small search space config and a manager on a fake
// training service.
#ifndef ARCHER_TESTING_MANAGER_HARNESS_H_
#define ARCHER_TESTING_MANAGER_HARNESS_H_

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "archer/config.h"
#include "archer/store.h"
#include "manager/experiment_manager.h"
#include "testing/fake_training_service.h"

namespace archer {
namespace testing {

inline ExperimentConfig config_for(const std::string& tuner, Json args,
                                   int concurrency,
                                   std::optional<std::int64_t> max_trials) {
  std::string yaml =
      "searchSpace: {a: {_type: layer_choice, _value: [x, y]}, b: {_type: "
      "layer_choice, "
      "_value: [p, q]}, s: {_type: input_choice, _value: {candidates: ['', "
      "''], n_chosen: 1}}}\n"
      "trialCommand: ./trial\ntrialConcurrency: " +
      std::to_string(concurrency) + "\ntuner:\n  name: " + tuner + "\n";
  if (max_trials)
    yaml += "maxTrialNumber: " + std::to_string(*max_trials) + "\n";
  auto c = parse_experiment_config(yaml, "exp.yml", "/tmp");
  EXPECT_TRUE(c.is_ok()) << c.status().message();
  ExperimentConfig e = c.value();
  e.tuner_class_args = args;
  return e;
}

// The architecture's score: a=y counts 2, b=q counts 1 (best: a=y, b=q -> 3).
inline double score(const Json& record) {
  const Json& p = record["parameters"];
  return (p["a"]["_idx"] == 1 ? 2.0 : 0.0) + (p["b"]["_idx"] == 1 ? 1.0 : 0.0);
}

// A manager on a fake training service and a store (a fresh in-memory one
// unless given: a second Harness on the first one's store is a restarted
// manager).
struct Harness {
  std::shared_ptr<Store> store;
  FakeTrainingService* fake = nullptr;
  Tuner* tuner = nullptr;  // owned by the manager's proposer
  std::unique_ptr<ExperimentManager> manager;

  Harness(const ExperimentConfig& config, int slots,
          std::function<FakeOutcome(const Json&)> outcome,
          std::shared_ptr<Store> existing = nullptr)
      : store(existing ? existing
                       : std::shared_ptr<Store>(
                             std::move(Store::open(":memory:")).value())) {
    Json args = config.tuner_class_args;
    args["seed"] = 1;
    auto created = create_tuner(config.tuner_name, args);
    EXPECT_TRUE(created.is_ok()) << created.status().message();
    auto service =
        std::make_unique<FakeTrainingService>(slots, std::move(outcome));
    fake = service.get();
    tuner = created.is_ok() ? created.value().get() : nullptr;
    manager = std::make_unique<ExperimentManager>(
        config, "exp12345", "/tmp/exp12345", std::move(created).value(),
        std::move(service), store.get(), 7);
  }
  int run(int max_steps = 1000) {
    int steps = 0;
    while (steps < max_steps) {
      auto more = manager->step(std::chrono::milliseconds(0));
      EXPECT_TRUE(more.is_ok()) << more.status().message();
      ++steps;
      if (!more.is_ok() || !more.value()) break;
    }
    return steps;
  }
};

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_MANAGER_HARNESS_H_
