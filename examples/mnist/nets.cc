#include "nets.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace mnist_example {

namespace nn = torch::nn;
using archer::nn::InputChoice;
using archer::nn::InputChoiceOptions;
using archer::nn::LayerChoice;
using archer::nn::LayerChoiceOptions;

NniMnistNetImpl::NniMnistNetImpl(int64_t hidden_size) {
  conv1_ = register_module(
      "conv1",
      LayerChoice({{"conv5x5", nn::Conv2d(nn::Conv2dOptions(1, 20, 5))},
                   {"conv3x3", nn::Conv2d(nn::Conv2dOptions(1, 20, 3))}},
                  LayerChoiceOptions().key("first_conv")));
  mid_conv_ = register_module(
      "mid_conv",
      LayerChoice(archer::nn::candidates(
                      nn::Conv2d(nn::Conv2dOptions(20, 20, 3).padding(1)),
                      nn::Conv2d(nn::Conv2dOptions(20, 20, 5).padding(2))),
                  LayerChoiceOptions().key("mid_conv")));
  conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(20, 50, 5)));
  fc1_ = register_module("fc1", nn::Linear(4 * 4 * 50, hidden_size));
  fc2_ = register_module("fc2", nn::Linear(hidden_size, 10));
  skip_ = register_module(
      "input_switch",
      InputChoice(
          InputChoiceOptions().n_candidates(2).n_chosen(1).key("skip")));
}

torch::Tensor NniMnistNetImpl::forward(torch::Tensor x) {
  x = torch::max_pool2d(torch::relu(conv1_(x)), 2);  // 12x12 or 13x13
  torch::Tensor old_x = x;
  x = torch::relu(mid_conv_(x));
  x = x + skip_->forward({torch::zeros_like(old_x), old_x});
  x = torch::max_pool2d(torch::relu(conv2_(x)), 2);
  // conv3x3 first leaves 13x13 -> 9x9 -> 4x4, conv5x5 12x12 -> 8x8 -> 4x4.
  x = x.flatten(1);
  x = torch::relu(fc1_(x));
  return torch::log_softmax(fc2_(x), 1);
}

namespace {

// A Sequential with a plain forward(), so that LayerChoice can hold it.
class OpImpl : public nn::SequentialImpl {
 public:
  using SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x) {
    return SequentialImpl::forward(std::move(x));
  }
};
TORCH_MODULE(Op);

Op conv_bn_relu(int64_t c, int64_t k, int64_t groups = 1) {
  return Op(
      nn::Conv2d(
          nn::Conv2dOptions(c, c, k).padding(k / 2).groups(groups).bias(false)),
      nn::BatchNorm2d(c), nn::ReLU());
}

Op separable(int64_t c) {
  return Op(
      nn::Conv2d(nn::Conv2dOptions(c, c, 3).padding(1).groups(c).bias(false)),
      nn::Conv2d(nn::Conv2dOptions(c, c, 1).bias(false)), nn::BatchNorm2d(c),
      nn::ReLU());
}

const std::vector<std::string> kOps = {"conv3x3",    "conv5x5",    "sepconv3x3",
                                       "maxpool3x3", "avgpool3x3", "identity"};

nn::AnyModule make_op(const std::string& name, int64_t c) {
  if (name == "conv3x3") return nn::AnyModule(conv_bn_relu(c, 3));
  if (name == "conv5x5") return nn::AnyModule(conv_bn_relu(c, 5));
  if (name == "sepconv3x3") return nn::AnyModule(separable(c));
  if (name == "maxpool3x3")
    return nn::AnyModule(
        nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(1).padding(1)));
  if (name == "avgpool3x3")
    return nn::AnyModule(
        nn::AvgPool2d(nn::AvgPool2dOptions(3).stride(1).padding(1)));
  return nn::AnyModule(nn::Identity());
}

LayerChoice cell_ops(int64_t c, const std::string& key,
                     const std::vector<std::string>& ops) {
  std::vector<nn::NamedAnyModule> candidates;
  for (const std::string& op : ops.empty() ? kOps : ops)
    candidates.emplace_back(op, make_op(op, c));
  return LayerChoice(std::make_shared<archer::nn::LayerChoiceImpl>(
      std::move(candidates), LayerChoiceOptions().key(key)));
}

}  // namespace

std::vector<std::string> split_ops(const std::string& list) {
  std::vector<std::string> ops;
  size_t begin = 0;
  while (!list.empty() && begin <= list.size()) {
    size_t end = list.find(',', begin);
    if (end == std::string::npos) end = list.size();
    const std::string op = list.substr(begin, end - begin);
    bool known = false;
    for (const std::string& k : kOps) known = known || k == op;
    if (!known) {
      throw std::invalid_argument("--ops: unknown operation '" + op +
                                  "'; expected some of conv3x3, conv5x5, "
                                  "sepconv3x3, maxpool3x3, avgpool3x3, "
                                  "identity");
    }
    for (const std::string& seen : ops) {
      if (seen == op)
        throw std::invalid_argument("--ops: '" + op + "' named twice");
    }
    ops.push_back(op);
    begin = end + 1;
  }
  return ops;
}

CellNetImpl::CellNetImpl(int64_t channels, int cells,
                         const std::vector<std::string>& ops) {
  stem_ = register_module(
      "stem", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, channels, 3)
                                            .stride(2)
                                            .padding(1)
                                            .bias(false)),
                             nn::BatchNorm2d(channels), nn::ReLU()));
  std::vector<std::string> sources = {""};  // "" = the stem
  for (int i = 0; i < cells; ++i) {
    const std::string name = "cell" + std::to_string(i);
    if (i > 0) {
      const int64_t n_chosen = i == cells - 1 ? 2 : 1;
      inputs_.push_back(register_module(
          name + "_in",
          InputChoice(
              InputChoiceOptions().choose_from(sources).n_chosen(n_chosen).key(
                  name + "_input"))));
    }
    ops_.push_back(
        register_module(name + "_op", cell_ops(channels, name + "_op", ops)));
    sources.push_back(name + "_op");
  }
  classifier_ = register_module("classifier", nn::Linear(channels * 7 * 7, 10));
}

torch::Tensor CellNetImpl::forward(torch::Tensor x) {
  std::vector<torch::Tensor> outputs = {stem_->forward(x)};  // 14x14
  for (size_t i = 0; i < ops_.size(); ++i) {
    torch::Tensor in = i == 0 ? outputs[0] : inputs_[i - 1]->forward(outputs);
    outputs.push_back(ops_[i](in));
  }
  torch::Tensor y = torch::max_pool2d(outputs.back(), 2).flatten(1);  // 7x7
  return torch::log_softmax(classifier_(y), 1);
}

}  // namespace mnist_example
