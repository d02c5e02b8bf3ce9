// Pareto front over objective vectors in which every entry is maximised.
#pragma once

#include <cstddef>
#include <vector>

namespace coex::core {

/// True if `a` is at least as good as `b` everywhere and better somewhere (all maximised).
bool dominates(const std::vector<double>& a, const std::vector<double>& b);

/// Indices of the non-dominated vectors among `points`, in input order. Duplicate vectors are
/// all kept. O(n^2 m), fine for the thousands of candidates of a run.
std::vector<std::size_t> pareto_front(const std::vector<std::vector<double>>& points);

/// Hypervolume of 2-D points (both objectives maximised) above the reference point `ref`: the
/// area dominated by the points and dominating `ref`. Points not dominating `ref` add nothing.
double hypervolume_2d(const std::vector<std::vector<double>>& points,
                      const std::vector<double>& ref);

/// Hypervolume of points of any dimension m >= 1 (all objectives maximised) above `ref`, by
/// slicing along the last objective (exact; O(n^(m-1) log n), fine for fronts of a few hundred
/// points in m <= 4). Equals hypervolume_2d for m = 2.
double hypervolume(const std::vector<std::vector<double>>& points, const std::vector<double>& ref);

}  // namespace coex::core
