#include "archer/config.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "testing/generated_docs.h"
#include "testing/temp_dir.h"
#include "training_service/remote/remote_training_service.h"
#include "training_service/slurm/slurm_training_service.h"

namespace archer {
namespace {

using testing::TempDir;
using testing::write_file;

const char* kSpace =
    R"({"op": {"_type": "layer_choice", "_value": ["a", "b"]}, "skip": {"_type": "input_choice", "_value": {"candidates": ["", ""], "n_chosen": 1}}})";

std::string error_of(const std::string& yaml,
                     const std::string& base = "/tmp") {
  auto c = parse_experiment_config(yaml, "exp.yml", base);
  EXPECT_FALSE(c.is_ok()) << yaml;
  return c.is_ok() ? "" : c.status().message();
}

std::string v2(const std::string& extra = "") {
  return std::string("searchSpace: ") + kSpace +
         "\ntrialCommand: ./trial\ntrialConcurrency: 2\ntuner:\n  name: "
         "Random\n" +
         extra;
}

TEST(Config, MinimalV2WithDefaults) {
  auto c = parse_experiment_config(v2(), "exp.yml", "/tmp");
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  const ExperimentConfig& e = c.value();
  EXPECT_EQ(e.trial_command, "./trial");
  EXPECT_EQ(e.trial_concurrency, 2);
  EXPECT_EQ(e.trial_code_directory, "/tmp");
  EXPECT_EQ(e.search_space.size(), 2u);
  EXPECT_EQ(e.tuner_name, "Random");
  EXPECT_EQ(e.platform, "local");
  EXPECT_EQ(e.log_level, "info");
  EXPECT_FALSE(e.max_trial_number.has_value());
  EXPECT_EQ(e.experiment_working_directory,
            std::string(std::getenv("HOME")) + "/archer-experiments");
  EXPECT_EQ(e.canonical["trainingService"]["maxTrialNumberPerGpu"], 1);
}

TEST(Config, V2FullAndRelativePaths) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("code"));
  write_file(dir.file("ss.json"), kSpace);
  write_file(dir.file("exp.yml"), R"(experimentName: demo
searchSpaceFile: ss.json
trialCommand: python3 trial.py
trialCodeDirectory: code
trial_concurrency: 3        # keys are case/underscore-insensitive
TrialGpuNumber: 0
maxExperimentDuration: 1.5h
maxTrialNumber: 20
maxTrialDuration: 90s
experimentWorkingDirectory: runs
tuner:
  name: RegularizedEvolutionTuner
  classArgs: {optimize_mode: minimize, population_size: 10, sample_size: 3}
trainingService:
  platform: local
  gpuIndices: "0,2"
  useActiveGpu: false
)");
  auto c = load_experiment_config(dir.file("exp.yml"));
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  const ExperimentConfig& e = c.value();
  EXPECT_EQ(e.experiment_name, "demo");
  EXPECT_EQ(e.search_space_file, dir.file("ss.json"));
  EXPECT_EQ(e.trial_code_directory, dir.file("code"));
  EXPECT_EQ(e.trial_concurrency, 3);
  EXPECT_EQ(e.trial_gpu_number, 0);
  EXPECT_EQ(e.max_experiment_duration, 5400.0);
  EXPECT_EQ(e.max_trial_number, 20);
  EXPECT_EQ(e.max_trial_duration, 90.0);
  EXPECT_EQ(e.experiment_working_directory, dir.file("runs"));
  EXPECT_EQ(e.tuner_class_args["population_size"], 10);
  EXPECT_EQ(e.training_service["gpuIndices"], Json::array({0, 2}));
  EXPECT_EQ(e.config_path, dir.file("exp.yml"));
}

