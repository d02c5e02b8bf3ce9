#include "circuit.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "coex/error.hpp"
#include "qf_map.hpp"

namespace coex::qf {

const char* mapping_name(Mapping m) { return m == Mapping::kQfMap ? "qf_map" : "baseline"; }
const char* ancillas_name(Ancillas a) { return a == Ancillas::kShared ? "shared" : "per_neuron"; }

namespace {

int log2_exact(std::int64_t n) {
  int k = 0;
  while ((std::int64_t{1} << k) < n) ++k;
  return k;
}

/// The quantum layers of a QuantumFlow network in order, after checking its shape.
std::vector<const Node*> quantum_chain(const Network& net) {
  const auto& nodes = net.nodes();
  std::vector<const Node*> chain;
  if (nodes.empty()) throw InvalidCandidate("quantum circuit: empty network");
  std::size_t i = 1;
  if (i < nodes.size() && nodes[i].op == OpKind::kFlatten) ++i;
  for (; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    const bool quantum = n.op == OpKind::kQfU || n.op == OpKind::kQfP || n.op == OpKind::kQfN;
    if (!quantum)
      throw InvalidCandidate("quantum circuit: node " + std::to_string(n.id) + " is '" +
                             op_name(n.op) +
                             "'; a circuit runs only a chain of qf_u, qf_p and qf_n layers "
                             "after the (flattened) input");
    if (n.inputs.size() != 1 || n.inputs[0] != static_cast<int>(i) - 1)
      throw InvalidCandidate("quantum circuit: node " + std::to_string(n.id) +
                             " does not take the previous layer's output; layers must form a "
                             "chain");
    if (n.op == OpKind::kQfU && !chain.empty())
      throw InvalidCandidate("quantum circuit: qf_u (node " + std::to_string(n.id) +
                             ") must be the first layer: it reads amplitude-encoded pixels");
    chain.push_back(&n);
  }
  if (chain.empty()) throw InvalidCandidate("quantum circuit: the network has no quantum layer");
  if (net.input_shape(*chain.front()).elements() != net.node(0).shape.elements())
    throw InvalidCandidate("quantum circuit: the first quantum layer must read every pixel");
  return chain;
}

const LayerParams& params_of(const NetworkParams& p, const Node& n) {
  auto it = p.find(n.id);
  if (it == p.end())
    throw InvalidCandidate("quantum circuit: no parameters for node " + std::to_string(n.id) +
                           " (" + op_name(n.op) + ")");
  return it->second;
}

void check_params(const Network& net, const Node& n, const LayerParams& lp) {
  const auto in = net.input_shape(n).c;
  const std::string where = "quantum circuit: node " + std::to_string(n.id) + ": ";
  if (n.op == OpKind::kQfN) {
    if (static_cast<std::int64_t>(lp.t1.size()) != in ||
        static_cast<std::int64_t>(lp.t0.size()) != in)
      throw InvalidCandidate(where + "N-LYR needs one (t1, t0) per feature");
    for (std::size_t f = 0; f < lp.t1.size(); ++f)
      if (!(lp.t1[f] >= 0 && lp.t1[f] <= 1 && lp.t0[f] >= 0 && lp.t0[f] <= 1))
        throw InvalidCandidate(where + "N-LYR factors must be probabilities in [0, 1]");
    return;
  }
  if (static_cast<std::int64_t>(lp.weights.size()) != n.out_channels)
    throw InvalidCandidate(where + "needs one weight vector per neuron");
  for (const auto& w : lp.weights) {
    if (static_cast<std::int64_t>(w.size()) != in)
      throw InvalidCandidate(where + "a weight vector does not have one entry per input");
    for (int v : w)
      if (v != 1 && v != -1) throw InvalidCandidate(where + "weights must be +1 or -1");
  }
}

class Builder {
 public:
  explicit Builder(const CompileOptions& o) : o_(o) {}

