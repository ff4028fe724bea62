// Hardware-aware search in the manager: the cost probe runs the trial
// command before training, infeasible proposals never become trials (the
// tuner hears infeasible()), verdicts are stored and cached, a probe that
// fails stops the experiment with a clear message, and multi-objective
// results reach the tuner.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "common/subprocess.h"
#include "manager/experiment_manager.h"
#include "rest/trial_index.h"
#include "store/experiment_files.h"
#include "store/trial_value.h"
#include "testing/fake_training_service.h"
#include "testing/manager_harness.h"
#include "testing/temp_dir.h"
#include "tuner/pareto_evolution_tuner.h"

namespace archer {
namespace {

using testing::FakeOutcome;
using testing::FakeTrainingService;
using testing::score;
using testing::TempDir;

// A trial command whose probe reports params 2000 for a=y, 500 for a=x
// (and, as `mode` says, misbehaves).
std::string probe_script(const TempDir& dir, const std::string& mode = "") {
  const std::string path = dir.file("trial.sh");
  std::ofstream f(path);
  f << "#!/bin/bash\n"
       "if [ -n \"$ARCHER_COST_PROBE\" ]; then\n"
    << (mode == "fail" ? "  echo 'boom: no such layer' >&2; exit 3\n" : "")
    << (mode == "silent" ? "  exit 0\n" : "")
    << (mode == "symlink"
            ? "  ln -s /etc/passwd \"$ARCHER_COST_PROBE\"; exit 0\n"
            : "")
    << (mode == "huge" ? "  yes 1 | head -c 100000 > "
                         "\"$ARCHER_COST_PROBE\"; exit 0\n"
                       : "")
    << (mode == "flood"
            ? "  head -c 30000000 /dev/zero; head -c 30000000 /dev/zero >&2\n"
              "  ln -s " +
                  dir.file("target") + " \"$NNI_SYS_DIR/probe.log\"\n"
            : "")
    << (mode == "nested" ? "  echo '{\"params\": {\"a\": 1}}' > "
                           "\"$ARCHER_COST_PROBE\"; exit 0\n"
                         : "")
    << "  p=500; grep -q '\"a\": {\"_value\": \"y\"' "
       "\"$NNI_SYS_DIR/parameter.cfg\" "
       "&& p=2000\n"
    << (mode == "nolatency"
            ? "  echo \"{\\\"params\\\": $p}\" > \"$ARCHER_COST_PROBE\"\n"
            : "  echo \"{\\\"params\\\": $p, \\\"latency_ms\\\": 1.5}\" > "
              "\"$ARCHER_COST_PROBE\"\n")
    << "  exit 0\nfi\necho training\n";
  f.close();
  return "bash " + path;
}

struct ProbeHarness {
  TempDir dir;
  std::shared_ptr<Store> store = std::move(Store::open(":memory:")).value();
  FakeTrainingService* fake = nullptr;
  Tuner* the_tuner = nullptr;  // owned by the manager's proposer
  std::unique_ptr<ExperimentManager> manager;

