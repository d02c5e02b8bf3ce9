#include "qf_map.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>

#include "coex/error.hpp"

namespace coex::qf {

namespace {
std::int64_t count_negative(const std::vector<int>& w) {
  return std::count(w.begin(), w.end(), -1);
}
void check(const std::vector<int>& w, int k) {
  if (k < 1 || k > 30) throw Error("qf: k must be in [1, 30]");
  if (w.size() != (std::size_t{1} << k))
    throw Error("qf: a weight vector on k = " + std::to_string(k) + " qubits has " +
                std::to_string(std::size_t{1} << k) + " entries, not " + std::to_string(w.size()));
  for (int v : w)
    if (v != 1 && v != -1) throw Error("qf: weights must be +1 or -1");
}
}  // namespace

std::vector<int> qfmap_gates(std::int64_t t, int k) {
  if (k < 1 || k > 30) throw Error("qf: k must be in [1, 30]");
  const std::int64_t n = std::int64_t{1} << k;
  if (t < 0 || t > n) throw Error("qf: t out of range");
  if (t > n / 2) t = n - t;
  std::vector<int> gates;
  if (t == 0) return gates;
  // G_j flips 2^(k-j) states: the gate flipping `count` states is j = k - log2(count).
  auto gate_for = [&](std::int64_t count) { return k - std::countr_zero(std::uint64_t(count)); };
  std::int64_t cur = std::int64_t(std::bit_ceil(std::uint64_t(t)));
  gates.push_back(gate_for(cur));
  while (cur != t) {
    const auto diff = cur > t ? cur - t : t - cur;
    const auto step = std::int64_t(std::bit_ceil(std::uint64_t(diff)));
    gates.push_back(gate_for(step));
    cur += cur > t ? -step : step;
  }
  return gates;
}

std::vector<int> sign_pattern(const std::vector<int>& gates, int k) {
  const std::size_t n = std::size_t{1} << k;
  std::vector<int> s(n, 1);
  for (int j : gates) {
    const std::size_t mask = (std::size_t{1} << j) - 1;  // the j lowest qubits
    for (std::size_t p = 0; p < n; ++p)
      if ((p & mask) == mask) s[p] = -s[p];
  }
  return s;
}

std::vector<std::int64_t> qfmap_permutation(const std::vector<int>& w_in, int k) {
  check(w_in, k);
  std::vector<int> w = w_in;
  const std::size_t n = w.size();
  if (count_negative(w) > static_cast<std::int64_t>(n / 2))
    for (int& v : w) v = -v;
  const auto signs = sign_pattern(qfmap_gates(count_negative(w), k), k);
  std::vector<std::int64_t> neg_pos, pos_pos, neg_idx, pos_idx;
  for (std::size_t p = 0; p < n; ++p)
    (signs[p] < 0 ? neg_pos : pos_pos).push_back(static_cast<std::int64_t>(p));
  for (std::size_t i = 0; i < n; ++i)
    (w[i] < 0 ? neg_idx : pos_idx).push_back(static_cast<std::int64_t>(i));
  std::vector<std::int64_t> ret(n);
  for (std::size_t r = 0; r < neg_pos.size(); ++r)
    ret[static_cast<std::size_t>(neg_pos[r])] = neg_idx[r];
  for (std::size_t r = 0; r < pos_pos.size(); ++r)
    ret[static_cast<std::size_t>(pos_pos[r])] = pos_idx[r];
  return ret;
}

std::vector<std::uint32_t> baseline_gates(const std::vector<int>& w_in, int k) {
  check(w_in, k);
  std::vector<int> cur = w_in;
  if (cur[0] == -1)
    for (int& v : cur) v = -v;
  std::vector<std::uint32_t> order(cur.size());
  for (std::uint32_t s = 0; s < order.size(); ++s) order[s] = s;
  std::stable_sort(order.begin(), order.end(), [](std::uint32_t a, std::uint32_t b) {
    return std::popcount(a) < std::popcount(b);
  });
  std::vector<std::uint32_t> gates;
  for (std::uint32_t s : order) {
    if (cur[s] != -1) continue;
    gates.push_back(s);
    for (std::uint32_t p = 0; p < cur.size(); ++p)
      if ((p & s) == s) cur[p] = -cur[p];
  }
  return gates;
}

int sign_gate_cost(int m) { return m == 1 ? 1 : 2 * m - 3; }
int readout_cost(int k) { return 3 * k - 1; }

int ulayer_cost_qfmap(const std::vector<int>& w, int k) {
  check(w, k);
  std::int64_t t = count_negative(w);
  int cost = readout_cost(k);
  for (int j : qfmap_gates(t, k)) cost += sign_gate_cost(j);
  return cost;
}

int ulayer_cost_baseline(const std::vector<int>& w, int k, bool original_zero_gate) {
  int cost = readout_cost(k);
  if (original_zero_gate && w.at(0) == -1) cost += sign_gate_cost(0);
  for (auto s : baseline_gates(w, k)) cost += sign_gate_cost(std::popcount(s));
  return cost;
}

double mean_ulayer_cost_qfmap(int k) {
  if (k < 1 || k > 30) throw Error("qf: k must be in [1, 30]");
  const std::int64_t n = std::int64_t{1} << k;
  // P(t) = C(n, t) / 2^n, in logs to stay finite for large n.
  double mean = 0;
  for (std::int64_t t = 0; t <= n; ++t) {
    const double logp = std::lgamma(double(n) + 1) - std::lgamma(double(t) + 1) -
                        std::lgamma(double(n - t) + 1) - double(n) * std::log(2.0);
    int cost = readout_cost(k);
    for (int j : qfmap_gates(t, k)) cost += sign_gate_cost(j);
    mean += std::exp(logp) * cost;
  }
  return mean;
}

std::int64_t classical_cost(int k) { return 2 * (std::int64_t{1} << k) + k; }

}  // namespace coex::qf