TEST(Config, V1ConfigIsConverted) {
  TempDir dir;
  write_file(dir.file("nni_auto_gen_search_space.json"), kSpace);
  const std::string v1 = R"(authorName: default
experimentName: example_mnist
trialConcurrency: 1
maxExecDuration: 100h
maxTrialNum: 1000
trainingServicePlatform: local
searchSpacePath: nni_auto_gen_search_space.json
useAnnotation: False
multiPhase: false
tuner:
  builtinTunerName: PPOTuner
  classArgs:
    optimize_mode: maximize
trial:
  command: python3 mnist.py
  codeDir: .
  gpuNum: 0
localConfig:
  maxTrialNumPerGpu: 2
)";
  auto c = parse_experiment_config(v1, "config_ppo.yml", dir.path());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  const ExperimentConfig& e = c.value();
  EXPECT_EQ(e.experiment_name, "example_mnist");
  EXPECT_EQ(e.max_experiment_duration, 360000.0);
  EXPECT_EQ(e.max_trial_number, 1000);
  EXPECT_EQ(e.trial_command, "python3 mnist.py");
  EXPECT_EQ(e.trial_code_directory, dir.path());
  EXPECT_EQ(e.trial_gpu_number, 0);
  EXPECT_EQ(e.tuner_name, "PPOTuner");
  EXPECT_EQ(e.training_service["maxTrialNumberPerGpu"], 2);
  EXPECT_EQ(e.search_space_file, dir.file("nni_auto_gen_search_space.json"));
}