  ProbeHarness(const std::string& tuner, Json args, const std::string& extra,
               const std::string& mode = "", int max_trials = 20,
               std::shared_ptr<Store> existing = nullptr) {
    if (existing) store = existing;
    const std::string yaml =
        "searchSpace: {a: {_type: layer_choice, _value: [x, y]}, b: {_type: "
        "layer_choice, _value: [p, q]}, s: {_type: input_choice, _value: "
        "{candidates: ['', ''], n_chosen: 1}}}\ntrialCommand: " +
        probe_script(dir, mode) +
        "\ntrialConcurrency: 2\nmaxTrialNumber: " + std::to_string(max_trials) +
        "\ntuner:\n  name: " + tuner + "\n" + extra;
    auto c = parse_experiment_config(yaml, "exp.yml", dir.path());
    EXPECT_TRUE(c.is_ok()) << c.status().message();
    args["seed"] = 3;
    auto t = create_tuner(tuner, args);
    EXPECT_TRUE(t.is_ok()) << t.status().message();
    auto service = std::make_unique<FakeTrainingService>(2, [](const Json& r) {
      const double params = r["parameters"]["a"]["_idx"] == 1 ? 2000 : 500;
      return FakeOutcome{"{\"default\": " + std::to_string(score(r)) +
                         ", \"params\": " + std::to_string(params) + "}"};
    });
    fake = service.get();
    the_tuner = t.value().get();
    manager = std::make_unique<ExperimentManager>(
        c.value(), "exp12345", dir.file("exp"), std::move(t).value(),
        std::move(service), store.get(), 7);
  }
  // Steps until DONE or an error (bounded by a deadline, not a step count:
  // probes finish in their own time).
  Status run() {
    const auto limit =
        std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < limit) {
      auto more = manager->step(std::chrono::milliseconds(5));
      if (!more.is_ok()) return more.status();
      if (!more.value()) return Status::ok();
    }
    return Status::internal("did not finish in 120 s");
  }
};

TEST(ManagerProbe, InfeasibleProposalsAreNeverTrained) {
  ProbeHarness h("Random", Json::object(),
                 "constraints:\n  - {metric: params, max: 1000}\n");
  ASSERT_TRUE(h.manager->start().is_ok());
  ASSERT_TRUE(h.run().is_ok());
  const Progress p = h.manager->progress();
  EXPECT_STREQ(to_string(p.status), "DONE");
  // The 8 architectures: the 4 with a=y are rejected, the other 4 trained.
  EXPECT_EQ(p.submitted, 4);
  EXPECT_EQ(p.rejected, 4);
  for (const auto& t : h.store->trials().value())
    EXPECT_NE(t.parameters.find(R"("a": {"_value": "x")"), std::string::npos)
        << t.parameters;
  const Json totals = h.store->get_value(store_keys::kCostProbes).value();
  EXPECT_EQ(totals["probed"], 8);
  EXPECT_EQ(totals["rejected"], 4);
  // Each verdict is stored under its architecture.
  const Json first =
      Json::parse(h.store->trials().value()[0].parameters)["parameters"];
  const Json one =
      h.store
          ->get_value(std::string(store_keys::kCostProbePrefix) + dumps(first))
          .value();
  EXPECT_EQ(one["costs"]["params"], 500);
  EXPECT_EQ(one["feasible"], true);
  EXPECT_TRUE(one["seconds"].is_number());
}

TEST(ManagerProbe, AnArchitectureIsProbedOnce) {
  // Evolution repeats architectures: every repeat is answered from the store.
  ProbeHarness h("RegularizedEvolutionTuner",
                 Json{{"population_size", 3}, {"sample_size", 2}},
                 "constraints:\n  - {metric: latency_ms, max: 5}\n", "", 24);
  ASSERT_TRUE(h.manager->start().is_ok());
  ASSERT_TRUE(h.run().is_ok());
  EXPECT_EQ(h.manager->progress().submitted, 24);
  std::set<std::string> distinct;
  for (const auto& t : h.store->trials().value())
    distinct.insert(dumps(Json::parse(t.parameters)["parameters"]));
  const Json totals = h.store->get_value(store_keys::kCostProbes).value();
  EXPECT_EQ(totals["probed"], static_cast<int>(distinct.size()));
  EXPECT_LT(distinct.size(), 24u);
}

TEST(ManagerProbe, AResumeKeepsTheVerdictsAndTotals) {
  const std::string constraint =
      "constraints:\n  - {metric: params, max: 1000}\n";
  ProbeHarness first("Random", Json::object(), constraint, "", 2);
  ASSERT_TRUE(first.manager->start().is_ok());
  ASSERT_TRUE(first.run().is_ok());
  const int rejected_before = first.manager->progress().rejected;
  ProbeHarness again("Random", Json::object(), constraint, "", 20, first.store);
  ASSERT_TRUE(again.manager->resume().is_ok());
  EXPECT_EQ(again.manager->progress().rejected, rejected_before);
  ASSERT_TRUE(again.run().is_ok());
  // Every architecture probed once over both runs; 4 rejected in all.
  const Json totals = again.store->get_value(store_keys::kCostProbes).value();
  EXPECT_EQ(totals["probed"], 8);
  EXPECT_EQ(totals["rejected"], 4);
  EXPECT_EQ(again.manager->progress().rejected, 4);
  EXPECT_EQ(again.store->trials().value().size(), 4u);
}

TEST(ManagerProbe, AProbeThatFailsStopsWithItsMessage) {
  ProbeHarness fail("Random", Json::object(),
                    "constraints:\n  - {metric: params, max: 1000}\n", "fail");
  ASSERT_TRUE(fail.manager->start().is_ok());
  Status st = fail.run();
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("exited with status 3: boom: no such layer"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(fail.manager->progress().submitted, 0);

  ProbeHarness silent("Random", Json::object(),
                      "constraints:\n  - {metric: params, max: 1000}\n",
                      "silent");
  ASSERT_TRUE(silent.manager->start().is_ok());
  st = silent.run();
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("the trial does not support the cost probe"),
            std::string::npos)
      << st.message();

  ProbeHarness missing("Random", Json::object(),
                       "constraints:\n  - {metric: latency_ms, max: 5}\n",
                       "nolatency");
  ASSERT_TRUE(missing.manager->start().is_ok());
  st = missing.run();
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("constraint on latency_ms: the cost probe did "
                              "not report it (it reported params"),
            std::string::npos)
      << st.message();
}

