// The tuner registry: NNI's tuner names and classArgs, each argument defined
// once.
#include "common/registry.h"

#include <cmath>
#include <mutex>
#include <random>

#include "archer/tuner.h"
#include "common/edit_distance.h"
#include "tuner/evolution_tuner.h"
#include "tuner/local_bo_tuner.h"
#include "tuner/pareto_evolution_tuner.h"
#include "tuner/random_tuner.h"
#include "tuner/tuner_args.h"

namespace archer {

using Type = TunerArg::Type;

Status not_greater(const Json& args, const std::string& small,
                   const std::string& large) {
  if (args[small].get<double>() > args[large].get<double>()) {
    return Status::invalid_argument("classArgs." + small + " (" +
                                    dumps(args[small]) +
                                    ") must not exceed classArgs." + large +
                                    " (" + dumps(args[large]) + ")");
  }
  return Status::ok();
}

TunerArg optimize_mode_arg() {
  return {"optimize_mode",
          Type::kString,
          "maximize",
          0,
          -1,
          {"maximize", "minimize"},
          "whether the final metric is to be maximised or minimised (applied "
          "by the manager)"};
}
TunerArg seed_arg() {
  return {"seed",
          Type::kInt,
          Json(),
          0,
          4294967295,
          {},
          "random seed; the same seed and the same events give the same "
          "architectures "
          "(default: drawn from the system's entropy source)"};
}

std::uint64_t seed_of(const Json& args) {
  if (args.contains("seed") && !args["seed"].is_null())
    return args["seed"].get<std::uint64_t>();
  return (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
         std::random_device{}();
}

namespace {

Registry<TunerSpec>& registry() {
  static auto* r = new Registry<TunerSpec>(
      "tuner", {random_tuner_spec(), evolution_tuner_spec(),
                local_bo_tuner_spec(), pareto_evolution_tuner_spec()});
  return *r;
}

std::string type_name(Type t) {
  switch (t) {
    case Type::kInt:
      return "an integer";
    case Type::kFloat:
      return "a number";
    case Type::kBool:
      return "true or false";
    case Type::kString:
      return "a string";
  }
  return "?";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

std::string fmt_number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    return std::to_string(static_cast<long long>(v));
  return dumps(Json(v));
}

Status check_arg(const std::string& kind, const std::string& tuner,
                 const TunerArg& arg, const Json& v) {
  if (v.is_null() && arg.default_value.is_null())
    return Status::ok();  // optional, unset
  const std::string where = kind + " '" + tuner + "': classArgs." + arg.name;
  std::string expected = type_name(arg.type);
  if (arg.min <= arg.max && arg.type != Type::kString &&
      arg.type != Type::kBool) {
    expected +=
        " in [" + fmt_number(arg.min) + ", " + fmt_number(arg.max) + "]";
  }
  if (!arg.choices.empty()) expected = "one of " + join(arg.choices);
  auto bad = [&] {
    return Status::invalid_argument(where + ": expected " + expected +
                                    ", got " + json_excerpt(v));
  };
  switch (arg.type) {
    case Type::kInt:
      if (!v.is_number_integer()) return bad();
      break;
    case Type::kFloat:
      if (!v.is_number() || !std::isfinite(v.get<double>())) return bad();
      break;
    case Type::kBool:
      if (!v.is_boolean()) return bad();
      break;
    case Type::kString:
      if (!v.is_string()) return bad();
      if (!arg.choices.empty()) {
        const std::string s = v.get<std::string>();
        bool ok = false;
        for (const auto& c : arg.choices) ok = ok || c == s;
        if (!ok) {
          return Status::invalid_argument(where + ": expected " + expected +
                                          ", got " + json_excerpt(v) +
                                          did_you_mean(s, arg.choices));
        }
      }
      break;
  }
  if ((arg.type == Type::kInt || arg.type == Type::kFloat) &&
      arg.min <= arg.max) {
    double d = v.is_number_unsigned()
                   ? static_cast<double>(v.get<std::uint64_t>())
                   : v.get<double>();
    if (d < arg.min || d > arg.max) return bad();
  }
  return Status::ok();
}

}  // namespace

StatusOr<double> extract_scalar_reward(const Json& metric) {
  const Json* value = &metric;
  if (metric.is_object()) {
    if (!metric.contains("default")) {
      return Status::invalid_argument("final metric " + json_excerpt(metric) +
                                      " has no \"default\" key: a final metric "
                                      "must be a number or an object with a "
                                      "numeric \"default\"");
    }
    value = &metric["default"];
  }
  if (!value->is_number() || value->is_boolean()) {
    return Status::invalid_argument(
        "final metric " + json_excerpt(metric) +
        " is not a number or an object with a numeric \"default\"");
  }
  double d = value->get<double>();
  if (!std::isfinite(d)) {
    return Status::invalid_argument("final metric " + json_excerpt(metric) +
                                    " is not finite");
  }
  return d;
}

double to_reward(double metric, OptimizeMode mode) {
  return mode == OptimizeMode::kMaximize ? metric : -metric;
}

void register_tuner(TunerSpec spec) { registry().add(std::move(spec)); }

std::vector<TunerSpec> registered_tuners() { return registry().all(); }

StatusOr<Json> validate_class_args(const TunerSpec& spec,
                                   const Json& class_args) {
  if (!class_args.is_null() && !class_args.is_object()) {
    return Status::invalid_argument(spec.kind + " '" + spec.name +
                                    "': classArgs must be a mapping, got " +
                                    dumps(class_args));
  }
  std::vector<std::string> names;
  for (const auto& a : spec.args) names.push_back(a.name);
  Json out = Json::object();
  if (class_args.is_object()) {
    for (auto it = class_args.begin(); it != class_args.end(); ++it) {
      const TunerArg* arg = nullptr;
      for (const auto& a : spec.args) {
        if (a.name == it.key()) arg = &a;
      }
      if (!arg) {
        return Status::invalid_argument(
            spec.kind + " '" + spec.name + "': unknown classArgs key '" +
            it.key() + "'" + did_you_mean(it.key(), names) +
            "; allowed: " + join(names));
      }
      Status st = check_arg(spec.kind, spec.name, *arg, it.value());
      if (!st.is_ok()) return st;
    }
  }
  for (const auto& a : spec.args) {
    if (class_args.is_object() && class_args.contains(a.name)) {
      out[a.name] = class_args[a.name];
    } else {
      out[a.name] = a.default_value;
    }
  }
  if (spec.check) {
    Status st = spec.check(out);
    if (!st.is_ok()) return st.with_context(spec.kind + " '" + spec.name + "'");
  }
  return out;
}

std::string tuners_markdown() {
  return class_args_markdown(registered_tuners());
}

std::string class_args_markdown(const std::vector<TunerSpec>& specs) {
  std::string out;
  for (const auto& spec : specs) {
    out += "### " + spec.name + "\n\n" + spec.doc + ".";
    if (!spec.aliases.empty())
      out += " Also registered as " + join(spec.aliases) + ".";
    out +=
        "\n\n| classArgs key | type | default | allowed | meaning "
        "|\n|---|---|---|---|---|\n";
    for (const auto& a : spec.args) {
      std::string allowed;
      if (!a.choices.empty()) {
        allowed = join(a.choices);
      } else if (a.min <= a.max && a.type != Type::kBool) {
        allowed = "[" + fmt_number(a.min) + ", " + fmt_number(a.max) + "]";
      } else if (a.type == Type::kBool) {
        allowed = "true, false";
      }
      out += "| `" + a.name + "` | " + type_name(a.type) + " | " +
             (a.default_value.is_null() ? std::string("—")
                                        : "`" + dumps(a.default_value) + "`") +
             " | " + allowed + " | " + a.doc + " |\n";
    }
    out += "\n";
  }
  return out;
}

std::optional<TunerSpec> find_tuner(const std::string& name) {
  return registry().find(name);
}

std::vector<std::string> tuner_names() { return registry().names(); }

StatusOr<std::unique_ptr<Tuner>> create_tuner(const std::string& name,
                                              const Json& class_args) {
  if (auto spec = find_tuner(name)) {
    auto args = validate_class_args(*spec, class_args);
    if (!args.is_ok()) return args.status();
    try {  // a tuner loaded on demand (PPO's module) may not load
      return spec->factory(args.value());
    } catch (const Error& e) {
      return Status::invalid_argument(e.what());
    }
  }
  return registry().unknown(
      name, name == "PPOTuner"
                ? " (PPOTuner needs LibTorch: link archer::torch and call "
                  "archer::register_ppo_tuner())"
                : "");
}

}  // namespace archer
