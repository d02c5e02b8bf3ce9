// quantum_circuit: QF-Map and the gate cost model, the state-vector simulator, compiled circuits
// against their classical forward pass, and the target.
// published gate-cost table (Figure 2(d)), the state-vector simulator against the U-LYR closed
// form, and compiled networks (U-LYR + P-LYR + N-LYR) against their classical forward pass.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <bit>
#include <cmath>
#include <random>

#include "circuit.hpp"
#include "coex/error.hpp"
#include "coex/testing/checks.hpp"
#include "qf_map.hpp"
#include "statevector.hpp"

namespace coex::qf {
namespace {

TEST(QfMap, FixtureK4GatesAndCostsPerNegativeCount) {
  // QuantumFlow (Jiang et al., Nat. Commun. 2021), the gate cost model: gates (j) and cost, readout
  // 3k-1 = 11 included.
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

TEST(QfCost, ThePublishedQfMapRowIsASampleOfTheExactCostDistribution) {
  // The published row is the mean of 50 random vectors. Under QF-Map the cost depends on the
  // number t of -1 weights, t ~ Binomial(n, 1/2), so its exact distribution gives the sampling
  // spread of a 50-vector mean. Every published value must lie within its 99.9% interval
  // (|z| <= 3.29); measured z: -0.95 -0.25 1.81 0.81 -0.66 1.18 2.96 -1.83 for k = 4..11. This is
  // the statement the k = 10, 11 deviations above allow: a 5% match there would need the sample
  // to agree beyond its own noise (one standard error is 3.1% of the mean at k = 10).
  const std::vector<double> qfmap{15.08, 20.72, 28.12, 34.44, 40.42, 51.2, 63.76, 64.24};
  for (int k = 4; k <= 11; ++k) {
    const std::int64_t n = std::int64_t{1} << k;
    double mean = 0, second = 0;
    for (std::int64_t t = 0; t <= n; ++t) {
      const double p = std::exp(std::lgamma(double(n) + 1) - std::lgamma(double(t) + 1) -
                                std::lgamma(double(n - t) + 1) - double(n) * std::log(2.0));
      double cost = readout_cost(k);
      for (int j : qfmap_gates(t, k)) cost += sign_gate_cost(j);
      mean += p * cost;
      second += p * cost * cost;
    }
    EXPECT_NEAR(mean, mean_ulayer_cost_qfmap(k), 1e-9);
    const double se = std::sqrt((second - mean * mean) / 50);
    const double z = (qfmap[static_cast<std::size_t>(k - 4)] - mean) / se;
    EXPECT_LE(std::abs(z), 3.29) << "k=" << k << " z=" << z;
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
  EXPECT_THROW(sv.apply(Gate1::x(), 1, {0, 0}), Error);
  // A complex gate (S = diag(1, i)) with a control, against the amplitudes by hand: after H on
  // both qubits every amplitude is 1/2; the controlled S multiplies |11> by i.
  StateVector c(2);
  c.apply(Gate1::h(), 0);
  c.apply(Gate1::h(), 1);
  c.apply({1, 0, 0, Amplitude(0, 1)}, 1, {0});
  EXPECT_NEAR(std::abs(c.amplitudes()[3] - Amplitude(0, 0.5)), 0, 1e-12);
  EXPECT_NEAR(std::abs(c.amplitudes()[2] - Amplitude(0.5, 0)), 0, 1e-12);
  EXPECT_NEAR(std::abs(c.amplitudes()[1] - Amplitude(0.5, 0)), 0, 1e-12);
  EXPECT_THROW(StateVector(0), Error);
}

// A QF-hNet: side x side pixels -> U-LYR(u) -> [N] -> P-LYR(p) -> [N].
Network hnet(int side, int u, int p, bool norm_mid, bool norm_end) {
  Network net;
  int x = net.add_input({1, side, side});
  x = net.add_flatten(x);
  x = net.add_qf_u(x, u);
  if (norm_mid) x = net.add_qf_n(x);
  x = net.add_qf_p(x, p);
  if (norm_end) net.add_qf_n(x);
  return net;
}

std::vector<double> pixels(std::int64_t n, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> x(static_cast<std::size_t>(n));
  for (auto& v : x) v = u(rng);
  return x;
}

TEST(QfCircuit, RandomNetworksEqualTheirClassicalForwardPass) {
  // k = 2 (2x2 pixels) and k = 4 (4x4), U-LYR + P-LYR (2 and 4 inputs) + N-LYR (both branches
  // drawn), both mappings and both ancilla modes; at most 20 qubits to keep the test fast.
  struct Case {
    int side, u, p;
    bool norm_mid, norm_end;
    Mapping mapping;
    Ancillas ancillas;
  };
  const Case cases[] = {
      {2, 2, 2, true, true, Mapping::kQfMap, Ancillas::kShared},
      {2, 4, 2, false, false, Mapping::kBaseline, Ancillas::kShared},
      {4, 2, 2, false, true, Mapping::kQfMap, Ancillas::kShared},
      {4, 2, 2, false, false, Mapping::kBaseline, Ancillas::kPerNeuron},
      {2, 4, 1, false, false, Mapping::kQfMap, Ancillas::kPerNeuron},
      {2, 2, 3, false, true, Mapping::kQfMap, Ancillas::kPerNeuron},
  };
  std::mt19937_64 rng(11);
  int checked = 0;
  for (const auto& c : cases) {
    const auto net = hnet(c.side, c.u, c.p, c.norm_mid, c.norm_end);
    for (int trial = 0; trial < 3; ++trial) {
      const auto params = random_params(net, 1000 * static_cast<std::uint64_t>(checked) + 17);
      const auto circuit = compile(net, params, {c.mapping, c.ancillas});
      ASSERT_LE(circuit.qubits, 20) << "test network too large to simulate quickly";
      const auto x = pixels(c.side * c.side, rng);
      const auto classical = classical_forward(net, params, x);
      const auto exact = run_exact(circuit, x);
      ASSERT_EQ(exact.size(), static_cast<std::size_t>(c.p));
      for (std::size_t j = 0; j < exact.size(); ++j)
        EXPECT_NEAR(exact[j], classical[j], 1e-9)
            << "side " << c.side << " u " << c.u << " p " << c.p << " output " << j << " "
            << mapping_name(c.mapping) << " " << ancillas_name(c.ancillas);
      // 8,192 shots within the binomial 99.9% interval of the classical value.
      std::mt19937_64 shot_rng(static_cast<std::uint64_t>(checked));
      const auto shots = run_shots(circuit, x, 8192, shot_rng);
      for (std::size_t j = 0; j < shots.size(); ++j) {
        const double pj = classical[j];
        EXPECT_LE(std::abs(shots[j] - pj), 3.29 * std::sqrt(pj * (1 - pj) / 8192) + 1e-12);
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 18);
}

TEST(QfCircuit, PNetWithAFourInputPLayerEqualsItsClassicalForwardPass) {
  // QF-pNet on 2x2 pixels: P-LYR with m = 4 (encoding register, a C^qZ per input), then N-LYR.
  Network net;
  int x = net.add_input({1, 2, 2});
  x = net.add_flatten(x);
  x = net.add_qf_p(x, 2);
  net.add_qf_n(x);
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 4; ++trial) {
    const auto params = random_params(net, static_cast<std::uint64_t>(trial));
    for (auto a : {Ancillas::kShared, Ancillas::kPerNeuron}) {
      const auto circuit = compile(net, params, {Mapping::kQfMap, a});
      ASSERT_LE(circuit.qubits, 18);
      const auto in = pixels(4, rng);
      const auto classical = classical_forward(net, params, in);
      const auto exact = run_exact(circuit, in);
      for (std::size_t j = 0; j < exact.size(); ++j) EXPECT_NEAR(exact[j], classical[j], 1e-9);
    }
  }
}

TEST(QfCircuit, APLayerAfterAPLayerSeesCorrelatedInputs) {
  // The P-LYR closed form assumes independent input qubits. Neurons of one P-LYR read the same
  // qubits, so their outputs are correlated, and a second P-LYR's circuit differs from the closed
  // form (the circuit is what runs; the README states this). U-LYR neurons have their own copies
  // of the data, so a P-LYR after a U-LYR is exact (tests above).
  Network net;
  int x = net.add_flatten(net.add_input({1, 2, 2}));
  x = net.add_qf_p(x, 2);
  net.add_qf_p(x, 2);
  std::mt19937_64 rng(5);
  double worst = 0;
  for (int trial = 0; trial < 4; ++trial) {
    const auto params = random_params(net, static_cast<std::uint64_t>(trial));
    const auto in = pixels(4, rng);
    const auto classical = classical_forward(net, params, in);
    const auto exact = run_exact(compile(net, params, {}), in);
    for (std::size_t j = 0; j < exact.size(); ++j)
      worst = std::max(worst, std::abs(exact[j] - classical[j]));
  }
  EXPECT_GT(worst, 1e-3);  // 0.28 for these draws: not a rounding effect
}

TEST(QfCircuit, QubitCountsMatchTheReferenceFormulas) {
  // U-LYR of m neurons on k qubits: m k + max(1, k - 2) + m with one shared ancilla pool.
  for (int side : {4, 8, 16})
    for (int m : {1, 2, 4, 8}) {
      Network net;
      int x = net.add_flatten(net.add_input({1, side, side}));
      net.add_qf_u(x, m);
      const int k = std::countr_zero(static_cast<unsigned>(side * side));
      const auto c = compile(net, random_params(net, 3), {Mapping::kQfMap, Ancillas::kShared});
      EXPECT_EQ(c.qubits, m * k + std::max(1, k - 2) + m) << "k " << k << " m " << m;
      // Reference examples: k = 4, m = 2 -> 12; k = 4, m = 4 -> 22.
      if (k == 4 && m == 2) {
        EXPECT_EQ(c.qubits, 12);
      }
      if (k == 4 && m == 4) {
        EXPECT_EQ(c.qubits, 22);
      }
      // Per-neuron ancillas: each neuron brings its own k - 2.
      const auto d = compile(net, random_params(net, 3), {Mapping::kQfMap, Ancillas::kPerNeuron});
      EXPECT_EQ(d.qubits, m * (k + 1 + (k - 2)));
    }
  // P-LYR of o neurons on m = 2^q inputs: q encoding qubits and one output per neuron (the
  // reference's q (1 + n_repeats) with no repeats), plus q - 1 shared ancillas for the C^qZ
  // (none for m = 2, which needs no register).
  for (int q = 1; q <= 4; ++q)
    for (int o : {1, 2, 3}) {
      const int m = 1 << q;
      Network net;
      int x = net.add_flatten(net.add_input({1, 1, m}));
      net.add_qf_p(x, o);
      const auto c = compile(net, random_params(net, 4), {});
      const int layer = m == 2 ? o : o * (q + 1) + (q - 1);
      EXPECT_EQ(c.qubits, m + layer) << "m " << m << " o " << o;
    }
}

TEST(QfCircuit, ResourcesAndTheMappingsCosts) {
  // One U-LYR neuron, k = 4, t = 3 weights of -1: QF-Map applies G2 and G4 (section 4 table):
  // a CZ on 2 qubits (1 gate) and a C^3Z (2 CCX + CZ + 2 CCX = 5), then H^4, X^4 and a C^4X
  // (2 CCX + CCX + 2 CCX = 5): 1 + 5 + 8 + 5 = 19 gates, 4 + 5 of them Toffolis.
  Network net;
  net.add_qf_u(net.add_flatten(net.add_input({1, 4, 4})), 1);
  NetworkParams p;
  std::vector<int> w(16, 1);
  w[1] = w[6] = w[9] = -1;
  p[2].weights = {w};
  const auto c = compile(net, p, {Mapping::kQfMap, Ancillas::kShared});
  const auto r = c.resources();
  EXPECT_EQ(r.gates, 19);
  EXPECT_EQ(r.toffolis, 9);
  EXPECT_EQ(r.two_qubit_gates, 2 + 6 * 9);
  EXPECT_EQ(r.encodings, 1);
  // Gate cost of the sign gates alone equals the published model: 1 + 5 = cost(2) + cost(4).
  EXPECT_EQ(sign_gate_cost(2) + sign_gate_cost(4), 1 + 5);
  // The baseline is never cheaper in sign gates than QF-Map on random vectors at k = 6.
  Network big;
  big.add_qf_u(big.add_flatten(big.add_input({1, 8, 8})), 8);
  const auto params = random_params(big, 9);
  const auto qfmap = compile(big, params, {Mapping::kQfMap, Ancillas::kShared}).resources();
  const auto baseline = compile(big, params, {Mapping::kBaseline, Ancillas::kShared}).resources();
  EXPECT_LT(qfmap.gates, baseline.gates);
  // Per-neuron ancillas trade qubits for depth.
  const auto wide = compile(big, params, {Mapping::kQfMap, Ancillas::kPerNeuron}).resources();
  EXPECT_GT(wide.qubits, qfmap.qubits);
  EXPECT_LT(wide.depth, qfmap.depth);
  EXPECT_EQ(wide.gates, qfmap.gates);
  // Classical cost: 8 neurons on 64 inputs at 2n + k = 134 each.
  EXPECT_EQ(network_classical_cost(big), 8 * 134);
}

TEST(QfCircuit, RejectsWhatACircuitCannotRun) {
  Network conv;
  int x = conv.add_input({1, 4, 4});
  x = conv.add_conv2d(x, 2, 3, 1, 1);
  EXPECT_THROW(random_params(conv, 1), InvalidCandidate);
  Network late_u;
  x = late_u.add_flatten(late_u.add_input({1, 4, 4}));
  x = late_u.add_qf_p(x, 4);
  late_u.add_qf_u(x, 2);
  EXPECT_THROW(random_params(late_u, 1), InvalidCandidate);
  Network ok;
  ok.add_qf_u(ok.add_flatten(ok.add_input({1, 2, 2})), 2);
  NetworkParams bad;
  bad[2].weights = {{1, -1, 1, 1}};  // one vector for two neurons
  EXPECT_THROW(compile(ok, bad, {}), InvalidCandidate);
  bad[2].weights = {{1, -1, 1, 1}, {1, 0, 1, 1}};
  EXPECT_THROW(compile(ok, bad, {}), InvalidCandidate);
  EXPECT_THROW(compile(ok, {}, {}), InvalidCandidate);
}

Task fmnist_pair() {
  Task t;
  t.labels = {3, 6};
  t.classes = 2;
  return t;
}

TEST(QuantumCircuitTarget, ReportsTheCompiledCircuitAndEnforcesTheQubitBudget) {
  using coex::testing::load;
  using coex::testing::PluginUnderTest;
  auto t27 = load<HardwareTarget>(
      PluginUnderTest{"quantum_circuit", {{"device", "ibm_falcon"}}, fmnist_pair()});
  auto t5 = load<HardwareTarget>(
      PluginUnderTest{"quantum_circuit", {{"device", "ibmq_essex"}}, fmnist_pair()});
  // 16-u2-p2: U-LYR 2 * 4 + 2 + 2 = 12 qubits, P-LYR 2 outputs: 14 qubits.
  Network net;
  int x = net.add_flatten(net.add_input({1, 4, 4}));
  x = net.add_qf_u(x, 2);
  net.add_qf_p(x, 2);
  const auto r = t27->evaluate(net, {0, 0});  // qf_map, shared
  ASSERT_TRUE(r.feasible) << r.reason;
  EXPECT_EQ(r.metrics.get("qubits"), 14);
  // The target's figures are the compiled circuit's for its seeded weights.
  const auto c = compile(net, random_params(net, 1234 ^ net.hash()), {});
  EXPECT_EQ(r.metrics.get("gate_cost"), static_cast<double>(c.resources().gates));
  EXPECT_EQ(r.metrics.get("depth"), static_cast<double>(c.resources().depth));
  EXPECT_EQ(r.metrics.get("classical_cost"), 2 * 36 + 2 * (2 * 2 + 1));
  // Over the 5-qubit budget: infeasible, and the reason says by how much.
  const auto small = t5->tune(net, {});
  EXPECT_FALSE(small.feasible);
  EXPECT_NE(small.reason.find("needs 14 qubits; ibmq_essex has 5"), std::string::npos)
      << small.reason;
  // tune() minimises gate cost: QF-Map beats the baseline on this U-LYR.
  const auto best = t27->tune(net, {});
  EXPECT_EQ(best.design[0], 0);
  EXPECT_LE(best.metrics.get("gate_cost"), t27->evaluate(net, {1, 0}).metrics.get("gate_cost"));
  // A classical network is not a circuit.
  const auto cnn = coex::testing::reference_networks(Task{}, 1)[0];
  const auto bad = t27->evaluate(cnn, {0, 0});
  EXPECT_FALSE(bad.feasible);
  EXPECT_NE(bad.reason.find("conv2d"), std::string::npos) << bad.reason;
}

TEST(QuantumCircuitTarget, ClassicalTargetsRefuseQuantumNetworksWithAReason) {
  // Targets that map conv and linear layers have nothing to run in a QuantumFlow network: they
  // say so instead of reporting a free design (imc reported 0 crossbars and zero energy).
  using coex::testing::load;
  using coex::testing::PluginUnderTest;
  const auto net = hnet(4, 4, 2, true, true);
  for (const char* t : {"fpga_cluster", "imc"}) {
    const auto r = load<HardwareTarget>(PluginUnderTest{t, {}})->tune(net, {});
    EXPECT_FALSE(r.feasible) << t;
    EXPECT_NE(r.reason.find("the network has none"), std::string::npos) << t << ": " << r.reason;
  }
}

}  // namespace
}  // namespace coex::qf
