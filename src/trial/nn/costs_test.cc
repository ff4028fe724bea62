// The costs of an applied architecture: parameters, MACs (checked against
// hand-computed counts), latency, and how they reach the final metric and the
// cost probe.
#include "archer/nn/costs.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "archer/nn/mutator.h"
#include "common/metric_stream.h"
#include "testing/error_message.h"
#include "testing/temp_dir.h"
#include "testing/torch_modules.h"

namespace archer {
namespace nn {
namespace {

using testing::MnistNet;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

Json parse(const std::string& text) { return parse_json(text, "test").value(); }

// The metric a sent payload carries.
Json metric_of(const std::string& payload) {
  return parse_metric_payload(payload, "sent").value().metric;
}

std::int64_t macs_of(const std::function<torch::Tensor()>& f) {
  torch::NoGradGuard no_grad;
  return count_macs([&] { f(); });
}

TEST(Costs, ConvolutionMacsFollowTheShapes) {
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 8, 3).padding(1));
  // 8 x 16 x 16 outputs, each 3 * 3 * 3 multiply-accumulates.
  EXPECT_EQ(macs_of([&] {
              return conv(torch::ones({1, 3, 16, 16}));
            }),
            8 * 16 * 16 * 27);
  // A batch of 2 counts twice; stride 2 a quarter of the outputs.
  EXPECT_EQ(macs_of([&] {
              return conv(torch::ones({2, 3, 16, 16}));
            }),
            2 * 8 * 16 * 16 * 27);
  torch::nn::Conv2d strided(
      torch::nn::Conv2dOptions(3, 8, 3).padding(1).stride(2));
  EXPECT_EQ(macs_of([&] {
              return strided(torch::ones({1, 3, 16, 16}));
            }),
            8 * 8 * 8 * 27);
  // Grouped: each output sees in/groups channels.
  torch::nn::Conv2d grouped(
      torch::nn::Conv2dOptions(8, 8, 3).padding(1).groups(4));
  EXPECT_EQ(macs_of([&] {
              return grouped(torch::ones({1, 8, 10, 10}));
            }),
            8 * 10 * 10 * 2 * 9);
  torch::nn::Conv1d conv1d(torch::nn::Conv1dOptions(4, 6, 5));
  EXPECT_EQ(macs_of([&] {
              return conv1d(torch::ones({1, 4, 20}));
            }),
            6 * 16 * 4 * 5);
  // Transposed: each input element scatters to out * k * k outputs.
  torch::nn::ConvTranspose2d up(
      torch::nn::ConvTranspose2dOptions(4, 2, 2).stride(2));
  EXPECT_EQ(macs_of([&] {
              return up(torch::ones({1, 4, 5, 5}));
            }),
            4 * 5 * 5 * 2 * 4);
}

TEST(Costs, LinearAndMatrixProductsAreCountedOnce) {
  torch::nn::Linear fc(100, 10);
  EXPECT_EQ(macs_of([&] { return fc(torch::ones({3, 100})); }), 3 * 100 * 10);
  EXPECT_EQ(macs_of([&] {
              return fc(torch::ones({2, 5, 100}));
            }),
            2 * 5 * 100 * 10);
  // matmul dispatches mm inside: counted once.
  EXPECT_EQ(macs_of([] {
              return torch::matmul(torch::ones({4, 6}), torch::ones({6, 5}));
            }),
            4 * 6 * 5);
  EXPECT_EQ(macs_of([] {
              return torch::bmm(torch::ones({3, 4, 6}), torch::ones({3, 6, 5}));
            }),
            3 * 4 * 6 * 5);
  EXPECT_EQ(macs_of([] {
              return torch::addmm(torch::zeros({4, 5}), torch::ones({4, 6}),
                                  torch::ones({6, 5}));
            }),
            4 * 6 * 5);
  // Not counted: element-wise work, pooling, normalisation, activations.
  torch::nn::BatchNorm2d bn(4);
  EXPECT_EQ(macs_of([&] {
              return torch::relu(
                  bn(torch::max_pool2d(torch::ones({1, 4, 8, 8}) + 1, 2)));
            }),
            0);
  // An LSTM's gates are linear products: at least 4H(I+H) per step.
  torch::nn::LSTM lstm(torch::nn::LSTMOptions(8, 16));
  EXPECT_GE(macs_of([&] {
              return std::get<0>(lstm(torch::ones({5, 1, 8})));
            }),
            5 * 4 * 16 * (8 + 16));
}

const char kMnistArch[] =
    R"({"first_conv": {"_value": "conv5x5", "_idx": 0}, "mid_conv": {"_value": "0", "_idx": 0}, "skip": {"_value": [""], "_idx": [1]}})";

TEST(Costs, MnistNetCostsMatchTheHandCount) {
  MnistNet net(512);
  apply_architecture(*net, parse(kMnistArch), "test");
  const Costs c = measure_costs(
      *net, [&](const torch::Tensor& x) { net->forward(x); },
      torch::ones({8, 1, 28, 28}));
  // conv5x5 1->20 (24x24 out), conv3x3 20->20 (12x12), conv5x5 20->50 (8x8),
  // fc 800->512, fc 512->10.
  EXPECT_EQ(c.params, (20 * 25 + 20) + (20 * 20 * 9 + 20) +
                          (50 * 20 * 25 + 50) + (800 * 512 + 512) +
                          (512 * 10 + 10));
  ASSERT_TRUE(c.macs.has_value());
  EXPECT_EQ(*c.macs, 24 * 24 * 20 * 25 + 12 * 12 * 20 * 20 * 9 +
                         8 * 8 * 50 * 20 * 25 + 800 * 512 + 512 * 10);
  ASSERT_TRUE(c.latency_ms.has_value());
  EXPECT_GT(*c.latency_ms, 0);
  EXPECT_EQ(c.latency_batch, 8);
  EXPECT_EQ(c.threads, torch::get_num_threads());
  const Json j = c.to_json();
  EXPECT_EQ(j["params"], c.params);
  EXPECT_EQ(j["macs"], *c.macs);
  EXPECT_TRUE(j["latency_ms"].is_number());
  EXPECT_NE(c.describe().find("params 444.4k, macs 2.82M, latency "),
            std::string::npos)
      << c.describe();
}

TEST(Costs, MeasuringLeavesTheModelAsItWas) {
  MnistNet net(32);
  apply_architecture(*net, parse(kMnistArch), "test");
  torch::nn::BatchNorm1d bn(4);
  net->register_module("bn", bn);
  bn->eval();  // one submodule in eval mode: kept so
  net->train();
  bn->eval();
  const torch::Tensor before = bn->running_mean.clone();
  measure_costs(
      *net,
      [&](const torch::Tensor& x) {
        EXPECT_FALSE(net->is_training());
        EXPECT_FALSE(torch::GradMode::is_enabled());
        net->forward(x);
      },
      torch::ones({2, 1, 28, 28}));
  EXPECT_TRUE(net->is_training());
  EXPECT_TRUE(net->conv2->is_training());
  EXPECT_FALSE(bn->is_training());
  EXPECT_TRUE(torch::equal(before, bn->running_mean));
  EXPECT_TRUE(torch::GradMode::is_enabled());
}

TEST(Costs, WithoutAnInputOnlyParametersAreCounted) {
  MnistNet net(32);
  apply_architecture(*net, parse(kMnistArch), "test");
  const Costs c = measure_costs(*net, nullptr, torch::Tensor());
  EXPECT_GT(c.params, 0);
  EXPECT_FALSE(c.macs.has_value());
  EXPECT_EQ(dumps(c.to_json()),
            "{\"params\": " + std::to_string(c.params) + "}");
}

TEST(Costs, AFailingForwardNamesTheInputShape) {
  MnistNet net(32);
  apply_architecture(*net, parse(kMnistArch), "test");
  const std::string msg = testing::error_message([&] {
    measure_costs(
        *net, [&](const torch::Tensor& x) { net->forward(x); },
        torch::ones({1, 3, 5}));
  });
  EXPECT_NE(msg.find("the forward pass of the cost input (shape [1, 3, 5]) "
                     "raised: "),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.find("Exception raised from"), std::string::npos) << msg;
}

TrialContext::Env unittest_env() { return {{"NNI_PLATFORM", "unittest"}}; }

TEST(Costs, TheFinalMetricCarriesThemAsExtraKeys) {
  TrialContext ctx(unittest_env());
  ctx.set_test_parameters(parse(kMnistArch));
  MnistNet net(32);
  get_and_apply_next_architecture(net, ApplyOptions().context(&ctx).cost_input(
                                           torch::ones({4, 1, 28, 28})));
  ctx.report_final_result(97.5);
  ctx.report_final_result(Json{{"default", 97.5}, {"params", 1}});
  const auto sent = ctx.sent_metrics();
  ASSERT_EQ(sent.size(), 2u);
  const Json a = metric_of(sent[0]);
  EXPECT_EQ(a["default"], 97.5);
  EXPECT_EQ(a["params"], count_parameters(*net));
  EXPECT_TRUE(a["macs"].is_number_integer());
  EXPECT_TRUE(a["latency_ms"].is_number());
  EXPECT_EQ(metric_of(sent[1])["params"], 1);  // the trial's own wins

  // report_costs(false): NNI's bytes.
  TrialContext plain(unittest_env());
  plain.set_test_parameters(parse(kMnistArch));
  MnistNet net2(32);
  get_and_apply_next_architecture(
      net2, ApplyOptions().context(&plain).report_costs(false));
  plain.report_final_result(97.5);
  EXPECT_EQ(
      parse_metric_payload(plain.sent_metrics().at(0), "sent").value().value,
      "97.5");
}

TEST(CostProbeDeathTest, WritesTheCostsAndExitsZero) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // The child re-runs this body: it finds the parent's path in the
  // environment.
  TempDir dir;
  setenv("ARCHER_TEST_PROBE_OUT", dir.file("costs.json").c_str(), 0);
  const std::string out = std::getenv("ARCHER_TEST_PROBE_OUT");
  write_file(
      dir.file("parameter.cfg"),
      std::string(
          R"({"parameter_id": 0, "parameter_source": "algorithm", "parameters": )") +
          kMnistArch + R"(, "parameter_index": 0})");
  TrialContext ctx(TrialContext::Env{{"NNI_PLATFORM", "local"},
                                     {"NNI_SYS_DIR", dir.path()},
                                     {"NNI_OUTPUT_DIR", dir.path()},
                                     {"NNI_TRIAL_JOB_ID", "probe"},
                                     {"NNI_EXP_ID", "e"},
                                     {"ARCHER_COST_PROBE", out}});
  EXPECT_EXIT(
      {
        MnistNet net(32);
        get_and_apply_next_architecture(net,
                                        ApplyOptions().context(&ctx).cost_input(
                                            torch::ones({2, 1, 28, 28})));
        std::exit(3);  // never reached
      },
      ::testing::ExitedWithCode(0), "");
  unsetenv("ARCHER_TEST_PROBE_OUT");
  const Json costs = parse(read_file(out));
  EXPECT_TRUE(costs["params"].is_number_integer());
  EXPECT_EQ(costs["macs"], 24 * 24 * 20 * 25 + 12 * 12 * 20 * 20 * 9 +
                               8 * 8 * 50 * 20 * 25 + 800 * 32 + 32 * 10);
  EXPECT_TRUE(costs["latency_ms"].is_number());
}

}  // namespace
}  // namespace nn
}  // namespace archer
