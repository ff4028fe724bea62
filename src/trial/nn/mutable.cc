#include "archer/nn/mutable.h"

#include <atomic>

#include "archer/status.h"

namespace archer {
namespace nn {

namespace {
std::atomic<int> g_auto_key_counter{1};
}  // namespace

void reset_auto_key_counter() { g_auto_key_counter = 1; }

MutableImpl::MutableImpl(const std::string& key, const std::string& kind)
    : torch::nn::Module("archer::nn::" + kind),
      key_(key.empty() ? kind + std::to_string(g_auto_key_counter++) : key) {}

void MutableImpl::apply_decision(std::vector<bool> mask, bool release) {
  if (applied()) {
    throw Error("mutable '" + key_ +
                "' already has an architecture: "
                "get_and_apply_next_architecture() can be "
                "applied to a model only once");
  }
  if (mask.size() != num_candidates()) {
    throw Error("mutable '" + key_ + "': decision has " +
                std::to_string(mask.size()) + " entries for " +
                std::to_string(num_candidates()) + " candidates");
  }
  mask_ = std::move(mask);
  if (release) release_unchosen();
}

bool MutableImpl::is_unchosen_child(const torch::nn::Module&) const {
  return false;
}

void MutableImpl::check_applied() const {
  if (!applied()) {
    throw Error("mutable '" + key_ +
                "' was called before an architecture was chosen: call "
                "archer::get_and_apply_next_architecture(model) before the "
                "first forward");
  }
}

torch::Tensor MutableImpl::mask_tensor() const {
  auto mask = torch::zeros({static_cast<int64_t>(mask_.size())}, torch::kBool);
  auto acc = mask.accessor<bool, 1>();
  for (size_t i = 0; i < mask_.size(); ++i)
    acc[static_cast<int64_t>(i)] = mask_[i];
  return mask;
}

ChoiceOutput MutableImpl::finish(std::vector<torch::Tensor> outputs,
                                 Reduction reduction) const {
  ChoiceOutput out;
  if (reduction != Reduction::kNone)
    out.output = reduce_outputs(outputs, reduction);
  out.outputs = std::move(outputs);
  out.mask = mask_tensor();
  return out;
}

torch::Tensor reduce_outputs(const std::vector<torch::Tensor>& outputs,
                             Reduction reduction) {
  if (outputs.empty()) return torch::Tensor();
  if (outputs.size() == 1) return outputs[0];
  for (const auto& t : outputs) {
    if (!t.defined())
      throw Error("cannot reduce several chosen outputs when one is undefined");
  }
  switch (reduction) {
    case Reduction::kSum: {
      torch::Tensor sum = outputs[0];
      for (size_t i = 1; i < outputs.size(); ++i) sum = sum + outputs[i];
      return sum;
    }
    case Reduction::kMean: {
      torch::Tensor sum = outputs[0];
      for (size_t i = 1; i < outputs.size(); ++i) sum = sum + outputs[i];
      return sum / static_cast<double>(outputs.size());
    }
    case Reduction::kConcat:
      return torch::cat(outputs, 1);
    case Reduction::kNone:
      break;
  }
  throw Error("reduction 'none' returns the list of outputs, not one tensor");
}

Reduction reduction_from_string(const std::string& name) {
  if (name == "sum") return Reduction::kSum;
  if (name == "mean") return Reduction::kMean;
  if (name == "concat") return Reduction::kConcat;
  if (name == "none") return Reduction::kNone;
  throw Error("reduction must be one of sum, mean, concat, none; got '" + name +
              "'");
}

MutableScopeImpl::MutableScopeImpl(std::string key)
    : torch::nn::Module("archer::nn::MutableScope"), key_(std::move(key)) {
  if (key_.empty()) throw Error("MutableScope needs a key");
}

}  // namespace nn
}  // namespace archer
