// The example's two search spaces, as LibTorch models that declare them.
//
// NniMnistNet: NNI's classic-NAS MNIST network (spec §7.1), 8 architectures:
//   first_conv (conv5x5 | conv3x3) -> ReLU -> max-pool, mid_conv (two convs),
//   skip (InputChoice over [zeros, identity], n_chosen 1), conv2, fc1
//   (hidden_size), fc2, log-softmax.
// CellNet: a larger space for the tuners (46,656 architectures). A stride-2
//   stem, then `cells` cells at 14x14; cell i applies a LayerChoice over six
//   ops (conv 3x3, conv 5x5, depthwise-separable conv 3x3, max pool 3x3,
//   avg pool 3x3, identity) to the sum of the inputs an InputChoice picks from
//   the stem and the earlier cells (1 of them; 2 for the last cell), then a
//   max-pool, a linear classifier and log-softmax. `ops` restricts the six
//   operations to a subset (in that order; empty: all), a smaller space:
//   3 cells over conv3x3,sepconv3x3,maxpool3x3,identity is 384 architectures,
//   the learning-curve benchmark's (bench/data/README.md).
#ifndef ARCHER_EXAMPLES_MNIST_NETS_H_
#define ARCHER_EXAMPLES_MNIST_NETS_H_

#include <archer/nn.h>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace mnist_example {

class NniMnistNetImpl : public torch::nn::Module {
 public:
  explicit NniMnistNetImpl(int64_t hidden_size);
  torch::Tensor forward(torch::Tensor x);

 private:
  archer::nn::LayerChoice conv1_{nullptr}, mid_conv_{nullptr};
  archer::nn::InputChoice skip_{nullptr};
  torch::nn::Conv2d conv2_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(NniMnistNet);

class CellNetImpl : public torch::nn::Module {
 public:
  CellNetImpl(int64_t channels, int cells,
              const std::vector<std::string>& ops = {});
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::Sequential stem_{nullptr};
  std::vector<archer::nn::InputChoice> inputs_;  // cell i >= 1
  std::vector<archer::nn::LayerChoice> ops_;
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(CellNet);

// The cell operations named in `list` ("conv3x3,identity"; "": all six).
// Throws std::invalid_argument naming an unknown or repeated one.
std::vector<std::string> split_ops(const std::string& list);

}  // namespace mnist_example

#endif  // ARCHER_EXAMPLES_MNIST_NETS_H_
