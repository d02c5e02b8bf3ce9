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

}  // namespace coex::core