TEST(Config, ErrorsNameFileLineKeyAndExpectation) {
  EXPECT_EQ(error_of(v2("trialConcurency: 3\n")),
            "exp.yml:6: trialConcurency: unknown key (did you mean "
            "'trialConcurrency'?)");
  std::string zero =
      std::string("searchSpace: ") + kSpace +
      "\ntrialCommand: x\ntrialConcurrency: 0\ntuner: {name: Random}\n";
  EXPECT_EQ(error_of(zero),
            "exp.yml:3: trialConcurrency: expected an integer >= 1, got 0");
  EXPECT_EQ(error_of(std::string("searchSpace: ") + kSpace +
                     "\ntrialConcurrency: 1\ntuner: {name: Random}\n"),
            "exp.yml:1: trialCommand: missing; expected a non-empty command");
  EXPECT_EQ(error_of(v2("trainingService:\n  platform: openpai\n")),
            "exp.yml:7: trainingService.platform: platform 'openpai' is not "
            "supported yet by "
            "Archer (supported: local, remote, slurm)");
  EXPECT_EQ(error_of(v2("trainingService:\n  platform: 7\n")),
            "exp.yml:7: trainingService.platform: expected a platform name "
            "(local, remote, slurm), got 7");
  EXPECT_EQ(error_of(v2("trainingService:\n  platform: slurn\n")),
            "exp.yml:7: trainingService.platform: platform 'slurn' is not "
            "supported yet by Archer (supported: local, remote, slurm) (did "
            "you mean 'slurm'?)");
  EXPECT_EQ(error_of(v2("trainingService:\n  platform: remote\n  machineList:"
                        "\n    - 7\n")),
            "exp.yml:9: trainingService.machineList[0]: expected a mapping, "
            "got 7");
  EXPECT_EQ(error_of(v2("trainingService:\n  platform: remote\n")),
            "exp.yml:6: trainingService.machineList: missing; expected a "
            "non-empty list of machines");
  EXPECT_EQ(error_of(v2("trainingService:\n  platform: remote\n  machineList:"
                        "\n    - {host: h, user: u}\n")),
            "exp.yml:9: trainingService.machineList[0]: give sshKeyFile (a "
            "private key) or password");
  EXPECT_EQ(error_of(v2("trainingService:\n  platform: remote\n  machineList:"
                        "\n    - {host: h, user: u, password: p, prot: 2}\n")),
            "exp.yml:9: trainingService.machineList[0].prot: unknown key (did "
            "you mean 'port'?)");
  EXPECT_EQ(error_of(v2("maxTrialDuration: 10 minutes\n")),
            "exp.yml:6: maxTrialDuration: expected a duration such as 30m, "
            "1.5h, 2d, got \"10 "
            "minutes\"");
  EXPECT_EQ(error_of(v2("searchSpaceFile: missing.json\n")),
            "exp.yml:6: searchSpaceFile: expected an existing file, but "
            "/tmp/missing.json is not "
            "one");
  TempDir dir;
  write_file(dir.file("ss.json"), kSpace);
  EXPECT_NE(error_of(v2("searchSpaceFile: ss.json\n"), dir.path())
                .find("give exactly one of searchSpaceFile and searchSpace"),
            std::string::npos);
  std::string bad_tuner = std::string("searchSpace: ") + kSpace +
                          "\ntrialCommand: x\ntrialConcurrency: 1\ntuner:\n  "
                          "name: RegularisedEvolution\n";
  EXPECT_EQ(error_of(bad_tuner),
            "exp.yml:5: tuner.name: unknown tuner 'RegularisedEvolution' (did "
            "you mean "
            "'RegularizedEvolutionTuner'?); Archer's own: Random, "
            "RandomNASTuner, RegularizedEvolutionTuner, LocalBOTuner, LocalBO, "
            "ParetoEvolution, ParetoEvolutionTuner, PPOTuner; NNI's (run "
            "by its dispatcher): TPE, Anneal, TPE_legacy, Evolution, "
            "GridSearch, Batch, BatchTuner, SMAC, Metis, MetisTuner, GP, "
            "GPTuner, PBT, PBTTuner, DNGO, DNGOTuner, NetworkMorphism, "
            "Hyperband, BOHB; or a customised one with className and "
            "codeDirectory");
  std::string bad_args =
      std::string("searchSpace: ") + kSpace +
      "\ntrialCommand: x\ntrialConcurrency: 1\ntuner:\n  name: "
      "RegularizedEvolutionTuner\n  classArgs:\n    population_size: big\n";
  EXPECT_EQ(error_of(bad_args),
            "exp.yml:6: tuner 'RegularizedEvolutionTuner': "
            "classArgs.population_size: expected "
            "an integer in [1, 99999], got \"big\"");
  EXPECT_NE(error_of(v2("trialGpuNumber: 1\n"))
                .find("trainingService.useActiveGpu: must be set"),
            std::string::npos);
  EXPECT_NE(error_of("a: [1, 2\n").find("exp.yml:2: invalid YAML"),
            std::string::npos);
  EXPECT_EQ(
      error_of(v2("assessor:\n  name: Medianstp\n")),
      "exp.yml:7: assessor.name: unknown assessor 'Medianstp' (did you "
      "mean 'Medianstop'?); Archer's own: Medianstop, Curvefitting, ASHA; "
      "or a customised one with className and codeDirectory");
  EXPECT_EQ(error_of(v2("assessor:\n  name: Medianstop\n  classArgs: "
                        "{start_step: x}\n")),
            "exp.yml:8: assessor 'Medianstop': classArgs.start_step: expected "
            "an integer in [0, 9999], got \"x\"");
  EXPECT_EQ(error_of(v2("assessor:\n  nam: Medianstop\n")),
            "exp.yml:7: assessor.nam: unknown key (did you mean 'name'?)");
  EXPECT_NE(
      error_of(v2("trial_command: y\n")).find("trial_command: given twice"),
      std::string::npos);
}

