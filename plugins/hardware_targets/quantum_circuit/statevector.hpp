// A state-vector simulator: n qubits as 2^n complex amplitudes (qubit q is bit q of the basis
// index), exact probabilities and seeded shot sampling. Gates: any 1-qubit unitary with any set
// of control qubits (X, Z, H, RY, CX, CZ, CCX, multi-controlled X and Z), and a dense unitary on a
// set of qubits (QuantumFlow's amplitude encoding).
#pragma once

#include <complex>
#include <cstdint>
#include <random>
#include <vector>

namespace coex::qf {

using Amplitude = std::complex<double>;

/// A 2x2 unitary, row-major: {u00, u01, u10, u11}.
struct Gate1 {
  Amplitude u00, u01, u10, u11;
  static Gate1 x();
  static Gate1 z();
  static Gate1 h();
  /// RY(theta) = [[cos t/2, -sin t/2], [sin t/2, cos t/2]].
  static Gate1 ry(double theta);
};

class StateVector {
 public:
  /// |0...0> on `qubits` qubits (1..30). Throws coex::Error otherwise.
  explicit StateVector(int qubits);

  int qubits() const { return n_; }
  const std::vector<Amplitude>& amplitudes() const { return psi_; }

  /// Applies `g` to `target` when every qubit of `controls` is 1. Throws coex::Error if a qubit
  /// is out of range or the target is also a control.
  void apply(const Gate1& g, int target, const std::vector<int>& controls = {});
  /// Applies a dense unitary U (row-major, 2^m x 2^m) to `targets` (m qubits; targets[0] is the
  /// lowest bit of U's index). U is not checked for unitarity.
  void apply_unitary(const std::vector<Amplitude>& u, const std::vector<int>& targets);

  /// Probability that qubit q measures 1.
  double probability_one(int q) const;
  /// Shots measuring every qubit: the share of shots in which qubit q was 1, per q in `qubits`.
  std::vector<double> sample_ones(const std::vector<int>& qubits, int shots,
                                  std::mt19937_64& rng) const;
  /// Gate applications since construction (for benchmarks).
  std::uint64_t gate_count() const { return gates_; }

 private:
  int n_;
  std::vector<Amplitude> psi_;
  std::uint64_t gates_ = 0;
};

}  // namespace coex::qf
