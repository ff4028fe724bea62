// Base of the classic-NAS mutables (spec §1.1) and pieces shared by
// LayerChoice/InputChoice.
//
// A mutable has a key (its search-space identity). Keys are explicit, or
// generated from one process-wide counter that starts at 1 and advances only
// for mutables created without a key: LayerChoice1, InputChoice2, ... exactly
// as NNI's PyTorch mutables number them. Two mutables with the same key share
// one decision. A mutable cannot run before an architecture has been applied to
// its model (archer::get_and_apply_next_architecture).
#ifndef ARCHER_NN_MUTABLE_H_
#define ARCHER_NN_MUTABLE_H_

#include <torch/torch.h>

#include <string>
#include <vector>

namespace archer {
namespace nn {

// How the outputs of the chosen candidates are combined (spec §1.2).
enum class Reduction { kSum, kMean, kConcat, kNone };

// Everything a choice's forward produced.
struct ChoiceOutput {
  // The reduced output: the single chosen output as is; several reduced by sum
  // / mean / concatenation along dim 1; undefined when nothing was chosen or
  // the reduction is kNone.
  torch::Tensor output;
  // The chosen candidates' outputs, in candidate order (what reduction kNone
  // returns).
  std::vector<torch::Tensor> outputs;
  // Bool tensor of shape [#candidates]: which candidates were chosen.
  torch::Tensor mask;
};

class MutableImpl : public torch::nn::Module {
 public:
  const std::string& key() const { return key_; }
  virtual size_t num_candidates() const = 0;
  // True once an architecture was applied.
  bool applied() const { return !mask_.empty(); }
  // The applied decision, one flag per candidate. REQUIRES: applied().
  const std::vector<bool>& decision() const { return mask_; }

  // Called by the mutator. Throws archer::Error if a decision was already
  // applied or the mask has the wrong length. With `release_unchosen`, unchosen
  // sub-modules are dropped so that parameters(), state_dict() and the
  // optimizer see only the chosen ones.
  void apply_decision(std::vector<bool> mask, bool release_unchosen);
  // True if `child` is a registered sub-module that the applied decision does
  // not use.
  virtual bool is_unchosen_child(const torch::nn::Module& child) const;

 protected:
  // `kind` is "LayerChoice" or "InputChoice"; an empty `key` takes the next
  // automatic key.
  MutableImpl(const std::string& key, const std::string& kind);
  // Throws archer::Error naming the key unless an architecture was applied.
  void check_applied() const;
  torch::Tensor mask_tensor() const;
  // Builds the ChoiceOutput for `outputs` (the chosen ones, in order) with
  // `reduction`.
  ChoiceOutput finish(std::vector<torch::Tensor> outputs,
                      Reduction reduction) const;

 private:
  virtual void release_unchosen() {}
  std::string key_;
  std::vector<bool> mask_;
};

// NNI's MutableScope: a container module with a mandatory key that InputChoice
// `choose_from` lists may reference. Ignored by the search space. Register
// sub-modules into it.
class MutableScopeImpl : public torch::nn::Module {
 public:
  explicit MutableScopeImpl(std::string key);
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};
TORCH_MODULE(MutableScope);

// Combines outputs as a choice does (exposed for tests and custom choices).
// Throws archer::Error if several outputs are to be reduced and one of them is
// undefined.
torch::Tensor reduce_outputs(const std::vector<torch::Tensor>& outputs,
                             Reduction reduction);

// Parses "sum", "mean", "concat", "none". Throws archer::Error otherwise.
Reduction reduction_from_string(const std::string& name);

// Resets the automatic key counter to 1 (NNI's private reset helper; for
// tests).
void reset_auto_key_counter();

}  // namespace nn
}  // namespace archer

#endif  // ARCHER_NN_MUTABLE_H_