  int alloc() { return c_.qubits++; }
  std::vector<int> alloc(int n) {
    std::vector<int> q;
    for (int i = 0; i < n; ++i) q.push_back(alloc());
    return q;
  }
  /// Starts a neuron: with per-neuron ancillas, its gates get a fresh pool.
  void begin_neuron() {
    if (o_.ancillas == Ancillas::kPerNeuron) pool_.clear();
  }
  /// `n` ancillas in |0>, from the pool (grown as needed).
  std::vector<int> ancillas(int n) {
    while (static_cast<int>(pool_.size()) < n) pool_.push_back(alloc());
    return {pool_.begin(), pool_.begin() + n};
  }

  void gate(CircuitOp::Kind k, int target, std::vector<int> controls = {}, double angle = 0) {
    CircuitOp op;
    op.kind = k;
    op.target = target;
    op.controls = std::move(controls);
    op.angle = angle;
    c_.ops.push_back(std::move(op));
  }
  void x(int t, std::vector<int> ctrl = {}) { gate(CircuitOp::Kind::kX, t, std::move(ctrl)); }
  void z(int t, std::vector<int> ctrl = {}) { gate(CircuitOp::Kind::kZ, t, std::move(ctrl)); }
  void h(int t) { gate(CircuitOp::Kind::kH, t); }

  /// C^{m-1}Z on the m qubits `qs` (symmetric): (m-2) CCX into ancillas, one CZ, (m-2) CCX back.
  void mcz(const std::vector<int>& qs) {
    const int m = static_cast<int>(qs.size());
    if (m == 1) return z(qs[0]);
    if (m == 2) return z(qs[1], {qs[0]});
    const auto a = ancillas(m - 2);
    ladder(qs, a, m - 2);
    z(qs[static_cast<std::size_t>(m - 1)], {a[static_cast<std::size_t>(m - 3)]});
    unladder(qs, a, m - 2);
  }
  /// C^kX of `ctrl` onto `target`: (k-2) CCX into ancillas, one CCX onto the target, (k-2) back.
  void mcx(const std::vector<int>& ctrl, int target) {
    const int k = static_cast<int>(ctrl.size());
    if (k == 1) return x(target, {ctrl[0]});
    if (k == 2) return x(target, {ctrl[0], ctrl[1]});
    const auto a = ancillas(k - 2);
    ladder(ctrl, a, k - 2);
    x(target, {a[static_cast<std::size_t>(k - 3)], ctrl[static_cast<std::size_t>(k - 1)]});
    unladder(ctrl, a, k - 2);
  }

  Circuit& circuit() { return c_; }
  const CompileOptions& options() const { return o_; }

 private:
  // a[0] = q0 & q1, a[i] = a[i-1] & q[i+1] for i < steps.
  void ladder(const std::vector<int>& q, const std::vector<int>& a, int steps) {
    for (int i = 0; i < steps; ++i) {
      const auto ui = static_cast<std::size_t>(i);
      x(a[ui], {i == 0 ? q[0] : a[ui - 1], q[ui + 1]});
    }
  }
  void unladder(const std::vector<int>& q, const std::vector<int>& a, int steps) {
    for (int i = steps - 1; i >= 0; --i) {
      const auto ui = static_cast<std::size_t>(i);
      x(a[ui], {i == 0 ? q[0] : a[ui - 1], q[ui + 1]});
    }
  }

