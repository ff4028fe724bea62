// Classic-NAS mutator: collects a model's search space and applies one
// architecture to it (spec §1.5, §1.7). The entry point is
// archer::get_and_apply_next_architecture(model).
#ifndef ARCHER_NN_MUTATOR_H_
#define ARCHER_NN_MUTATOR_H_

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "archer/json.h"
#include "archer/nn/mutable.h"
#include "archer/search_space.h"
#include "archer/trial.h"

namespace archer {

struct ApplyOptions {
  // Keep unchosen LayerChoice candidates registered (NNI's behaviour). By
  // default they are released once the architecture is applied, so
  // model->parameters(), to(), state_dict() and the optimizer see only the
  // chosen ones.
  TORCH_ARG(bool, keep_unchosen) = false;
  // get_and_apply_next_architecture() only: on a bad architecture or parameter
  // file print "archer: error: ..." to stderr and exit(1) (default), or throw
  // archer::Error.
  TORCH_ARG(bool, exit_on_error) = true;
  // The applied architecture's costs (archer/nn/costs.h): its parameter
  // count always; with a cost input (a batch like those the network will
  // serve) its MACs and latency too. get_and_apply_next_architecture()
  // measures them once the architecture is applied, prints them on stderr
  // and adds them to the final metric ("params", "macs", "latency_ms");
  // false: neither measured nor reported (the cost probe still measures).
  TORCH_ARG(bool, report_costs) = true;
  // Timed forward passes of the cost input (the median is reported).
  TORCH_ARG(int, latency_repeats) = 10;

 public:
  ApplyOptions& cost_input(torch::Tensor batch) {
    cost_input_ = std::move(batch);
    return *this;
  }
  const torch::Tensor& cost_input() const { return cost_input_; }
  // The forward pass to measure on the cost input. The overloads below for
  // std::shared_ptr<M> and ModuleHolder<M> use model->forward(batch) when
  // none is given; give one when forward takes other arguments.
  ApplyOptions& cost_forward(std::function<void(const torch::Tensor&)> f) {
    cost_forward_ = std::move(f);
    return *this;
  }
  const std::function<void(const torch::Tensor&)>& cost_forward() const {
    return cost_forward_;
  }

  // The trial context to use (not owned; must outlive the call); nullptr =
  // archer::default_trial_context().
  ApplyOptions& context(TrialContext* context) {
    context_ = context;
    return *this;
  }
  TrialContext* context() const { return context_; }

 private:
  TrialContext* context_ = nullptr;
  torch::Tensor cost_input_;
  std::function<void(const torch::Tensor&)> cost_forward_;
};

namespace detail {
template <typename M, typename = void>
struct has_tensor_forward : std::false_type {};
template <typename M>
struct has_tensor_forward<M, std::void_t<decltype(std::declval<M&>().forward(
                                 std::declval<const torch::Tensor&>()))>>
    : std::true_type {};
// `options` with cost_forward set to model->forward when M has one.
template <typename M>
ApplyOptions with_forward(M* model, const ApplyOptions& options) {
  ApplyOptions o = options;
  if constexpr (has_tensor_forward<M>::value) {
    if (!o.cost_forward())
      o.cost_forward([model](const torch::Tensor& x) { model->forward(x); });
  }
  return o;
}
}  // namespace detail

// NNI's get_and_apply_next_architecture(model), with its three modes:
//  * NNI_GEN_SEARCH_SPACE=<path>: writes the model's search space to <path>
//  (NNI's exact
//    bytes) and exits the process with status 0;
//  * NNI_PLATFORM unset: standalone, applies the first candidate(s), warns on
//  stderr;
//  * otherwise: reads parameter.cfg through the trial SDK, validates it against
//  the model's
//    search space and applies it.
// Then it measures the architecture's costs (ApplyOptions::report_costs). The
// cost probe: with ARCHER_COST_PROBE=<path> set (besides the experiment
// variables), it writes the costs' JSON to <path> and exits with status 0
// instead of returning — the manager checks `constraints` this way before a
// trial trains. Build the model and call this before loading data, so that
// the probe (and ss_gen) are quick.
// May be called once per model. See ApplyOptions for error handling.
void get_and_apply_next_architecture(torch::nn::Module& model,
                                     const ApplyOptions& options = {});
template <typename M>
void get_and_apply_next_architecture(const std::shared_ptr<M>& model,
                                     const ApplyOptions& options = {}) {
  get_and_apply_next_architecture(static_cast<torch::nn::Module&>(*model),
                                  detail::with_forward(model.get(), options));
}
template <typename M>
void get_and_apply_next_architecture(const torch::nn::ModuleHolder<M>& model,
                                     const ApplyOptions& options = {}) {
  get_and_apply_next_architecture(
      static_cast<torch::nn::Module&>(*model.ptr()),
      detail::with_forward(model.ptr().get(), options));
}

namespace nn {

// Walks `model` in registration order (pre-order, each module once) and returns
// its search space, keys de-duplicated (first occurrence wins). Throws
// archer::Error for a mutable nested in a mutable, a shared key whose mutables
// disagree (type or candidates), or a choose_from entry that is neither "" nor
// a key that appeared earlier.
SearchSpace collect_search_space(torch::nn::Module& model);

// What apply_next_architecture() did.
enum class ApplyMode { kSearchSpaceWritten, kStandalone, kExperiment };

// The work of get_and_apply_next_architecture() without exiting: in
// search-space mode it writes the file and returns kSearchSpaceWritten (nothing
// is applied). Throws archer::Error on any failure (unwritable file, bad
// parameter file, architecture not matching the model).
ApplyMode apply_next_architecture(torch::nn::Module& model,
                                  TrialContext& context,
                                  const ApplyOptions& options = {});

// Validates `architecture` (NNI's JSON) against the model's search space and
// applies it. `source` names its origin in error messages. Throws
// archer::Error.
void apply_architecture(torch::nn::Module& model, const Json& architecture,
                        const std::string& source,
                        const ApplyOptions& options = {});

// The architecture applied to `model`, in NNI's JSON format (keys in
// search-space order). Throws archer::Error if no architecture was applied.
Json applied_architecture(torch::nn::Module& model);

// The model's parameters that the applied architecture uses: everything except
// parameters reachable only through unchosen LayerChoice candidates (useful
// with keep_unchosen; with the default options it equals model.parameters()).
// Before an architecture is applied: all.
std::vector<torch::Tensor> chosen_parameters(const torch::nn::Module& model);

}  // namespace nn
}  // namespace archer

#endif  // ARCHER_NN_MUTATOR_H_
