#include "coex/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace coex {

double quantile(std::vector<double> s, double q) {
  if (s.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(s.begin(), s.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(s.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (pos - static_cast<double>(lo)) * (s[hi] - s[lo]);
}

std::vector<double> average_ranks(const std::vector<double>& v) {
  std::vector<std::size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j < idx.size() && v[idx[j]] == v[idx[i]]) ++j;
    for (std::size_t k = i; k < j; ++k) r[idx[k]] = 0.5 * static_cast<double>(i + 1 + j);
    i = j;
  }
  return r;
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
  // Average ranks of the pooled sample (x first), and the tie correction sum (t^3 - t).
  std::vector<double> pooled(x);
  pooled.insert(pooled.end(), y.begin(), y.end());
  const std::vector<double> ranks = average_ranks(pooled);
  const std::size_t n = pooled.size();
  double rank_sum_x = 0;
  for (std::size_t i = 0; i < n1; ++i) rank_sum_x += ranks[i];
  std::sort(pooled.begin(), pooled.end());
  double tie_term = 0;
  bool ties = false;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && pooled[j] == pooled[i]) ++j;
    const double t = static_cast<double>(j - i);
    ties |= t > 1;
    tie_term += t * t * t - t;
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

double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y) {
  // Knight's O(n log n) algorithm: sort by (x, y), count the pairs tied in x and in both, then
  // count the discordant pairs as the swaps a merge sort of y needs, and the pairs tied in y.
  const std::size_t n = std::min(x.size(), y.size());
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::sort(idx.begin(), idx.end(),
            [&](std::size_t a, std::size_t b) { return x[a] != x[b] ? x[a] < x[b] : y[a] < y[b]; });
  auto pairs = [](double run) { return run * (run - 1) / 2; };
  double tx = 0, txy = 0, run_x = 1, run_xy = 1;
  for (std::size_t i = 1; i < n; ++i) {
    const bool same_x = x[idx[i]] == x[idx[i - 1]];
    const bool same_xy = same_x && y[idx[i]] == y[idx[i - 1]];
    if (same_x)
      ++run_x;
    else
      tx += pairs(run_x), run_x = 1;
    if (same_xy)
      ++run_xy;
    else
      txy += pairs(run_xy), run_xy = 1;
  }
  tx += pairs(run_x), txy += pairs(run_xy);
  std::vector<double> v(n), buf(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = y[idx[i]];
  double swaps = 0;
  for (std::size_t width = 1; width < n; width *= 2)
    for (std::size_t lo = 0; lo < n; lo += 2 * width) {
      const std::size_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
      std::size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        if (v[j] < v[i]) {
          swaps += static_cast<double>(mid - i);
          buf[k++] = v[j++];
        } else {
          buf[k++] = v[i++];
        }
      }
      while (i < mid) buf[k++] = v[i++];
      while (j < hi) buf[k++] = v[j++];
      std::copy(buf.begin() + static_cast<std::ptrdiff_t>(lo),
                buf.begin() + static_cast<std::ptrdiff_t>(hi),
                v.begin() + static_cast<std::ptrdiff_t>(lo));
    }
  double ty = 0, run_y = 1;
  for (std::size_t i = 1; i < n; ++i) {
    if (v[i] == v[i - 1])
      ++run_y;
    else
      ty += pairs(run_y), run_y = 1;
  }
  ty += pairs(run_y);
  const double n0 = pairs(static_cast<double>(n));
  const double den = std::sqrt((n0 - tx) * (n0 - ty));
  return den > 0 ? (n0 - tx - ty + txy - 2 * swaps) / den
                 : std::numeric_limits<double>::quiet_NaN();
}

double spearman_rho(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  const auto rx = average_ranks({x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n)});
  const auto ry = average_ranks({y.begin(), y.begin() + static_cast<std::ptrdiff_t>(n)});
  const double mx = std::accumulate(rx.begin(), rx.end(), 0.0) / static_cast<double>(n);
  const double my = std::accumulate(ry.begin(), ry.end(), 0.0) / static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace coex
