// The mutator: search-space collection and get_and_apply_next_architecture's
// three modes.
#include "archer/nn/mutator.h"

#include <gtest/gtest.h>

#include "testing/error_message.h"
#include "testing/temp_dir.h"
#include "testing/torch_modules.h"

namespace archer {
namespace nn {
namespace {

using testing::MnistNet;
using testing::read_file;
using testing::Scale;
using testing::TempDir;
using testing::write_file;

using testing::error_message;

// y = LayerChoice{x*2, x*3}(x) + InputChoice over [y, 10*x, 100*x] (n_chosen
// given).
class ToyNetImpl : public torch::nn::Module {
 public:
  explicit ToyNetImpl(std::optional<int64_t> n_chosen = 1) {
    op = register_module(
        "op", LayerChoice({{"double", Scale(2.0)}, {"triple", Scale(3.0)}},
                          LayerChoiceOptions().key("op")));
    skip = register_module(
        "skip",
        InputChoice(InputChoiceOptions().n_candidates(3).n_chosen(n_chosen).key(
            "skip")));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = op(x);
    return skip->forward({y, x * 10.0, x * 100.0});
  }
  LayerChoice op{nullptr};
  InputChoice skip{nullptr};
};
TORCH_MODULE(ToyNet);

TrialContext::Env experiment_env(const TempDir& dir) {
  return {{"NNI_PLATFORM", "local"},
          {"NNI_SYS_DIR", dir.path()},
          {"NNI_OUTPUT_DIR", dir.path()},
          {"NNI_TRIAL_JOB_ID", "abcde"},
          {"NNI_EXP_ID", "e"},
          {"NNI_TRIAL_SEQ_ID", "0"}};
}

void write_parameters(const TempDir& dir, const std::string& arch_json) {
  write_file(
      dir.file("parameter.cfg"),
      R"({"parameter_id": 0, "parameter_source": "algorithm", "parameters": )" +
          arch_json + R"(, "parameter_index": 0})");
}

double run(ToyNet& net) {
  return net->forward(torch::ones({1})).item<double>();
}

TEST(Mutator, MnistSearchSpaceIsByteIdenticalToNni) {
  MnistNet net;
  EXPECT_EQ(collect_search_space(*net).dump(),
            read_file(testing::golden_path("mnist_search_space.json")));
}

TEST(Mutator, SearchSpaceModeWritesTheFileAndAppliesNothing) {
  TempDir dir;
  MnistNet net;
  TrialContext ctx(
      TrialContext::Env{{"NNI_GEN_SEARCH_SPACE", dir.file("ss.json")}});
  EXPECT_EQ(apply_next_architecture(*net, ctx), ApplyMode::kSearchSpaceWritten);
  EXPECT_EQ(read_file(dir.file("ss.json")),
            read_file(testing::golden_path("mnist_search_space.json")));
  EXPECT_FALSE(net->conv1->applied());
  TrialContext bad(TrialContext::Env{
      {"NNI_GEN_SEARCH_SPACE", dir.file("missing/dir/ss.json")}});
  EXPECT_NE(error_message([&] { apply_next_architecture(*net, bad); })
                .find("cannot write the search space to " +
                      dir.file("missing/dir/ss.json")),
            std::string::npos);
}

TEST(Mutator, ArchitectureFileChangesTheForwardPath) {
  TempDir dir;
  write_parameters(
      dir,
      R"({"op": {"_value": "triple", "_idx": 1}, "skip": {"_value": [""], "_idx": [2]}})");
  ToyNet a;
  TrialContext ctx(experiment_env(dir));
  EXPECT_THROW(applied_architecture(*a), Error);
  EXPECT_EQ(apply_next_architecture(*a, ctx), ApplyMode::kExperiment);
  EXPECT_DOUBLE_EQ(run(a), 100.0);
  EXPECT_EQ(
      dumps(applied_architecture(*a)),
      R"({"op": {"_value": "triple", "_idx": 1}, "skip": {"_value": [""], "_idx": [2]}})");

  TempDir dir2;
  write_parameters(
      dir2,
      R"({"op": {"_value": "triple", "_idx": 1}, "skip": {"_value": [""], "_idx": [0]}})");
  ToyNet b;
  TrialContext ctx2(experiment_env(dir2));
  apply_next_architecture(*b, ctx2);
  EXPECT_DOUBLE_EQ(run(b), 3.0);
  EXPECT_EQ(b->parameters().size(), 1u);  // the unchosen "double" was released
}

TEST(Mutator, MnistNetRunsTheChosenArchitecture) {
  TempDir dir;
  write_parameters(
      dir,
      R"({"first_conv": {"_value": "conv3x3", "_idx": 1}, "mid_conv": {"_value": "1", "_idx": 1}, "skip": {"_value": [""], "_idx": [1]}})");
  MnistNet net(32);
  size_t all_params = net->parameters().size();
  TrialContext ctx(experiment_env(dir));
  apply_next_architecture(*net, ctx);
  EXPECT_EQ(net->parameters().size(),
            all_params - 4);  // one conv of each LayerChoice dropped
  EXPECT_TRUE(net->named_parameters().contains("conv1.conv3x3.weight"));
  EXPECT_FALSE(net->named_parameters().contains("conv1.conv5x5.weight"));
  auto out = net->forward(torch::randn({2, 1, 28, 28}));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 10}));
}

