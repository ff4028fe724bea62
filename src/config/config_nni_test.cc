// Configs for NNI's algorithms: built-in names Archer does not implement,
// customised tuners and assessors (v1 and v2), advisors, NNI's search-space
// types, and the errors for each.
#include <gtest/gtest.h>

#include <filesystem>

#include "archer/config.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

using testing::TempDir;
using testing::write_file;

const char* kHpoSpace =
    R"({"lr": {"_type": "loguniform", "_value": [0.0001, 0.1]}, )"
    R"("opt": {"_type": "choice", "_value": [{"_name": "sgd", "m": )"
    R"({"_type": "uniform", "_value": [0, 1]}}, {"_name": "adam"}]}, )"
    R"("conv": {"_type": "layer_choice", "_value": ["a", "b"]}})";

StatusOr<ExperimentConfig> parse(const std::string& yaml,
                                 const std::string& base = "/tmp") {
  return parse_experiment_config(yaml, "exp.yml", base);
}

std::string error_of(const std::string& yaml,
                     const std::string& base = "/tmp") {
  auto c = parse(yaml, base);
  EXPECT_FALSE(c.is_ok()) << yaml;
  return c.is_ok() ? "" : c.status().message();
}

std::string with(const std::string& algorithms,
                 const std::string& space = kHpoSpace) {
  return "searchSpace: " + space +
         "\ntrialCommand: ./trial\ntrialConcurrency: 2\n" + algorithms;
}

TEST(ConfigNni, BuiltInNniTunerRunsInTheDispatcherWithAnyNniType) {
  auto c =
      parse(with("tuner:\n  name: TPE\n  classArgs: {optimize_mode: "
                 "maximize}\n"));
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_TRUE(c.value().external_tuner);
  EXPECT_FALSE(c.value().external_assessor);
  EXPECT_EQ(c.value().tuner_name, "TPE");
  EXPECT_EQ(c.value().search_space_json["lr"]["_type"], "loguniform");
  EXPECT_TRUE(c.value().search_space.empty());  // not classic NAS
  EXPECT_EQ(c.value().dispatcher_params["tuner"],
            Json::parse(R"({"name": "TPE", "classArgs": )"
                        R"({"optimize_mode": "maximize"}})"));
}

TEST(ConfigNni, ArchersOwnNamesStayNative) {
  const std::string classic =
      R"({"conv": {"_type": "layer_choice", "_value": ["a", "b"]}})";
  for (const char* name :
       {"Random", "RegularizedEvolutionTuner", "PPOTuner", "PPO"}) {
    auto c = parse(with(std::string("tuner: {name: ") + name + "}\n", classic));
    ASSERT_TRUE(c.is_ok()) << name << ": " << c.status().message();
    EXPECT_FALSE(c.value().external_tuner) << name;
    EXPECT_EQ(c.value().search_space.size(), 1u);
  }
}

TEST(ConfigNni, NativeTunerRefusesHpoTypesNamingWhatCan) {
  const std::string e = error_of(with("tuner: {name: Random}\n"));
  EXPECT_NE(e.find("exp.yml:1: searchSpace: entry 'lr' (loguniform): tuner "
                   "Random is Archer's own"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("tuner: {name: TPE}"), std::string::npos) << e;
}

TEST(ConfigNni, CustomisedTunerV2AndV1) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("tuners"));
  write_file(dir.file("ss.json"), kHpoSpace);
  auto v2 = parse(with("tuner:\n  className: my_tuner.MyTuner\n  "
                       "codeDirectory: tuners\n  classArgs: {k: 1}\n"),
                  dir.path());
  ASSERT_TRUE(v2.is_ok()) << v2.status().message();
  EXPECT_TRUE(v2.value().external_tuner);
  EXPECT_EQ(v2.value().tuner_name, "my_tuner.MyTuner");
  EXPECT_EQ(v2.value().dispatcher_params["tuner"]["codeDirectory"],
            dir.file("tuners"));
  EXPECT_FALSE(v2.value().dispatcher_params["tuner"].contains("name"));
  // NNI's own classic-NAS example config (v1): codeDir, classFileName,
  // className.
  const std::string v1 =
      "authorName: a\nexperimentName: e\ntrialConcurrency: 1\n"
      "trainingServicePlatform: local\nsearchSpacePath: ss.json\n"
      "useAnnotation: false\ntuner:\n  codeDir: tuners\n"
      "  classFileName: random_nas_tuner.py\n  className: RandomNASTuner\n"
      "trial:\n  command: ./trial\n  codeDir: .\n";
  auto c1 = parse_experiment_config(v1, "exp.yml", dir.path());
  ASSERT_TRUE(c1.is_ok()) << c1.status().message();
  EXPECT_TRUE(c1.value().external_tuner);
  EXPECT_EQ(c1.value().dispatcher_params["tuner"]["className"],
            "random_nas_tuner.RandomNASTuner");
  // Without codeDirectory: the config file's folder (NNI's ".").
  auto here = parse(with("tuner: {className: t.T}\n"), dir.path());
  ASSERT_TRUE(here.is_ok()) << here.status().message();
  EXPECT_EQ(here.value().dispatcher_params["tuner"]["codeDirectory"],
            dir.path());
}

