// Zero-cost scores against hand-computed values on small networks, and the
// model left exactly as it was (training afterwards unaffected).
#include "archer/nn/zero_cost.h"

#include <gtest/gtest.h>

#include <cmath>

#include "archer/status.h"

namespace archer {
namespace nn {
namespace {

torch::nn::Linear linear(int in, int out, std::vector<float> w,
                         std::vector<float> b = {}) {
  torch::nn::Linear l(torch::nn::LinearOptions(in, out).bias(!b.empty()));
  torch::NoGradGuard no_grad;
  l->weight.copy_(torch::tensor(w).reshape({out, in}));
  if (!b.empty()) l->bias.copy_(torch::tensor(b));
  return l;
}

OutputForward of(torch::nn::Sequential net) {
  return [net](const torch::Tensor& x) mutable { return net->forward(x); };
}

// Two layers: R = |W2| |W1| 1 = [1 2] [3 3.5] = 10; the score of a network
// homogeneous of degree 2 in its weights is 2R.
TEST(ZeroCost, SynflowIsTheLogOfTheSumOfParameterTimesGradient) {
  torch::nn::Sequential net(linear(2, 2, {1, -2, 3, 0.5}), torch::nn::ReLU(),
                            linear(2, 1, {-1, 2}));
  auto s = synflow_score(*net, of(net), torch::randn({5, 2}));
  ASSERT_TRUE(s.has_value());
  EXPECT_NEAR(*s, std::log(20.0), 1e-9);
}

// z = W x = [1 2]; ∂L/∂W = (softmax(z) - onehot(0)) xᵀ, whose norm is
// (1 - p0) · √2 · ‖x‖ with p0 = e / (e + e²).
TEST(ZeroCost, GradNormIsTheSumOfGradientNorms) {
  torch::nn::Sequential net(linear(2, 2, {1, 0, 0, 1}));
  auto s = grad_norm_score(*net, of(net), torch::tensor({{1.0f, 2.0f}}),
                           torch::tensor({0L}));
  ASSERT_TRUE(s.has_value());
  const double p0 = std::exp(1.0) / (std::exp(1.0) + std::exp(2.0));
  EXPECT_NEAR(*s, (1 - p0) * std::sqrt(2.0) * std::sqrt(5.0), 1e-5);
  EXPECT_FALSE(grad_norm_score(*net, of(net), torch::ones({1, 2}), {}));
}

// Units x, -x + 0.5, 0.5x - 1 on x = 1, 3, -1: codes 100, 101, 010, so
// K = [[3 2 1] [2 3 0] [1 0 3]] and det K = 12.
TEST(ZeroCost, NaswotIsTheLogDeterminantOfActivationAgreements) {
  torch::nn::Sequential net(linear(1, 3, {1, -1, 0.5}, {0, 0.5, -1}),
                            torch::nn::ReLU());
  auto s =
      naswot_score(*net, of(net), torch::tensor({{1.0f}, {3.0f}, {-1.0f}}));
  ASSERT_TRUE(s.has_value());
  EXPECT_NEAR(*s, std::log(12.0), 1e-9);
  torch::nn::Sequential no_relu(linear(1, 1, {1}));
  EXPECT_FALSE(naswot_score(*no_relu, of(no_relu), torch::ones({3, 1})));
}

// A linear map has the same input gradient for every sample: the
// correlation matrix is all ones, eigenvalues {4, 0, 0, 0}.
TEST(ZeroCost, JacobCovScoresTheInputGradientsCorrelation) {
  torch::nn::Sequential net(linear(3, 1, {1, 2, 3}));
  auto s = jacob_cov_score(*net, of(net), torch::randn({4, 3}));
  ASSERT_TRUE(s.has_value());
  const double k = 1e-5;
  const double want =
      -(std::log(4 + k) + 1 / (4 + k) + 3 * (std::log(k) + 1 / k));
  EXPECT_NEAR(*s, want, std::abs(want) * 1e-6);
}

struct Net : torch::nn::Module {
  Net() {
    conv = register_module("conv", torch::nn::Conv2d(1, 4, 3));
    bn = register_module("bn", torch::nn::BatchNorm2d(4));
    drop = register_module("drop", torch::nn::Dropout(0.5));
    fc = register_module("fc", torch::nn::Linear(4 * 6 * 6, 3));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto h = torch::relu(bn(conv(x)));
    return fc(drop(h).flatten(1));
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Dropout drop{nullptr};
  torch::nn::Linear fc{nullptr};
};

// Trains `net` three steps on fixed data; the losses.
std::vector<double> train(Net& net) {
  torch::manual_seed(7);
  torch::optim::SGD opt(net.parameters(), 0.1);
  const auto x = torch::randn({6, 1, 8, 8});
  const auto y = torch::tensor({0L, 1L, 2L, 0L, 1L, 2L});
  std::vector<double> losses;
  net.train();
  for (int i = 0; i < 3; ++i) {
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(net.forward(x), y);
    loss.backward();
    opt.step();
    losses.push_back(loss.item<double>());
  }
  return losses;
}

TEST(ZeroCost, TheModelIsLeftAsItWasAndTrainsTheSame) {
  torch::manual_seed(1);
  auto scored = std::make_shared<Net>();
  torch::manual_seed(1);
  auto plain = std::make_shared<Net>();
  scored->train();
  scored->drop->eval();  // a flag of its own, kept
  scored->fc->weight.mutable_grad() = torch::full_like(scored->fc->weight, 3);
  std::vector<torch::Tensor> before;
  for (const auto& p : scored->parameters())
    before.push_back(p.detach().clone());
  for (const auto& b : scored->buffers()) before.push_back(b.detach().clone());
  const auto batch = torch::randn({6, 1, 8, 8});
  const auto rng = at::detail::getDefaultCPUGenerator().get_state();

  auto forward = [&](const torch::Tensor& x) { return scored->forward(x); };
  const ZeroCostScores s = zero_cost_scores(
      *scored, forward, batch, torch::tensor({0L, 1L, 2L, 0L, 1L, 2L}));
  EXPECT_TRUE(s.synflow && s.grad_norm && s.naswot && s.jacob_cov)
      << s.to_json().dump();
  const Json j = s.to_json();
  for (const char* key : {"synflow", "grad_norm", "naswot", "jacob_cov"})
    EXPECT_TRUE(j.contains(key)) << key;

  size_t i = 0;
  for (const auto& p : scored->parameters()) {
    EXPECT_EQ(p.scalar_type(), torch::kFloat);
    EXPECT_TRUE(torch::equal(p, before[i++]));
  }
  for (const auto& b : scored->buffers())
    EXPECT_TRUE(torch::equal(b, before[i++]));
  EXPECT_TRUE(scored->is_training());
  EXPECT_FALSE(scored->drop->is_training());
  EXPECT_TRUE(torch::equal(scored->fc->weight.grad(),
                           torch::full_like(scored->fc->weight, 3)));
  EXPECT_FALSE(scored->conv->weight.grad().defined());
  // The default generator is where it was: the next draw is the same.
  const auto next = torch::rand({4});
  auto gen = at::detail::getDefaultCPUGenerator();
  gen.set_state(rng);
  EXPECT_TRUE(torch::equal(next, torch::rand({4})));

  scored->fc->weight.mutable_grad() = torch::Tensor();
  scored->drop->train();
  EXPECT_EQ(train(*scored), train(*plain));
}

TEST(ZeroCost, AFailingForwardPassIsNamedAndTheModelRestored) {
  torch::nn::Sequential net(linear(2, 1, {1, 2}));
  const auto w = net[0]->as<torch::nn::Linear>()->weight.detach().clone();
  auto bad = [&](const torch::Tensor& x) {
    return net->forward(x.reshape({-1, 3}));
  };
  try {
    synflow_score(*net, bad, torch::ones({2, 2}));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("zero-cost score synflow: the forward "
                                         "pass failed"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(torch::equal(net[0]->as<torch::nn::Linear>()->weight, w));
  EXPECT_EQ(net[0]->as<torch::nn::Linear>()->weight.scalar_type(),
            torch::kFloat);
}

}  // namespace
}  // namespace nn
}  // namespace archer
