// LayerChoice, InputChoice and the mutable base, driven directly through
// apply_decision().
#include <gtest/gtest.h>

#include "archer/nn.h"
#include "testing/error_message.h"
#include "testing/torch_modules.h"

namespace archer {
namespace nn {
namespace {

using testing::Scale;

using testing::error_message;

double value(const torch::Tensor& t) { return t.item<double>(); }

LayerChoice three_scales(Reduction reduction = Reduction::kSum) {
  return LayerChoice(candidates(Scale(2.0), Scale(3.0), Scale(5.0)),
                     LayerChoiceOptions().key("s").reduction(reduction));
}

TEST(LayerChoice, ListCandidatesAreNamedByIndexAndRegistered) {
  LayerChoice lc = three_scales();
  EXPECT_EQ(lc->names(), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(lc->key(), "s");
  EXPECT_EQ(lc->parameters().size(), 3u);
  EXPECT_EQ(lc->named_children().size(), 3u);
  EXPECT_TRUE(lc->named_parameters().contains("1.factor"));
}

TEST(LayerChoice, NamedCandidatesKeepTheirNames) {
  LayerChoice lc({{"conv", Scale(1.0)}, {"pool", Scale(2.0)}});
  EXPECT_EQ(lc->names(), (std::vector<std::string>{"conv", "pool"}));
  EXPECT_TRUE(lc->named_parameters().contains("pool.factor"));
}

TEST(LayerChoice, RejectsBadCandidateLists) {
  EXPECT_NE(error_message([] {
              LayerChoice(std::vector<torch::nn::AnyModule>{});
            }).find("needs at least one candidate"),
            std::string::npos);
  EXPECT_NE(error_message([] {
              LayerChoice({{"a", Scale(1.0)}, {"a", Scale(2.0)}});
            }).find("candidate name 'a' is used twice"),
            std::string::npos);
  EXPECT_NE(error_message([] {
              LayerChoice({{"key", Scale(1.0)}});
            }).find("reserved"),
            std::string::npos);
  EXPECT_NE(error_message([] {
              LayerChoice({{"a.b", Scale(1.0)}});
            }).find("without '.'"),
            std::string::npos);
}

TEST(LayerChoice, ForwardBeforeAnArchitectureIsAClearError) {
  LayerChoice lc = three_scales();
  EXPECT_NE(error_message([&] {
              lc->forward(torch::ones({1}));
            }).find("mutable 's' was called before an architecture was chosen"),
            std::string::npos);
}

TEST(LayerChoice, RunsOnlyTheChosenCandidate) {
  LayerChoice lc = three_scales();
  lc->apply_decision({false, true, false}, /*release_unchosen=*/false);
  EXPECT_DOUBLE_EQ(value(lc->forward(torch::ones({1}))), 3.0);
  ChoiceOutput out = lc->forward_all(torch::ones({1}));
  EXPECT_EQ(out.outputs.size(), 1u);
  EXPECT_TRUE(torch::equal(out.mask, torch::tensor({false, true, false})));
}

TEST(LayerChoice, Reductions) {
  auto run = [](Reduction r, std::vector<bool> mask) {
    LayerChoice lc = three_scales(r);
    lc->apply_decision(std::move(mask), false);
    return lc->forward_all(torch::ones({1, 1}));
  };
  EXPECT_DOUBLE_EQ(value(run(Reduction::kSum, {true, true, true}).output),
                   10.0);
  EXPECT_NEAR(value(run(Reduction::kMean, {true, false, true}).output), 3.5,
              1e-6);
  auto cat = run(Reduction::kConcat, {true, true, false}).output;
  EXPECT_EQ(cat.sizes(),
            (std::vector<int64_t>{1, 2}));  // concatenated along dim 1
  auto none = run(Reduction::kNone, {true, false, true});
  EXPECT_FALSE(none.output.defined());
  ASSERT_EQ(none.outputs.size(), 2u);
  EXPECT_DOUBLE_EQ(value(none.outputs[1]), 5.0);
  EXPECT_FALSE(run(Reduction::kSum, {false, false, false}).output.defined());
  // A single chosen output is returned unchanged whatever the reduction.
  EXPECT_EQ(run(Reduction::kConcat, {false, true, false}).output.sizes(),
            (std::vector<int64_t>{1, 1}));
  LayerChoice lc = three_scales(Reduction::kNone);
  lc->apply_decision({true, false, false}, false);
  EXPECT_NE(error_message([&] {
              lc->forward(torch::ones({1}));
            }).find("forward_all()"),
            std::string::npos);
  EXPECT_EQ(reduction_from_string("concat"), Reduction::kConcat);
  EXPECT_THROW(reduction_from_string("max"), Error);
}

TEST(LayerChoice, ReleasingUnchosenCandidatesFreesTheirParameters) {
  LayerChoice lc = three_scales();
  lc->apply_decision({false, false, true}, /*release_unchosen=*/true);
  EXPECT_EQ(lc->parameters().size(), 1u);
  EXPECT_DOUBLE_EQ(value(lc->forward(torch::ones({1}))), 5.0);
  EXPECT_NE(error_message([&] {
              lc->candidate("0");
            }).find("was not chosen and has been released"),
            std::string::npos);
  EXPECT_NO_THROW(lc->candidate(2));
}

TEST(LayerChoice, DecisionIsAppliedOnce) {
  LayerChoice lc = three_scales();
  lc->apply_decision({true, false, false}, false);
  EXPECT_NE(error_message([&] {
              lc->apply_decision({true, false, false}, false);
            }).find("can be applied to a model only once"),
            std::string::npos);
  LayerChoice other = three_scales();
  EXPECT_NE(error_message([&] {
              other->apply_decision({true}, false);
            }).find("decision has 1 entries for 3 candidates"),
            std::string::npos);
}

TEST(Mutable, AutomaticKeysFollowNniNumbering) {
  reset_auto_key_counter();
  LayerChoice a(candidates(Scale(1.0)));
  InputChoice b(InputChoiceOptions().n_candidates(2));
  LayerChoice named(candidates(Scale(1.0)), LayerChoiceOptions().key("mine"));
  LayerChoice c(candidates(Scale(1.0)));
  EXPECT_EQ(a->key(), "LayerChoice1");
  EXPECT_EQ(b->key(), "InputChoice2");
  EXPECT_EQ(named->key(), "mine");
  EXPECT_EQ(c->key(), "LayerChoice3");
}

TEST(InputChoice, OptionsAreValidated) {
  EXPECT_NE(error_message([] {
              InputChoice{InputChoiceOptions()};
            }).find("give n_candidates or choose_from"),
            std::string::npos);
  EXPECT_NE(error_message([] {
              InputChoice{
                  InputChoiceOptions().n_candidates(3).choose_from({"a", "b"})};
            }).find("n_candidates is 3 but choose_from has 2 entries"),
            std::string::npos);
  EXPECT_NE(error_message([] {
              InputChoice{InputChoiceOptions().n_candidates(2).n_chosen(3)};
            }).find("n_chosen must be in [0, 2]"),
            std::string::npos);
  EXPECT_NE(error_message([] {
              InputChoice{InputChoiceOptions().n_candidates(-1)};
            }).find("n_candidates must be positive"),
            std::string::npos);
  InputChoice from_keys(InputChoiceOptions().choose_from({"x", "y"}).key("k"));
  EXPECT_EQ(from_keys->num_candidates(), 2u);
  EXPECT_FALSE(from_keys->n_chosen().has_value());
  InputChoice anonymous(
      InputChoiceOptions().n_candidates(3).n_chosen(1).key("k2"));
  EXPECT_EQ(anonymous->choose_from(), (std::vector<std::string>{"", "", ""}));
}

TEST(InputChoice, SelectsAndReducesInputs) {
  InputChoice ic(
      InputChoiceOptions().choose_from({"a", "b", "c"}).n_chosen(2).key("k"));
  std::vector<torch::Tensor> inputs = {torch::full({1, 1}, 1.0),
                                       torch::full({1, 1}, 10.0),
                                       torch::full({1, 1}, 100.0)};
  EXPECT_THROW(ic->forward(inputs), Error);  // before an architecture
  ic->apply_decision({true, false, true}, true);
  EXPECT_DOUBLE_EQ(value(ic->forward(inputs)), 101.0);
  std::map<std::string, torch::Tensor> by_name = {
      {"a", inputs[0]}, {"b", inputs[1]}, {"c", inputs[2]}};
  EXPECT_DOUBLE_EQ(value(ic->forward_named(by_name)), 101.0);
  by_name.erase("c");
  EXPECT_NE(error_message([&] {
              ic->forward_named(by_name);
            }).find("no input given for source 'c'"),
            std::string::npos);
  EXPECT_NE(error_message([&] {
              ic->forward({inputs[0]});
            }).find("got 1 inputs for 3 candidates"),
            std::string::npos);
  auto all = ic->forward_all(inputs);
  EXPECT_TRUE(torch::equal(all.mask, torch::tensor({true, false, true})));
  EXPECT_EQ(all.outputs.size(), 2u);
}

TEST(InputChoice, UndefinedInputsPassThroughWhenChosenAlone) {
  InputChoice ic(InputChoiceOptions().n_candidates(2).n_chosen(1).key("k"));
  ic->apply_decision({false, true}, true);
  EXPECT_FALSE(ic->forward({torch::ones({1}), torch::Tensor()}).defined());
}

}  // namespace
}  // namespace nn
}  // namespace archer