  CompileOptions o_;
  Circuit c_;
  std::vector<int> pool_;
};

std::vector<int> negated(std::vector<int> w) {
  for (auto& v : w) v = -v;
  return w;
}

void compile_u_neuron(Builder& b, const std::vector<int>& w, int k) {
  b.begin_neuron();
  const auto n = std::int64_t{1} << k;
  const auto data = b.alloc(k);
  const int out = b.alloc();
  CircuitOp enc;
  enc.kind = CircuitOp::Kind::kEncodeAmplitude;
  enc.qubits = data;
  if (b.options().mapping == Mapping::kQfMap) {
    enc.perm = qfmap_permutation(w, k);
    b.circuit().ops.push_back(enc);
    const auto t = std::count(w.begin(), w.end(), -1);
    for (int j : qfmap_gates(std::min<std::int64_t>(t, n - t), k))
      b.mcz({data.begin(), data.begin() + j});
  } else {
    enc.perm.resize(static_cast<std::size_t>(n));
    std::iota(enc.perm.begin(), enc.perm.end(), std::int64_t{0});
    b.circuit().ops.push_back(enc);
    for (std::uint32_t s : baseline_gates(w, k)) {
      std::vector<int> qs;
      for (int q = 0; q < k; ++q)
        if ((s >> q) & 1U) qs.push_back(data[static_cast<std::size_t>(q)]);
      b.mcz(qs);
    }
  }
  for (int q : data) b.h(q);
  for (int q : data) b.x(q);
  b.mcx(data, out);
  b.circuit().outputs.push_back(out);
}

void compile_p_neuron(Builder& b, std::vector<int> w, const std::vector<int>& in) {
  b.begin_neuron();
  if (std::accumulate(w.begin(), w.end(), 0) < 0) w = negated(w);  // fewer X gates
  const auto m = static_cast<int>(in.size());
  for (int i = 0; i < m; ++i)
    if (w[static_cast<std::size_t>(i)] < 0) b.x(in[static_cast<std::size_t>(i)]);
  if (m == 2) {
    // |+>, a phase per input that is 1, back: out = y0 xor y1; X: P(1) = P(y0 = y1).
    const int out = b.alloc();
    b.h(out);
    b.z(out, {in[0]});
    b.z(out, {in[1]});
    b.h(out);
    b.x(out);
    b.circuit().outputs.push_back(out);
  } else {
    const int q = log2_exact(m);
    const auto enc = b.alloc(q);
    const int out = b.alloc();
    for (int e : enc) b.h(e);
    for (int j = 0; j < m; ++j) {
      // Phase -1 on |j> of the encoding register when input j is 1: a C^qZ over the input and
      // the register, its zero bits turned to ones by X.
      for (int bit = 0; bit < q; ++bit)
        if (!((j >> bit) & 1)) b.x(enc[static_cast<std::size_t>(bit)]);
      std::vector<int> qs = enc;
      qs.push_back(in[static_cast<std::size_t>(j)]);
      b.mcz(qs);
      for (int bit = 0; bit < q; ++bit)
        if (!((j >> bit) & 1)) b.x(enc[static_cast<std::size_t>(bit)]);
    }
    for (int e : enc) b.h(e);
    for (int e : enc) b.x(e);
    b.mcx(enc, out);
    b.circuit().outputs.push_back(out);
  }
  for (int i = 0; i < m; ++i)
    if (w[static_cast<std::size_t>(i)] < 0) b.x(in[static_cast<std::size_t>(i)]);
}

void compile_n_feature(Builder& b, int in, double t1, double t0) {
  b.begin_neuron();
  const int out = b.alloc();
  if (t1 > 0) {
    const int nq = b.alloc();
    b.gate(CircuitOp::Kind::kRy, nq, {}, 2 * std::asin(std::sqrt(t1)));
    b.x(out, {in, nq});
  }
  if (t0 > 0) {
    const int nq = b.alloc();
    b.gate(CircuitOp::Kind::kRy, nq, {}, 2 * std::asin(std::sqrt(t0)));
    b.x(in);
    b.x(out, {in, nq});
    b.x(in);
  }
  b.circuit().outputs.push_back(out);
}

}  // namespace

void norm_map(bool lifts, double batch_factor, double individual_factor, double& t1, double& t0) {
  const double f = std::clamp(batch_factor, 0.0, 1.0), g = std::clamp(individual_factor, 0.0, 1.0);
  t1 = lifts ? g : g * f;
  t0 = lifts ? g * f : 0.0;
}

NetworkParams random_params(const Network& net, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.05, 1.0);
  NetworkParams p;
  for (const Node* n : quantum_chain(net)) {
    LayerParams lp;
    const auto in = net.input_shape(*n).c;
    if (n->op == OpKind::kQfN) {
      for (std::int64_t f = 0; f < in; ++f) {
        double t1 = 0, t0 = 0;
        norm_map(rng() & 1U, u(rng), u(rng), t1, t0);
        lp.t1.push_back(t1);
        lp.t0.push_back(t0);
      }
    } else {
      for (std::int64_t j = 0; j < n->out_channels; ++j) {
        std::vector<int> w;
        for (std::int64_t i = 0; i < in; ++i) w.push_back((rng() & 1U) ? 1 : -1);
        lp.weights.push_back(std::move(w));
      }
    }
    p.emplace(n->id, std::move(lp));
  }
  return p;
}

