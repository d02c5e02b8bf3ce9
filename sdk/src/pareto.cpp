#include "coex/pareto.hpp"

#include <algorithm>

namespace coex {

bool dominates(const std::vector<double>& a, const std::vector<double>& b) {
  bool better = false;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] < b[i]) return false;
    if (a[i] > b[i]) better = true;
  }
  return better;
}

std::vector<std::size_t> pareto_front(const std::vector<std::vector<double>>& points) {
  std::vector<std::size_t> front;
  for (std::size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (std::size_t j = 0; j < points.size() && !dominated; ++j)
      dominated = j != i && dominates(points[j], points[i]);
    if (!dominated) front.push_back(i);
  }
  return front;
}

double hypervolume_2d(const std::vector<std::vector<double>>& points,
                      const std::vector<double>& ref) {
  std::vector<std::pair<double, double>> p;
  for (const auto& x : points)
    if (x.size() >= 2 && x[0] > ref[0] && x[1] > ref[1]) p.emplace_back(x[0], x[1]);
  // Sweep by the first objective, descending; each point adds the strip above the best second
  // objective seen so far.
  std::sort(p.begin(), p.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  double area = 0, best_y = ref[1];
  for (const auto& [x, y] : p) {
    if (y <= best_y) continue;
    area += (x - ref[0]) * (y - best_y);
    best_y = y;
  }
  return area;
}

double hypervolume(const std::vector<std::vector<double>>& points, const std::vector<double>& ref) {
  const std::size_t m = ref.size();
  std::vector<std::vector<double>> p;
  for (const auto& x : points) {
    bool above = x.size() >= m;
    for (std::size_t k = 0; above && k < m; ++k) above = x[k] > ref[k];
    if (above)
      p.push_back(std::vector<double>(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(m)));
  }
  if (p.empty() || m == 0) return 0;
  if (m == 1) {
    double best = ref[0];
    for (const auto& x : p) best = std::max(best, x[0]);
    return best - ref[0];
  }
  if (m == 2) return hypervolume_2d(p, ref);
  // Slices along the last objective, from the highest value down: between consecutive values,
  // the dominated region is the (m-1)-D hypervolume of every point at or above the slice.
  std::sort(p.begin(), p.end(), [m](const auto& a, const auto& b) { return a[m - 1] > b[m - 1]; });
  const std::vector<double> sub_ref(ref.begin(), ref.end() - 1);
  std::vector<std::vector<double>> active;
  double volume = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    active.emplace_back(p[i].begin(), p[i].end() - 1);
    const double next = i + 1 < p.size() ? p[i + 1][m - 1] : ref[m - 1];
    const double height = p[i][m - 1] - next;
    if (height > 0) volume += hypervolume(active, sub_ref) * height;
  }
  return volume;
}

}  // namespace coex
