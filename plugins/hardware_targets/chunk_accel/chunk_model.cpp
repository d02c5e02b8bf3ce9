#include "chunk_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "coex/error.hpp"

namespace coex::chunk {

const char* chunk_name(Chunk c) {
  switch (c) {
    case Chunk::kConv:
      return "conv";
    case Chunk::kShift:
      return "shift";
    case Chunk::kAdder:
      return "adder";
  }
  return "?";
}

const char* dataflow_name(Dataflow d) {
  switch (d) {
    case Dataflow::kRowStationary:
      return "rs";
    case Dataflow::kWeightStationary:
      return "ws";
    case Dataflow::kOutputStationary:
      return "os";
    case Dataflow::kInputStationary:
      return "is";
  }
  return "?";
}

std::optional<Dataflow> parse_dataflow(const std::string& name) {
  for (Dataflow d : kDataflows)
    if (name == dataflow_name(d)) return d;
  return std::nullopt;
}

double op_energy_pj(Op op, int bits, bool fpga) {
  if (fpga) {
    if (bits != 8) throw Error("chunk_accel: the FPGA operator energies are for 8 bits only");
    return op == Op::kMult ? 0.213 : op == Op::kShift ? 0.07 : 0.05;
  }
  // Reference table: mult, add, shift (pJ).
  struct Row {
    int bits;
    double mult, add, shift;
  };
  static constexpr Row rows[] = {
      {32, 3.7, 0.9, 0.13}, {16, 1.0, 0.03, 0.103}, {8, 0.2, 0.03, 0.024}, {6, 0.2, 0.022, 0.018}};
  for (const auto& r : rows)
    if (r.bits == bits) return op == Op::kMult ? r.mult : op == Op::kAdd ? r.add : r.shift;
  throw Error("chunk_accel: no operator energy for " + std::to_string(bits) +
              " bits (the table holds 32, 16, 8 and 6)");
}

Technology Technology::fpga_variant() {
  Technology t;
  t.fpga = true;
  t.bits = {8, 8, 8};
  return t;
}

PeSplit split_pes(double f_conv, double f_shift, double f_adder, const Technology& t) {
  PeSplit p;
  const double denom = f_conv + (f_shift + f_adder) / t.cheap_pe_factor;
  if (!(denom > 0)) return p;
  const double u = t.pe_budget / denom;
  p.conv = static_cast<int>(std::floor(u * f_conv));
  p.shift = static_cast<int>(std::ceil(u * f_shift));
  p.adder = static_cast<int>(std::ceil(u * f_adder));
  return p;
}

std::string Tiling::to_string() const {
  return "M " + std::to_string(M0) + "x" + std::to_string(M1) + "x" + std::to_string(M2) + "x" +
         std::to_string(M3) + ", C " + std::to_string(C0) + "x" + std::to_string(C1) + "x" +
         std::to_string(C2) + ", E " + std::to_string(E1) + "x" + std::to_string(E3);
}

namespace {

// C0*S, or its packed form on the FPGA's shift/adder PEs (8 ops per PE).
std::int64_t rf_row(const Layer& l, std::int64_t c0, const Technology& t) {
  const std::int64_t v = c0 * l.S;
  return t.fpga && l.chunk != Chunk::kConv ? (v + 7) / 8 : v;
}

double op_energy_of(const Layer& l, const Technology& t) {
  if (t.compat_conv_energy) return op_energy_pj(Op::kMult, t.bits[0], t.fpga);
  const int bits = t.bits[static_cast<std::size_t>(l.chunk)];
  switch (l.chunk) {
    case Chunk::kConv:
      return op_energy_pj(Op::kMult, bits, t.fpga);
    case Chunk::kShift:
      return op_energy_pj(Op::kShift, bits, t.fpga);
    case Chunk::kAdder:
      return op_energy_pj(Op::kAdd, bits, t.fpga);
  }
  return 0;
}

std::vector<std::int64_t> divisors(std::int64_t n) {
  std::vector<std::int64_t> d;
  for (std::int64_t i = 1; i * i <= n; ++i)
    if (n % i == 0) {
      d.push_back(i);
      if (i != n / i) d.push_back(n / i);
    }
  std::sort(d.begin(), d.end());
  return d;
}

// The loops of one PE in one pass of a stationary dataflow (not row-stationary), outer to inner,
// and the reuse each operand gets from them (see Dataflow in the header).
enum Dim : unsigned { kM = 1, kC = 2, kR = 4, kS = 8, kF = 16 };
constexpr unsigned kWeightDims = kM | kC | kR | kS;  // w[m][c][r][s]
constexpr unsigned kInputDims = kC | kR | kS | kF;   // x[c][e st + r][f st + s]
constexpr unsigned kPsumDims = kM | kF;              // y[m][e][f]

struct PeLoops {
  std::array<Dim, 5> dim;
  std::array<std::int64_t, 5> trip;
};

PeLoops pe_loops(const Layer& l, const Tiling& t, Dataflow d) {
  switch (d) {
    case Dataflow::kWeightStationary:
      return {{kM, kC, kR, kS, kF}, {t.M0, t.C0, l.R, l.S, l.F}};
    case Dataflow::kOutputStationary:
      return {{kM, kF, kC, kR, kS}, {t.M0, l.F, t.C0, l.R, l.S}};
    case Dataflow::kInputStationary:
    default:
      return {{kC, kF, kR, kS, kM}, {t.C0, l.F, l.R, l.S, t.M0}};
  }
}

// MACs an operand that depends on `dims` stays in its register for: the product of the innermost
// loops it does not depend on, up to the first loop of more than one trip that it does depend on
// (a loop of one trip changes nothing).
double reuse(const PeLoops& p, unsigned dims) {
  double k = 1;
  for (std::size_t i = p.dim.size(); i-- > 0;) {
    if (p.trip[i] == 1) continue;
    if (p.dim[i] & dims) break;
    k *= static_cast<double>(p.trip[i]);
  }
  return k;
}

// The MACs the held operand serves per register load: what an FPGA shift/adder PE packs 8 of.
double held_reuse(const PeLoops& p, Dataflow d) {
  return reuse(p, d == Dataflow::kWeightStationary   ? kWeightDims
                  : d == Dataflow::kOutputStationary ? kPsumDims
                                                     : kInputDims);
}

}  // namespace

std::int64_t gb_words(const Layer& l, const Tiling& t) {
  return t.C1 * t.C0 * ((t.E1 - 1) * l.stride + l.R) * ((l.F - 1) * l.stride + l.S) +
         t.M2 * t.M1 * t.M0 * t.E1 * l.F;
}

std::optional<std::string> invalid(const Layer& l, const Tiling& t, int pes, std::int64_t gb_free,
                                   const Technology& tech, Dataflow d) {
  if (t.M0 * t.M1 * t.M2 * t.M3 != l.M) return "M factors do not multiply to M";
  if (t.C0 * t.C1 * t.C2 != l.C) return "C factors do not multiply to C";
  if (t.E1 * t.E3 != l.E) return "E factors do not multiply to E";
  if (std::min({t.M0, t.M1, t.M2, t.M3, t.C0, t.C1, t.C2, t.E1, t.E3}) < 1)
    return "a factor is below 1";
  if (t.M0 > tech.m0_max) return "M0 above " + std::to_string(tech.m0_max);
  if (d != Dataflow::kRowStationary) {
    if (t.M1 * t.C1 * t.E1 >= pes) return "M1 C1 E1 needs more PEs than the chunk has";
    if (gb_words(l, t) >= gb_free) return "the tile overflows the global buffer left";
    return std::nullopt;
  }
  if (t.E1 == 1 && !l.fully_connected() && l.E > 1) return "E1 = 1 on a layer with E > 1";
  if (t.M1 * t.C1 * t.E1 * l.R >= pes) return "M1 C1 E1 R needs more PEs than the chunk has";
  if (rf_row(l, t.C0, tech) >= tech.ifmap_rf) return "C0 S overflows the ifmap register file";
  if (t.M0 * rf_row(l, t.C0, tech) >= tech.weight_rf)
    return "M0 C0 S overflows the weight register file";
  if (gb_words(l, t) >= gb_free) return "the tile overflows the global buffer left";
  return std::nullopt;
}

Mapping evaluate(const Layer& l, const Tiling& t, const Technology& tech, Dataflow d) {
  Mapping m;
  m.tiling = t;
  m.dataflow = d;
  m.gb_words = gb_words(l, t);
  const double I = static_cast<double>(l.H * l.W * l.C);
  double Wt = static_cast<double>(l.R * l.S * l.C * l.M);
  const double O = static_cast<double>(l.E * l.F * l.M);
  if (tech.fpga && l.chunk != Chunk::kConv) Wt *= 6.0 / 8.0;
  const double e_h = static_cast<double>(l.E) / static_cast<double>(l.H);
  const double f_w = static_cast<double>(l.F) / static_cast<double>(l.W);
  const double M3 = double(t.M3), M2 = double(t.M2), M1 = double(t.M1), M0 = double(t.M0);
  const double C2 = double(t.C2), C1 = double(t.C1), C0 = double(t.C0);
  const double E3 = double(t.E3), E1 = double(t.E1), R = double(l.R), S = double(l.S),
               F = double(l.F);
  Accesses& a = m.accesses;
  // DRAM and global buffer: the passes' traffic, the same for every dataflow.
  a.dram = M3 * I + E3 * Wt + O;  // C3 = 1: max(2 C3 - 1, 1) = 1
  a.gb = M3 * M2 * I + std::max(2 * (C2 - 1), 1.0) * O;
  const bool packed = tech.fpga && l.chunk != Chunk::kConv;
  if (d == Dataflow::kRowStationary) {
    a.noc = M3 * M2 * M1 * R * e_h * I + E3 * E1 * Wt + std::max(C2 * (C1 * R - 1), 1.0) * O;
    a.rf = M3 * M2 * M1 * R * e_h * M0 * S * f_w * I + E3 * E1 * F * Wt +
           std::max(2 * C2 * C1 * R * (C0 * S - 1), 1.0) * O;
    m.latency_ns =
        M3 * M2 * M0 * C2 * static_cast<double>(rf_row(l, t.C0, tech)) * E3 * F * tech.cycle_ns;
  } else {
    // Each operand crosses the NoC once per register load; every MAC reads its weight and input
    // from the PE's registers; a psum is read (unless new) and written once per load and
    // accumulated in the register in between.
    const PeLoops p = pe_loops(l, t, d);
    const double macs = static_cast<double>(l.macs());
    const double w_words = Wt / static_cast<double>(l.R * l.S * l.C * l.M);  // 6/8 packed
    const double chains = macs / reuse(p, kPsumDims);
    a.noc = macs / reuse(p, kWeightDims) * w_words + macs / reuse(p, kInputDims) + 2 * chains - O;
    a.rf = macs * w_words + macs + 2 * (macs - chains);
    const double k = held_reuse(p, d);
    const double per_pe = M0 * C0 * F * R * S;
    const double cycles = packed ? per_pe / k * std::ceil(k / 8) : per_pe;
    m.latency_ns = M3 * M2 * C2 * E3 * cycles * tech.cycle_ns;
  }
  const double scale =
      tech.bits[static_cast<std::size_t>(l.chunk)] / 16.0 * (tech.fpga ? 0.63 : 1.0);
  const double dram = a.dram * tech.e_dram * scale;
  const double onchip = (a.gb * tech.e_gb + a.noc * tech.e_noc + a.rf * tech.e_rf) * scale;
  const double ops = static_cast<double>(l.macs()) * op_energy_of(l, tech);
  m.onchip_pj = ops + onchip;
  m.energy_pj = m.onchip_pj + dram;
  return m;
}

namespace {
// The mapper's order: less EDP, then lower latency.
bool better(const Mapping& a, const Mapping& b) {
  if (a.edp() != b.edp()) return a.edp() < b.edp();
  return a.latency_ns < b.latency_ns;
}
}  // namespace

std::optional<Mapping> map_layer(const Layer& l, int pes, std::int64_t gb_free,
                                 const Technology& tech, Dataflow d) {
  if (pes <= 0) return std::nullopt;
  std::optional<Mapping> best;
  const bool rs = d == Dataflow::kRowStationary;
  // PEs per unit of M1 C1 E1 and the register-file rows: row-stationary spreads R PE rows and
  // holds C0 S (and M0 C0 S) words; the stationary dataflows hold one word.
  const std::int64_t rows = rs ? l.R : 1;
  const auto dm = divisors(l.M), dc = divisors(l.C), de = divisors(l.E);
  Tiling t;
  for (auto e1 : de) {
    if (rs && e1 == 1 && l.E > 1 && !l.fully_connected()) continue;
    t.E1 = e1;
    t.E3 = l.E / e1;
    if (e1 * rows >= pes) break;  // divisors ascend: larger E1 only needs more PEs
    for (auto c0 : dc) {
      if (rs && rf_row(l, c0, tech) >= tech.ifmap_rf) break;
      t.C0 = c0;
      for (auto c1 : divisors(l.C / c0)) {
        if (c1 * e1 * rows >= pes) break;
        t.C1 = c1;
        t.C2 = l.C / c0 / c1;
        for (auto m0 : dm) {
          if (m0 > tech.m0_max || (rs && m0 * rf_row(l, c0, tech) >= tech.weight_rf)) break;
          t.M0 = m0;
          for (auto m1 : divisors(l.M / m0)) {
            if (m1 * c1 * e1 * rows >= pes) break;
            t.M1 = m1;
            for (auto m2 : divisors(l.M / m0 / m1)) {
              t.M2 = m2;
              t.M3 = l.M / m0 / m1 / m2;
              if (gb_words(l, t) >= gb_free) continue;
              const Mapping m = evaluate(l, t, tech, d);
              if (!best || better(m, *best)) best = m;
            }
          }
        }
      }
    }
  }
  return best;
}

std::optional<Mapping> Mapper::map(const Layer& l, int pes, std::int64_t gb_free, Dataflow d) {
  const Key k{l.H,
              l.W,
              l.C,
              l.M,
              l.R,
              l.S,
              l.E,
              l.F,
              l.stride,
              static_cast<int>(l.chunk),
              pes,
              gb_free,
              static_cast<int>(d)};
  auto it = memo_.find(k);
  if (it != memo_.end()) return it->second;
  return memo_.emplace(k, map_layer(l, pes, gb_free, tech_, d)).first->second;
}

std::optional<Mapping> Mapper::map(const Layer& l, int pes, std::int64_t gb_free,
                                   DataflowChoice choice) {
  if (!choice.automatic) return map(l, pes, gb_free, choice.fixed);
  std::optional<Mapping> best;
  for (Dataflow d : kDataflows) {
    auto m = map(l, pes, gb_free, d);
    if (m && (!best || better(*m, *best))) best = m;
  }
  return best;
}

std::vector<Layer> lower(const Network& net) {
  std::vector<Layer> out;
  for (const auto& n : net.nodes()) {
    const Shape in = net.input_shape(n);
    Layer l;
    l.node = n.id;
    if (is_conv(n.op)) {
      // Padding folds into H, W: the mapper sees the padded input.
      l.chunk = n.op == OpKind::kShiftConv2d   ? Chunk::kShift
                : n.op == OpKind::kAdderConv2d ? Chunk::kAdder
                                               : Chunk::kConv;
      l.H = in.h + 2 * n.padding;
      l.W = in.w + 2 * n.padding;
      l.C = in.c / n.groups;
      l.M = n.out_channels / n.groups;
      l.R = l.S = n.kernel;
      l.E = n.shape.h;
      l.F = n.shape.w;
      l.stride = n.stride;
      l.repeat = n.groups;
      out.push_back(l);
    } else if (n.op == OpKind::kLinear) {
      l.C = in.c;
      l.M = n.out_channels;
      out.push_back(l);
    }
  }
  return out;
}

std::vector<Layer> alexnet_conv_layers() {
  struct Conv {
    int c, m, hw, k, stride, pad, groups;
  };
  static constexpr Conv convs[] = {{3, 96, 227, 11, 4, 0, 1},
                                   {96, 256, 27, 5, 1, 2, 2},
                                   {256, 384, 13, 3, 1, 1, 1},
                                   {384, 384, 13, 3, 1, 1, 2},
                                   {384, 256, 13, 3, 1, 1, 2}};
  std::vector<Layer> out;
  for (const auto& cv : convs) {
    Layer l;
    l.C = cv.c / cv.groups;
    l.M = cv.m / cv.groups;
    l.R = l.S = cv.k;
    l.stride = cv.stride;
    l.H = l.W = cv.hw + 2 * cv.pad;
    l.E = l.F = (l.H - cv.k) / cv.stride + 1;
    l.repeat = cv.groups;
    out.push_back(l);
  }
  return out;
}

std::array<double, 3> chunk_macs(const std::vector<Layer>& layers) {
  std::array<double, 3> f{0, 0, 0};
  for (const auto& l : layers)
    f[static_cast<std::size_t>(l.chunk)] += static_cast<double>(l.macs() * l.repeat);
  return f;
}

ScheduleResult schedule(const std::vector<Layer>& layers, Mapper& mapper,
                        std::optional<PeSplit> pes, std::int64_t gb_words,
                        DataflowChoice dataflow) {
  const Technology& tech = mapper.technology();
  const std::int64_t buffer = gb_words > 0 ? gb_words : tech.gb_words;
  ScheduleResult r;
  const auto f = chunk_macs(layers);
  r.pes = pes ? *pes : split_pes(f[0], f[1], f[2], tech);  // the technology's PE budget
  r.mappings.resize(layers.size());
  // Each chunk's layers, in network order.
  std::array<std::vector<std::size_t>, 3> queue;
  for (std::size_t i = 0; i < layers.size(); ++i)
    queue[static_cast<std::size_t>(layers[i].chunk)].push_back(i);
  std::array<std::size_t, 3> next{0, 0, 0};
  std::array<std::int64_t, 3> held{0, 0, 0};
  for (;;) {
    int c = -1;
    for (int k = 0; k < 3; ++k) {
      const auto uk = static_cast<std::size_t>(k);
      if (next[uk] >= queue[uk].size()) continue;
      if (c < 0 || r.chunk_latency_ns[uk] < r.chunk_latency_ns[static_cast<std::size_t>(c)]) c = k;
    }
    if (c < 0) break;
    const auto uc = static_cast<std::size_t>(c);
    const std::size_t i = queue[uc][next[uc]++];
    const Layer& l = layers[i];
    const std::int64_t free = buffer - held[(uc + 1) % 3] - held[(uc + 2) % 3];
    const auto m = mapper.map(l, r.pes.of(l.chunk), free, dataflow);
    if (!m) {
      r.feasible = false;
      r.reason = "no valid tiling for layer " + std::to_string(i) + " (node " +
                 std::to_string(l.node) + ", " + chunk_name(l.chunk) + " chunk, " +
                 std::to_string(r.pes.of(l.chunk)) + " PEs, " + std::to_string(free) +
                 " buffer words free, dataflow " +
                 (dataflow.automatic ? "any" : dataflow_name(dataflow.fixed)) + ")";
      return r;
    }
    r.mappings[i] = *m;
    ++r.layers_by_dataflow[static_cast<std::size_t>(m->dataflow)];
    const double rep = static_cast<double>(l.repeat);
    r.chunk_latency_ns[uc] += m->latency_ns * rep;
    r.chunk_energy_pj[uc] += m->energy_pj * rep;
    r.onchip_pj += m->onchip_pj * rep;
    held[uc] = next[uc] < queue[uc].size() ? m->gb_words : 0;
  }
  r.feasible = true;
  r.latency_ns = *std::max_element(r.chunk_latency_ns.begin(), r.chunk_latency_ns.end());
  for (double e : r.chunk_energy_pj) r.energy_pj += e;
  return r;
}

}  // namespace coex::chunk
