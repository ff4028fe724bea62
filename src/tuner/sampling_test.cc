#include "tuner/sampling.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace archer {
namespace tuner {
namespace {

Choice input(int n, std::optional<int> k) {
  Choice c{"in", ChoiceType::kInputChoice, {}, k};
  for (int i = 0; i < n; ++i) c.candidates.push_back("c" + std::to_string(i));
  return c;
}

TEST(Sampling, DecisionCounts) {
  EXPECT_EQ(decision_count(
                Choice{"l", ChoiceType::kLayerChoice, {"a", "b", "c"}, {}}),
            3);
  EXPECT_EQ(decision_count(input(5, 2)), 10);
  EXPECT_EQ(decision_count(input(4, std::nullopt)), 15);
  EXPECT_EQ(decision_count(input(3, 0)), 1);
  EXPECT_EQ(decision_count(input(3, 3)), 1);
  EXPECT_FALSE(can_mutate(input(3, 3)));
  EXPECT_TRUE(can_mutate(input(2, std::nullopt)));
  EXPECT_FALSE(can_mutate(input(1, std::nullopt)));
}

TEST(Sampling, RandomInputDecisionsAreDistinctSortedAndUniform) {
  Rng rng(1);
  Choice c = input(4, 2);
  std::map<std::vector<int>, int> counts;
  for (int i = 0; i < 6000; ++i) {
    auto d = random_decision(c, rng);
    ASSERT_EQ(d.size(), 2u);
    ASSERT_LT(d[0], d[1]);
    ++counts[d];
  }
  EXPECT_EQ(counts.size(), 6u);
  for (const auto& [d, n] : counts) EXPECT_NEAR(n, 1000, 150);
  Choice any = input(3, std::nullopt);
  std::map<std::vector<int>, int> any_counts;
  for (int i = 0; i < 7000; ++i) ++any_counts[random_decision(any, rng)];
  EXPECT_EQ(any_counts.size(),
            7u);  // every non-empty subset, never the empty one
  for (const auto& [d, n] : any_counts) EXPECT_NEAR(n, 1000, 150);
}

TEST(Sampling, MutationChangesExactlyOneMove) {
  Rng rng(2);
  Choice fixed = input(5, 2);
  for (int i = 0; i < 500; ++i) {
    auto cur = random_decision(fixed, rng);
    auto next = mutate_decision(fixed, cur, rng);
    ASSERT_NE(cur, next);
    ASSERT_EQ(next.size(), 2u);
    std::set<int> a(cur.begin(), cur.end()), b(next.begin(), next.end());
    ASSERT_EQ(b.size(), 2u);
    int common = 0;
    for (int x : a) common += static_cast<int>(b.count(x));
    ASSERT_EQ(common, 1);  // one input swapped for another
  }
  Choice any = input(3, std::nullopt);
  for (int i = 0; i < 500; ++i) {
    auto cur = random_decision(any, rng);
    auto next = mutate_decision(any, cur, rng);
    ASSERT_NE(cur, next);
    ASSERT_FALSE(next.empty());
  }
  Choice op{"l", ChoiceType::kLayerChoice, {"a", "b", "c"}, {}};
  for (int i = 0; i < 100; ++i)
    ASSERT_NE(mutate_decision(op, {1}, rng), std::vector<int>{1});
}

TEST(Sampling, MutateArchitectureTouchesOneChoice) {
  SearchSpace space;
  ASSERT_TRUE(space.add(Choice{"fixed", ChoiceType::kLayerChoice, {"only"}, {}})
                  .is_ok());
  ASSERT_TRUE(
      space.add(Choice{"l", ChoiceType::kLayerChoice, {"a", "b"}, {}}).is_ok());
  ASSERT_TRUE(space.add(input(4, 1)).is_ok());
  Rng rng(3);
  for (int i = 0; i < 200; ++i) {
    Architecture a = random_architecture(space, rng);
    Architecture b = a;
    ASSERT_TRUE(mutate(space, mutable_choices(space), b, rng));
    int changed = 0;
    for (size_t k = 0; k < 3; ++k) changed += a[k] != b[k];
    ASSERT_EQ(changed, 1);
    ASSERT_EQ(a[0], b[0]);
  }
  SearchSpace single;
  ASSERT_TRUE(
      single.add(Choice{"fixed", ChoiceType::kLayerChoice, {"only"}, {}})
          .is_ok());
  Architecture only = random_architecture(single, rng);
  EXPECT_FALSE(mutate(single, mutable_choices(single), only, rng));
}

TEST(Sampling, EnumerationCoversTheSpaceOnce) {
  SearchSpace space;
  ASSERT_TRUE(
      space.add(Choice{"l", ChoiceType::kLayerChoice, {"a", "b", "c"}, {}})
          .is_ok());
  ASSERT_TRUE(space.add(input(4, 2)).is_ok());
  auto all = enumerate_architectures(space, 1000);
  EXPECT_EQ(all.size(), 18u);
  std::set<std::string> keys;
  for (const auto& a : all) keys.insert(architecture_key(a));
  EXPECT_EQ(keys.size(), 18u);
  EXPECT_TRUE(enumerate_architectures(space, 10).empty());
  EXPECT_EQ(space_size(space), 18);
}

}  // namespace
}  // namespace tuner
}  // namespace archer
