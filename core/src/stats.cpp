#include "coex/core/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace coex::core {

double quantile(std::vector<double> s, double q) {
  if (s.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(s.begin(), s.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(s.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (pos - static_cast<double>(lo)) * (s[hi] - s[lo]);
}

namespace {

/// Number of arrangements of n1 x's and n2 y's with U = u, for u = 0..n1*n2 (the classic
/// recursion f(n1, n2, u) = f(n1-1, n2, u-n2) + f(n1, n2-1, u)), as probabilities.
std::vector<double> exact_u_distribution(std::size_t n1, std::size_t n2) {
  // dp[j][u]: counts for (i, j) built up over i.
  std::vector<std::vector<double>> prev(n2 + 1), cur(n2 + 1);
  for (std::size_t j = 0; j <= n2; ++j) prev[j] = {1.0};  // i = 0: only U = 0
  for (std::size_t i = 1; i <= n1; ++i) {
    cur[0] = {1.0};
    for (std::size_t j = 1; j <= n2; ++j) {
      std::vector<double> c(i * j + 1, 0.0);
      // the largest value is an x: it beats all j y's -> U shifts by j
      for (std::size_t u = 0; u < prev[j].size(); ++u) c[u + j] += prev[j][u];
      // the largest value is a y: U unchanged
      for (std::size_t u = 0; u < cur[j - 1].size(); ++u) c[u] += cur[j - 1][u];
      cur[j] = std::move(c);
    }
    std::swap(prev, cur);
  }
  std::vector<double> d = prev[n2];
  double total = 0;
  for (double v : d) total += v;
  for (double& v : d) v /= total;
  return d;
}

}  // namespace

MannWhitney mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y) {
  MannWhitney r;
  const std::size_t n1 = x.size(), n2 = y.size();
  if (n1 == 0 || n2 == 0) return r;
  // Average ranks of the pooled sample.
  std::vector<std::pair<double, int>> all;
  for (double v : x) all.emplace_back(v, 0);
  for (double v : y) all.emplace_back(v, 1);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const std::size_t n = all.size();
  double rank_sum_x = 0, tie_term = 0;
  bool ties = false;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && all[j].first == all[i].first) ++j;
    const double avg = 0.5 * static_cast<double>(i + 1 + j);  // ranks i+1 .. j
    const double t = static_cast<double>(j - i);
    if (t > 1) ties = true;
    tie_term += t * t * t - t;
    for (std::size_t k = i; k < j; ++k)
      if (all[k].second == 0) rank_sum_x += avg;
    i = j;
  }
  const double d1 = static_cast<double>(n1), d2 = static_cast<double>(n2);
  r.u1 = rank_sum_x - d1 * (d1 + 1) / 2;
  const double u2 = d1 * d2 - r.u1;
  const double u = std::max(r.u1, u2);
  if ((n1 <= 8 || n2 <= 8) && !ties) {
    r.exact = true;
    const auto dist = exact_u_distribution(n1, n2);
    double sf = 0;  // P(U >= u)
    for (std::size_t k = static_cast<std::size_t>(std::llround(u)); k < dist.size(); ++k)
      sf += dist[k];
    r.p = std::min(1.0, 2 * sf);
    return r;
  }
  const double mu = d1 * d2 / 2;
  const double dn = static_cast<double>(n);
  const double var = d1 * d2 / 12 * ((dn + 1) - tie_term / (dn * (dn - 1)));
  if (var <= 0) return r;  // all values equal
  const double z = (u - mu - 0.5) / std::sqrt(var);
  r.p = std::min(1.0, std::erfc(z / std::sqrt(2.0)));  // 2 * (1 - Phi(z))
  return r;
}

}  // namespace coex::core