TEST(Mutator, StandaloneUsesFirstCandidates) {
  ToyNet net(std::nullopt);  // n_chosen null: all inputs
  TrialContext ctx(TrialContext::Env{});
  EXPECT_EQ(apply_next_architecture(*net, ctx), ApplyMode::kStandalone);
  EXPECT_DOUBLE_EQ(run(net), 2.0 + 10.0 + 100.0);
  ToyNet one;
  TrialContext ctx2(TrialContext::Env{});
  apply_next_architecture(*one, ctx2);
  EXPECT_DOUBLE_EQ(run(one), 2.0);
}

TEST(Mutator, UnittestPlatformWithoutParametersFallsBackToStandalone) {
  ToyNet net;
  TrialContext ctx(TrialContext::Env{{"NNI_PLATFORM", "unittest"}});
  EXPECT_EQ(apply_next_architecture(*net, ctx), ApplyMode::kStandalone);
  ToyNet given;
  TrialContext ctx2(TrialContext::Env{{"NNI_PLATFORM", "unittest"}});
  ctx2.set_test_parameters(Json::parse(
      R"({"op": {"_value": "double", "_idx": 0}, "skip": {"_value": [""], "_idx": [1]}})"));
  EXPECT_EQ(apply_next_architecture(*given, ctx2), ApplyMode::kExperiment);
  EXPECT_DOUBLE_EQ(run(given), 10.0);
}

TEST(Mutator, NullParametersInAnExperimentIsAnError) {
  TempDir dir;
  write_file(dir.file("parameter.cfg"),
             R"({"parameter_id": 0, "parameters": null})");
  ToyNet net;
  TrialContext ctx(experiment_env(dir));
  EXPECT_NE(error_message([&] {
              apply_next_architecture(*net, ctx);
            }).find("Chosen architecture is None"),
            std::string::npos);
}

TEST(Mutator, InvalidArchitecturesNameTheFileAndKey) {
  struct Case {
    const char* arch;
    const char* expected;
  };
  const Case cases[] = {
      {R"({"op": {"_value": "double", "_idx": 0}})",
       "keys do not match the search space (missing 'skip')"},
      {R"({"op": {"_value": "triple", "_idx": 0}, "skip": {"_value": [""], "_idx": [0]}})",
       "key 'op': _value is \"triple\" but candidate 0 is \"double\""},
      {R"({"op": {"_value": "double", "_idx": 5}, "skip": {"_value": [""], "_idx": [0]}})",
       "key 'op': _idx = 5 is out of range"},
      {R"({"op": {"_value": "double", "_idx": 0}, "skip": {"_value": ["", ""], "_idx": [0, 0]}})",
       "key 'skip': input 0 (\"\") is chosen twice"},
      {R"({"op": {"_value": "double", "_idx": 0}, "skip": {"_value": ["", ""], "_idx": [0, 1]}})",
       "key 'skip': 2 inputs chosen but n_chosen is 1"},
  };
  for (const auto& c : cases) {
    TempDir dir;
    write_parameters(dir, c.arch);
    ToyNet net;
    TrialContext ctx(experiment_env(dir));
    std::string msg =
        error_message([&] { apply_next_architecture(*net, ctx); });
    EXPECT_NE(msg.find(dir.file("parameter.cfg")), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.expected), std::string::npos) << msg;
  }
}

TEST(Mutator, AppliesOnlyOnce) {
  ToyNet net;
  Json arch = Json::parse(
      R"({"op": {"_value": "double", "_idx": 0}, "skip": {"_value": [""], "_idx": [0]}})");
  apply_architecture(*net, arch, "a.json");
  EXPECT_NE(error_message([&] {
              apply_architecture(*net, arch, "a.json");
            }).find("may be called once per model"),
            std::string::npos);
}

TEST(Mutator, KeepUnchosenAndChosenParameters) {
  ToyNet net;
  Json arch = Json::parse(
      R"({"op": {"_value": "triple", "_idx": 1}, "skip": {"_value": [""], "_idx": [0]}})");
  apply_architecture(*net, arch, "a.json", ApplyOptions().keep_unchosen(true));
  EXPECT_EQ(net->parameters().size(), 2u);
  auto chosen = chosen_parameters(*net);
  ASSERT_EQ(chosen.size(), 1u);
  EXPECT_DOUBLE_EQ(chosen[0].item<double>(), 3.0);
  EXPECT_DOUBLE_EQ(run(net), 3.0);
  ToyNet fresh;
  EXPECT_EQ(chosen_parameters(*fresh).size(),
            2u);  // nothing applied yet: everything
}