TEST(ConfigNni, CustomisedTunerErrorsSayTheRealReason) {
  EXPECT_EQ(error_of(with("tuner: {className: NoModule}\n")),
            "exp.yml:4: tuner.className: expected a qualified Python class "
            "name \"module.Class\", got \"NoModule\"");
  EXPECT_EQ(error_of(with("tuner: {className: m.C, codeDirectory: nowhere}\n")),
            "exp.yml:4: tuner.codeDirectory: expected an existing directory, "
            "but /tmp/nowhere is not one");
  EXPECT_EQ(error_of(with("tuner: {name: TPE, className: m.C}\n")),
            "exp.yml:4: tuner.className: give name (a built-in tuner) or "
            "className (a customised one), not both");
  EXPECT_EQ(error_of(with("tuner: {classArgs: {}}\n")),
            "exp.yml:4: tuner.name: missing; expected a built-in tuner's "
            "name, or className (\"module.Class\") with codeDirectory for a "
            "customised one");
  // codeDirectory says it is customised: the class is what is missing.
  EXPECT_EQ(error_of(with("tuner: {codeDirectory: ., classArgs: {a: 1}}\n")),
            "exp.yml:4: tuner.className: missing; a customised tuner "
            "(codeDirectory is given) needs className, the qualified Python "
            "class \"module.Class\" in it");
  EXPECT_EQ(error_of(with("tuner: {name: TPE, codeDirectory: .}\n")),
            "exp.yml:4: tuner.codeDirectory: is for a customised tuner "
            "(className); a built-in one needs none");
  const std::string v1 =
      "authorName: a\ntrialConcurrency: 1\ntrainingServicePlatform: local\n"
      "searchSpacePath: ss.json\ntuner:\n  codeDir: .\n"
      "  className: RandomNASTuner\ntrial: {command: x, codeDir: .}\n";
  EXPECT_NE(error_of(v1).find("tuner: a customised tuner needs classFileName"),
            std::string::npos);
  const std::string v1_py =
      "authorName: a\ntrialConcurrency: 1\ntrainingServicePlatform: local\n"
      "searchSpacePath: ss.json\ntuner:\n  codeDir: .\n"
      "  classFileName: t.txt\n  className: T\n"
      "trial: {command: x, codeDir: .}\n";
  EXPECT_NE(error_of(v1_py).find("tuner.classFileName: expected a Python "
                                 "file name ending in .py"),
            std::string::npos);
}

