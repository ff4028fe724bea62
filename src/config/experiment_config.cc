#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <set>
#include <sstream>

#include "archer/assessor.h"
#include "archer/config.h"
#include "archer/tuner.h"
#include "common/bounded_file.h"
#include "common/edit_distance.h"
#include "common/nni_search_space.h"
#include "config/config_schema.h"
#include "config/yaml_json.h"
#include "dispatcher/nni_algorithms.h"
#include "training_service/platform.h"

namespace archer {

namespace {

namespace fs = std::filesystem;
using config::KeySpec;
using config::KeyType;
using config::Section;

// Where errors point: the file, and the line of a v2 JSON pointer (through the
// v1 origin map).
struct Context {
  std::string source;
  std::string base_dir;
  const YamlDocument* doc;
  std::map<std::string, std::string>
      origin;  // v2 pointer -> v1 pointer (v1 files only)

  std::string where(const std::string& pointer) const {
    std::string p = pointer;
    auto it = origin.find(p);
    while (it == origin.end() && !p.empty()) {
      p = p.substr(0, p.rfind('/'));
      it = origin.find(p);
    }
    const std::string original =
        it != origin.end() ? it->second + pointer.substr(p.size()) : pointer;
    int line = doc ? doc->line_of(original) : 0;
    return source + (line > 0 ? ":" + std::to_string(line) : "");
  }
  Status error(const std::string& pointer, const std::string& key,
               const std::string& msg) const {
    return Status::invalid_argument(where(pointer) + ": " + key + ": " + msg);
  }
};

std::string expand_path(const std::string& path, const std::string& base_dir) {
  std::string p = path;
  if (p == "~" || p.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    p = std::string(home ? home : "") + p.substr(1);
  }
  fs::path fp(p);
  if (fp.is_relative()) fp = fs::path(base_dir) / fp;
  std::string out = fp.lexically_normal().string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string shown(const Json& v) { return json_excerpt(v); }

StatusOr<std::vector<int>> parse_indices(const Json& v) {
  std::vector<int> out;
  auto add = [&](long long i) -> bool {
    if (i < 0) return false;
    for (int x : out) {
      if (x == i) return false;
    }
    out.push_back(static_cast<int>(i));
    return true;
  };
  bool ok = true;
  if (v.is_number_integer()) {
    ok = add(v.get<long long>());
  } else if (v.is_string()) {
    std::stringstream ss(v.get<std::string>());
    std::string item;
    while (ok && std::getline(ss, item, ',')) {
      char* end = nullptr;
      long long i = std::strtoll(item.c_str(), &end, 10);
      ok = !item.empty() && *end == '\0' && add(i);
    }
  } else if (v.is_array()) {
    for (const auto& x : v)
      ok = ok && x.is_number_integer() && add(x.get<long long>());
  } else {
    ok = false;
  }
  if (!ok) return Status::invalid_argument("bad indices");
  return out;
}

// Checks and normalises one value; returns the canonical JSON.
StatusOr<Json> check_value(const KeySpec& k, const Json& v,
                           const std::string& pointer,
                           const std::string& key_path, const Context& ctx) {
  auto bad = [&] {
    return ctx.error(pointer, key_path,
                     "expected " + k.expected + ", got " + shown(v));
  };
  Json out = v;
  switch (k.type) {
    case KeyType::kString:
      if (!v.is_string()) return bad();
      break;
    case KeyType::kInt: {
      // Every integer key is stored in an int: refuse what it cannot hold.
      if (!json_int32(v)) {
        return ctx.error(pointer, key_path,
                         "expected " + k.expected + " (at most " +
                             std::to_string(std::numeric_limits<int>::max()) +
                             "), got " + shown(v));
      }
      break;
    }
    case KeyType::kBool:
      if (!v.is_boolean()) return bad();
      break;
    case KeyType::kDuration: {
      auto d = parse_duration(v);
      if (!d.is_ok() || d.value() <= 0) return bad();
      out = d.value();
      break;
    }
    case KeyType::kFile:
    case KeyType::kDirectory:
    case KeyType::kPath: {
      if (!v.is_string() || v.get<std::string>().empty()) return bad();
      std::string p = expand_path(v.get<std::string>(), ctx.base_dir);
      std::error_code ec;
      if (k.type == KeyType::kFile && !fs::is_regular_file(p, ec)) {
        return ctx.error(pointer, key_path,
                         "expected an existing file, but " + p + " is not one");
      }
      if (k.type == KeyType::kDirectory && !fs::is_directory(p, ec)) {
        return ctx.error(
            pointer, key_path,
            "expected an existing directory, but " + p + " is not one");
      }
      out = p;
      break;
    }
    case KeyType::kObject:
      if (!v.is_object()) return bad();
      break;
    case KeyType::kIndices: {
      auto indices = parse_indices(v);
      if (!indices.is_ok()) return bad();
      out = indices.value();
      break;
    }
    case KeyType::kAny:
      break;
  }
  if (k.check && !k.check(v)) return bad();
  return out;
}

// Validates `obj` (at `pointer`) against a section: unknown keys (with a "did
// you mean"), duplicates after normalisation, required keys, types; fills
// defaults.
StatusOr<Json> check_section(const Section& section, const Json& obj,
                             const std::string& pointer, const Context& ctx) {
  const std::string prefix = section.name.empty() ? "" : section.name + ".";
  if (!obj.is_object()) {
    return ctx.error(pointer, section.name.empty() ? "config" : section.name,
                     "expected a mapping, got " + shown(obj));
  }
  std::vector<std::string> names;
  for (const auto& k : section.keys) names.push_back(k.name);
  std::map<std::string, std::pair<std::string, Json>>
      given;  // canonical -> (as written, value)
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const KeySpec* spec = nullptr;
    for (const auto& k : section.keys) {
      if (config::normalize_key(k.name) == config::normalize_key(it.key()))
        spec = &k;
    }
    const std::string child = pointer + "/" + it.key();
    if (!spec) {
      return ctx.error(child, prefix + it.key(),
                       "unknown key" + did_you_mean(it.key(), names));
    }
    if (given.count(spec->name)) {
      return ctx.error(
          child, prefix + it.key(),
          "given twice (as '" + given[spec->name].first + "' too)");
    }
    given[spec->name] = {it.key(), it.value()};
  }
  Json out = Json::object();
  for (const auto& k : section.keys) {
    auto it = given.find(k.name);
    if (it == given.end() || it->second.second.is_null()) {
      if (k.required) {
        return ctx.error(pointer, prefix + k.name,
                         "missing; expected " + k.expected);
      }
      out[k.name] = k.default_value;
      if (!k.default_value.is_null() &&
          (k.type == KeyType::kPath || k.type == KeyType::kDirectory)) {
        auto v = check_value(k, k.default_value, pointer, prefix + k.name, ctx);
        if (!v.is_ok()) return v.status();
        out[k.name] = v.value();
      }
      continue;
    }
    const std::string at = pointer + "/" + it->second.first;
    auto v = check_value(k, it->second.second, at, prefix + k.name, ctx);
    if (!v.is_ok()) return v.status();
    out[k.name] = v.value();
    if (k.items && out[k.name].is_object()) {  // a mapping of its own
      Section sub = *k.items;
      sub.name = prefix + k.name;
      auto checked = check_section(sub, out[k.name], at, ctx);
      if (!checked.is_ok()) return checked.status();
      out[k.name] = checked.value();
    }
    if (k.items && out[k.name].is_array()) {  // a list of mappings
      Json& list = out[k.name];
      for (size_t i = 0; i < list.size(); ++i) {
        Section item = *k.items;
        item.name = prefix + k.name + "[" + std::to_string(i) + "]";
        auto checked =
            check_section(item, list[i], at + "/" + std::to_string(i), ctx);
        if (!checked.is_ok()) return checked.status();
        list[i] = checked.value();
      }
    }
  }
  return out;
}

// The tuner's or assessor's section `key` of config `c`: a built-in name or a
// customised className. Returns whether NNI's dispatcher runs it (false:
// Archer's own, its classArgs checked here). `kind` is "tuner" (advisors
// too) or "assessor".
StatusOr<bool> resolve_algorithm(Json& c, const std::string& key,
                                 const std::string& kind, const Context& ctx) {
  Json& algo = c[key];
  const bool named = algo["name"].is_string();
  const bool customised = algo["className"].is_string();
  const std::string p = "/" + key;
  if (named && customised) {
    return ctx.error(p + "/className", key + ".className",
                     "give name (a built-in " + kind +
                         ") or className (a customised one), not both");
  }
  if (!named && !customised && !algo["codeDirectory"].is_null()) {
    // codeDirectory says it is a customised one: what is missing is its
    // class, not a built-in name.
    return ctx.error(p, key + ".className",
                     "missing; a customised " + kind +
                         " (codeDirectory is given) needs className, the "
                         "qualified Python class \"module.Class\" in it");
  }
  if (!named && !customised) {
    return ctx.error(p, key + ".name",
                     "missing; expected a built-in " + kind +
                         "'s name, or className (\"module.Class\") with "
                         "codeDirectory for a customised one");
  }
  if (customised) {
    algo.erase("name");
    if (algo["codeDirectory"].is_null()) {
      algo["codeDirectory"] = ctx.base_dir.empty() ? "." : ctx.base_dir;
    }
    return true;
  }
  if (!algo["codeDirectory"].is_null()) {
    return ctx.error(p + "/codeDirectory", key + ".codeDirectory",
                     "is for a customised " + kind +
                         " (className); a built-in one needs none");
  }
  algo.erase("codeDirectory");
  algo.erase("className");
  const std::string name = algo["name"].get<std::string>();
  if (kind == "tuner") {
    if (const std::optional<TunerSpec> spec = find_tuner(name)) {
      auto args = validate_class_args(*spec, algo["classArgs"]);
      if (!args.is_ok()) {
        return Status::invalid_argument(ctx.where(p + "/classArgs") + ": " +
                                        args.status().message());
      }
      return false;
    }
    if (name == "PPOTuner" || name == "PPO") return false;  // archer::torch
  } else if (const std::optional<AssessorSpec> aspec = find_assessor(name)) {
    auto args = validate_class_args(aspec->args, algo["classArgs"]);
    if (!args.is_ok()) {
      return Status::invalid_argument(ctx.where(p + "/classArgs") + ": " +
                                      args.status().message());
    }
    return false;
  }
  if (find_nni_algorithm(name, kind)) return true;
  std::vector<std::string> own =
      kind == "tuner" ? tuner_names() : assessor_names();
  if (kind == "tuner" &&
      std::find(own.begin(), own.end(), "PPOTuner") == own.end())
    own.push_back("PPOTuner");
  std::vector<std::string> nni;  // those Archer does not have itself
  for (const auto& n : nni_algorithm_names(kind))
    if (std::find(own.begin(), own.end(), n) == own.end() && n != "PPO")
      nni.push_back(n);
  std::vector<std::string> all = own;
  all.insert(all.end(), nni.begin(), nni.end());
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& n : v) out += (out.empty() ? "" : ", ") + n;
    return out;
  };
  return ctx.error(
      p + "/name", key + ".name",
      "unknown " + kind + " '" + name + "'" + did_you_mean(name, all) +
          "; Archer's own: " + join(own) +
          (nni.empty() ? std::string()
                       : "; NNI's (run by its dispatcher): " + join(nni)) +
          "; or a customised one with className and "
          "codeDirectory");
}

