// archer::nn::LayerChoice — choose one (or several) of a list of candidate
// modules (spec §1.2).
//
//   // Named candidates (NNI's OrderedDict form); names appear in the search
//   space. first_conv = register_module("conv1", archer::nn::LayerChoice(
//       {{"conv5x5", torch::nn::Conv2d(1, 20, 5)}, {"conv3x3",
//       torch::nn::Conv2d(1, 20, 3)}},
//       archer::nn::LayerChoiceOptions().key("first_conv")));
//   // A list of candidates: names "0", "1", ...
//   mid_conv = register_module("mid_conv",
//   archer::nn::LayerChoice(archer::nn::candidates(
//       torch::nn::Conv2d(Conv2dOptions(20, 20, 3).padding(1)),
//       torch::nn::Conv2d(Conv2dOptions(20, 20, 5).padding(2)))));
//
// Every candidate is registered as a sub-module (named after the candidate), so
// parameters() and to() reach all of them until an architecture is applied.
// After that only the chosen candidate(s) run; by default the unchosen ones are
// released.
#ifndef ARCHER_NN_LAYER_CHOICE_H_
#define ARCHER_NN_LAYER_CHOICE_H_

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "archer/nn/mutable.h"

namespace archer {
namespace nn {

struct LayerChoiceOptions {
  // Search-space key; empty = automatic ("LayerChoice<N>").
  TORCH_ARG(std::string, key) = "";
  TORCH_ARG(Reduction, reduction) = Reduction::kSum;
  // NNI returns (output, mask) when set. In C++ forward() returns the output
  // and forward_all() always carries the mask; the flag is kept for NNI
  // compatibility.
  TORCH_ARG(bool, return_mask) = false;
};

// Wraps modules as a candidate list: candidates(Conv2d(...), MaxPool2d(...)).
template <typename... Modules>
std::vector<torch::nn::AnyModule> candidates(Modules&&... modules) {
  std::vector<torch::nn::AnyModule> out;
  out.reserve(sizeof...(Modules));
  (out.emplace_back(std::forward<Modules>(modules)), ...);
  return out;
}

class LayerChoiceImpl : public MutableImpl {
 public:
  // Candidates named "0", "1", ... Throws archer::Error if the list is empty.
  explicit LayerChoiceImpl(std::vector<torch::nn::AnyModule> candidates,
                           LayerChoiceOptions options = {});
  // Named candidates. Throws archer::Error for an empty list, an empty,
  // duplicate or dotted name, or one of NNI's reserved names (length,
  // reduction, return_mask, _key, key, names).
  explicit LayerChoiceImpl(std::vector<torch::nn::NamedAnyModule> candidates,
                           LayerChoiceOptions options = {});

  const std::vector<std::string>& names() const { return names_; }
  size_t num_candidates() const override { return names_.size(); }
  const LayerChoiceOptions& options() const { return options_; }
  // The candidate at `index` / named `name`. Throws archer::Error if out of
  // range, unknown or released.
  torch::nn::AnyModule& candidate(size_t index);
  torch::nn::AnyModule& candidate(const std::string& name);

  // Runs the chosen candidate(s) on `input` and returns the reduced output
  // (undefined if nothing is chosen). Throws archer::Error before an
  // architecture is applied, or for reduction kNone (use forward_all()).
  torch::Tensor forward(const torch::Tensor& input);
  // Runs the chosen candidate(s) with any arguments their forward() takes.
  template <typename... Args>
  ChoiceOutput forward_all(Args&&... args) {
    check_applied();
    std::vector<torch::Tensor> outputs;
    for (size_t i = 0; i < candidates_.size(); ++i) {
      if (decision()[i]) outputs.push_back(candidates_[i].forward(args...));
    }
    return finish(std::move(outputs), options_.reduction());
  }

  bool is_unchosen_child(const torch::nn::Module& child) const override;
  void pretty_print(std::ostream& stream) const override;

 private:
  void init(std::vector<torch::nn::NamedAnyModule> candidates);
  void release_unchosen() override;

  LayerChoiceOptions options_;
  std::vector<std::string> names_;
  std::vector<torch::nn::AnyModule> candidates_;
};

// Module holder; also accepts a braced list of {name, module} pairs.
class LayerChoice : public torch::nn::ModuleHolder<LayerChoiceImpl> {
 public:
  using torch::nn::ModuleHolder<LayerChoiceImpl>::ModuleHolder;
  LayerChoice(std::initializer_list<torch::nn::NamedAnyModule> candidates,
              LayerChoiceOptions options = {})
      : ModuleHolder(std::make_shared<LayerChoiceImpl>(
            std::vector<torch::nn::NamedAnyModule>(candidates),
            std::move(options))) {}
};

}  // namespace nn
}  // namespace archer

#endif  // ARCHER_NN_LAYER_CHOICE_H_