TEST(Config, V1ErrorsPointAtTheV1Line) {
  const std::string v1 =
      "authorName: a\nexperimentName: e\ntrialConcurrency: "
      "0\ntrainingServicePlatform: local\n"
      "searchSpacePath: ss.json\nuseAnnotation: false\ntuner:\n  "
      "builtinTunerName: "
      "Random\ntrial:\n  command: x\n  codeDir: .\n";
  TempDir dir;
  write_file(dir.file("ss.json"), kSpace);
  EXPECT_EQ(error_of(v1, dir.path()),
            "exp.yml:3: trialConcurrency: expected an integer >= 1, got 0");
  EXPECT_NE(error_of("authorName: a\nmultiPhase: true\n")
                .find("multiPhase: expected false"),
            std::string::npos);
  EXPECT_NE(
      error_of("authorName: a\nmaxTrialNumber: 3\n")
          .find("maxTrialNumber: unknown key (did you mean 'maxTrialNum'?)"),
      std::string::npos);
  const std::string remote =
      "authorName: a\nexperimentName: e\ntrialConcurrency: "
      "1\ntrainingServicePlatform: remote\n"
      "searchSpacePath: x\nuseAnnotation: false\ntuner:\n  builtinTunerName: "
      "Random\ntrial:\n"
      "  command: x\n  codeDir: .\n";
  // The remote platform is accepted; this config fails on its search space.
  EXPECT_EQ(error_of(remote),
            "exp.yml:5: searchSpaceFile: expected an existing file, but /tmp/x "
            "is not one");
}

TEST(Config, RemoteMachinesInBothFormats) {
  testing::TempDir dir;
  {
    std::ofstream(dir.file("space.json")) << kSpace;
    std::ofstream(dir.file("id_key")) << "key";
  }
  const std::string v1 =
      "authorName: a\nexperimentName: e\ntrialConcurrency: 2\n"
      "trainingServicePlatform: remote\nsearchSpacePath: space.json\n"
      "useAnnotation: false\ntuner: {builtinTunerName: Random}\n"
      "trial: {command: python3 t.py, codeDir: ., gpuNum: 0}\n"
      "remoteConfig: {reuse: false}\n"
      "machineList:\n"
      "  - {ip: 10.0.0.1, port: 2222, username: alice, sshKeyPath: id_key, "
      "passphrase: pp}\n"
      "  - {ip: 10.0.0.2, username: bob, passwd: secret, gpuIndices: '0,1', "
      "maxTrialNumPerGpu: 2, pythonPath: /opt/py/bin}\n";
  auto c = parse_experiment_config(v1, "exp.yml", dir.path());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  const ExperimentConfig& e = c.value();
  EXPECT_EQ(e.platform, "remote");
  const RemoteTrainingService::Options ro = remote_options(e, {});
  EXPECT_EQ(ro.remote_directory, "/tmp/archer-remote");
  ASSERT_EQ(ro.machines.size(), 2u);
  EXPECT_EQ(ro.machines[0].host, "10.0.0.1");
  EXPECT_EQ(ro.machines[0].port, 2222);
  EXPECT_EQ(ro.machines[0].user, "alice");
  EXPECT_EQ(ro.machines[0].ssh_key_file, dir.file("id_key"));
  EXPECT_EQ(ro.machines[0].ssh_passphrase, "pp");
  EXPECT_TRUE(ro.machines[0].check_host_key);
  EXPECT_EQ(ro.machines[1].port, 22);
  EXPECT_EQ(ro.machines[1].password, "secret");
  EXPECT_EQ(ro.machines[1].gpu_indices, (std::vector<int>{0, 1}));
  EXPECT_EQ(ro.machines[1].max_trial_number_per_gpu, 2);
  EXPECT_EQ(ro.machines[1].python_path, "/opt/py/bin");
  EXPECT_EQ(e.canonical["trainingService"]["machineList"][1]["user"], "bob");
  const std::string v2 = std::string(
      "searchSpaceFile: space.json\ntrialCommand: x\n"
      "trialConcurrency: 1\ntuner: {name: Random}\n"
      "trainingService:\n  platform: remote\n"
      "  remoteDirectory: /scratch/archer\n"
      "  machineList:\n"
      "    - host: 127.0.0.1\n      user: u\n"
      "      sshKeyFile: id_key\n      checkHostKey: false\n");
  auto c2 = parse_experiment_config(v2, "exp.yml", dir.path());
  ASSERT_TRUE(c2.is_ok()) << c2.status().message();
  const RemoteTrainingService::Options ro2 = remote_options(c2.value(), {});
  EXPECT_EQ(ro2.remote_directory, "/scratch/archer");
  EXPECT_FALSE(ro2.machines[0].check_host_key);
}

