#include "archer/nn/layer_choice.h"

#include <set>

#include "archer/status.h"

namespace archer {
namespace nn {

namespace {
std::vector<torch::nn::NamedAnyModule> name_by_index(
    std::vector<torch::nn::AnyModule> list) {
  std::vector<torch::nn::NamedAnyModule> out;
  for (size_t i = 0; i < list.size(); ++i) {
    out.emplace_back(std::to_string(i), std::move(list[i]));
  }
  return out;
}
}  // namespace

LayerChoiceImpl::LayerChoiceImpl(std::vector<torch::nn::AnyModule> candidates,
                                 LayerChoiceOptions options)
    : MutableImpl(options.key(), "LayerChoice"), options_(std::move(options)) {
  init(name_by_index(std::move(candidates)));
}

LayerChoiceImpl::LayerChoiceImpl(
    std::vector<torch::nn::NamedAnyModule> candidates,
    LayerChoiceOptions options)
    : MutableImpl(options.key(), "LayerChoice"), options_(std::move(options)) {
  init(std::move(candidates));
}

void LayerChoiceImpl::init(std::vector<torch::nn::NamedAnyModule> candidates) {
  const std::string where = "LayerChoice '" + key() + "'";
  if (candidates.empty()) throw Error(where + ": needs at least one candidate");
  static const std::set<std::string> kReserved = {
      "length", "reduction", "return_mask", "_key", "key", "names"};
  std::set<std::string> seen;
  for (auto& named : candidates) {
    const std::string& name = named.name();
    if (name.empty() || name.find('.') != std::string::npos) {
      throw Error(where + ": candidate name '" + name +
                  "' must be non-empty and without '.'");
    }
    if (kReserved.count(name)) {
      throw Error(where + ": candidate name '" + name + "' is reserved");
    }
    if (!seen.insert(name).second) {
      throw Error(where + ": candidate name '" + name + "' is used twice");
    }
    register_module(name, named.module().ptr());
    names_.push_back(name);
    candidates_.push_back(std::move(named.module()));
  }
}

torch::nn::AnyModule& LayerChoiceImpl::candidate(size_t index) {
  if (index >= candidates_.size()) {
    throw Error("LayerChoice '" + key() + "': candidate index " +
                std::to_string(index) + " out of range (" +
                std::to_string(candidates_.size()) + " candidates)");
  }
  if (candidates_[index].is_empty()) {
    throw Error("LayerChoice '" + key() + "': candidate '" + names_[index] +
                "' was not chosen and has been released");
  }
  return candidates_[index];
}

torch::nn::AnyModule& LayerChoiceImpl::candidate(const std::string& name) {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return candidate(i);
  }
  throw Error("LayerChoice '" + key() + "' has no candidate named '" + name +
              "'");
}

torch::Tensor LayerChoiceImpl::forward(const torch::Tensor& input) {
  if (options_.reduction() == Reduction::kNone) {
    throw Error("LayerChoice '" + key() +
                "' has reduction 'none': call forward_all() to get the list of "
                "outputs");
  }
  return forward_all(input).output;
}

bool LayerChoiceImpl::is_unchosen_child(const torch::nn::Module& child) const {
  if (!applied()) return false;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    if (!decision()[i] && !candidates_[i].is_empty() &&
        candidates_[i].ptr().get() == &child) {
      return true;
    }
  }
  return false;
}

void LayerChoiceImpl::release_unchosen() {
  for (size_t i = 0; i < candidates_.size(); ++i) {
    if (!decision()[i]) {
      unregister_module(names_[i]);
      candidates_[i] = torch::nn::AnyModule();
    }
  }
}

void LayerChoiceImpl::pretty_print(std::ostream& stream) const {
  stream << "archer::nn::LayerChoice(key=" << key() << ", candidates=[";
  for (size_t i = 0; i < names_.size(); ++i)
    stream << (i ? ", " : "") << names_[i];
  stream << "])";
}

}  // namespace nn
}  // namespace archer
