#include "coex/core/pareto.hpp"

#include <algorithm>

namespace coex::core {

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

}  // namespace coex::core
