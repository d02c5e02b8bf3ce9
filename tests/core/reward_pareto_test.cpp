#include <gtest/gtest.h>

#include "coex/core/pareto.hpp"
#include "coex/core/reward.hpp"

using namespace coex;
using namespace coex::core;

TEST(Reward, AccuracyWindow) {
  // HotNAS defaults [80, 89] %.
  EXPECT_DOUBLE_EQ(accuracy_score(0.90, 0.80, 0.89), 1);
  EXPECT_DOUBLE_EQ(accuracy_score(0.79, 0.80, 0.89), -1);
  EXPECT_NEAR(accuracy_score(0.845, 0.80, 0.89), 0.0, 1e-12);
}

TEST(Reward, LatencyScoreMonotoneAndCompat) {
  // Latency window [L_lo, L_hi] = [7, 10] ms: good = 7, bad = 10.
  EXPECT_DOUBLE_EQ(normalised_score(6, 10, 7, false), 1);
  EXPECT_NEAR(normalised_score(8.5, 10, 7, false), 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(normalised_score(10, 10, 7, false), -1);
  EXPECT_NEAR(normalised_score(10.1, 10, 7, false), -1 - 0.1 / 3, 1e-12) << "monotone past bad";
  EXPECT_NEAR(normalised_score(10.1, 10, 7, true), -0.1, 1e-12) << "original jump: L_hi - lat";
  // Higher-better metric (throughput): bad 500, good 1000.
  EXPECT_NEAR(normalised_score(750, 500, 1000, false), 0.0, 1e-12);
  EXPECT_NEAR(normalised_score(250, 500, 1000, false), -1.5, 1e-12);
}

TEST(Reward, WeightedAndConstrained) {
  RewardConfig c;
  c.alpha = 0.7;
  c.accuracy_lo = 0.8;
  c.accuracy_hi = 0.89;
  c.terms = {{"latency_ms", 10, 7, 1}};
  Metrics m;
  m.set("latency_ms", 8.5);
  EXPECT_NEAR(reward_of(c, 0.89, m, true), 0.7 * 1 + 0.3 * 0, 1e-12);
  c.kind = RewardConfig::Kind::kConstrained;
  EXPECT_DOUBLE_EQ(reward_of(c, 0.85, m, true), 0.85);
  EXPECT_DOUBLE_EQ(reward_of(c, 0.85, m, false), -1);
}

TEST(Pareto, FrontOfMaximisedVectors) {
  const std::vector<std::vector<double>> pts{
      {0.9, -10}, {0.8, -5}, {0.85, -12}, {0.7, -5}, {0.8, -5}};
  EXPECT_EQ(pareto_front(pts), (std::vector<std::size_t>{0, 1, 4}));
  EXPECT_TRUE(dominates({1, 1}, {1, 0}));
  EXPECT_FALSE(dominates({1, 1}, {1, 1}));
}

TEST(Pareto, Hypervolume2d) {
  // Points (maximised) (3,1), (2,2), (1,3) over ref (0,0): 3*1 + 2*1 + 1*1 = 6.
  EXPECT_DOUBLE_EQ(hypervolume_2d({{3, 1}, {2, 2}, {1, 3}}, {0, 0}), 6);
  EXPECT_DOUBLE_EQ(hypervolume_2d({{3, 1}, {2, 2}, {1, 3}, {1, 1}, {-1, 5}}, {0, 0}), 6)
      << "dominated and outside points add nothing";
  EXPECT_DOUBLE_EQ(hypervolume_2d({}, {0, 0}), 0);
}