// `constraints`, `objectives` and `costProbeTimeout` into `e` (after the
// tuner is known), with the checks across keys.
Status read_hardware_aware(const Json& c, ExperimentConfig& e,
                           const Context& ctx) {
  e.cost_probe_timeout = c["costProbeTimeout"].get<double>();
  std::set<std::string> seen;
  const Json constraints =
      c["constraints"].is_array() ? c["constraints"] : Json::array();
  for (size_t i = 0; i < constraints.size(); ++i) {
    const Json& j = constraints[i];
    const std::string at = "/constraints/" + std::to_string(i);
    const std::string key = "constraints[" + std::to_string(i) + "]";
    CostConstraint k;
    k.metric = j["metric"].get<std::string>();
    if (!j["min"].is_null()) k.min = j["min"].get<double>();
    if (!j["max"].is_null()) k.max = j["max"].get<double>();
    if (!k.min && !k.max)
      return ctx.error(at, key, "give max, min or both for " + k.metric);
    if (k.min && k.max && *k.min > *k.max)
      return ctx.error(at + "/min", key + ".min",
                       "expected min <= max, got " + shown(j["min"]) + " > " +
                           shown(j["max"]));
    if (!seen.insert(k.metric).second)
      return ctx.error(at + "/metric", key + ".metric",
                       "'" + k.metric +
                           "' is constrained twice (give min and max in one "
                           "item)");
    e.constraints.push_back(k);
  }
  seen.clear();
  const Json objectives =
      c["objectives"].is_array() ? c["objectives"] : Json::array();
  for (size_t i = 0; i < objectives.size(); ++i) {
    const Json& j = objectives[i];
    Objective o;
    o.metric = j["metric"].get<std::string>();
    o.maximize = j["mode"] == "maximize";
    if (!j["reference"].is_null()) o.reference = j["reference"].get<double>();
    if (!seen.insert(o.metric).second)
      return ctx.error("/objectives/" + std::to_string(i) + "/metric",
                       "objectives[" + std::to_string(i) + "].metric",
                       "'" + o.metric + "' is an objective twice");
    e.objectives.push_back(o);
  }
  const bool any = !e.constraints.empty() || !e.objectives.empty();
  if (any && e.external_tuner) {
    return ctx.error(
        e.constraints.empty() ? "/objectives" : "/constraints",
        e.constraints.empty() ? "objectives" : "constraints",
        "hardware-aware search runs with Archer's own tuners; tuner " +
            e.tuner_name + " runs in NNI's dispatcher");
  }
  if (!e.objectives.empty()) {
    const std::optional<TunerSpec> spec = find_tuner(e.tuner_name);
    if (spec && !spec->multi_objective) {
      std::string names;
      for (const auto& t : registered_tuners()) {
        if (t.multi_objective) names += (names.empty() ? "" : ", ") + t.name;
      }
      return ctx.error("/tuner/name", "tuner.name",
                       spec->name +
                           " optimises one metric; with objectives use a "
                           "multi-objective tuner (" +
                           names + ")");
    }
  }
  return Status::ok();
}

