// The GP surrogate: encodings and mismatches, interpolation, uncertainty away
// from the data, relevances learnt for the choice that matters, EI and the
// normal scores.
#include "tuner/gp_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tuner/ranks.h"
#include "tuner/sampling.h"

namespace archer {
namespace tuner {
namespace {

SearchSpace space_with(int layers, int ops, int inputs) {
  SearchSpace s;
  std::vector<std::string> names;
  for (int i = 0; i < ops; ++i) names.push_back("op" + std::to_string(i));
  for (int i = 0; i < layers; ++i)
    EXPECT_TRUE(s.add(Choice{"l" + std::to_string(i), ChoiceType::kLayerChoice,
                             names, std::nullopt})
                    .is_ok());
  if (inputs > 0) {
    std::vector<std::string> in(static_cast<size_t>(inputs), "");
    EXPECT_TRUE(s.add(Choice{"skip", ChoiceType::kInputChoice, in, 2}).is_ok());
  }
  return s;
}

TEST(ArchitectureEncoder, OneSwappedInputCountsAsOneDecision) {
  const SearchSpace space = space_with(2, 3, 4);
  ArchitectureEncoder e(space);
  EXPECT_EQ(e.choices(), 3u);
  EXPECT_EQ(e.features(), 6u);  // 2 layer + 4 input candidates
  const auto a = e.encode(Architecture({{0}, {2}, {0, 1}}));
  const auto b = e.encode(Architecture({{1}, {2}, {0, 3}}));
  EXPECT_EQ(a, (std::vector<int>{0, 2, 1, 1, 0, 0}));
  std::vector<double> m;
  e.mismatches(a, b, m);
  EXPECT_EQ(m, (std::vector<double>{1, 0, 1}));
  e.mismatches(a, a, m);
  EXPECT_EQ(m, (std::vector<double>{0, 0, 0}));
}

TEST(GpModel, InterpolatesItsDataAndIsUnsureFarFromIt) {
  const SearchSpace space = space_with(6, 5, 0);
  ArchitectureEncoder e(space);
  Rng rng(3);
  std::vector<std::vector<int>> x;
  std::vector<double> y;
  for (int i = 0; i < 30; ++i) {
    Architecture a = random_architecture(space, rng);
    x.push_back(e.encode(a));
    // Additive: op index of the first two layers.
    y.push_back(a[0][0] + 0.5 * a[1][0]);
  }
  GpModel gp(e);
  gp.fit(x, y, true);
  auto at_data = gp.predict(x);
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(at_data[i].mean, y[i], 0.5) << i;
  }
  // A point unlike every training point is less certain than a training one.
  std::vector<int> far(6, 4);
  auto away = gp.predict({far});
  EXPECT_GT(away[0].sd, at_data[0].sd);
  // The layers the target depends on are the more relevant.
  const auto& rel = gp.relevances();
  ASSERT_EQ(rel.size(), 6u);
  for (size_t c = 2; c < 6; ++c) EXPECT_GT(rel[0], rel[c]) << c;
}

TEST(GpModel, RepeatedFitsWithoutTuningKeepTheHyperparameters) {
  const SearchSpace space = space_with(3, 3, 0);
  ArchitectureEncoder e(space);
  GpModel gp(e);
  std::vector<std::vector<int>> x = {{0, 0, 0}, {1, 0, 0}, {2, 1, 0}};
  gp.fit(x, {0.0, 1.0, 2.0}, true);
  const auto rel = gp.relevances();
  const double r = gp.noise_ratio();
  x.push_back({2, 2, 2});
  gp.fit(x, {0.0, 1.0, 2.0, -1.0}, false);
  EXPECT_EQ(gp.relevances(), rel);
  EXPECT_EQ(gp.noise_ratio(), r);
  // One point: a constant model, no failure.
  gp.fit({{0, 0, 0}}, {5.0}, true);
  EXPECT_NEAR(gp.predict({{1, 1, 1}})[0].mean, 5.0, 1e-9);
}

TEST(ExpectedImprovement, GrowsWithMeanAndUncertainty) {
  EXPECT_GT(expected_improvement(1.0, 1.0, 0.0),
            expected_improvement(0.0, 1.0, 0.0));
  EXPECT_GT(expected_improvement(0.0, 2.0, 0.0),
            expected_improvement(0.0, 1.0, 0.0));
  EXPECT_NEAR(expected_improvement(0.0, 1.0, 0.0), 1 / std::sqrt(2 * M_PI),
              1e-12);
  EXPECT_EQ(expected_improvement(2.0, 0.0, 1.0), 1.0);
  EXPECT_EQ(expected_improvement(0.5, 0.0, 1.0), 0.0);
}

TEST(MeanRanks, TiesShareTheirMeanRank) {
  EXPECT_EQ(mean_ranks({10, 3, 3, 7}), (std::vector<double>{4, 1.5, 1.5, 3}));
  EXPECT_TRUE(mean_ranks({}).empty());
}

TEST(NormalScores, RanksWithTiesAndSymmetry) {
  const auto s = normal_scores({10, -1e9, 3, 3, 7});
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[2], s[3]);  // tied: ranks 2 and 3 share 2.5
  EXPECT_LT(s[2], 0.0);
  EXPECT_NEAR(normal_scores({1, 2, 3})[1], 0.0, 1e-12);  // the middle rank
  EXPECT_NEAR(s[0], -s[1], 1e-12);  // the extremes, however far the tail
  EXPECT_GT(s[0], s[4]);
  EXPECT_GT(s[4], s[2]);
  EXPECT_EQ(normal_scores({}).size(), 0u);
  EXPECT_NEAR(normal_scores({1.0})[0], 0.0, 1e-12);
}

}  // namespace
}  // namespace tuner
}  // namespace archer