TEST(Config, AssessorInBothFormats) {
  const std::string v1 =
      std::string(
          "authorName: a\nexperimentName: e\ntrialConcurrency: 1\n"
          "trainingServicePlatform: local\nsearchSpacePath: ") +
      "space.json\nuseAnnotation: false\ntuner: {builtinTunerName: Random}\n"
      "assessor: {builtinAssessorName: Medianstop, classArgs: {start_step: "
      "3}}\ntrial: {command: x, codeDir: .}\n";
  testing::TempDir dir;
  std::ofstream(dir.file("space.json")) << kSpace;
  auto c = parse_experiment_config(v1, "exp.yml", dir.path());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c.value().assessor_name, "Medianstop");
  EXPECT_EQ(c.value().assessor_class_args["start_step"], 3);
  auto none = parse_experiment_config(
      std::string("searchSpace: ") + kSpace +
          "\ntrialCommand: x\ntrialConcurrency: 1\ntuner: {name: Random}\n",
      "exp.yml", "/tmp");
  ASSERT_TRUE(none.is_ok());
  EXPECT_TRUE(none.value().assessor_name.empty());
}

TEST(Config, SlurmPlatform) {
  const std::string yaml =
      std::string("searchSpace: ") + kSpace +
      "\ntrialCommand: x\ntrialConcurrency: 4\ntrialGpuNumber: 1\n"
      "tuner: {name: Random}\ntrainingService:\n  platform: slurm\n"
      "  partition: gpu\n  account: lab\n  timeLimit: '1:00:00'\n"
      "  cpusPerTrial: 4\n  memoryPerTrial: 8G\n"
      "  sbatchOptions: [--qos=long]\n  requeue: false\n  pollInterval: 2s\n";
  auto c = parse_experiment_config(yaml, "exp.yml", "/tmp");
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  const ExperimentConfig& e = c.value();
  EXPECT_EQ(e.platform, "slurm");
  const SlurmOptions slurm = slurm_options(e, {}).slurm;
  EXPECT_EQ(slurm.partition, "gpu");
  EXPECT_EQ(slurm.account, "lab");
  EXPECT_EQ(slurm.time_limit, "1:00:00");
  EXPECT_EQ(slurm.cpus, 4);
  EXPECT_EQ(slurm.gpus, 1);  // from trialGpuNumber
  EXPECT_EQ(slurm.memory, "8G");
  EXPECT_EQ(slurm.sbatch_options, std::vector<std::string>{"--qos=long"});
  EXPECT_FALSE(slurm.requeue);
  EXPECT_EQ(slurm.poll_interval, 2);
  auto bad = parse_experiment_config(
      std::string("searchSpace: ") + kSpace +
          "\ntrialCommand: x\ntrialConcurrency: 1\ntuner: {name: Random}\n"
          "trainingService:\n  platform: slurm\n  cpusPerTrial: 0\n",
      "exp.yml", "/tmp");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().message(),
            "exp.yml:7: trainingService.cpusPerTrial: expected an integer >= "
            "1, got 0");
}

TEST(Config, Durations) {
  EXPECT_EQ(parse_duration(Json("30s")).value(), 30);
  EXPECT_EQ(parse_duration(Json("0.5h")).value(), 1800);
  EXPECT_EQ(parse_duration(Json("2d")).value(), 172800);
  EXPECT_EQ(parse_duration(Json(45)).value(), 45);
  for (const char* bad : {"", "h", "5", "5w", "-1m", "1e3s", "abc"}) {
    EXPECT_FALSE(parse_duration(Json(bad)).is_ok()) << bad;
  }
}