// The platform a trainingService section (at `pointer`, known to the user
// as `key`) names: "local" when it names none.
StatusOr<PlatformSpec> platform_of(const Json& ts, const std::string& pointer,
                                   const std::string& key, const Context& ctx) {
  std::string names;
  for (const auto& n : platform_names())
    names += (names.empty() ? "" : ", ") + n;
  if (ts.is_object() && ts.contains("platform") &&
      !ts["platform"].is_string()) {
    return ctx.error(pointer + "/platform", key + ".platform",
                     "expected a platform name (" + names + "), got " +
                         shown(ts["platform"]));
  }
  const std::string name = ts.is_object() && ts.contains("platform")
                               ? ts["platform"].get<std::string>()
                               : "local";
  const std::optional<PlatformSpec> platform = find_platform(name);
  if (!platform) {
    return ctx.error(pointer + "/platform", key + ".platform",
                     "platform '" + name +
                         "' is not supported yet by Archer (supported: " +
                         names + ")" + did_you_mean(name, platform_names()));
  }
  return *platform;
}

// Checks one trainingService section (`ts`, at `pointer`, known as `key`)
// against its platform's keys and cross-key check; `top` is the whole
// config. Returns the section with defaults filled in.
StatusOr<Json> check_platform_section(const PlatformSpec& platform,
                                      const Json& ts, const Json& top,
                                      const std::string& pointer,
                                      const std::string& key,
                                      const Context& ctx) {
  config::Section section = platform.section;
  section.name = key;
  auto checked = check_section(section, ts, pointer, ctx);
  if (!checked.is_ok()) return checked.status();
  if (platform.check) {
    if (auto bad = platform.check(checked.value(), top)) {
      // The platform names its keys as in a single section.
      std::string p = bad->pointer, k = bad->key;
      if (p.rfind("/trainingService", 0) == 0)
        p = pointer + p.substr(std::string("/trainingService").size());
      if (k.rfind("trainingService", 0) == 0)
        k = key + k.substr(std::string("trainingService").size());
      return ctx.error(p, k, bad->message);
    }
  }
  return checked.value();
}

