// The assessor registry: NNI's assessor names and classArgs, each argument
// defined once (the tuner registry's TunerArg tables and checks).

#include "common/registry.h"

#include "archer/assessor.h"
#include "assessor/asha_assessor.h"
#include "assessor/curvefitting_assessor.h"
#include "assessor/medianstop_assessor.h"
#include "common/edit_distance.h"

namespace archer {

// The registry's key for an assessor: its classArgs table's name.
static const std::string& registry_name(const AssessorSpec& spec) {
  return spec.args.name;
}

namespace {

using Type = TunerArg::Type;

// Every assessor's optimize_mode (of the intermediate results).
TunerArg assessor_optimize_mode_arg() {
  return {"optimize_mode",
          Type::kString,
          "maximize",
          0,
          -1,
          {"maximize", "minimize"},
          "whether intermediate results are to be maximised or minimised"};
}

// Medianstop's and Curvefitting's start_step (NNI's defaults differ).
TunerArg start_step_arg(int default_value) {
  return {"start_step",
          Type::kInt,
          default_value,
          0,
          9999,
          {},
          "judge a trial only once it reported this many intermediate results"};
}

// An assessor's registration with its name and doc (kind "assessor").
AssessorSpec named(const std::string& name, const std::string& doc) {
  AssessorSpec s;
  s.args.name = name;
  s.args.kind = "assessor";
  s.args.doc = doc;
  return s;
}

OptimizeMode mode_of(const Json& args) {
  return args["optimize_mode"] == "minimize" ? OptimizeMode::kMinimize
                                             : OptimizeMode::kMaximize;
}

AssessorSpec medianstop_spec() {
  AssessorSpec s = named(
      "Medianstop",
      "the median stopping rule (Google Vizier), as NNI's: stop a trial whose "
      "best intermediate result is worse than the median of the completed "
      "trials' running averages at the same step");
  s.args.args = {assessor_optimize_mode_arg(), start_step_arg(0)};
  s.factory = [](const Json& a) {
    return std::make_unique<MedianstopAssessor>(mode_of(a),
                                                a["start_step"].get<int>());
  };
  return s;
}

AssessorSpec asha_spec() {
  AssessorSpec s = named(
      "ASHA",
      "asynchronous successive halving (Li et al. 2020), Archer's: at rungs "
      "min_step * reduction_factor^k intermediate results a trial goes on "
      "only if its result there is in the top 1/reduction_factor of the "
      "results recorded at that rung so far; works with every tuner");
  s.args.args = {assessor_optimize_mode_arg(),
                 {"reduction_factor",
                  Type::kInt,
                  3,
                  2,
                  100,
                  {},
                  "eta: the fraction 1/eta of trials that go on at each rung"},
                 {"min_step",
                  Type::kInt,
                  1,
                  1,
                  100000,
                  {},
                  "the first rung, in intermediate results"},
                 {"max_step",
                  Type::kInt,
                  100,
                  1,
                  100000,
                  {},
                  "no rung beyond this step (the full training length)"},
                 {"brackets",
                  Type::kInt,
                  1,
                  1,
                  10,
                  {},
                  "Hyperband-style brackets: bracket b's first rung is "
                  "min_step * reduction_factor^b; trials are spread over "
                  "them by id (1: plain ASHA)"},
                 {"rung_value",
                  Type::kString,
                  "last",
                  0,
                  -1,
                  {"last", "best"},
                  "a trial's result at a rung: its result at that step "
                  "(last, as Li et al.) or its best up to that step (best: "
                  "steadier on noisy curves)"}};
  s.args.check = [](const Json& a) {
    if (a["min_step"].get<int>() > a["max_step"].get<int>()) {
      return Status::invalid_argument("classArgs.min_step (" +
                                      dumps(a["min_step"]) +
                                      ") must not exceed classArgs.max_step (" +
                                      dumps(a["max_step"]) + ")");
    }
    return Status::ok();
  };
  s.factory = [](const Json& a) {
    return std::make_unique<AshaAssessor>(
        mode_of(a), a["reduction_factor"].get<int>(), a["min_step"].get<int>(),
        a["max_step"].get<int>(), a["brackets"].get<int>(),
        a["rung_value"] == "best");
  };
  return s;
}

AssessorSpec curvefitting_spec() {
  AssessorSpec s = named(
      "Curvefitting",
      "learning-curve extrapolation (Domhan et al. 2015), as NNI's: stop a "
      "trial whose curve, extrapolated to epoch_num by a weighted "
      "combination of 12 curve families, is not above threshold times the "
      "best completed trial's last intermediate result; maximises");
  s.args.args = {
      {"epoch_num",
       Type::kInt,
       nullptr,
       1,
       9999,
       {},
       "required: the total number of epochs (intermediate results) of a "
       "trial, where the curve is extrapolated to"},
      start_step_arg(6),
      {"threshold",
       Type::kFloat,
       0.95,
       0,
       9999,
       {},
       "stop when the extrapolated result is at most threshold * the best "
       "completed trial's"},
      {"gap",
       Type::kInt,
       1,
       1,
       9999,
       {},
       "judge every gap intermediate results (start_step, start_step+gap, "
       "...)"}};
  s.args.check = [](const Json& a) {
    if (!a.contains("epoch_num") || a["epoch_num"].is_null()) {
      return Status::invalid_argument(
          "classArgs.epoch_num: missing; expected the total number of epochs "
          "of a trial (an integer in [1, 9999]), as NNI requires");
    }
    return Status::ok();
  };
  s.factory = [](const Json& a) {
    return std::make_unique<CurvefittingAssessor>(
        a["epoch_num"].get<int>(), a["start_step"].get<int>(),
        a["threshold"].get<double>(), a["gap"].get<int>());
  };
  return s;
}

Registry<AssessorSpec>& registry() {
  static auto* r = new Registry<AssessorSpec>(
      "assessor", {medianstop_spec(), curvefitting_spec(), asha_spec()});
  return *r;
}

}  // namespace

void register_assessor(AssessorSpec spec) { registry().add(std::move(spec)); }

std::optional<AssessorSpec> find_assessor(const std::string& name) {
  return registry().find(name);
}

std::vector<std::string> assessor_names() { return registry().names(); }

std::string assessors_markdown() {
  std::vector<TunerSpec> specs;
  for (const auto& s : registry().all()) specs.push_back(s.args);
  return class_args_markdown(specs);
}

StatusOr<std::unique_ptr<Assessor>> create_assessor(const std::string& name,
                                                    const Json& class_args) {
  auto spec = find_assessor(name);
  if (!spec) return registry().unknown(name);
  auto args = validate_class_args(spec->args, class_args);
  if (!args.is_ok()) return args.status();
  return spec->factory(args.value());
}

}  // namespace archer
