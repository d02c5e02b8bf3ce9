// QuantumFlow's weight-to-gate mappings and gate cost model (QuantumFlow, Jiang et al., Nature
// Communications 2021; README.md): the sign pattern of a binary weight vector on k qubits realised
// by multi-controlled Z gates, either by QF-Map (at most k-1 gates, a function of the number of -1
// weights alone, plus a permutation of the input amplitudes) or by the baseline sign-flip walk (up
// to O(2^k) gates).
#pragma once

#include <cstdint>
#include <vector>

namespace coex::qf {

/// QF-Map's gates for t weights of -1 among n = 2^k (after negating the vector when t > n/2):
/// the list of j (1..k), gate G_j being a C^{j-1}Z on the j lowest qubits, which flips the
/// 2^(k-j) basis states whose j lowest bits are all 1. At most k-1 gates for 0 < t < n/2.
/// Throws coex::Error for k < 1 or t outside [0, n].
std::vector<int> qfmap_gates(std::int64_t t, int k);

/// The permutation of QF-Map (its last step): ret[p] is the input index whose amplitude goes to
/// basis state p, so that sum_p sign_p x_ret[p] = sum_i w_i x_i, where sign_p is the pattern the
/// gates of qfmap_gates(t, k) produce. `w` holds +-1 (n = 2^k entries); a vector with more than
/// n/2 entries of -1 is negated first (the layer's output is squared).
std::vector<std::int64_t> qfmap_permutation(const std::vector<int>& w, int k);

/// The sign pattern (+1/-1 per basis state, index = state with qubit 0 the lowest bit) that
/// applying the gates G_j of `gates` to a uniform +1 pattern produces.
std::vector<int> sign_pattern(const std::vector<int>& gates, int k);

/// The baseline's gates (Tacchino-style sign flipping): basis states s (bit masks over k qubits)
/// whose C^{|s|-1}Z over s's one-bits are applied, in order of the number of one-bits then value.
/// A vector with w_0 = -1 is negated first (no gate on the all-zero string).
std::vector<std::uint32_t> baseline_gates(const std::vector<int>& w, int k);

/// Cost of a sign gate (multi-controlled Z) on m qubits in basic gates: 1 if m = 1, else 2m - 3
/// (CZ and Toffoli count one each).
int sign_gate_cost(int m);
/// Cost of reading one U-LYR neuron out: 3k - 1 (H and X on k qubits, the C^kX).
int readout_cost(int k);
/// Cost of one U-LYR neuron by QF-Map: sum of its gates' costs plus the readout.
int ulayer_cost_qfmap(const std::vector<int>& w, int k);
/// Cost of one neuron by the baseline: sum of its gates' costs plus the readout. With
/// `original_zero_gate` (README.md, "N-LYR"), a vector with w_0 = -1 is charged as the original
/// code does: a gate on the all-zero string priced by the formula at 2*0 - 3 = -3 (needed to
/// reproduce the published Figure 2(d)); coex's default negates the vector instead, at no cost.
int ulayer_cost_baseline(const std::vector<int>& w, int k, bool original_zero_gate = false);
/// Exact mean QF-Map cost of one neuron over uniformly random +-1 vectors on k qubits (the
/// cost depends on the number of -1 weights only, which is binomial).
double mean_ulayer_cost_qfmap(int k);
/// Cost of one classical neuron on n = 2^k inputs: 2n + k.
std::int64_t classical_cost(int k);

}  // namespace coex::qf
