#include "archer/search_space.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace archer {
namespace {

using testing::golden_path;
using testing::read_file;

const char* kMnistSpace = R"({
  "first_conv": {"_type": "layer_choice", "_value": ["conv5x5", "conv3x3"]},
  "mid_conv": {"_type": "layer_choice", "_value": ["0", "1"]},
  "skip": {"_type": "input_choice", "_value": {"candidates": ["", ""], "n_chosen": 1}}
})";

SearchSpace mnist_space() {
  return SearchSpace::from_json(Json::parse(kMnistSpace), "mnist.json").value();
}

std::string error_of(const SearchSpace& space, const std::string& arch_json) {
  auto arch =
      architecture_from_json(space, Json::parse(arch_json), "parameter.cfg");
  EXPECT_FALSE(arch.is_ok()) << arch_json;
  return arch.is_ok() ? "" : arch.status().message();
}

std::string space_error(const std::string& json) {
  auto space = SearchSpace::from_json(Json::parse(json), "ss.json");
  EXPECT_FALSE(space.is_ok()) << json;
  return space.is_ok() ? "" : space.status().message();
}

TEST(SearchSpace, DumpIsByteIdenticalToNniGolden) {
  SearchSpace space = mnist_space();
  EXPECT_EQ(space.dump(), read_file(golden_path("mnist_search_space.json")));
}

TEST(SearchSpace, LoadsGoldenTwentyKeysInFileOrder) {
  auto space = SearchSpace::load(golden_path("search_space_20keys.json"));
  ASSERT_TRUE(space.is_ok()) << space.status().message();
  ASSERT_EQ(space.value().size(), 20u);
  EXPECT_EQ(space.value().choices()[0].key, "layer_0");
  EXPECT_EQ(space.value().choices()[10].key, "layer_10");
  const Choice& skip = space.value().choices()[15];
  EXPECT_EQ(skip.key, "skip_0");
  EXPECT_EQ(skip.type, ChoiceType::kInputChoice);
  EXPECT_EQ(skip.n_chosen, 2);
  EXPECT_EQ(skip.candidates.size(), 4u);
}

TEST(SearchSpace, RoundTripsThroughJson) {
  SearchSpace space = mnist_space();
  auto again = SearchSpace::from_json(space.to_json(), "x");
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(again.value().dump(), space.dump());
  Choice any{"any", ChoiceType::kInputChoice, {"a", "b"}, std::nullopt};
  ASSERT_TRUE(space.add(any).is_ok());
  EXPECT_NE(space.dump().find("\"n_chosen\": null"), std::string::npos);
}

TEST(SearchSpace, RejectsMalformedSpacesWithClearMessages) {
  EXPECT_NE(
      space_error("[1]").find("ss.json: a search space must be a JSON object"),
      std::string::npos);
  EXPECT_NE(space_error(R"({"k": {"_type": "choice", "_value": [1, 2]}})")
                .find("ss.json: key 'k': \"_type\" must be \"layer_choice\" or "
                      "\"input_choice\""),
            std::string::npos);
  EXPECT_NE(space_error(R"({"k": {"_value": ["a"]}})")
                .find("key 'k': expected an object"),
            std::string::npos);
  EXPECT_NE(space_error(R"({"k": {"_type": "layer_choice", "_value": []}})")
                .find("non-empty list of strings"),
            std::string::npos);
  EXPECT_NE(
      space_error(R"({"k": {"_type": "layer_choice", "_value": ["a", 3]}})")
          .find("only strings"),
      std::string::npos);
  EXPECT_NE(space_error(R"({"k": {"_type": "input_choice", "_value": ["a"]}})")
                .find("\"candidates\""),
            std::string::npos);
  EXPECT_NE(space_error(R"({"k": {"_type": "input_choice",
                                 "_value": {"candidates": ["a"], "n_chosen": 2}}})")
                .find("n_chosen 2 must be null or in [0, 1]"),
            std::string::npos);
  EXPECT_NE(space_error(R"({"k": {"_type": "input_choice",
                                 "_value": {"candidates": ["a"], "n_chosen": "1"}}})")
                .find("n_chosen must be an integer or null"),
            std::string::npos);
}

