// The assessor registry: NNI's assessor names and classArgs, each argument
// defined once (the tuner registry's TunerArg tables and checks).

#include "common/registry.h"

#include "archer/assessor.h"
#include "assessor/asha_assessor.h"
#include "assessor/assessor_args.h"
#include "assessor/curvefitting_assessor.h"
#include "assessor/medianstop_assessor.h"
#include "common/edit_distance.h"

namespace archer {

// The registry's key for an assessor: its classArgs table's name.
static const std::string& registry_name(const AssessorSpec& spec) {
  return spec.args.name;
}

using Type = TunerArg::Type;

TunerArg assessor_optimize_mode_arg() {
  return {"optimize_mode",
          Type::kString,
          "maximize",
          0,
          -1,
          {"maximize", "minimize"},
          "whether intermediate results are to be maximised or minimised"};
}

TunerArg start_step_arg(int default_value) {
  return {"start_step",
          Type::kInt,
          default_value,
          0,
          9999,
          {},
          "judge a trial only once it reported this many intermediate results"};
}

AssessorSpec assessor_spec_named(const std::string& name,
                                 const std::string& doc) {
  AssessorSpec s;
  s.args.name = name;
  s.args.kind = "assessor";
  s.args.doc = doc;
  return s;
}

OptimizeMode assessor_mode_of(const Json& args) {
  return args["optimize_mode"] == "minimize" ? OptimizeMode::kMinimize
                                             : OptimizeMode::kMaximize;
}

namespace {

Registry<AssessorSpec>& registry() {
  static auto* r = new Registry<AssessorSpec>(
      "assessor", {medianstop_assessor_spec(), curvefitting_assessor_spec(),
                   asha_assessor_spec()});
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
