// Pareto utilities: dominance, fronts, crowding and the hypervolume (exact
// values for small sets, agreement with a Monte-Carlo estimate in 3-D).
#include "common/pareto.h"

#include <gtest/gtest.h>

#include <random>

namespace archer {
namespace pareto {
namespace {

TEST(Pareto, DominanceAndRanks) {
  EXPECT_TRUE(dominates({2, 2}, {1, 2}));
  EXPECT_FALSE(dominates({2, 2}, {2, 2}));
  EXPECT_FALSE(dominates({3, 1}, {1, 3}));
  const std::vector<Point> pts = {{1, 3}, {2, 2}, {3, 1},
                                  {1, 1}, {0, 0}, {2, 2}};
  EXPECT_EQ(ranks(pts), (std::vector<int>{0, 0, 0, 1, 2, 0}));
  EXPECT_EQ(front(pts), (std::vector<size_t>{0, 1, 2, 5}));
}

TEST(Pareto, CrowdingFavoursExtremesAndGaps) {
  const std::vector<Point> pts = {{0, 10}, {1, 9}, {2, 8}, {8, 2}, {10, 0}};
  const std::vector<double> d = crowding(pts, ranks(pts));
  EXPECT_TRUE(std::isinf(d[0]));
  EXPECT_TRUE(std::isinf(d[4]));
  EXPECT_GT(d[3], d[1]);  // (8, 2) sits in the big gap
  EXPECT_DOUBLE_EQ(d[1], 2.0 / 10 + 2.0 / 10);
}

TEST(Pareto, HypervolumeExactValues) {
  EXPECT_DOUBLE_EQ(hypervolume({{1, 3}, {2, 2}, {3, 1}}, {0, 0}), 6.0);
  // Dominated, repeated and not-beating-the-reference points add nothing.
  EXPECT_DOUBLE_EQ(
      hypervolume({{1, 3}, {2, 2}, {3, 1}, {1, 1}, {2, 2}, {-1, 5}}, {0, 0}),
      6.0);
  EXPECT_DOUBLE_EQ(hypervolume({}, {0, 0}), 0.0);
  EXPECT_DOUBLE_EQ(hypervolume({{1, 1, 1}}, {0, 0, 0}), 1.0);
  EXPECT_DOUBLE_EQ(hypervolume({{2, 1, 1}, {1, 2, 1}}, {0, 0, 0}), 3.0);
  EXPECT_DOUBLE_EQ(hypervolume({{0.5, 0.5}}, {-0.5, -1.5}), 2.0);
}

TEST(Pareto, HypervolumeAgreesWithMonteCarloIn3D) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Point> pts;
  for (int i = 0; i < 25; ++i) pts.push_back({u(rng), u(rng), u(rng)});
  const double exact = hypervolume(pts, {0, 0, 0});
  int inside = 0;
  const int samples = 200000;
  for (int s = 0; s < samples; ++s) {
    const Point q = {u(rng), u(rng), u(rng)};
    for (const auto& p : pts) {
      if (p[0] >= q[0] && p[1] >= q[1] && p[2] >= q[2]) {
        ++inside;
        break;
      }
    }
  }
  EXPECT_NEAR(exact, static_cast<double>(inside) / samples, 0.005);
}

}  // namespace
}  // namespace pareto
}  // namespace archer