// NNI's hybrid mode: each item of the list checked as its platform's
// section, each platform once, plus the item's own trialConcurrency.
StatusOr<Json> check_hybrid(const Json& list, const Json& top,
                            const Context& ctx) {
  if (list.empty()) {
    return ctx.error("/trainingService", "trainingService",
                     "an empty list; give one platform or several");
  }
  Json out = Json::array();
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string pointer = "/trainingService/" + std::to_string(i);
    const std::string key = "trainingService[" + std::to_string(i) + "]";
    if (!list[i].is_object()) {
      return ctx.error(
          pointer, key,
          "expected a mapping {platform: ..., ...}, got " + shown(list[i]));
    }
    auto platform = platform_of(list[i], pointer, key, ctx);
    if (!platform.is_ok()) return platform.status();
    const std::string& name = platform.value().name;
    if (seen.count(name)) {
      return ctx.error(
          pointer + "/platform", key + ".platform",
          "'" + name + "' is already trainingService[" +
              std::to_string(seen[name]) + "]; give each platform once" +
              (name == "remote" ? std::string(" (one remote item lists several "
                                              "hosts in machineList)")
                                : std::string()));
    }
    seen[name] = i;
    Json item = list[i];
    Json concurrency;
    for (auto it = item.begin(); it != item.end(); ++it) {
      if (config::normalize_key(it.key()) == "trialconcurrency") {
        concurrency = it.value();
        item.erase(it);
        break;
      }
    }
    if (!concurrency.is_null() && !(concurrency.is_number_integer() &&
                                    config::positive_int(concurrency))) {
      return ctx.error(pointer + "/trialConcurrency", key + ".trialConcurrency",
                       std::string("expected ") + config::kPositiveInteger +
                           ", got " + shown(concurrency));
    }
    auto checked =
        check_platform_section(platform.value(), item, top, pointer, key, ctx);
    if (!checked.is_ok()) return checked.status();
    out.push_back(checked.value());
    out.back()["trialConcurrency"] = concurrency;
  }
  return out;
}