TEST(ManagerProbe, HostileProbeOutputIsRefused) {
  const std::pair<const char*, const char*> cases[] = {
      {"symlink", "is a symlink"},
      {"huge", "more than 64 KiB of costs"},
      {"nested", "costs.json: params: expected a finite number, got"}};
  for (const auto& [mode, expected] : cases) {
    ProbeHarness h("Random", Json::object(),
                   "constraints:\n  - {metric: params, max: 1000}\n", mode);
    ASSERT_TRUE(h.manager->start().is_ok());
    Status st = h.run();
    ASSERT_FALSE(st.is_ok()) << mode;
    EXPECT_NE(st.message().find(expected), std::string::npos)
        << mode << ": " << st.message();
    EXPECT_EQ(st.message().find("root:"), std::string::npos) << st.message();
    EXPECT_EQ(h.manager->progress().submitted, 0);
  }
}

// Regression (issue 26, High 3 and Low): a probe's output was kept whole in
// memory (2.5 GB aborted the manager), and probe.log was written through a
// symlink the probe planted in its folder.
TEST(ManagerProbe, AFloodingLinkPlantingProbeIsBoundedAndNotFollowed) {
  ProbeHarness h("Random", Json::object(),
                 "constraints:\n  - {metric: params, max: 1000}\n", "flood");
  testing::write_file(h.dir.file("target"), "precious");
  ASSERT_TRUE(h.manager->start().is_ok());
  ASSERT_TRUE(h.run().is_ok());
  EXPECT_EQ(h.manager->progress().submitted, 4);
  EXPECT_EQ(testing::read_file(h.dir.file("target")), "precious");
  int logs = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(
           files::probes_dir(h.dir.file("exp")))) {
    if (e.path().filename() != "probe.log") continue;
    ++logs;
    EXPECT_FALSE(std::filesystem::is_symlink(e.path()));
    EXPECT_LE(std::filesystem::file_size(e.path()),
              2 * kMaxCapturedOutput + 200);
    const std::string text = testing::read_file(e.path().string());
    EXPECT_EQ(text.rfind("[", 0), 0u);  // "[N bytes before this not shown]"
    EXPECT_NE(text.find("bytes before this not shown"), std::string::npos);
  }
  EXPECT_EQ(logs, 8);
}

