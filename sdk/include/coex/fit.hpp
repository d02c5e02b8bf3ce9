// Least-squares fits for model calibration: non-negative least squares, and the fit that
// hardware models use to learn their coefficients from measured latencies (relative error, so a
// 0.1 ms and a 100 ms measurement weigh alike).
#pragma once

#include <vector>

#include "coex/visibility.hpp"

namespace coex {

/// Non-negative least squares by Lawson-Hanson: x >= 0 minimising |A x - b|_2. `rows` is A by
/// rows (all of equal length n), `b` one value per row; returns n coefficients (empty for no
/// rows). Columns are scaled to unit norm inside, so features of different units (GFLOP, MB,
/// counts) fit alike; an all-zero column gets 0. Pure function, thread-safe.
/// Throws coex::Error if `b` does not have one value per row or the rows differ in length.
COEX_API std::vector<double> nnls(const std::vector<std::vector<double>>& rows,
                                  const std::vector<double>& b);

/// Fits non-negative coefficients x so that features(i) . x approximates measured[i] in
/// relative error: min_x sum_i (features(i) . x / measured[i] - 1)^2, x >= 0. Columns that are
/// zero in every row get x = 0 and are not counted as unknowns. Units: x has the unit of
/// `measured` per unit of each feature. Pure function, thread-safe.
/// Throws coex::Error if a measurement is not positive, the sizes mismatch, or there are fewer
/// rows than non-zero columns (the message says how many measurements are needed).
COEX_API std::vector<double> fit_relative_nnls(const std::vector<std::vector<double>>& features,
                                               const std::vector<double>& measured);

}  // namespace coex