StatusOr<ExperimentConfig> build(const Json& raw, const Context& ctx) {
  // The platform first: a config for another platform fails on that, not on
  // its details.
  const Json ts_raw = raw.is_object() && raw.contains("trainingService")
                          ? raw["trainingService"]
                          : Json();
  std::optional<PlatformSpec> platform;
  if (!ts_raw.is_array()) {
    auto p = platform_of(ts_raw, "/trainingService", "trainingService", ctx);
    if (!p.is_ok()) return p.status();
    platform = p.value();
  }
  auto top = check_section(config::top_level_section(), raw, "", ctx);
  if (!top.is_ok()) return top.status();
  Json c = top.value();
  // The tuner (or NNI's advisor, the same thing under its older name).
  std::string tkey = "tuner";
  if (!c["advisor"].is_null()) {
    if (!c["tuner"].is_null()) {
      return ctx.error("/advisor", "advisor",
                       "give tuner or advisor, not both (advisor is NNI's "
                       "older name for a tuner that also stops trials)");
    }
    tkey = "advisor";
  }
  if (c[tkey].is_null()) {
    return ctx.error("", "tuner",
                     "missing; expected a mapping {name, classArgs} or "
                     "{className, codeDirectory, classArgs}");
  }
  auto tuner = check_section(
      tkey == "tuner" ? config::tuner_section() : config::advisor_section(),
      c[tkey], "/" + tkey, ctx);
  if (!tuner.is_ok()) return tuner.status();
  c[tkey] = tuner.value();
  if (!c["assessor"].is_null()) {
    auto assessor = check_section(config::assessor_section(), c["assessor"],
                                  "/assessor", ctx);
    if (!assessor.is_ok()) return assessor.status();
    c["assessor"] = assessor.value();
  }
  auto ts = platform ? check_platform_section(*platform, c["trainingService"],
                                              c, "/trainingService",
                                              "trainingService", ctx)
                     : check_hybrid(c["trainingService"], c, ctx);
  if (!ts.is_ok()) return ts.status();
  c["trainingService"] = ts.value();

  ExperimentConfig e;
  auto algorithm = resolve_algorithm(c, tkey, "tuner", ctx);
  if (!algorithm.is_ok()) return algorithm.status();
  e.external_tuner = algorithm.value();
  e.tuner_name = c[tkey].value("name", Json()).is_string()
                     ? c[tkey]["name"].get<std::string>()
                     : c[tkey]["className"].get<std::string>();
  e.tuner_class_args = c[tkey]["classArgs"];
  if (!c["assessor"].is_null()) {
    auto external = resolve_algorithm(c, "assessor", "assessor", ctx);
    if (!external.is_ok()) return external.status();
    e.external_assessor = external.value();
    if (e.external_assessor && !e.external_tuner) {
      return ctx.error(
          "/assessor/className", "assessor.className",
          "a customised assessor runs in NNI's dispatcher, beside an NNI "
          "tuner; tuner " +
              e.tuner_name +
              " is Archer's own (use one of Archer's assessors: Medianstop, "
              "Curvefitting, ASHA)");
    }
    e.assessor_name = c["assessor"].value("name", Json()).is_string()
                          ? c["assessor"]["name"].get<std::string>()
                          : c["assessor"]["className"].get<std::string>();
    e.assessor_class_args = c["assessor"]["classArgs"];
  }
  if (e.external_tuner) {
    e.dispatcher_params["tuner"] = c[tkey];
    if (e.external_assessor) e.dispatcher_params["assessor"] = c["assessor"];
  }
  if (!c["pythonInterpreter"].is_null())
    e.python_interpreter = c["pythonInterpreter"].get<std::string>();

  // The search space: any of NNI's types for NNI's tuners, classic NAS's two
  // for Archer's own.
  if (c["searchSpaceFile"].is_null() == c["searchSpace"].is_null()) {
    return ctx.error("", "searchSpaceFile",
                     "give exactly one of searchSpaceFile and searchSpace "
                     "(generate the file "
                     "with `archer ss_gen --trial_command ...`)");
  }
  std::string space_source;
  if (!c["searchSpaceFile"].is_null()) {
    e.search_space_file = c["searchSpaceFile"].get<std::string>();
    auto json = load_json_file(e.search_space_file);
    if (!json.is_ok()) return json.status();
    e.search_space_json = json.value();
    space_source = e.search_space_file;
  } else {
    e.search_space_json = c["searchSpace"];
    space_source = ctx.where("/searchSpace") + ": searchSpace";
  }
  const std::optional<std::string> other =
      first_non_classic_entry(e.search_space_json);
  if (e.external_tuner) {
    Status valid = validate_nni_search_space(e.search_space_json, space_source);
    if (!valid.is_ok()) return valid;
  } else {
    Status native = check_native_tuner_space(e.search_space_json, space_source,
                                             e.tuner_name);
    if (!native.is_ok()) return native;
  }
  if (!other || !e.external_tuner) {
    auto space = SearchSpace::from_json(e.search_space_json, space_source);
    if (!space.is_ok()) return space.status();
    e.search_space = space.value();
  }
  e.experiment_name = c["experimentName"].is_null()
                          ? ""
                          : c["experimentName"].get<std::string>();
  e.trial_command = c["trialCommand"].get<std::string>();
  e.trial_code_directory = c["trialCodeDirectory"].get<std::string>();
  e.trial_concurrency = c["trialConcurrency"].get<int>();
  if (!c["trialGpuNumber"].is_null())
    e.trial_gpu_number = c["trialGpuNumber"].get<int>();
  if (!c["maxExperimentDuration"].is_null()) {
    e.max_experiment_duration = c["maxExperimentDuration"].get<double>();
  }
  if (!c["maxTrialNumber"].is_null())
    e.max_trial_number = c["maxTrialNumber"].get<std::int64_t>();
  if (!c["maxTrialDuration"].is_null())
    e.max_trial_duration = c["maxTrialDuration"].get<double>();
  e.nni_manager_ip =
      c["nniManagerIp"].is_null() ? "" : c["nniManagerIp"].get<std::string>();
  e.use_annotation = c["useAnnotation"].get<bool>();
  e.debug = c["debug"].get<bool>();
  e.log_level = c["logLevel"].get<std::string>();
  if (e.debug && raw.is_object() && !raw.contains("logLevel"))
    e.log_level = "debug";
  if (Status st = read_hardware_aware(c, e, ctx); !st.is_ok()) return st;
  e.experiment_working_directory =
      c["experimentWorkingDirectory"].get<std::string>();
  e.platform = platform ? platform->name : kHybridPlatform;
  e.training_service = c["trainingService"];
  e.canonical = c;
  return e;
}

}  // namespace

