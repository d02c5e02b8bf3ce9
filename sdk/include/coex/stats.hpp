// Small statistics used to judge models and compare searches: quantiles, ranks, rank
// correlations and the Mann-Whitney U test. All functions are pure and thread-safe.
#pragma once

#include <vector>

#include "coex/visibility.hpp"

namespace coex {

/// The q-quantile (q in [0,1], clamped) by linear interpolation between order statistics
/// (numpy's default). NaN for an empty sample.
COEX_API double quantile(std::vector<double> sample, double q);

/// Ranks 1..n of `sample`, ties sharing the average of their ranks.
COEX_API std::vector<double> average_ranks(const std::vector<double>& sample);

/// Kendall's tau-b of the pairs (x_i, y_i) over the first min(|x|, |y|) values:
/// (n_c - n_d) / sqrt((n_0 - n_x)(n_0 - n_y)), n_0 = n(n-1)/2, n_x and n_y the pairs tied in x
/// and in y. NaN when either sample is constant or has fewer than 2 values.
COEX_API double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y);

/// Spearman's rho: the Pearson correlation of the average ranks of x and y (first
/// min(|x|, |y|) values). NaN when either sample is constant or has fewer than 2 values.
COEX_API double spearman_rho(const std::vector<double>& x, const std::vector<double>& y);

/// Result of a two-sided Mann-Whitney U test of x against y.
struct MannWhitney {
  double u1 = 0;       ///< U statistic of x: pairs (x_i, y_j) with x_i > y_j, ties counting 1/2
  double p = 1;        ///< two-sided p-value
  bool exact = false;  ///< exact null distribution (else normal approximation)
};

/// Two-sided Mann-Whitney U test with scipy.stats.mannwhitneyu's method="auto": the exact
/// distribution when either sample has at most 8 values and there are no ties; otherwise the
/// normal approximation with tie correction and continuity correction. p = 1 when a sample is
/// empty.
COEX_API MannWhitney mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace coex