class SharedKeyNetImpl : public torch::nn::Module {
 public:
  explicit SharedKeyNetImpl(bool same_candidates) {
    a = register_module("a", LayerChoice(candidates(Scale(2.0), Scale(3.0)),
                                         LayerChoiceOptions().key("k")));
    b = same_candidates
            ? register_module("b",
                              LayerChoice(candidates(Scale(5.0), Scale(7.0)),
                                          LayerChoiceOptions().key("k")))
            : register_module("b", LayerChoice(candidates(Scale(5.0)),
                                               LayerChoiceOptions().key("k")));
  }
  LayerChoice a{nullptr}, b{nullptr};
};
TORCH_MODULE(SharedKeyNet);

TEST(Mutator, SharedKeysShareOneDecision) {
  SharedKeyNet net(true);
  SearchSpace space = collect_search_space(*net);
  ASSERT_EQ(space.size(), 1u);
  apply_architecture(*net, Json::parse(R"({"k": {"_value": "1", "_idx": 1}})"),
                     "a.json");
  EXPECT_DOUBLE_EQ(net->a->forward(torch::ones({1})).item<double>(), 3.0);
  EXPECT_DOUBLE_EQ(net->b->forward(torch::ones({1})).item<double>(), 7.0);
  SharedKeyNet bad(false);
  EXPECT_NE(error_message([&] {
              collect_search_space(*bad);
            }).find("key 'k' is shared by mutables with different candidates"),
            std::string::npos);
}

TEST(Mutator, NestedMutablesAreRejected) {
  torch::nn::Sequential model(
      LayerChoice(candidates(LayerChoice(candidates(Scale(1.0)),
                                         LayerChoiceOptions().key("inner"))),
                  LayerChoiceOptions().key("outer")));
  EXPECT_NE(error_message([&] {
              collect_search_space(*model);
            }).find("Cannot have nested search space: 'inner'"),
            std::string::npos);
}

class ChooseFromNetImpl : public torch::nn::Module {
 public:
  explicit ChooseFromNetImpl(const std::string& source) {
    first = register_module(
        "first",
        LayerChoice(candidates(Scale(1.0)), LayerChoiceOptions().key("first")));
    scope = register_module("cell", MutableScope("cell"));
    pick =
        register_module("pick", InputChoice(InputChoiceOptions()
                                                .choose_from({"first", source})
                                                .n_chosen(1)
                                                .key("pick")));
  }
  LayerChoice first{nullptr};
  MutableScope scope{nullptr};
  InputChoice pick{nullptr};
};
TORCH_MODULE(ChooseFromNet);

TEST(Mutator, ChooseFromMustReferenceEarlierKeys) {
  ChooseFromNet ok("cell");  // a MutableScope key counts
  SearchSpace space = collect_search_space(*ok);
  ASSERT_EQ(space.size(), 2u);  // scopes are not choices
  EXPECT_EQ(space.choices()[1].candidates,
            (std::vector<std::string>{"first", "cell"}));
  ChooseFromNet empty("");
  EXPECT_NO_THROW(collect_search_space(*empty));
  ChooseFromNet bad("later");
  EXPECT_NE(error_message([&] { collect_search_space(*bad); })
                .find("'later' required by 'pick' not found in keys that "
                      "appeared before"),
            std::string::npos);
}

TEST(GetAndApplyNextArchitectureDeathTest, SearchSpaceModeExitsZero) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  TempDir dir;
  TrialContext ctx(
      TrialContext::Env{{"NNI_GEN_SEARCH_SPACE", dir.file("ss.json")}});
  EXPECT_EXIT(
      {
        MnistNet net;
        get_and_apply_next_architecture(net, ApplyOptions().context(&ctx));
        std::exit(3);  // never reached
      },
      ::testing::ExitedWithCode(0), "");
  // The file itself is checked by SearchSpaceModeWritesTheFileAndAppliesNothing
  // (a threadsafe death test re-runs this body in a child with its own
  // TempDir).
}

TEST(GetAndApplyNextArchitectureDeathTest, BadArchitectureExitsWithOneLine) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  TempDir dir;
  write_parameters(dir, R"({"op": {"_value": "double", "_idx": 0}})");
  TrialContext ctx(experiment_env(dir));
  EXPECT_EXIT(
      {
        ToyNet net;
        get_and_apply_next_architecture(net, ApplyOptions().context(&ctx));
      },
      ::testing::ExitedWithCode(1),
      "archer: error: .*parameter.cfg: the architecture's keys");
  ToyNet net;
  EXPECT_THROW(get_and_apply_next_architecture(
                   net, ApplyOptions().context(&ctx).exit_on_error(false)),
               Error);
}

}  // namespace
}  // namespace nn
}  // namespace archer