Circuit compile(const Network& net, const NetworkParams& params, const CompileOptions& options) {
  const auto chain = quantum_chain(net);
  Builder b(options);
  const std::int64_t pixels = net.node(0).shape.elements();
  b.circuit().inputs = pixels;
  std::vector<int> wires;  // the qubits holding the current layer's values
  if (chain.front()->op != OpKind::kQfU) {
    for (std::int64_t i = 0; i < pixels; ++i) {
      const int q = b.alloc();
      CircuitOp enc;
      enc.kind = CircuitOp::Kind::kEncodeProbability;
      enc.target = q;
      enc.input = i;
      b.circuit().ops.push_back(enc);
      wires.push_back(q);
    }
  }
  for (const Node* n : chain) {
    const auto& lp = params_of(params, *n);
    check_params(net, *n, lp);
    b.circuit().outputs.clear();
    if (n->op == OpKind::kQfU) {
      const int k = log2_exact(net.input_shape(*n).c);
      for (const auto& w : lp.weights) compile_u_neuron(b, w, k);
    } else if (n->op == OpKind::kQfP) {
      for (const auto& w : lp.weights) compile_p_neuron(b, w, wires);
    } else {
      for (std::size_t f = 0; f < wires.size(); ++f)
        compile_n_feature(b, wires[f], lp.t1[f], lp.t0[f]);
    }
    wires = b.circuit().outputs;
  }
  return std::move(b.circuit());
}

Resources Circuit::resources() const {
  Resources r;
  r.qubits = qubits;
  std::vector<std::int64_t> level(static_cast<std::size_t>(qubits), 0);
  for (const auto& op : ops) {
    std::vector<int> touched = op.controls;
    if (op.kind == CircuitOp::Kind::kEncodeAmplitude)
      touched.insert(touched.end(), op.qubits.begin(), op.qubits.end());
    else
      touched.push_back(op.target);
    std::int64_t l = 0;
    for (int q : touched) l = std::max(l, level[static_cast<std::size_t>(q)]);
    for (int q : touched) level[static_cast<std::size_t>(q)] = l + 1;
    if (op.kind == CircuitOp::Kind::kEncodeAmplitude ||
        op.kind == CircuitOp::Kind::kEncodeProbability) {
      ++r.encodings;
      continue;
    }
    ++r.gates;
    if (op.controls.size() == 1) ++r.two_qubit_gates;
    if (op.controls.size() == 2) {
      r.two_qubit_gates += 6;
      ++r.toffolis;
    }
  }
  for (auto l : level) r.depth = std::max(r.depth, l);
  return r;
}