// docs/config.md embeds the key table; regenerate with ARCHER_UPDATE_DOCS=1.
// Regressions (issue 12): integers narrowed silently, duplicate keys taking
// the last value, an alias bomb eating 3.3 GB.
TEST(ConfigBounds, IntegersTooBigForTheirTypeAreRefused) {
  std::string big = std::string("searchSpace: ") + kSpace +
                    "\ntrialCommand: x\ntrialConcurrency: 4294967297\ntuner: "
                    "{name: Random}\n";
  EXPECT_EQ(error_of(big),
            "exp.yml:3: trialConcurrency: expected an integer >= 1 (at most "
            "2147483647), got 4294967297");
  EXPECT_NE(error_of(v2("maxTrialNumber: 99999999999999999999\n"))
                .find("maxTrialNumber"),
            std::string::npos);
  auto n = SearchSpace::from_json(
      Json::parse(R"({"s": {"_type": "input_choice", "_value": {"candidates":
          ["", ""], "n_chosen": 4294967297}}})"),
      "space.json");
  ASSERT_FALSE(n.is_ok());
  EXPECT_NE(n.status().message().find("n_chosen must be null or an integer"),
            std::string::npos)
      << n.status().message();
}

TEST(ConfigBounds, DuplicateKeysAreErrorsNamingTheLine) {
  EXPECT_EQ(error_of(v2("trialConcurrency: 3\n")),
            "exp.yml:6: invalid YAML: duplicate key 'trialConcurrency' (first "
            "at line 3)");
  EXPECT_NE(
      error_of(v2("tuner: {name: Random, name: TPE}\n")).find("duplicate key"),
      std::string::npos);
}

TEST(ConfigBounds, AliasBombAndDeepNestingAreRefused) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'k'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = c;
  }
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_NE(error_of(v2(bomb)).find("aliases expanding without bound"),
            std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_NE(error_of(v2("x: " + deep + "\n")).find("nested deeper than 64"),
            std::string::npos);
  std::string dashes = "x:\n";
  for (int i = 0; i < 100; ++i) dashes += std::string(2 * i + 2, ' ') + "-\n";
  EXPECT_NE(error_of(v2(dashes)).find("nested deeper"), std::string::npos);
}

// Regression (issue 12): 100,000 keys took minutes (linear lookups).
TEST(ConfigBounds, HundredThousandKeySearchSpaceLoadsFast) {
  std::string text = "{";
  for (int i = 0; i < 100000; ++i) {
    if (i) text += ", ";
    text += "\"layer_" + std::to_string(i) +
            "\": {\"_type\": \"layer_choice\", \"_value\": [\"a\", \"b\"]}";
  }
  text += "}";
  TempDir dir;
  write_file(dir.file("space.json"), text);
  auto space = SearchSpace::load(dir.file("space.json"));
  ASSERT_TRUE(space.is_ok()) << space.status().message();
  EXPECT_EQ(space.value().size(), 100000u);
  // The same space inline in a YAML config.
  auto c = parse_experiment_config(
      "searchSpace: " + text +
          "\ntrialCommand: x\ntrialConcurrency: 1\ntuner: {name: Random}\n",
      "exp.yml", "/tmp");
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c.value().search_space.size(), 100000u);
  // (How fast: bench/untrusted_input_bench, in docs/benchmarks.md.)
  auto arch = first_architecture(space.value());
  Json as_json = architecture_to_json(space.value(), arch);
  auto back = architecture_from_json(space.value(), as_json, "arch");
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(back.value(), arch);
}

TEST(ConfigDocs, ReferenceMatchesTheKeyTable) {
  testing::expect_generated_section(
      std::string(ARCHER_SOURCE_DIR) + "/docs/config.md", "config_keys",
      config_reference_markdown());
}

}  // namespace
}  // namespace archer
