#include "qasm.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "coex/error.hpp"

namespace coex::deploy {

namespace {

class Writer {
 public:
  void line(const std::string& s) { out_ += s + "\n"; }
  void gate(const char* g, const std::vector<int>& qs, const double* angle = nullptr) {
    std::string s = g;
    if (angle) {
      char b[40];
      std::snprintf(b, sizeof b, "(%.17g)", *angle);
      s += b;
    }
    for (std::size_t i = 0; i < qs.size(); ++i)
      s += (i ? ",q[" : " q[") + std::to_string(qs[i]) + "]";
    line(s + ";");
  }
  void ry(int q, double a) { gate("ry", {q}, &a); }
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

/// Uniformly controlled RY: for each value h of the controls (bit i of h = qubit controls[i]),
/// RY(theta[h]) on `target`. 2^m rotations alternating with 2^m CX (Mottonen et al. 2004):
/// alpha_i = 2^-m sum_h (-1)^popcount(h & gray(i)) theta_h, the CX after rotation i controlled by
/// the bit in which gray(i) and gray(i + 1) differ (cyclically).
void uniformly_controlled_ry(Writer& w, const std::vector<int>& controls, int target,
                             const std::vector<double>& theta) {
  const std::size_t m = controls.size(), n = std::size_t{1} << m;
  if (m == 0) {
    w.ry(target, theta[0]);
    return;
  }
  auto gray = [](std::size_t i) { return i ^ (i >> 1); };
  for (std::size_t i = 0; i < n; ++i) {
    double a = 0;
    for (std::size_t h = 0; h < n; ++h)
      a += (__builtin_popcountll(h & gray(i)) % 2 ? -1.0 : 1.0) * theta[h];
    w.ry(target, a / static_cast<double>(n));
    const std::size_t diff = gray(i) ^ gray((i + 1) % n);
    const int bit = __builtin_ctzll(diff);
    w.gate("cx", {controls[static_cast<std::size_t>(bit)], target});
  }
}

/// |0..0> on `qubits` (qubit b = bit b of the basis index) -> sum_p a_p |p>, a real and >= 0,
/// normalised: the highest qubit first, each lower one rotated under the control of those above.
void prepare_amplitudes(Writer& w, const std::vector<int>& qubits, const std::vector<double>& a) {
  const int k = static_cast<int>(qubits.size());
  for (int j = k - 1; j >= 0; --j) {
    // Controls: the qubits above j; h indexes their values (bit i of h = qubit j + 1 + i).
    std::vector<int> controls;
    for (int b = j + 1; b < k; ++b) controls.push_back(qubits[static_cast<std::size_t>(b)]);
    const std::size_t nh = std::size_t{1} << controls.size();
    std::vector<double> theta(nh, 0.0);
    for (std::size_t h = 0; h < nh; ++h) {
      double n0 = 0, n1 = 0;
      for (std::size_t low = 0; low < (std::size_t{1} << j); ++low)
        for (std::size_t bit = 0; bit < 2; ++bit) {
          const std::size_t p = (h << (j + 1)) | (bit << j) | low;
          (bit ? n1 : n0) += a[p] * a[p];
        }
      theta[h] = 2 * std::atan2(std::sqrt(n1), std::sqrt(n0));
    }
    uniformly_controlled_ry(w, controls, qubits[static_cast<std::size_t>(j)], theta);
  }
}

}  // namespace

std::string to_qasm(const qf::Circuit& c, const std::vector<double>& input,
                    const std::vector<std::string>& header) {
  if (static_cast<std::int64_t>(input.size()) != c.inputs)
    throw Error("circuit.qasm: input of " + std::to_string(input.size()) +
                " values, the circuit reads " + std::to_string(c.inputs));
  Writer w;
  for (const auto& h : header) w.line("// " + h);
  w.line("OPENQASM 2.0;");
  w.line("include \"qelib1.inc\";");
  w.line("qreg q[" + std::to_string(c.qubits) + "];");
  w.line("creg c[" + std::to_string(c.outputs.size()) + "];");
  double norm = 0;
  for (double v : input) norm += v * v;
  norm = std::sqrt(norm);
  for (const auto& op : c.ops) {
    std::vector<int> qs = op.controls;
    qs.push_back(op.target);
    using K = qf::CircuitOp::Kind;
    switch (op.kind) {
      case K::kX:
        if (op.controls.size() > 2) throw Error("circuit.qasm: X with more than two controls");
        w.gate(op.controls.empty() ? "x" : op.controls.size() == 1 ? "cx" : "ccx", qs);
        break;
      case K::kZ:
        if (op.controls.size() > 2) throw Error("circuit.qasm: Z with more than two controls");
        if (op.controls.size() == 2) {  // CCZ = H CCX H on the target
          w.gate("h", {op.target});
          w.gate("ccx", qs);
          w.gate("h", {op.target});
        } else {
          w.gate(op.controls.empty() ? "z" : "cz", qs);
        }
        break;
      case K::kH:
        if (!op.controls.empty()) throw Error("circuit.qasm: controlled H");
        w.gate("h", qs);
        break;
      case K::kRy:
        if (!op.controls.empty()) throw Error("circuit.qasm: controlled RY");
        w.ry(op.target, op.angle);
        break;
      case K::kEncodeProbability: {
        w.line("// encode input " + std::to_string(op.input) + " as P(1) of q[" +
               std::to_string(op.target) + "]");
        const double p = std::clamp(input[static_cast<std::size_t>(op.input)], 0.0, 1.0);
        w.ry(op.target, 2 * std::asin(std::sqrt(p)));
        break;
      }
      case K::kEncodeAmplitude: {
        w.line("// encode the input as the amplitudes of " + std::to_string(op.qubits.size()) +
               " qubits (state preparation)");
        const std::size_t dim = op.perm.size();
        std::vector<double> a(dim);
        for (std::size_t p = 0; p < dim; ++p)
          a[p] = norm > 0 ? std::max(0.0, input[static_cast<std::size_t>(op.perm[p])]) / norm
                          : 1 / std::sqrt(static_cast<double>(dim));
        prepare_amplitudes(w, op.qubits, a);
        w.line("// end of the input encoding");
        break;
      }
    }
  }
  for (std::size_t i = 0; i < c.outputs.size(); ++i)
    w.line("measure q[" + std::to_string(c.outputs[i]) + "] -> c[" + std::to_string(i) + "];");
  return w.text();
}

}  // namespace coex::deploy
