// Calibration support shared by the hardware targets' `coex calibrate` tools and their model
// fits: non-negative least squares on relative error, and generated networks to measure.
#pragma once

#include <cstdint>
#include <vector>

#include "coex/network.hpp"

namespace coex::core {

/// Non-negative least squares by Lawson-Hanson: x >= 0 minimising |A x - b|_2. `rows` is A by
/// rows (all of equal length), `b` one value per row. Columns are scaled to unit norm inside,
/// so features of different units (GFLOP, MB, counts) fit alike. Throws coex::Error for
/// mismatched sizes.
std::vector<double> nnls(const std::vector<std::vector<double>>& rows,
                         const std::vector<double>& b);

/// Fits non-negative coefficients x so that features(i) . x approximates measured[i] in
/// relative error, min sum_i (features(i) . x / measured[i] - 1)^2, so that small and large
/// measurements weigh alike. Columns that are zero in every row get x = 0 and are not counted
/// as unknowns. Throws coex::Error if a measurement is not positive, sizes mismatch, or there are
/// fewer rows than non-zero columns (the message says how many are needed).
std::vector<double> fit_relative_nnls(const std::vector<std::vector<double>>& features,
                                      const std::vector<double>& measured);

/// Generated networks for calibration: chain CNNs mixing 1x1/3x3/5x5 convolutions (some
/// strided), batch norm, ReLU, max pooling, DenseNet concatenations and residual additions,
/// 2..10 layers of `widths` channels, then global average pooling and a linear classifier, on
/// `input`. Deterministic in `seed`.
std::vector<Network> generated_networks(std::size_t count, std::uint64_t seed, const Shape& input,
                                        int classes = 10,
                                        const std::vector<int>& widths = {4, 8, 16, 24, 32, 48, 64,
                                                                          96, 128});

}  // namespace coex::core
