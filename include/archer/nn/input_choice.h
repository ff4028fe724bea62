// archer::nn::InputChoice — choose `n_chosen` of several input tensors (spec
// §1.3).
//
//   skip = register_module("input_switch", archer::nn::InputChoice(
//       archer::nn::InputChoiceOptions().n_candidates(2).n_chosen(1).key("skip")));
//   torch::Tensor chosen = skip->forward({torch::zeros_like(old_x), old_x});
//
// `choose_from` lists source keys: each is "" or the key of a mutable (or
// MutableScope) that appears earlier in the model; the mutator checks this when
// the search space is collected.
#ifndef ARCHER_NN_INPUT_CHOICE_H_
#define ARCHER_NN_INPUT_CHOICE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "archer/nn/mutable.h"

namespace archer {
namespace nn {

struct InputChoiceOptions {
  // Number of candidate inputs; 0 = len(choose_from).
  TORCH_ARG(int64_t, n_candidates) = 0;
  // Source keys of the candidates; empty = n_candidates times "".
  TORCH_ARG(std::vector<std::string>, choose_from) = {};
  // How many inputs are chosen; nullopt = any number (NNI's None).
  TORCH_ARG(std::optional<int64_t>, n_chosen) = std::nullopt;
  TORCH_ARG(Reduction, reduction) = Reduction::kSum;
  // Kept for NNI compatibility; forward_all() always carries the mask.
  TORCH_ARG(bool, return_mask) = false;
  // Search-space key; empty = automatic ("InputChoice<N>").
  TORCH_ARG(std::string, key) = "";
};

class InputChoiceImpl : public MutableImpl {
 public:
  // Throws archer::Error if neither n_candidates nor choose_from is given, they
  // disagree, n_candidates <= 0, or n_chosen is outside [0, n_candidates].
  explicit InputChoiceImpl(InputChoiceOptions options);

  size_t num_candidates() const override { return choose_from_.size(); }
  const std::vector<std::string>& choose_from() const { return choose_from_; }
  std::optional<int64_t> n_chosen() const { return options_.n_chosen(); }
  const InputChoiceOptions& options() const { return options_; }

  // Selects from `inputs` (in choose_from order; undefined tensors allowed, as
  // NNI allows None) and reduces. Throws archer::Error before an architecture
  // is applied, when the number of inputs differs from the number of
  // candidates, or for reduction kNone.
  torch::Tensor forward(const std::vector<torch::Tensor>& inputs);
  // The same with inputs keyed by their choose_from entries (NNI's dict form).
  torch::Tensor forward_named(
      const std::map<std::string, torch::Tensor>& inputs);
  // Output, chosen outputs and mask.
  ChoiceOutput forward_all(const std::vector<torch::Tensor>& inputs);
  ChoiceOutput forward_all_named(
      const std::map<std::string, torch::Tensor>& inputs);

  void pretty_print(std::ostream& stream) const override;

 private:
  std::vector<torch::Tensor> ordered(
      const std::map<std::string, torch::Tensor>& inputs) const;
  InputChoiceOptions options_;
  std::vector<std::string> choose_from_;
};
TORCH_MODULE(InputChoice);

}  // namespace nn
}  // namespace archer

#endif  // ARCHER_NN_INPUT_CHOICE_H_
