// Hardware-aware keys: constraints, objectives, costProbeTimeout — parsed,
// kept through the canonical form, and every mistake named.
#include <gtest/gtest.h>

#include "archer/config.h"

namespace archer {
namespace {

const char* kSpace =
    R"({"op": {"_type": "layer_choice", "_value": ["a", "b"]}})";

StatusOr<ExperimentConfig> parse(const std::string& tuner,
                                 const std::string& extra) {
  return parse_experiment_config(
      std::string("searchSpace: ") + kSpace +
          "\ntrialCommand: ./trial\ntrialConcurrency: 2\ntuner:\n  name: " +
          tuner + "\n" + extra,
      "exp.yml", "/tmp");
}

std::string error_of(const std::string& tuner, const std::string& extra) {
  auto c = parse(tuner, extra);
  EXPECT_FALSE(c.is_ok()) << extra;
  return c.is_ok() ? "" : c.status().message();
}

TEST(ConfigHardware, ConstraintsAndObjectivesAreRead) {
  auto c = parse("ParetoEvolution",
                 "constraints:\n"
                 "  - {metric: params, max: 1.0e6}\n"
                 "  - {metric: latency_ms, min: 0.1, max: 5}\n"
                 "objectives:\n"
                 "  - {metric: default}\n"
                 "  - {metric: latency_ms, mode: minimize, reference: 10}\n"
                 "costProbeTimeout: 2m\n");
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  const ExperimentConfig& e = c.value();
  ASSERT_EQ(e.constraints.size(), 2u);
  EXPECT_EQ(e.constraints[0].metric, "params");
  EXPECT_EQ(*e.constraints[0].max, 1e6);
  EXPECT_FALSE(e.constraints[0].min);
  EXPECT_EQ(e.constraints[0].describe(), "params <= 1000000.0");
  EXPECT_EQ(e.constraints[1].describe(), "latency_ms in [0.1, 5.0]");
  ASSERT_EQ(e.objectives.size(), 2u);
  EXPECT_TRUE(e.objectives[0].maximize);
  EXPECT_FALSE(e.objectives[1].maximize);
  EXPECT_EQ(*e.objectives[1].reference, 10);
  EXPECT_EQ(e.cost_probe_timeout, 120);
  // The canonical form (what resume reads) gives the same.
  auto again = config_from_canonical(e.canonical, e.search_space_json, "db");
  ASSERT_TRUE(again.is_ok()) << again.status().message();
  EXPECT_EQ(again.value().constraints.size(), 2u);
  EXPECT_EQ(again.value().objectives[1].metric, "latency_ms");
  // Without them: nothing changes.
  auto plain = parse("Random", "");
  ASSERT_TRUE(plain.is_ok());
  EXPECT_TRUE(plain.value().constraints.empty());
  EXPECT_TRUE(plain.value().objectives.empty());
  EXPECT_EQ(plain.value().cost_probe_timeout, 60);
}

TEST(ConfigHardware, MistakesAreNamed) {
  EXPECT_EQ(error_of("Random", "constraints: {metric: params}\n"),
            "exp.yml:6: constraints: expected a list of {metric, max, min}, "
            "got {\"metric\": \"params\"}");
  EXPECT_EQ(error_of("Random", "constraints:\n  - {max: 3}\n"),
            "exp.yml:7: constraints[0].metric: missing; expected a metric "
            "the cost probe reports (params, macs, latency_ms, ...)");
  EXPECT_EQ(error_of("Random", "constraints:\n  - {metric: params}\n"),
            "exp.yml:7: constraints[0]: give max, min or both for params");
  EXPECT_EQ(error_of("Random",
                     "constraints:\n  - {metric: params, max: 1, min: 2}\n"),
            "exp.yml:7: constraints[0].min: expected min <= max, got 2 > 1");
  EXPECT_EQ(error_of("Random", "constraints:\n  - {metric: params, max: x}\n"),
            "exp.yml:7: constraints[0].max: expected a number, got \"x\"");
  EXPECT_EQ(error_of("Random", "constraints:\n  - {metric: params, maxx: 1}\n"),
            "exp.yml:7: constraints[0].maxx: unknown key (did you mean "
            "'max'?)");
  EXPECT_EQ(error_of("Random",
                     "constraints:\n  - {metric: params, max: 1}\n"
                     "  - {metric: params, min: 0}\n"),
            "exp.yml:8: constraints[1].metric: 'params' is constrained twice "
            "(give min and max in one item)");
  EXPECT_EQ(error_of("Random", "objectives:\n  - {metric: default}\n"),
            "exp.yml:6: objectives: expected a list of 2 to 4 {metric, mode, "
            "reference}, got [{\"metric\": \"default\"}]");
  EXPECT_EQ(error_of("Random",
                     "objectives:\n  - {metric: default}\n"
                     "  - {metric: params, mode: smaller}\n"),
            "exp.yml:8: objectives[1].mode: expected maximize or minimize, "
            "got \"smaller\"");
  EXPECT_EQ(error_of("Random",
                     "objectives:\n  - {metric: default}\n"
                     "  - {metric: default}\n"),
            "exp.yml:8: objectives[1].metric: 'default' is an objective twice");
  EXPECT_EQ(error_of("RegularizedEvolutionTuner",
                     "objectives:\n  - {metric: default}\n"
                     "  - {metric: params, mode: minimize}\n"),
            "exp.yml:5: tuner.name: RegularizedEvolutionTuner optimises one "
            "metric; with objectives use a multi-objective tuner (Random, "
            "ParetoEvolution)");
  EXPECT_EQ(error_of("TPE", "constraints:\n  - {metric: params, max: 1}\n"),
            "exp.yml:6: constraints: hardware-aware search runs with Archer's "
            "own tuners; tuner TPE runs in NNI's dispatcher");
  EXPECT_EQ(error_of("Random", "costProbeTimeout: 0\n"),
            "exp.yml:6: costProbeTimeout: expected a duration such as 30s, "
            "2m, got 0");
}

}  // namespace
}  // namespace archer