TEST(SearchSpace, AddRejectsDuplicateKeys) {
  SearchSpace space = mnist_space();
  Status st =
      space.add(Choice{"skip", ChoiceType::kLayerChoice, {"a"}, std::nullopt});
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("'skip' appears twice"), std::string::npos);
}

TEST(Architecture, ParsesAndWritesNniFormat) {
  SearchSpace space = mnist_space();
  const char* text =
      R"({"first_conv": {"_value": "conv3x3", "_idx": 1}, "mid_conv": {"_value": "0", "_idx": 0}, "skip": {"_value": [""], "_idx": [1]}})";
  auto arch = architecture_from_json(space, Json::parse(text), "p");
  ASSERT_TRUE(arch.is_ok()) << arch.status().message();
  EXPECT_EQ(arch.value().to_vectors(),
            (std::vector<std::vector<int>>{{1}, {0}, {1}}));
  EXPECT_EQ(dumps(architecture_to_json(space, arch.value())), text);
}

TEST(Architecture, FlatStorageBehavesLikeNestedLists) {
  Architecture a({{1}, {0, 2}, {}, {3}});
  EXPECT_EQ(a.size(), 4u);
  EXPECT_EQ(a[1].to_vector(), (std::vector<int>{0, 2}));
  EXPECT_TRUE(a[2].empty());
  Architecture b;
  for (const auto& d : a.to_vectors()) b.push_back(d);
  EXPECT_EQ(a, b);
  b.set(0, {2});     // same size: in place
  b.set(2, {1, 4});  // resized
  EXPECT_EQ(b.to_vectors(),
            (std::vector<std::vector<int>>{{2}, {0, 2}, {1, 4}, {3}}));
  EXPECT_NE(a, b);
  EXPECT_EQ(a[3], b[3]);
  EXPECT_NE(a[0], b[0]);
}

TEST(Architecture, FirstArchitecture) {
  SearchSpace space = mnist_space();
  ASSERT_TRUE(
      space
          .add(Choice{
              "all", ChoiceType::kInputChoice, {"a", "b", "c"}, std::nullopt})
          .is_ok());
  ASSERT_TRUE(
      space.add(Choice{"two", ChoiceType::kInputChoice, {"a", "b", "c"}, 2})
          .is_ok());
  EXPECT_EQ(first_architecture(space).to_vectors(),
            (std::vector<std::vector<int>>{{0}, {0}, {0}, {0, 1, 2}, {0, 1}}));
}

