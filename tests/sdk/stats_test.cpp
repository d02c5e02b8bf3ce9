// SDK statistics (coex/stats.hpp): quantiles, ranks and rank correlations, and Mann-Whitney U
// p-values against hand computations.
#include <gtest/gtest.h>

#include <cmath>

#include "coex/stats.hpp"

using namespace coex;

TEST(Stats, QuantileInterpolatesLinearly) {
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.25), 1.75);  // position 0.75 between 1 and 2
  EXPECT_DOUBLE_EQ(quantile({7}, 0.9), 7);
  EXPECT_TRUE(std::isnan(quantile({}, 0.5)));
}

TEST(Stats, MannWhitneyExactPValuesEqualHandComputations) {
  // Separated samples of 3 and 3: U = 0, and 1 of the C(6,3) = 20 equally likely rank
  // arrangements has U = 0 (likewise U = 9), so p = 2/20.
  auto r = mann_whitney_u({1, 2, 3}, {4, 5, 6});
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u1, 0);
  EXPECT_NEAR(r.p, 2.0 / 20, 1e-12);
  // 5 against 5, separated: p = 2/C(10,5) = 2/252.
  r = mann_whitney_u({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  EXPECT_NEAR(r.p, 2.0 / 252, 1e-12);
  // Interleaved: x beats 3+4+3+5+3 = 18 of the 25 pairs. Of the 252 arrangements, 39 have
  // U <= 7 (partitions of u into at most 5 parts of at most 5: 1,1,2,3,5,7,9,11 for u = 0..7),
  // so P(U >= 18) = 39/252 and p = 78/252.
  r = mann_whitney_u({0.81, 0.83, 0.79, 0.85, 0.80}, {0.78, 0.82, 0.77, 0.76, 0.84});
  EXPECT_DOUBLE_EQ(r.u1, 18);
  EXPECT_NEAR(r.p, 78.0 / 252, 1e-12);
  // Symmetric in its arguments.
  EXPECT_NEAR(mann_whitney_u({0.78, 0.82, 0.77, 0.76, 0.84}, {0.81, 0.83, 0.79, 0.85, 0.80}).p,
              78.0 / 252, 1e-12);
}

TEST(Stats, MannWhitneyNormalApproximationWithTies) {
  // x = 1 2 2 3 4 6, y = 2 3 5 5 7 8 9 (n = 13). Average ranks: 1 -> 1, the three 2s -> 3,
  // the two 3s -> 5.5, 4 -> 7, the two 5s -> 8.5, 6 -> 10. Rank sum of x = 1+3+3+5.5+7+10 = 29.5,
  // U1 = 29.5 - 21 = 8.5, U = max(8.5, 42 - 8.5) = 33.5, mean 21. Tie term
  // (27-3) + (8-2) + (8-2) = 36; variance 42/12 * (14 - 36/156) = 48.19231;
  // z = (33.5 - 21 - 0.5)/sqrt(48.19231) = 1.728606; p = erfc(z/sqrt 2) = 0.083882.
  const auto r = mann_whitney_u({1, 2, 2, 3, 4, 6}, {2, 3, 5, 5, 7, 8, 9});
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u1, 8.5);
  EXPECT_NEAR(r.p, 0.0838822, 1e-6);
  // Both samples constant and equal: no evidence, p = 1.
  EXPECT_DOUBLE_EQ(mann_whitney_u({1, 1, 1}, {1, 1, 1}).p, 1.0);
  EXPECT_DOUBLE_EQ(mann_whitney_u({}, {1.0}).p, 1.0);
}

TEST(Stats, RankCorrelations) {
  const std::vector<double> x{1, 2, 3, 4, 5};
  EXPECT_DOUBLE_EQ(kendall_tau_b(x, {10, 20, 30, 40, 50}), 1);
  EXPECT_DOUBLE_EQ(spearman_rho(x, {10, 20, 30, 40, 50}), 1);
  EXPECT_DOUBLE_EQ(kendall_tau_b(x, {5, 4, 3, 2, 1}), -1);
  EXPECT_DOUBLE_EQ(spearman_rho(x, {5, 4, 3, 2, 1}), -1);
  // x = 1 2 3 4, y = 1 2 2 3: 5 concordant pairs, 0 discordant, one tie in y:
  // tau_b = 5 / sqrt(6 * 5).
  EXPECT_NEAR(kendall_tau_b({1, 2, 3, 4}, {1, 2, 2, 3}), 5 / std::sqrt(30.0), 1e-12);
  // Ranks of y: 1, 2.5, 2.5, 4; Pearson with 1..4 = 4.5 / sqrt(5 * 4.5).
  EXPECT_NEAR(spearman_rho({1, 2, 3, 4}, {1, 2, 2, 3}), 4.5 / std::sqrt(5 * 4.5), 1e-12);
  EXPECT_TRUE(std::isnan(spearman_rho({1, 1, 1}, {1, 2, 3})));
}