TEST(ConfigNni, UnknownNamesListBothFamilies) {
  const std::string e = error_of(with("tuner: {name: TPEE}\n"));
  EXPECT_NE(e.find("exp.yml:4: tuner.name: unknown tuner 'TPEE' (did you "
                   "mean 'TPE'?); Archer's own: Random"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("NNI's (run by its dispatcher): TPE"), std::string::npos);
}

TEST(ConfigNni, AdvisorsV1AndV2) {
  auto v2 = parse(with("advisor:\n  name: Hyperband\n  classArgs: {R: 9}\n"));
  ASSERT_TRUE(v2.is_ok()) << v2.status().message();
  EXPECT_TRUE(v2.value().external_tuner);
  EXPECT_EQ(v2.value().tuner_name, "Hyperband");
  EXPECT_EQ(v2.value().dispatcher_params["tuner"]["name"], "Hyperband");
  EXPECT_EQ(v2.value().dispatcher_params["tuner"]["classArgs"]["R"], 9);
  auto tuner = parse(with("tuner: {name: Hyperband}\n"));  // NNI v2's way
  ASSERT_TRUE(tuner.is_ok()) << tuner.status().message();
  TempDir dir;
  write_file(dir.file("ss.json"), kHpoSpace);
  const std::string v1 =
      "authorName: a\ntrialConcurrency: 1\ntrainingServicePlatform: local\n"
      "searchSpacePath: ss.json\nadvisor:\n  builtinAdvisorName: Hyperband\n"
      "  classArgs: {optimize_mode: maximize, R: 60, eta: 3}\n"
      "trial: {command: x, codeDir: .}\n";
  auto c1 = parse_experiment_config(v1, "exp.yml", dir.path());
  ASSERT_TRUE(c1.is_ok()) << c1.status().message();
  EXPECT_EQ(c1.value().dispatcher_params["tuner"]["name"], "Hyperband");
  EXPECT_EQ(error_of(with("tuner: {name: TPE}\nadvisor: {name: Hyperband}\n")),
            "exp.yml:5: advisor: give tuner or advisor, not both (advisor is "
            "NNI's older name for a tuner that also stops trials)");
  EXPECT_EQ(
      error_of(with("")),
      "exp.yml:1: tuner: missing; expected a mapping {name, classArgs} or "
      "{className, codeDirectory, classArgs}");
}

TEST(ConfigNni, AssessorInTheDispatcherBesideAnNniTuner) {
  TempDir dir;
  auto c = parse(with("tuner: {name: TPE}\nassessor: {className: a.Stop}\n"),
                 dir.path());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_TRUE(c.value().external_assessor);
  EXPECT_EQ(c.value().dispatcher_params["assessor"]["className"], "a.Stop");
  // Archer's own assessor beside NNI's tuner: in the manager.
  auto own = parse(with("tuner: {name: TPE}\nassessor: {name: Medianstop}\n"));
  ASSERT_TRUE(own.is_ok()) << own.status().message();
  EXPECT_FALSE(own.value().external_assessor);
  EXPECT_FALSE(own.value().dispatcher_params.contains("assessor"));
  const std::string classic =
      R"({"conv": {"_type": "layer_choice", "_value": ["a", "b"]}})";
  EXPECT_NE(error_of(with("tuner: {name: Random}\nassessor: {className: "
                          "a.Stop}\n",
                          classic),
                     dir.path())
                .find("assessor.className: a customised assessor runs in "
                      "NNI's dispatcher, beside an NNI tuner; tuner Random is "
                      "Archer's own"),
            std::string::npos);
}

TEST(ConfigNni, NniSearchSpaceTypesAreCheckedByStructure) {
  auto bad = [&](const std::string& space) {
    return error_of(with("tuner: {name: TPE}\n", space));
  };
  EXPECT_EQ(bad(R"({"lr": {"_type": "uniform", "_value": [1, 0]}})"),
            "exp.yml:1: searchSpace.lr: uniform expects low < high");
  EXPECT_EQ(bad(R"({"lr": {"_type": "loguniform", "_value": [0, 1]}})"),
            "exp.yml:1: searchSpace.lr: loguniform expects low > 0");
  EXPECT_EQ(bad(R"({"lr": {"_type": "quniform", "_value": [0, 1]}})"),
            "exp.yml:1: searchSpace.lr: quniform expects [low, high, q], got "
            "[0, 1]");
  EXPECT_EQ(bad(R"({"n": {"_type": "randint", "_value": [0, 1.5]}})"),
            "exp.yml:1: searchSpace.n: randint expects integers [low, high], "
            "got [0, 1.5]");
  EXPECT_EQ(bad(R"({"x": {"_type": "normal", "_value": [0, -1]}})"),
            "exp.yml:1: searchSpace.x: normal expects sigma > 0");
  EXPECT_EQ(bad(R"({"x": {"_type": "gauss", "_value": [0, 1]}})"),
            "exp.yml:1: searchSpace.x: unknown \"_type\" \"gauss\" (expected "
            "choice, randint, uniform, quniform, loguniform, qloguniform, "
            "normal, qnormal, lognormal, qlognormal, layer_choice or "
            "input_choice)");
  EXPECT_EQ(bad(R"({"o": {"_type": "choice", "_value": [{"_name": "sgd", )"
                R"("m": {"_type": "uniform", "_value": [2, 1]}}]}})"),
            "exp.yml:1: searchSpace.o[0].m: uniform expects low < high");
  EXPECT_EQ(bad(R"({"o": {"_type": "choice", "_value": [[1]]}})"),
            "exp.yml:1: searchSpace.o[0]: expected a number, a string or a "
            "nested space {\"_name\": ..., <key>: {\"_type\": ..., "
            "\"_value\": ...}}, got [1]");
  EXPECT_EQ(bad(R"({"o": {"_type": "choice", "_value": []}})"),
            "exp.yml:1: searchSpace.o: choice has no candidates");
  EXPECT_NE(bad(R"({"c": {"_type": "layer_choice", "_value": []}})")
                .find("searchSpace.c"),
            std::string::npos);
  EXPECT_EQ(bad(R"({"x": 3})"),
            "exp.yml:1: searchSpace.x: expected {\"_type\": ..., \"_value\": "
            "...}, got 3");
}

TEST(ConfigNni, PythonInterpreterKey) {
  auto c =
      parse(with("tuner: {name: TPE}\npythonInterpreter: /opt/py/bin/"
                 "python3\n"));
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c.value().python_interpreter, "/opt/py/bin/python3");
}

}  // namespace
}  // namespace archer
