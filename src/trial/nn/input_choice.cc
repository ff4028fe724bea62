#include "archer/nn/input_choice.h"

#include "archer/status.h"

namespace archer {
namespace nn {

InputChoiceImpl::InputChoiceImpl(InputChoiceOptions options)
    : MutableImpl(options.key(), "InputChoice"), options_(std::move(options)) {
  const std::string where = "InputChoice '" + key() + "'";
  int64_t n = options_.n_candidates();
  choose_from_ = options_.choose_from();
  if (n == 0 && choose_from_.empty()) {
    throw Error(where + ": give n_candidates or choose_from");
  }
  if (n < 0)
    throw Error(where + ": n_candidates must be positive, got " +
                std::to_string(n));
  if (choose_from_.empty()) {
    choose_from_.assign(static_cast<size_t>(n), "");
  } else if (n != 0 && n != static_cast<int64_t>(choose_from_.size())) {
    throw Error(where + ": n_candidates is " + std::to_string(n) +
                " but choose_from has " + std::to_string(choose_from_.size()) +
                " entries");
  }
  auto chosen = options_.n_chosen();
  if (chosen &&
      (*chosen < 0 || *chosen > static_cast<int64_t>(choose_from_.size()))) {
    throw Error(where + ": n_chosen must be in [0, " +
                std::to_string(choose_from_.size()) + "] or null, got " +
                std::to_string(*chosen));
  }
}

ChoiceOutput InputChoiceImpl::forward_all(
    const std::vector<torch::Tensor>& inputs) {
  check_applied();
  if (inputs.size() != choose_from_.size()) {
    throw Error("InputChoice '" + key() + "': got " +
                std::to_string(inputs.size()) + " inputs for " +
                std::to_string(choose_from_.size()) + " candidates");
  }
  std::vector<torch::Tensor> chosen;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (decision()[i]) chosen.push_back(inputs[i]);
  }
  return finish(std::move(chosen), options_.reduction());
}

std::vector<torch::Tensor> InputChoiceImpl::ordered(
    const std::map<std::string, torch::Tensor>& inputs) const {
  std::vector<torch::Tensor> out;
  for (const auto& source : choose_from_) {
    auto it = inputs.find(source);
    if (it == inputs.end()) {
      throw Error("InputChoice '" + key() + "': no input given for source '" +
                  source + "'");
    }
    out.push_back(it->second);
  }
  return out;
}

ChoiceOutput InputChoiceImpl::forward_all_named(
    const std::map<std::string, torch::Tensor>& inputs) {
  return forward_all(ordered(inputs));
}

torch::Tensor InputChoiceImpl::forward(
    const std::vector<torch::Tensor>& inputs) {
  if (options_.reduction() == Reduction::kNone) {
    throw Error(
        "InputChoice '" + key() +
        "' has reduction 'none': call forward_all() to get the list of inputs");
  }
  return forward_all(inputs).output;
}

torch::Tensor InputChoiceImpl::forward_named(
    const std::map<std::string, torch::Tensor>& inputs) {
  return forward(ordered(inputs));
}

void InputChoiceImpl::pretty_print(std::ostream& stream) const {
  stream << "archer::nn::InputChoice(key=" << key()
         << ", n_candidates=" << choose_from_.size() << ", n_chosen=";
  if (options_.n_chosen()) {
    stream << *options_.n_chosen();
  } else {
    stream << "None";
  }
  stream << ")";
}

}  // namespace nn
}  // namespace archer
