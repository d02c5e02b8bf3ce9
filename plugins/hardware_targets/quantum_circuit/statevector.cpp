#include "statevector.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "coex/error.hpp"

namespace coex::qf {

namespace {
/// a * b without std::complex's NaN/inf recovery (a libgcc call per product, 10x slower).
inline Amplitude mul(const Amplitude& a, const Amplitude& b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}
}  // namespace

Gate1 Gate1::x() { return {0, 1, 1, 0}; }
Gate1 Gate1::z() { return {1, 0, 0, -1}; }
Gate1 Gate1::h() {
  const double r = 1 / std::sqrt(2.0);
  return {r, r, r, -r};
}
Gate1 Gate1::ry(double theta) {
  const double c = std::cos(theta / 2), s = std::sin(theta / 2);
  return {c, -s, s, c};
}

StateVector::StateVector(int qubits) : n_(qubits) {
  if (qubits < 1 || qubits > 30) throw Error("state vector: qubits must be in [1, 30]");
  psi_.assign(std::size_t{1} << qubits, Amplitude(0));
  psi_[0] = 1;
}

void StateVector::apply(const Gate1& g, int target, const std::vector<int>& controls) {
  if (target < 0 || target >= n_) throw Error("state vector: target qubit out of range");
  std::uint64_t cmask = 0;
  for (int c : controls) {
    if (c < 0 || c >= n_ || c == target)
      throw Error("state vector: control qubit out of range or equal to the target");
    if ((cmask >> c) & 1) throw Error("state vector: control qubit listed twice");
    cmask |= std::uint64_t{1} << c;
  }
  const std::uint64_t tbit = std::uint64_t{1} << target;
  // Only the pairs (i, i | tbit) with every control bit set change: enumerate them directly by
  // spreading a counter over the free bits (the target and control bits held at 0, then the
  // controls set), 2^(n - 1 - controls) pairs instead of a test on all 2^(n - 1).
  int fixed[32];
  int nfixed = 0;
  for (int c : controls) fixed[nfixed++] = c;
  fixed[nfixed++] = target;
  std::sort(fixed, fixed + nfixed);
  const std::uint64_t pairs = psi_.size() >> nfixed;
  auto index = [&](std::uint64_t k) {
    for (int f = 0; f < nfixed; ++f) {
      const std::uint64_t low = (std::uint64_t{1} << fixed[f]) - 1;
      k = ((k & ~low) << 1) | (k & low);
    }
    return k | cmask;
  };
  Amplitude* psi = psi_.data();
  const bool real =
      g.u00.imag() == 0 && g.u01.imag() == 0 && g.u10.imag() == 0 && g.u11.imag() == 0;
  if (real) {
    // Every QuantumFlow gate (X, Z, H, RY) is real: 8 multiplications per pair instead of 16.
    const double u00 = g.u00.real(), u01 = g.u01.real(), u10 = g.u10.real(), u11 = g.u11.real();
    auto* d = reinterpret_cast<double*>(psi);  // std::complex<double> is two doubles
    auto update = [&](std::uint64_t i) {
      const std::uint64_t j = i | tbit;
      const double ar = d[2 * i], ai = d[2 * i + 1], br = d[2 * j], bi = d[2 * j + 1];
      d[2 * i] = u00 * ar + u01 * br;
      d[2 * i + 1] = u00 * ai + u01 * bi;
      d[2 * j] = u10 * ar + u11 * br;
      d[2 * j + 1] = u10 * ai + u11 * bi;
    };
    if (controls.empty()) {
      for (std::uint64_t hi = 0; hi < psi_.size(); hi += 2 * tbit)
        for (std::uint64_t lo = 0; lo < tbit; ++lo) update(hi | lo);
    } else {
      for (std::uint64_t k = 0; k < pairs; ++k) update(index(k));
    }
  } else {
    const Amplitude u00 = g.u00, u01 = g.u01, u10 = g.u10, u11 = g.u11;
    for (std::uint64_t k = 0; k < pairs; ++k) {
      const std::uint64_t i = index(k), j = i | tbit;
      const Amplitude a = psi[i], b = psi[j];
      psi[i] = mul(u00, a) + mul(u01, b);
      psi[j] = mul(u10, a) + mul(u11, b);
    }
  }
  ++gates_;
}

void StateVector::apply_unitary(const std::vector<Amplitude>& u, const std::vector<int>& targets) {
  const std::size_t m = targets.size();
  const std::size_t dim = std::size_t{1} << m;
  if (u.size() != dim * dim) throw Error("state vector: unitary size does not match its qubits");
  std::uint64_t tmask = 0;
  for (int t : targets) {
    if (t < 0 || t >= n_ || (tmask >> t) & 1)
      throw Error("state vector: unitary target out of range or repeated");
    tmask |= std::uint64_t{1} << t;
  }
  // Offsets of the 2^m sub-states within a block.
  std::vector<std::uint64_t> off(dim, 0);
  for (std::size_t s = 0; s < dim; ++s)
    for (std::size_t b = 0; b < m; ++b)
      if ((s >> b) & 1) off[s] |= std::uint64_t{1} << targets[b];
  std::vector<Amplitude> in(dim), out(dim);
  for (std::uint64_t base = 0; base < psi_.size(); ++base) {
    if (base & tmask) continue;
    for (std::size_t s = 0; s < dim; ++s) in[s] = psi_[base | off[s]];
    for (std::size_t r = 0; r < dim; ++r) {
      Amplitude acc = 0;
      for (std::size_t c = 0; c < dim; ++c) acc += mul(u[r * dim + c], in[c]);
      out[r] = acc;
    }
    for (std::size_t s = 0; s < dim; ++s) psi_[base | off[s]] = out[s];
  }
  ++gates_;
}

double StateVector::probability_one(int q) const {
  if (q < 0 || q >= n_) throw Error("state vector: qubit out of range");
  const std::uint64_t bit = std::uint64_t{1} << q;
  double p = 0;
  for (std::uint64_t i = 0; i < psi_.size(); ++i)
    if (i & bit) p += std::norm(psi_[i]);
  return p;
}

std::vector<double> StateVector::sample_ones(const std::vector<int>& qubits, int shots,
                                             std::mt19937_64& rng) const {
  std::vector<double> cdf(psi_.size());
  double acc = 0;
  for (std::size_t i = 0; i < psi_.size(); ++i) cdf[i] = acc += std::norm(psi_[i]);
  std::uniform_real_distribution<double> u(0, acc);
  std::vector<double> ones(qubits.size(), 0);
  for (int s = 0; s < shots; ++s) {
    const auto idx =
        static_cast<std::uint64_t>(std::upper_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin());
    const std::uint64_t state = std::min<std::uint64_t>(idx, psi_.size() - 1);
    for (std::size_t k = 0; k < qubits.size(); ++k) ones[k] += (state >> qubits[k]) & 1;
  }
  for (double& v : ones) v /= shots;
  return ones;
}

}  // namespace coex::qf
