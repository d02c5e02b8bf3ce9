// Pareto fronts and hypervolumes over objective vectors in which every entry is maximised. Pure
// functions, thread-safe. The core's front of a run's candidates (coex/core/pareto.hpp) and the
// multi-objective controllers use them.
#pragma once

#include <cstddef>
#include <vector>

#include "coex/visibility.hpp"

namespace coex {

/// True if `a` is at least as good as `b` everywhere and better somewhere (all maximised).
COEX_API bool dominates(const std::vector<double>& a, const std::vector<double>& b);

/// Indices of the non-dominated vectors among `points`, in input order. Duplicate vectors are
/// all kept. O(n^2 m), fine for the thousands of candidates of a run.
COEX_API std::vector<std::size_t> pareto_front(const std::vector<std::vector<double>>& points);

/// Hypervolume of 2-D points (both objectives maximised) above the reference point `ref`: the
/// area dominated by the points and dominating `ref`. Points not dominating `ref` add nothing.
COEX_API double hypervolume_2d(const std::vector<std::vector<double>>& points,
                               const std::vector<double>& ref);

/// Hypervolume of points of any dimension m >= 1 (all objectives maximised) above `ref`, by
/// slicing along the last objective (exact; O(n^(m-1) log n), fine for fronts of a few hundred
/// points in m <= 4). Equals hypervolume_2d for m = 2.
COEX_API double hypervolume(const std::vector<std::vector<double>>& points,
                            const std::vector<double>& ref);

}  // namespace coex
