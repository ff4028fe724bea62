// Small LibTorch modules for tests: Scale multiplies its input by a constant
// (so a test can tell which candidate ran), and MnistNet is NNI's classic-NAS
// MNIST network (spec §7.1).
#ifndef ARCHER_TESTING_TORCH_MODULES_H_
#define ARCHER_TESTING_TORCH_MODULES_H_

#include "archer/nn.h"

namespace archer {
namespace testing {

class ScaleImpl : public torch::nn::Module {
 public:
  explicit ScaleImpl(double factor)
      : factor_(register_parameter("factor", torch::tensor(factor))) {}
  torch::Tensor forward(const torch::Tensor& x) { return x * factor_; }

 private:
  torch::Tensor factor_;
};
TORCH_MODULE(Scale);

class MnistNetImpl : public torch::nn::Module {
 public:
  explicit MnistNetImpl(int64_t hidden_size = 512) {
    using torch::nn::Conv2d;
    using torch::nn::Conv2dOptions;
    conv1 = register_module(
        "conv1", nn::LayerChoice(
                     {{"conv5x5", Conv2d(Conv2dOptions(1, 20, 5).stride(1))},
                      {"conv3x3", Conv2d(Conv2dOptions(1, 20, 3).stride(1))}},
                     nn::LayerChoiceOptions().key("first_conv")));
    mid_conv = register_module(
        "mid_conv",
        nn::LayerChoice(
            nn::candidates(Conv2d(Conv2dOptions(20, 20, 3).padding(1)),
                           Conv2d(Conv2dOptions(20, 20, 5).padding(2))),
            nn::LayerChoiceOptions().key("mid_conv")));
    conv2 =
        register_module("conv2", Conv2d(Conv2dOptions(20, 50, 5).stride(1)));
    fc1 = register_module("fc1", torch::nn::Linear(4 * 4 * 50, hidden_size));
    fc2 = register_module("fc2", torch::nn::Linear(hidden_size, 10));
    input_switch = register_module(
        "input_switch",
        nn::InputChoice(
            nn::InputChoiceOptions().n_candidates(2).n_chosen(1).key("skip")));
  }

  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(conv1(x)), 2, 2);
    torch::Tensor old_x = x;
    x = torch::relu(mid_conv(x));
    x = x + input_switch->forward({torch::zeros_like(old_x), old_x});
    x = torch::max_pool2d(torch::relu(conv2(x)), 2, 2);
    x = torch::relu(fc1(x.view({-1, 4 * 4 * 50})));
    return torch::log_softmax(fc2(x), 1);
  }

  nn::LayerChoice conv1{nullptr}, mid_conv{nullptr};
  torch::nn::Conv2d conv2{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  nn::InputChoice input_switch{nullptr};
};
TORCH_MODULE(MnistNet);

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_TORCH_MODULES_H_