namespace {

StateVector simulate(const Circuit& c, const std::vector<double>& input) {
  if (static_cast<std::int64_t>(input.size()) != c.inputs)
    throw Error("quantum circuit: input of " + std::to_string(input.size()) +
                " values, the circuit reads " + std::to_string(c.inputs));
  if (c.qubits > 30)
    throw Error("quantum circuit: simulating " + std::to_string(c.qubits) + " qubits needs 2^" +
                std::to_string(c.qubits) + " amplitudes; the simulator holds at most 30 qubits");
  StateVector sv(c.qubits);
  double norm = 0;
  for (double v : input) norm += v * v;
  norm = std::sqrt(norm);
  for (const auto& op : c.ops) {
    switch (op.kind) {
      case CircuitOp::Kind::kX:
        sv.apply(Gate1::x(), op.target, op.controls);
        break;
      case CircuitOp::Kind::kZ:
        sv.apply(Gate1::z(), op.target, op.controls);
        break;
      case CircuitOp::Kind::kH:
        sv.apply(Gate1::h(), op.target, op.controls);
        break;
      case CircuitOp::Kind::kRy:
        sv.apply(Gate1::ry(op.angle), op.target, op.controls);
        break;
      case CircuitOp::Kind::kEncodeProbability: {
        const double p = std::clamp(input[static_cast<std::size_t>(op.input)], 0.0, 1.0);
        sv.apply(Gate1::ry(2 * std::asin(std::sqrt(p))), op.target);
        break;
      }
      case CircuitOp::Kind::kEncodeAmplitude: {
        // A unitary whose first column is the amplitude vector a: the Householder reflection
        // I - 2 v v^T / |v|^2 with v = e0 - a (the identity when a = e0).
        const std::size_t dim = op.perm.size();
        std::vector<double> a(dim);
        for (std::size_t p = 0; p < dim; ++p)
          a[p] = norm > 0 ? input[static_cast<std::size_t>(op.perm[p])] / norm
                          : 1 / std::sqrt(static_cast<double>(dim));
        std::vector<double> v(a);
        for (auto& e : v) e = -e;
        v[0] += 1;
        double vv = 0;
        for (double e : v) vv += e * e;
        std::vector<Amplitude> u(dim * dim, 0);
        for (std::size_t r = 0; r < dim; ++r)
          for (std::size_t col = 0; col < dim; ++col)
            u[r * dim + col] = (r == col ? 1.0 : 0.0) - (vv > 1e-300 ? 2 * v[r] * v[col] / vv : 0);
        sv.apply_unitary(u, op.qubits);
        break;
      }
    }
  }
  return sv;
}

}  // namespace

std::vector<double> run_exact(const Circuit& c, const std::vector<double>& input) {
  const auto sv = simulate(c, input);
  std::vector<double> p;
  for (int q : c.outputs) p.push_back(sv.probability_one(q));
  return p;
}

std::vector<double> run_shots(const Circuit& c, const std::vector<double>& input, int shots,
                              std::mt19937_64& rng) {
  return simulate(c, input).sample_ones(c.outputs, shots, rng);
}

std::vector<double> classical_forward(const Network& net, const NetworkParams& params,
                                      const std::vector<double>& input) {
  const auto chain = quantum_chain(net);
  if (static_cast<std::int64_t>(input.size()) != net.node(0).shape.elements())
    throw Error("classical forward: input of " + std::to_string(input.size()) + " values for a " +
                net.node(0).shape.to_string() + " network");
  std::vector<double> x = input;
  for (const Node* n : chain) {
    const auto& lp = params_of(params, *n);
    check_params(net, *n, lp);
    std::vector<double> y;
    if (n->op == OpKind::kQfU) {
      double norm = 0;
      for (double v : x) norm += v * v;
      norm = std::sqrt(norm);
      const auto dim = static_cast<double>(x.size());
      for (const auto& w : lp.weights) {
        double s = 0;
        for (std::size_t i = 0; i < x.size(); ++i)
          s += w[i] * (norm > 0 ? x[i] / norm : 1 / std::sqrt(dim));
        y.push_back(s * s / dim);
      }
    } else if (n->op == OpKind::kQfP) {
      const auto m = static_cast<double>(x.size());
      double ee = 0;
      for (double p : x) ee += (2 * p - 1) * (2 * p - 1);
      for (const auto& w : lp.weights) {
        double s = 0;
        for (std::size_t i = 0; i < x.size(); ++i) s += w[i] * (2 * x[i] - 1);
        y.push_back((m - ee + s * s) / (m * m));
      }
    } else {
      for (std::size_t f = 0; f < x.size(); ++f)
        y.push_back(x[f] * lp.t1[f] + (1 - x[f]) * lp.t0[f]);
    }
    x = std::move(y);
  }
  return x;
}

std::int64_t network_classical_cost(const Network& net) {
  std::int64_t cost = 0;
  for (const Node* n : quantum_chain(net))
    if (n->op != OpKind::kQfN)
      cost += n->out_channels * classical_cost(log2_exact(net.input_shape(*n).c));
  return cost;
}

}  // namespace coex::qf
