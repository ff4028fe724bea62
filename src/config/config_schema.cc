#include "config/config_schema.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "archer/assessor.h"
#include "archer/tuner.h"
#include "common/edit_distance.h"

namespace archer {
namespace config {

bool positive_int(const Json& v) { return v.get<long long>() >= 1; }
bool non_negative_int(const Json& v) { return v.get<long long>() >= 0; }

Status check_positive(const std::string& key, long long n) {
  if (n >= 1) return Status::ok();
  return Status::invalid_argument(key + ": expected " + kPositiveInteger +
                                  ", got " + std::to_string(n));
}

namespace {

bool non_empty_string(const Json& v) { return !v.get<std::string>().empty(); }
bool finite_number(const Json& v) {
  return v.is_number() && std::isfinite(v.get<double>());
}

// One item of `constraints`: a metric the cost probe reports and its bounds.
const Section& constraint_section() {
  static const Section s{
      "constraints[]",
      {
          {"metric", KeyType::kString, Json(), true,
           "a metric the cost probe reports (params, macs, latency_ms, ...)",
           non_empty_string,
           "the key of the probe's costs (and of the final metric)"},
          {"max", KeyType::kAny, Json(), false, "a number", finite_number,
           "the largest value allowed"},
          {"min", KeyType::kAny, Json(), false, "a number", finite_number,
           "the smallest value allowed"},
      }};
  return s;
}

// One item of `objectives`.
const Section& objective_section() {
  static const Section s{
      "objectives[]",
      {
          {"metric", KeyType::kString, Json(), true,
           "a key of the final metric (default, params, latency_ms, ...)",
           non_empty_string, "the final metric's key (\"default\": its value)"},
          {"mode", KeyType::kString, "maximize", false, "maximize or minimize",
           [](const Json& v) { return v == "maximize" || v == "minimize"; },
           "which way is better"},
          {"reference", KeyType::kAny, Json(), false, "a number", finite_number,
           "the hypervolume's reference value (default: the worst value "
           "seen)"},
      }};
  return s;
}

}  // namespace

std::string normalize_key(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c != '_')
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

const Section& top_level_section() {
  static const Section s = [] {
    Section t{
        "",
        {
            {"experimentName",
             KeyType::kString,
             Json(),
             false,
             "a string",
             {},
             "a name shown by the CLI and the web UI"},
            {"searchSpaceFile",
             KeyType::kFile,
             Json(),
             false,
             "the path of an existing file",
             {},
             "the search space (what `archer ss_gen` writes); exactly one of "
             "searchSpaceFile and "
             "searchSpace"},
            {"searchSpace",
             KeyType::kObject,
             Json(),
             false,
             "a search space mapping",
             {},
             "the search space inline"},
            {"trialCommand", KeyType::kString, Json(), true,
             "a non-empty command", non_empty_string,
             "the command that runs one trial, by bash, in trialCodeDirectory"},
            {"trialCodeDirectory",
             KeyType::kDirectory,
             ".",
             false,
             "an existing directory",
             {},
             "where trials run"},
            {"trialConcurrency", KeyType::kInt, Json(), true, kPositiveInteger,
             positive_int, "how many trials run at once"},
            {"trialGpuNumber", KeyType::kInt, Json(), false, "an integer >= 0",
             non_negative_int,
             "GPUs per trial; null = CUDA_VISIBLE_DEVICES untouched, 0 = "
             "\"-1\" "
             "(no GPU)"},
            {"maxExperimentDuration",
             KeyType::kDuration,
             Json(),
             false,
             "a duration such as 30m, 1.5h, 2d",
             {},
             "stop proposing trials after this long"},
            {"maxTrialNumber", KeyType::kInt, Json(), false, kPositiveInteger,
             positive_int, "stop after this many trials"},
            {"maxTrialDuration",
             KeyType::kDuration,
             Json(),
             false,
             "a duration such as 30m, 1.5h, 2d",
             {},
             "a trial running longer is stopped as EARLY_STOPPED"},
            {"nniManagerIp",
             KeyType::kString,
             Json(),
             false,
             "a string",
             {},
             "the address trials on other machines use to reach the manager"},
            {"useAnnotation", KeyType::kBool, false, false, "false",
             [](const Json& v) { return !v.get<bool>(); },
             "NNI's annotation-based NAS is not supported: must be false"},
            {"debug",
             KeyType::kBool,
             false,
             false,
             "true or false",
             {},
             "verbose logging"},
            {"logLevel", KeyType::kString, "info", false,
             "one of trace, debug, info, warning, error, fatal",
             [](const Json& v) {
               const std::string level = v.get<std::string>();
               return level == "trace" || level == "debug" || level == "info" ||
                      level == "warning" || level == "error" ||
                      level == "fatal";
             },
             "log verbosity"},
            {"experimentWorkingDirectory",
             KeyType::kPath,
             "~/archer-experiments",
             false,
             "a path",
             {},
             "where experiments keep their database, logs and trial "
             "directories"},
            {"tunerGpuIndices",
             KeyType::kIndices,
             Json(),
             false,
             "GPU indices (a list, an integer or \"0,1\")",
             {},
             "CUDA_VISIBLE_DEVICES of NNI's dispatcher (Archer's own tuners "
             "run "
             "in the manager)"},
            {"tuner",
             KeyType::kObject,
             Json(),
             false,
             "a mapping {name, classArgs} or {className, codeDirectory, "
             "classArgs}",
             {},
             "the tuner: see the tuner keys below, docs/tuners.md and "
             "docs/nni-compatibility.md (required unless advisor is given)"},
            {"assessor",
             KeyType::kObject,
             Json(),
             false,
             "a mapping {name, classArgs} or {className, codeDirectory, "
             "classArgs}",
             {},
             "stops unpromising trials early: see the assessor keys below and "
             "docs/assessors.md"},
            {"advisor",
             KeyType::kObject,
             Json(),
             false,
             "a mapping {name, classArgs} or {className, codeDirectory, "
             "classArgs}",
             {},
             "NNI's deprecated name for a tuner that also stops trials "
             "(Hyperband, BOHB): the same as tuner, give one of the two"},
            {"pythonInterpreter", KeyType::kString, Json(), false,
             "a Python command or path", non_empty_string,
             "the Python that runs NNI's dispatcher (NNI's manager argument "
             "python_interpreter); default: the first of python3, "
             "/usr/bin/python3 that can `import nni`"},
            {"trainingService", KeyType::kAny, Json{{"platform", "local"}},
             false, "a mapping {platform: local, ...} or a list of them",
             [](const Json& v) { return v.is_object() || v.is_array(); },
             "where trials run; see the training service keys below "
             "(default: local). A list runs trials on several platforms "
             "at once (NNI's hybrid mode): each item is a platform's "
             "section, plus its own `trialConcurrency` (default: the "
             "experiment's, which still caps the total); trials go to the "
             "first platform in the list with a free slot"},
            {"constraints", KeyType::kAny, Json(), false,
             "a list of {metric, max, min}",
             [](const Json& v) { return v.is_array() && !v.empty(); },
             "hardware-aware search: bounds on the architecture's costs, "
             "checked by the cost probe before a trial trains (an infeasible "
             "architecture is never trained; docs/hardware-aware.md)"},
            {"objectives", KeyType::kAny, Json(), false,
             "a list of 2 to 4 {metric, mode, reference}",
             [](const Json& v) {
               return v.is_array() && v.size() >= 2 && v.size() <= 4;
             },
             "multi-objective search: the final metric's keys to optimise "
             "together (e.g. default and latency_ms); needs a multi-objective "
             "tuner (ParetoEvolution, or Random)"},
            {"costProbeTimeout",
             KeyType::kDuration,
             60,
             false,
             "a duration such as 30s, 2m",
             {},
             "how long the cost probe (the trial command run to measure an "
             "architecture's costs) may take"},
            {"sharedStorage", KeyType::kAny, Json(), false,
             "nothing (shared storage is not supported yet)",
             [](const Json& v) { return v.is_null(); }, "not supported yet"},
        }};
    for (auto& k : t.keys) {
      if (k.name == "constraints") k.items = &constraint_section();
      if (k.name == "objectives") k.items = &objective_section();
    }
    return t;
  }();
  return s;
}

namespace {

// The tuner, assessor and advisor sections: a built-in name or a customised
// class, and its arguments.
Section algorithm_section(const std::string& kind, const std::string& names,
                          const std::string& base_class) {
  return Section{
      kind,
      {
          {"name", KeyType::kString, Json(), false, names, non_empty_string,
           "a built-in " + kind + " (NNI's builtin" +
               std::string(1, static_cast<char>(std::toupper(kind[0]))) +
               kind.substr(1) +
               "Name): Archer's own where it has one, else NNI's, run by "
               "NNI's dispatcher"},
          {"className", KeyType::kString, Json(), false,
           "a qualified Python class name \"module.Class\"",
           [](const Json& v) {
             const std::string n = v.get<std::string>();
             return n.find('.') != std::string::npos && n.front() != '.' &&
                    n.back() != '.';
           },
           "a customised " + kind + " (a subclass of NNI's " + base_class +
               "), run by NNI's dispatcher; give name or className"},
          {"codeDirectory",
           KeyType::kDirectory,
           Json(),
           false,
           "the path of an existing directory",
           {},
           "where className's module is (default: the config file's folder)"},
          {"classArgs",
           KeyType::kObject,
           Json::object(),
           false,
           "a mapping",
           {},
           "the " + kind + "'s arguments (docs/" + kind +
               "s.md for Archer's own)"},
      }};
}

}  // namespace

const Section& tuner_section() {
  // Built at first use, from the registry (after the CLI registered
  // PPOTuner); aliases left out.
  static const Section s = [] {
    std::string names;
    for (const auto& t : registered_tuners())
      names += (names.empty() ? "" : ", ") + t.name;
    if (!find_tuner("PPOTuner")) names += ", PPOTuner (with LibTorch)";
    return algorithm_section("tuner",
                             "a tuner name (Archer's " + names +
                                 "; NNI's TPE, Anneal, Evolution, GridSearch, "
                                 "...)",
                             "nni.tuner.Tuner");
  }();
  return s;
}

const Section& assessor_section() {
  static const Section s = [] {
    std::string names;
    for (const auto& a : assessor_names())
      names += (names.empty() ? "" : ", ") + a;
    return algorithm_section(
        "assessor",
        "an assessor name (Archer's " + names + "; NNI's own with className)",
        "nni.assessor.Assessor");
  }();
  return s;
}

const Section& advisor_section() {
  static const Section s =
      algorithm_section("advisor", "an advisor name: Hyperband or BOHB",
                        "nni.runtime.msg_dispatcher_base.MsgDispatcherBase");
  return s;
}

bool is_v1(const Json& doc) {
  return doc.is_object() &&
         (doc.contains("trainingServicePlatform") ||
          doc.contains("authorName") || doc.contains("searchSpacePath") ||
          (doc.contains("trial") && doc["trial"].is_object()) ||
          doc.contains("maxExecDuration") || doc.contains("maxTrialNum"));
}

StatusOr<Json> convert_v1(const Json& v1,
                          std::map<std::string, std::string>* origin) {
  Json out = Json::object();
  auto put = [&](const std::string& v2_pointer, const Json& value,
                 const std::string& from) {
    out[Json::json_pointer(v2_pointer)] = value;
    (*origin)[v2_pointer] = from;
  };
  static const std::map<std::string, std::string> kRenamed = {
      {"experimentName", "/experimentName"},
      {"trialConcurrency", "/trialConcurrency"},
      {"maxExecDuration", "/maxExperimentDuration"},
      {"maxTrialDuration", "/maxTrialDuration"},
      {"maxTrialNum", "/maxTrialNumber"},
      {"searchSpacePath", "/searchSpaceFile"},
      {"useAnnotation", "/useAnnotation"},
      {"debug", "/debug"},
      {"nniManagerIp", "/nniManagerIp"},
      {"logLevel", "/logLevel"},
      {"logDir", "/experimentWorkingDirectory"},
      {"trainingServicePlatform", "/trainingService/platform"},
  };
  static const std::vector<std::string> kDropped = {
      "authorName", "description", "multiThread", "versionCheck",
      "logCollection"};
  std::vector<std::string> known;
  for (const auto& [k, v] : kRenamed) known.push_back(k);
  known.insert(known.end(), kDropped.begin(), kDropped.end());
  for (const char* k :
       {"multiPhase", "tuner", "assessor", "advisor", "trial", "localConfig",
        "remoteConfig", "machineList", "sharedStorage"}) {
    known.push_back(k);
  }
  for (auto it = v1.begin(); it != v1.end(); ++it) {
    const std::string& key = it.key();
    const std::string from = "/" + key;
    const Json& value = it.value();
    if (kRenamed.count(key)) {
      put(kRenamed.at(key), value, from);
    } else if (std::find(kDropped.begin(), kDropped.end(), key) !=
               kDropped.end()) {
      continue;
    } else if (key == "multiPhase") {
      if (value == true) {
        return Status::invalid_argument(
            "multiPhase: expected false (multi-phase trials were removed in "
            "NNI v2 and are not "
            "supported)");
      }
    } else if (key == "tuner" || key == "assessor" || key == "advisor") {
      if (!value.is_object()) {
        put("/" + key, value, from);
        continue;
      }
      for (auto t = value.begin(); t != value.end(); ++t) {
        const std::string sub = from + "/" + t.key();
        if (t.key() == "builtinTunerName" || t.key() == "builtinAssessorName" ||
            t.key() == "builtinAdvisorName") {
          put("/" + key + "/name", t.value(), sub);
        } else if (t.key() == "classArgs") {
          put("/" + key + "/classArgs", t.value(), sub);
        } else if (t.key() == "codeDir") {
          put("/" + key + "/codeDirectory", t.value(), sub);
        } else if (t.key() == "className" || t.key() == "classFileName") {
          // NNI's conversion: "<classFileName without .py>.<className>".
          const Json file = value.value("classFileName", Json());
          const Json cls = value.value("className", Json());
          if (!file.is_string() || !cls.is_string()) {
            return Status::invalid_argument(
                key + ": a customised " + key +
                " needs classFileName (a .py file in codeDir) and className "
                "(the class in it), both strings");
          }
          std::string module = file.get<std::string>();
          if (module.size() < 4 ||
              module.compare(module.size() - 3, 3, ".py") != 0) {
            return Status::invalid_argument(
                key +
                ".classFileName: expected a Python file name ending in "
                ".py, got " +
                json_excerpt(file, 60));
          }
          module.resize(module.size() - 3);
          put("/" + key + "/className", module + "." + cls.get<std::string>(),
              from + "/className");
        } else if (t.key() == "gpuIndices" && key == "tuner") {
          put("/tunerGpuIndices", t.value(), sub);
        } else if (t.key() == "includeIntermediateResults" ||
                   t.key() == "gpuNum") {
          continue;
        } else {
          return Status::invalid_argument(
              key + "." + t.key() + ": unknown key" +
              did_you_mean(t.key(),
                           {"builtinTunerName", "classArgs", "codeDir",
                            "classFileName", "className", "gpuIndices"}));
        }
      }
    } else if (key == "trial") {
      if (!value.is_object()) {
        return Status::invalid_argument(
            "trial: expected a mapping {command, codeDir, gpuNum}");
      }
      for (auto t = value.begin(); t != value.end(); ++t) {
        const std::string sub = from + "/" + t.key();
        if (t.key() == "command") {
          put("/trialCommand", t.value(), sub);
        } else if (t.key() == "codeDir") {
          put("/trialCodeDirectory", t.value(), sub);
        } else if (t.key() == "gpuNum") {
          put("/trialGpuNumber", t.value(), sub);
        } else if (t.key() == "nasMode") {
          continue;
        } else {
          return Status::invalid_argument(
              "trial." + t.key() + ": unknown key" +
              did_you_mean(t.key(),
                           {"command", "codeDir", "gpuNum", "nasMode"}));
        }
      }
    } else if (key == "localConfig") {
      if (!value.is_object())
        return Status::invalid_argument("localConfig: expected a mapping");
      for (auto t = value.begin(); t != value.end(); ++t) {
        const std::string sub = from + "/" + t.key();
        if (t.key() == "gpuIndices" || t.key() == "useActiveGpu") {
          put("/trainingService/" + t.key(), t.value(), sub);
        } else if (t.key() == "maxTrialNumPerGpu") {
          put("/trainingService/maxTrialNumberPerGpu", t.value(), sub);
        } else {
          return Status::invalid_argument(
              "localConfig." + t.key() + ": unknown key" +
              did_you_mean(t.key(), {"gpuIndices", "maxTrialNumPerGpu",
                                     "useActiveGpu"}));
        }
      }
    } else if (key == "machineList") {
      if (!value.is_array())
        return Status::invalid_argument("machineList: expected a list");
      static const std::map<std::string, std::string> kMachine = {
          {"ip", "host"},
          {"port", "port"},
          {"username", "user"},
          {"sshKeyPath", "sshKeyFile"},
          {"passphrase", "sshPassphrase"},
          {"passwd", "password"},
          {"gpuIndices", "gpuIndices"},
          {"maxTrialNumPerGpu", "maxTrialNumberPerGpu"},
          {"useActiveGpu", "useActiveGpu"},
          {"pythonPath", "pythonPath"}};
      std::vector<std::string> names;
      for (const auto& [k, v] : kMachine) names.push_back(k);
      for (size_t i = 0; i < value.size(); ++i) {
        const std::string at =
            "/trainingService/machineList/" + std::to_string(i);
        const std::string v1_at = from + "/" + std::to_string(i);
        if (!value[i].is_object()) {
          return Status::invalid_argument("machineList[" + std::to_string(i) +
                                          "]: expected a mapping");
        }
        put(at, Json::object(), v1_at);
        for (auto m = value[i].begin(); m != value[i].end(); ++m) {
          auto renamed = kMachine.find(m.key());
          if (renamed == kMachine.end()) {
            return Status::invalid_argument("machineList[" + std::to_string(i) +
                                            "]." + m.key() + ": unknown key" +
                                            did_you_mean(m.key(), names));
          }
          put(at + "/" + renamed->second, m.value(), v1_at + "/" + m.key());
        }
      }
    } else if (key == "remoteConfig") {
      if (value.is_object() && value.contains("reuse"))
        put("/trainingService/reuseMode", value["reuse"], from + "/reuse");
    } else if (key == "sharedStorage") {
      continue;  // reported by the platform check
    } else {
      return Status::invalid_argument(key + ": unknown key" +
                                      did_you_mean(key, known) +
                                      " (NNI v1 config)");
    }
  }
  return out;
}

}  // namespace config
}  // namespace archer
