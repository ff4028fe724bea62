#include "archer/nn/mutator.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>
#include <unordered_set>

#include "archer/nn/costs.h"
#include "archer/nn/input_choice.h"
#include "archer/nn/layer_choice.h"
#include "archer/nn/runtime.h"
#include "common/atomic_file.h"
#include "common/log.h"

namespace archer {

namespace nn {

namespace {

struct Visit {
  MutableImpl* mutable_module = nullptr;  // null for a MutableScope
  std::string key;
  std::string path;
};

void walk(torch::nn::Module& module, const std::string& path,
          std::unordered_set<const torch::nn::Module*>& visited,
          const Visit* enclosing, std::vector<Visit>& out) {
  if (!visited.insert(&module).second) return;
  const Visit* inner = enclosing;
  if (auto* m = dynamic_cast<MutableImpl*>(&module)) {
    if (enclosing) {
      throw Error("Cannot have nested search space: '" + m->key() + "' (" +
                  path + ") is inside '" + enclosing->key + "' (" +
                  enclosing->path + ")");
    }
    out.push_back({m, m->key(), path});
    inner = &out.back();
  } else if (auto* scope = dynamic_cast<MutableScopeImpl*>(&module)) {
    out.push_back({nullptr, scope->key(), path});
  }
  // `inner` may dangle after out grows; copy what the nested check needs.
  Visit guard = inner ? *inner : Visit();
  for (const auto& child : module.named_children()) {
    const std::string child_path =
        path.empty() ? child.key() : path + "." + child.key();
    walk(*child.value(), child_path, visited, inner ? &guard : nullptr, out);
  }
}

Choice choice_of(const MutableImpl& m) {
  Choice c;
  c.key = m.key();
  if (auto* lc = dynamic_cast<const LayerChoiceImpl*>(&m)) {
    c.type = ChoiceType::kLayerChoice;
    c.candidates = lc->names();
  } else if (auto* ic = dynamic_cast<const InputChoiceImpl*>(&m)) {
    c.type = ChoiceType::kInputChoice;
    c.candidates = ic->choose_from();
    if (ic->n_chosen()) c.n_chosen = static_cast<int>(*ic->n_chosen());
  } else {
    throw Error("unsupported mutable type for key '" + m.key() + "'");
  }
  return c;
}

struct Collected {
  SearchSpace space;
  std::vector<Visit> mutables;
};

Collected collect(torch::nn::Module& model) {
  std::unordered_set<const torch::nn::Module*> visited;
  std::vector<Visit> visits;
  visits.reserve(64);
  walk(model, "", visited, nullptr, visits);
  Collected result;
  std::set<std::string> keys_before;
  for (const auto& v : visits) {
    if (v.mutable_module) {
      Choice c = choice_of(*v.mutable_module);
      if (auto* ic = dynamic_cast<const InputChoiceImpl*>(v.mutable_module)) {
        for (const auto& source : ic->choose_from()) {
          if (!source.empty() && !keys_before.count(source)) {
            throw Error("'" + source + "' required by '" + c.key +
                        "' not found in keys that appeared before, and is not "
                        "NO_KEY (\"\")");
          }
        }
      }
      int existing = result.space.index_of(c.key);
      if (existing >= 0) {
        if (!(result.space.choices()[static_cast<size_t>(existing)] == c)) {
          throw Error(
              "key '" + c.key +
              "' is shared by mutables with different candidates (" + v.path +
              " differs from the first one); shared keys share one decision");
        }
      } else {
        Status st = result.space.add(c);
        if (!st.is_ok()) throw Error(st.message());
      }
      result.mutables.push_back(v);
    }
    keys_before.insert(v.key);
  }
  return result;
}

void apply(const Collected& collected, const Architecture& arch,
           const ApplyOptions& options) {
  for (const auto& v : collected.mutables) {
    if (v.mutable_module->applied()) {
      throw Error(
          "an architecture was already applied to this model (mutable '" +
          v.key +
          "'): get_and_apply_next_architecture() may be called once per model");
    }
  }
  for (const auto& v : collected.mutables) {
    int index = collected.space.index_of(v.key);
    const Choice& c = collected.space.choices()[static_cast<size_t>(index)];
    std::vector<bool> mask(c.candidates.size(), false);
    for (int i : arch[static_cast<size_t>(index)])
      mask[static_cast<size_t>(i)] = true;
    v.mutable_module->apply_decision(std::move(mask), !options.keep_unchosen());
  }
}

void write_file_atomically(const std::string& path, const std::string& content,
                           const std::string& what) {
  Status st = replace_file(path, content);
  if (!st.is_ok()) {
    std::string why = st.message();  // "<path>: cannot replace it (...)"
    if (why.rfind(path + ": ", 0) == 0) why = why.substr(path.size() + 2);
    throw Error("cannot write " + what + " to " + path + ": " + why);
  }
}

void collect_parameters(
    const torch::nn::Module& module,
    std::unordered_set<const void*>& seen_params,
    std::unordered_set<const torch::nn::Module*>& seen_modules,
    std::vector<torch::Tensor>& out) {
  if (!seen_modules.insert(&module).second) return;
  for (const auto& p : module.named_parameters(/*recurse=*/false)) {
    if (seen_params.insert(p.value().unsafeGetTensorImpl()).second)
      out.push_back(p.value());
  }
  const auto* m = dynamic_cast<const MutableImpl*>(&module);
  for (const auto& child : module.named_children()) {
    if (m && m->is_unchosen_child(*child.value())) continue;
    collect_parameters(*child.value(), seen_params, seen_modules, out);
  }
}

}  // namespace

SearchSpace collect_search_space(torch::nn::Module& model) {
  return collect(model).space;
}

void apply_architecture(torch::nn::Module& model, const Json& architecture,
                        const std::string& source,
                        const ApplyOptions& options) {
  Collected collected = collect(model);
  auto arch = architecture_from_json(collected.space, architecture, source);
  if (!arch.is_ok()) throw Error(arch.status().message());
  apply(collected, arch.value(), options);
}

ApplyMode apply_next_architecture(torch::nn::Module& model,
                                  TrialContext& context,
                                  const ApplyOptions& options) {
  Collected collected = collect(model);
  if (auto path = context.env("NNI_GEN_SEARCH_SPACE")) {
    write_file_atomically(*path, collected.space.dump(), "the search space");
    return ApplyMode::kSearchSpaceWritten;
  }
  bool standalone = context.platform() == TrialContext::Platform::kStandalone;
  Json parameters;
  if (!standalone) {
    parameters = context.get_next_parameter();
    if (parameters.is_null()) {
      if (context.platform() != TrialContext::Platform::kUnittest) {
        throw Error(
            "Chosen architecture is None (parameter.cfg has no parameters). "
            "This may "
            "be a platform error.");
      }
      standalone = true;
    }
  }
  if (standalone) {
    log_warning("archer",
                "Running without an experiment (NNI_PLATFORM is not set): "
                "using the first "
                "candidate of every choice");
    apply(collected, first_architecture(collected.space), options);
    return ApplyMode::kStandalone;
  }
  const std::string source =
      context.env("NNI_SYS_DIR").value_or(".") + "/parameter.cfg";
  auto arch = architecture_from_json(collected.space, parameters, source);
  if (!arch.is_ok()) throw Error(arch.status().message());
  apply(collected, arch.value(), options);
  return ApplyMode::kExperiment;
}

Json applied_architecture(torch::nn::Module& model) {
  Collected collected = collect(model);
  std::vector<std::vector<int>> decisions(collected.space.size());
  std::vector<bool> done(collected.space.size(), false);
  for (const auto& v : collected.mutables) {
    size_t index = static_cast<size_t>(collected.space.index_of(v.key));
    if (done[index]) continue;
    if (!v.mutable_module->applied()) {
      throw Error("no architecture has been applied to this model (mutable '" +
                  v.key + "')");
    }
    const std::vector<bool>& mask = v.mutable_module->decision();
    for (size_t i = 0; i < mask.size(); ++i) {
      if (mask[i]) decisions[index].push_back(static_cast<int>(i));
    }
    done[index] = true;
  }
  return architecture_to_json(collected.space, Architecture(decisions));
}

std::vector<torch::Tensor> chosen_parameters(const torch::nn::Module& model) {
  std::unordered_set<const void*> seen_params;
  std::unordered_set<const torch::nn::Module*> seen_modules;
  std::vector<torch::Tensor> out;
  collect_parameters(model, seen_params, seen_modules, out);
  return out;
}

}  // namespace nn

void get_and_apply_next_architecture(torch::nn::Module& model,
                                     const ApplyOptions& options) {
  TrialContext& context =
      options.context() ? *options.context() : default_trial_context();
  nn::ApplyMode mode;
  try {
    mode = nn::apply_next_architecture(model, context, options);
  } catch (const Error& e) {
    if (!options.exit_on_error()) throw;
    std::cerr << "archer: error: " << e.what() << std::endl;
    std::exit(1);
  }
  if (mode == nn::ApplyMode::kSearchSpaceWritten) {
    std::cout.flush();
    std::exit(0);
  }
  apply_runtime_defaults();  // the training that follows runs faster
  const std::optional<std::string> probe = context.env("ARCHER_COST_PROBE");
  if (!probe && !options.report_costs()) return;
  try {
    nn::CostOptions cost_options;
    cost_options.latency_repeats = options.latency_repeats();
    const nn::Costs costs = nn::measure_costs(
        model, options.cost_forward(), options.cost_input(), cost_options);
    if (probe) {
      nn::write_file_atomically(*probe, dumps(costs.to_json()), "the costs");
      std::cout.flush();
      std::exit(0);
    }
    std::cerr << "archer: costs: " << costs.describe() << std::endl;
    context.set_final_metric_extras(costs.to_json());
  } catch (const Error& e) {
    if (!options.exit_on_error()) throw;
    std::cerr << "archer: error: " << e.what() << std::endl;
    std::exit(1);
  }
}

}  // namespace archer