TEST(Architecture, ValidationErrors) {
  SearchSpace space = mnist_space();
  const std::string ok_mid = R"("mid_conv": {"_value": "0", "_idx": 0})";
  const std::string ok_skip = R"("skip": {"_value": [""], "_idx": [1]})";
  const std::string ok_first =
      R"("first_conv": {"_value": "conv3x3", "_idx": 1})";

  // Key sets differ.
  std::string msg =
      error_of(space, "{" + ok_first + ", " + ok_mid + R"(, "extra": 1})");
  EXPECT_NE(msg.find("parameter.cfg: the architecture's keys do not match the "
                     "search space "
                     "(missing 'skip'; unexpected 'extra')"),
            std::string::npos)
      << msg;
  // Not an object.
  EXPECT_NE(error_of(space, "[]").find("must be a JSON object"),
            std::string::npos);
  // Entry without _idx.
  msg = error_of(
      space, "{" + ok_first + ", " + ok_mid + R"(, "skip": {"_value": [""]}})");
  EXPECT_NE(
      msg.find(
          "key 'skip': expected an object {\"_value\": ..., \"_idx\": ...}"),
      std::string::npos)
      << msg;
  // Index and name disagree.
  msg = error_of(space, R"({"first_conv": {"_value": "conv5x5", "_idx": 1}, )" +
                            ok_mid + ", " + ok_skip + "}");
  EXPECT_NE(msg.find("key 'first_conv': _value is \"conv5x5\" but candidate 1 "
                     "is \"conv3x3\""),
            std::string::npos)
      << msg;
  // Index out of range.
  msg = error_of(space, "{" + ok_first +
                            R"(, "mid_conv": {"_value": "0", "_idx": 2}, )" +
                            ok_skip + "}");
  EXPECT_NE(msg.find("key 'mid_conv': _idx = 2 is out of range: the choice has "
                     "2 candidates"),
            std::string::npos)
      << msg;
  msg = error_of(space, "{" + ok_first +
                            R"(, "mid_conv": {"_value": "0", "_idx": -1}, )" +
                            ok_skip + "}");
  EXPECT_NE(msg.find("_idx = -1 is out of range"), std::string::npos) << msg;
  // Non-integer index.
  msg = error_of(space, "{" + ok_first +
                            R"(, "mid_conv": {"_value": "0", "_idx": 0.0}, )" +
                            ok_skip + "}");
  EXPECT_NE(msg.find("must be an integer index"), std::string::npos) << msg;
  // Input chosen twice.
  msg =
      error_of(space, "{" + ok_first + ", " + ok_mid +
                          R"(, "skip": {"_value": ["", ""], "_idx": [1, 1]}})");
  EXPECT_NE(msg.find("key 'skip': input 1 (\"\") is chosen twice"),
            std::string::npos)
      << msg;
  // Number chosen differs from n_chosen.
  msg = error_of(space, "{" + ok_first + ", " + ok_mid +
                            R"(, "skip": {"_value": [], "_idx": []}})");
  EXPECT_NE(msg.find("key 'skip': 0 inputs chosen but n_chosen is 1"),
            std::string::npos)
      << msg;
  // _idx and _value lengths differ (NNI's zip() silently ignores this).
  msg = error_of(space, "{" + ok_first + ", " + ok_mid +
                            R"(, "skip": {"_value": ["", ""], "_idx": [1]}})");
  EXPECT_NE(msg.find("key 'skip': _idx has 1 entries but _value has 2"),
            std::string::npos)
      << msg;
  // Input choice given as a scalar.
  msg = error_of(space, "{" + ok_first + ", " + ok_mid +
                            R"(, "skip": {"_value": "", "_idx": 1}})");
  EXPECT_NE(msg.find("needs lists in _value and _idx"), std::string::npos)
      << msg;
}

TEST(Architecture, NullNChosenAcceptsAnyDistinctSubset) {
  SearchSpace space;
  ASSERT_TRUE(
      space
          .add(Choice{
              "in", ChoiceType::kInputChoice, {"a", "b", "c"}, std::nullopt})
          .is_ok());
  for (const char* text :
       {R"({"in": {"_value": [], "_idx": []}})",
        R"({"in": {"_value": ["c", "a"], "_idx": [2, 0]}})",
        R"({"in": {"_value": ["a", "b", "c"], "_idx": [0, 1, 2]}})"}) {
    EXPECT_TRUE(architecture_from_json(space, Json::parse(text), "p").is_ok())
        << text;
  }
}

TEST(Architecture, GoldenParameterCfgWithRepeatedInputIsRejected) {
  // NNI's own RE tuner wrote this record; "skip_0" chooses input 3 twice.
  auto space = SearchSpace::load(golden_path("search_space_20keys.json"));
  ASSERT_TRUE(space.is_ok());
  auto record = load_json_file(golden_path("parameter.cfg"));
  ASSERT_TRUE(record.is_ok());
  EXPECT_EQ(record.value()["parameter_id"], 11);
  auto arch = architecture_from_json(
      space.value(), record.value()["parameters"], "parameter.cfg");
  ASSERT_FALSE(arch.is_ok());
  EXPECT_NE(arch.status().message().find(
                "key 'skip_0': input 3 (\"in_d\") is chosen twice"),
            std::string::npos)
      << arch.status().message();
}

}  // namespace
}  // namespace archer
