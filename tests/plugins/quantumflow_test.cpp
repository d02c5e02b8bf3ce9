// QuantumFlow's circuit pieces: QF-Map (fixtures, the k-1 gate bound, the permutation), the
// published gate-cost table (Figure 2(d)), and the state-vector simulator against the U-LYR
// closed form.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <bit>
#include <cmath>
#include <random>

#include "coex/error.hpp"
#include "qf_map.hpp"
#include "statevector.hpp"

namespace coex::qf {
namespace {

TEST(QfMap, FixtureK4GatesAndCostsPerNegativeCount) {
  // reference/quantumflow.md §4: gates (j) and cost, readout 3k-1 = 11 included.
  const std::vector<std::vector<int>> gates{{},        {4},    {3},    {2, 4}, {2},
                                            {1, 2, 4}, {1, 3}, {1, 4}, {1}};
  const std::vector<int> cost{11, 16, 14, 17, 12, 18, 15, 17, 12};
  for (int t = 0; t <= 8; ++t) {
    EXPECT_EQ(qfmap_gates(t, 4), gates[static_cast<std::size_t>(t)]) << t;
    std::vector<int> w(16, 1);
    for (int i = 0; i < t; ++i) w[static_cast<std::size_t>(3 * i % 16)] = -1;
    EXPECT_EQ(ulayer_cost_qfmap(w, 4), cost[static_cast<std::size_t>(t)]) << t;
    // t and 16 - t cost alike (the vector is negated).
    for (int& v : w) v = -v;
    EXPECT_EQ(ulayer_cost_qfmap(w, 4), cost[static_cast<std::size_t>(t)]) << 16 - t;
  }
}

TEST(QfMap, FixtureK2Permutation) {
  const std::vector<int> w{1, -1, -1, 1};
  EXPECT_EQ(qfmap_gates(2, 2), std::vector<int>{1});
  EXPECT_EQ(sign_pattern({1}, 2), (std::vector<int>{1, -1, 1, -1}));
  EXPECT_EQ(qfmap_permutation(w, 2), (std::vector<std::int64_t>{0, 1, 3, 2}));
}

TEST(QfMap, AtMostKMinusOneGatesAndTheSignsSumRightForEveryNegativeCount) {
  std::mt19937_64 rng(1);
  for (int k = 2; k <= 11; ++k) {
    const std::int64_t n = std::int64_t{1} << k;
    for (std::int64_t t = 0; t <= n; ++t) {
      const auto g = qfmap_gates(t, k);
      const std::int64_t tt = std::min(t, n - t);
      if (tt > 0 && tt < n / 2) {
        EXPECT_LE(static_cast<int>(g.size()), k - 1) << k << " " << t;
      }
      // The gates flip exactly min(t, n - t) basis states.
      if (k <= 8) {
        const auto s = sign_pattern(g, k);
        EXPECT_EQ(std::count(s.begin(), s.end(), -1), tt) << k << " " << t;
      }
    }
    // The permutation carries sum_i w_i x_i onto the sign pattern (up to the global negation).
    if (k <= 8) {
      std::normal_distribution<double> nd;
      std::bernoulli_distribution coin(0.5);
      std::vector<int> w(static_cast<std::size_t>(n));
      std::vector<double> x(static_cast<std::size_t>(n));
      for (auto& v : w) v = coin(rng) ? 1 : -1;
      for (auto& v : x) v = nd(rng);
      std::int64_t t = std::count(w.begin(), w.end(), -1);
      const double sign = t > n / 2 ? -1 : 1;
      const auto ret = qfmap_permutation(w, k);
      const auto s = sign_pattern(qfmap_gates(t, k), k);
      double direct = 0, mapped = 0;
      for (std::int64_t i = 0; i < n; ++i)
        direct += w[static_cast<std::size_t>(i)] * x[static_cast<std::size_t>(i)];
      for (std::int64_t p = 0; p < n; ++p)
        mapped += s[static_cast<std::size_t>(p)] *
                  x[static_cast<std::size_t>(ret[static_cast<std::size_t>(p)])];
      EXPECT_NEAR(sign * mapped, direct, 1e-9) << k;
    }
  }
}

TEST(QfCost, ReproducesThePublishedTable) {
  // Figure 2(d): mean cost of one neuron over 50 random +-1 weight vectors per k.
  const std::vector<double> baseline{22.68,  50.4,    122.44,  287.76,
                                     666.48, 1545.86, 3624.06, 8226.64};
  const std::vector<double> qfmap{15.08, 20.72, 28.12, 34.44, 40.42, 51.2, 63.76, 64.24};
  const std::vector<std::int64_t> classical{36, 69, 134, 263, 520, 1033, 2058, 4107};
  std::mt19937_64 rng(2021);
  std::bernoulli_distribution coin(0.5);
  for (int k = 4; k <= 11; ++k) {
    const auto i = static_cast<std::size_t>(k - 4);
    EXPECT_EQ(classical_cost(k), classical[i]) << k;
    // QF-Map's cost depends on the count of -1 weights alone: its exact mean. The published
    // row is one 50-vector sample; at k = 10 and 11 it lies 8.4% above and 6.1% below the exact
    // mean (58.42, 68.17), beyond what 5% allows, so those two are checked at 10%.
    const double q = mean_ulayer_cost_qfmap(k);
    EXPECT_NEAR(q / qfmap[i], 1, k <= 9 ? 0.05 : 0.10) << "QF-Map k=" << k << ": " << q;
    // The baseline, with the original's zero-string quirk, averaged over 400 random vectors.
    double b = 0, b_coex = 0;
    const int samples = 400;
    for (int s = 0; s < samples; ++s) {
      std::vector<int> w(std::size_t{1} << k);
      for (auto& v : w) v = coin(rng) ? 1 : -1;
      b += ulayer_cost_baseline(w, k, true);
      b_coex += ulayer_cost_baseline(w, k);
      EXPECT_EQ(ulayer_cost_baseline(w, k, true),
                ulayer_cost_baseline(w, k) - (w[0] == -1 ? 3 : 0));
    }
    b /= samples;
    EXPECT_NEAR(b / baseline[i], 1, 0.05) << "baseline k=" << k << ": " << b;
    // QF-Map is cheaper than the baseline, and than the classical neuron from k = 4 on.
    EXPECT_LT(q, b_coex / samples);
    EXPECT_LT(q, static_cast<double>(classical_cost(k)));
  }
}

/// Amplitude encoding: the orthogonal polar factor of the matrix with x as its first column.
std::vector<Amplitude> encoding(const std::vector<double>& x) {
  const auto n = static_cast<Eigen::Index>(x.size());
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index i = 0; i < n; ++i) m(i, 0) = x[static_cast<std::size_t>(i)];
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(m, Eigen::ComputeFullU | Eigen::ComputeFullV);
  Eigen::MatrixXd q = svd.matrixU() * svd.matrixV().transpose();
  if (q(0, 0) * x[0] < 0) q = -q;  // fix the sign so that Q e_0 = x / |x|
  std::vector<Amplitude> u(static_cast<std::size_t>(n * n));
  for (Eigen::Index r = 0; r < n; ++r)
    for (Eigen::Index c = 0; c < n; ++c) u[static_cast<std::size_t>(r * n + c)] = q(r, c);
  return u;
}

TEST(StateVector, ULayerNeuronCircuitEqualsTheClosedForm) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> ux(0.01, 1);
  std::bernoulli_distribution coin(0.5);
  for (int k = 2; k <= 4; ++k) {
    const std::size_t n = std::size_t{1} << k;
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<double> x(n);
      for (auto& v : x) v = ux(rng);
      double norm = 0;
      for (double v : x) norm += v * v;
      norm = std::sqrt(norm);
      std::vector<int> w(n);
      for (auto& v : w) v = coin(rng) ? 1 : -1;
      double dot = 0;
      for (std::size_t i = 0; i < n; ++i) dot += w[i] * x[i] / norm;
      const double closed = dot * dot / static_cast<double>(n);
      // Circuit: U_P with rows permuted by QF-Map, its sign gates, H^k, X^k, C^kX onto qubit k.
      const auto u = encoding(x);
      const auto ret = qfmap_permutation(w, k);
      std::vector<Amplitude> up(u.size());
      for (std::size_t p = 0; p < n; ++p)
        for (std::size_t c = 0; c < n; ++c)
          up[p * n + c] = u[static_cast<std::size_t>(ret[p]) * n + c];
      StateVector sv(k + 1);
      std::vector<int> data(static_cast<std::size_t>(k));
      for (int q = 0; q < k; ++q) data[static_cast<std::size_t>(q)] = q;
      sv.apply_unitary(up, data);
      for (int j : qfmap_gates(std::count(w.begin(), w.end(), -1), k)) {
        std::vector<int> controls;
        for (int q = 1; q < j; ++q) controls.push_back(q);
        sv.apply(Gate1::z(), 0, controls);  // C^{j-1}Z on the j lowest qubits
      }
      for (int q = 0; q < k; ++q) sv.apply(Gate1::h(), q);
      for (int q = 0; q < k; ++q) sv.apply(Gate1::x(), q);
      sv.apply(Gate1::x(), k, data);
      EXPECT_NEAR(sv.probability_one(k), closed, 1e-9) << "k=" << k;
      // 8,192 shots land within the binomial 99.9% interval (z = 3.29).
      std::mt19937_64 shots_rng(static_cast<std::uint64_t>(100 * k + trial));
      const double f = sv.sample_ones({k}, 8192, shots_rng)[0];
      EXPECT_LE(std::abs(f - closed), 3.29 * std::sqrt(closed * (1 - closed) / 8192) + 1e-12);
    }
  }
}

TEST(StateVector, GatesAndErrors) {
  StateVector sv(2);
  sv.apply(Gate1::h(), 0);
  sv.apply(Gate1::x(), 1, {0});  // Bell state
  EXPECT_NEAR(sv.probability_one(0), 0.5, 1e-12);
  EXPECT_NEAR(std::norm(sv.amplitudes()[3]), 0.5, 1e-12);
  EXPECT_NEAR(std::norm(sv.amplitudes()[1]), 0, 1e-12);
  StateVector r(1);
  r.apply(Gate1::ry(2 * std::asin(std::sqrt(0.3))), 0);
  EXPECT_NEAR(r.probability_one(0), 0.3, 1e-12);
  EXPECT_THROW(sv.apply(Gate1::x(), 2), Error);
  EXPECT_THROW(sv.apply(Gate1::x(), 1, {1}), Error);
  EXPECT_THROW(StateVector(0), Error);
}

}  // namespace
}  // namespace coex::qf