std::string CostConstraint::describe() const {
  auto num = [](double v) { return dumps(Json(v)); };
  if (min && max) return metric + " in [" + num(*min) + ", " + num(*max) + "]";
  if (max) return metric + " <= " + num(*max);
  return metric + " >= " + num(min.value_or(0));
}

StatusOr<double> parse_duration(const Json& value) {
  if (value.is_number()) return value.get<double>();
  if (!value.is_string()) return Status::invalid_argument("not a duration");
  const std::string s = value.get<std::string>();
  if (s.size() < 2) return Status::invalid_argument("not a duration");
  const char unit = s.back();
  double scale = unit == 's'   ? 1
                 : unit == 'm' ? 60
                 : unit == 'h' ? 3600
                 : unit == 'd' ? 86400
                               : 0;
  if (scale == 0) return Status::invalid_argument("not a duration");
  const std::string number = s.substr(0, s.size() - 1);
  char* end = nullptr;
  double d = std::strtod(number.c_str(), &end);
  if (number.empty() || *end != '\0' || !std::isfinite(d) ||
      number.find_first_not_of("0123456789.") != std::string::npos) {
    return Status::invalid_argument("not a duration");
  }
  return d * scale;
}

StatusOr<ExperimentConfig> parse_experiment_config(
    const std::string& yaml_text, const std::string& source,
    const std::string& base_dir) {
  auto doc = parse_yaml(yaml_text, source);
  if (!doc.is_ok()) return doc.status();
  Context ctx{source, base_dir, &doc.value(), {}};
  Json raw = doc.value().value;
  if (!raw.is_object()) {
    return Status::invalid_argument(source +
                                    ": expected a mapping of config keys");
  }
  if (config::is_v1(raw)) {
    auto v2 = config::convert_v1(raw, &ctx.origin);
    if (!v2.is_ok()) {
      return Status::invalid_argument(source + ": " + v2.status().message());
    }
    raw = v2.value();
  }
  return build(raw, ctx);
}

