// Small statistics for comparing runs: quantiles and the Mann-Whitney U rank test.
#pragma once

#include <vector>

namespace coex::core {

/// The q-quantile (q in [0,1]) by linear interpolation between order statistics (numpy's
/// default). NaN for an empty sample.
double quantile(std::vector<double> sample, double q);

/// Ranks 1..n of `sample`, ties sharing the average of their ranks.
std::vector<double> average_ranks(const std::vector<double>& sample);

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
MannWhitney mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace coex::core