TEST(ManagerProbe, ATimedOutProbeNamesTheFix) {
  TempDir dir;
  const std::string yaml =
      "searchSpace: {a: {_type: layer_choice, _value: [x, y]}}\n"
      "trialCommand: sleep 30\ntrialConcurrency: 1\ncostProbeTimeout: 1s\n"
      "tuner:\n  name: Random\nconstraints:\n  - {metric: params, max: 1}\n";
  auto c = parse_experiment_config(yaml, "exp.yml", dir.path());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  auto store = std::move(Store::open(":memory:")).value();
  ExperimentManager m(c.value(), "exp12345", dir.file("exp"),
                      std::move(create_tuner("Random", Json::object())).value(),
                      std::make_unique<FakeTrainingService>(
                          1, [](const Json&) { return FakeOutcome{}; }),
                      store.get(), 7);
  ASSERT_TRUE(m.start().is_ok());
  Status st;
  const auto limit =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (st.is_ok() && std::chrono::steady_clock::now() < limit) {
    auto more = m.step(std::chrono::milliseconds(10));
    st = more.status();
  }
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("did not finish in 1 s (costProbeTimeout)"),
            std::string::npos)
      << st.message();
}

TEST(ManagerProbe, MultiObjectiveResultsReachTheTuner) {
  ProbeHarness h("ParetoEvolution",
                 Json{{"population_size", 4}, {"sample_size", 2}},
                 "objectives:\n  - {metric: default}\n"
                 "  - {metric: params, mode: minimize}\n",
                 "", 8);
  ASSERT_TRUE(h.manager->start().is_ok());
  ASSERT_TRUE(h.run().is_ok());
  const auto& tuner = dynamic_cast<const ParetoEvolutionTuner&>(*h.the_tuner);
  ASSERT_EQ(tuner.results().size(), 8u);
  for (const auto& r : tuner.results()) {
    ASSERT_EQ(r.rewards.size(), 2u);
    // params is minimised: its reward is negated.
    EXPECT_TRUE(r.rewards[1] == -500 || r.rewards[1] == -2000);
  }
  EXPECT_EQ(h.manager->progress().rejected, 0);  // no constraints: no probe
  EXPECT_TRUE(h.store->get_value(store_keys::kCostProbes).value().is_null());
}

// Regression (issue 28): with a minimised "default" objective and no tuner
// optimize_mode, the progress line, REST/the web UI (TrialIndex) and
// `experiment show` (the stored config) agree on the lowest result as best.
TEST(ManagerProbe, ObjectivesGiveOneDirectionForBest) {
  ProbeHarness h("ParetoEvolution",
                 Json{{"population_size", 4}, {"sample_size", 2}},
                 "objectives:\n  - {metric: default, mode: minimize}\n"
                 "  - {metric: params, mode: minimize}\n",
                 "", 8);
  ASSERT_TRUE(h.manager->start().is_ok());
  ASSERT_TRUE(h.run().is_ok());
  double lowest = 1e300;
  for (const auto& m : h.store->metrics("").value()) {
    if (m.type == MetricType::kFinal)
      lowest = std::min(
          lowest, parse_json(m.value, "m").value()["default"].get<double>());
  }
  EXPECT_EQ(h.manager->progress().best_metric, lowest);
  auto index = TrialIndex::load(*h.store, h.store->trials_revision());
  ASSERT_TRUE(index.is_ok()) << index.status().message();
  const Json overview = index.value()->overview(Json::object());
  EXPECT_EQ(overview["optimizeMode"], "minimize");
  ASSERT_TRUE(overview["best"].is_object());
  EXPECT_EQ(overview["best"]["trialJobId"],
            h.manager->progress().best_trial_id);
  EXPECT_EQ(
      optimize_mode_of_config(h.store->get_value(store_keys::kConfig).value()),
      OptimizeMode::kMinimize);
}

}  // namespace
}  // namespace archer