StatusOr<ExperimentConfig> config_from_canonical(const Json& canonical,
                                                 const Json& search_space,
                                                 const std::string& source) {
  if (!canonical.is_object()) {
    return Status::invalid_argument(source + ": config: expected a mapping");
  }
  Json raw = canonical;
  const Json file = raw.value("searchSpaceFile", Json());
  raw["searchSpace"] = search_space;
  raw["searchSpaceFile"] = nullptr;
  Context ctx{source, "/", nullptr, {}};
  auto config = build(raw, ctx);
  if (!config.is_ok()) return config.status();
  ExperimentConfig e = std::move(config).value();
  if (file.is_string()) {
    e.search_space_file = file.get<std::string>();
    e.canonical["searchSpaceFile"] = file;
    e.canonical["searchSpace"] = nullptr;
  }
  return e;
}

StatusOr<ExperimentConfig> load_experiment_config(const std::string& path) {
  auto text = read_regular_file(path, kMaxYamlBytes);
  if (!text.is_ok()) {
    if (text.status().code() == Status::Code::kNotFound)
      return Status::not_found(path + ": cannot open the config file");
    return text.status();
  }
  std::string abs = fs::absolute(path).lexically_normal().string();
  auto config = parse_experiment_config(text.value(), path,
                                        fs::path(abs).parent_path().string());
  if (!config.is_ok()) return config.status();
  ExperimentConfig e = std::move(config).value();
  e.config_path = abs;
  return e;
}

std::string config_reference_markdown() {
  std::string out;
  auto type_name = [](KeyType t) -> std::string {
    switch (t) {
      case KeyType::kString:
        return "string";
      case KeyType::kInt:
        return "integer";
      case KeyType::kBool:
        return "boolean";
      case KeyType::kDuration:
        return "duration";
      case KeyType::kFile:
        return "file path";
      case KeyType::kDirectory:
        return "directory path";
      case KeyType::kPath:
        return "path";
      case KeyType::kObject:
        return "mapping";
      case KeyType::kAny:
        return "—";
      case KeyType::kIndices:
        return "GPU indices";
    }
    return "";
  };
  auto table = [&](const Section& s, const std::string& title) {
    out += "### " + title + "\n\n";
    out +=
        "| key | type | default | expected | meaning "
        "|\n|---|---|---|---|---|\n";
    for (const auto& k : s.keys) {
      out +=
          "| `" + k.name + "` | " + type_name(k.type) + " | " +
          (k.required                  ? std::string("required")
           : k.default_value.is_null() ? std::string("—")
                                       : "`" + dumps(k.default_value) + "`") +
          " | " + k.expected + " | " + k.doc + " |\n";
    }
    out += "\n";
  };
  table(config::top_level_section(), "Top level");
  table(config::tuner_section(), "`tuner`");
  table(config::assessor_section(), "`assessor`");
  for (const auto& p : registered_platforms()) {
    table(p.section,
          "`trainingService` (platform " + p.name + ": " + p.doc + ")");
    for (const auto& k : p.section.keys) {
      if (k.items)
        table(*k.items, "`trainingService." + k.name +
                            (k.type == config::KeyType::kObject ? "" : "[]") +
                            "` (platform " + p.name + ")");
    }
  }
  return out;
}

}  // namespace archer
