#include "tiling_model.hpp"

#include <algorithm>
#include <cmath>

#include "coex/error.hpp"

namespace coex::plugins::fpga_cluster {

namespace {
std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
}  // namespace

const std::vector<Board>& board_presets() {
  // Resource counts from the vendors' product tables (DSP slices; BRAM36 x 2 = BRAM18K);
  // port width 4 HP ports x 128 bit (UltraScale+) or x 64 bit (7-series); 100 MHz as in the
  // reference. Power coefficients are coex's documented assumptions (plugin README).
  static const std::vector<Board> presets = {
      {"zcu102", 2520, 1824, 512, 100, 2.0, 0.0006, 0.0012, 0.0015},  // XCZU9EG
      {"zcu104", 1728, 624, 512, 100, 1.5, 0.0006, 0.0012, 0.0015},   // XCZU7EV
      {"zc706", 900, 1090, 256, 100, 1.2, 0.0008, 0.0014, 0.0018},    // XC7Z045
      {"ultra96", 360, 432, 512, 100, 0.6, 0.0006, 0.0012, 0.0015},   // XCZU3EG
      {"pynq_z1", 220, 280, 256, 100, 0.3, 0.0008, 0.0014, 0.0018},   // XC7Z020
      {"vcu118", 6840, 4320, 512, 100, 4.0, 0.0006, 0.0012, 0.0015},  // XCVU9P
  };
  return presets;
}

std::optional<Board> find_preset(const std::string& name) {
  for (const auto& b : board_presets())
    if (b.name == name) return b;
  return std::nullopt;
}

std::string Tiling::to_string() const {
  return "Tm=" + std::to_string(tm) + " Tn=" + std::to_string(tn) + " Tr=" + std::to_string(tr) +
         " Tc=" + std::to_string(tc) + " Tk=" + std::to_string(tk) + " Wp=" + std::to_string(wp) +
         " Ip=" + std::to_string(ip) + " Op=" + std::to_string(op);
}

std::vector<LayerShape> layers_of(const Network& net, int batch) {
  std::vector<LayerShape> out;
  for (const auto& n : net.nodes()) {
    // Shift and adder convolutions run on the same tiled engine and are charged as
    // multiply-accumulates (one DSP each): the model claims no saving for them.
    if (!is_conv(n.op) && n.op != OpKind::kLinear) continue;
    const Shape& in = net.input_shape(n);
    LayerShape L;
    L.b = batch;
    L.m = n.out_channels;
    L.n = in.c;
    if (is_conv(n.op)) {
      L.r = in.h;
      L.c = in.w;
      L.k = n.kernel;
      L.s = n.stride;
      L.p = n.padding;
      L.depthwise = n.groups > 1 && n.groups == in.c && n.groups == n.out_channels;
      if (n.groups > 1 && !L.depthwise)
        throw Error("fpga_cluster: grouped convolution (groups=" + std::to_string(n.groups) +
                    ") other than depthwise is not modelled");
    }
    L.out_elements = n.shape.elements();
    out.push_back(L);
  }
  return out;
}

Resources resources(const Tiling& t, int bits, bool depthwise) {
  const int tn = depthwise ? t.tm : t.tn;
  Resources r;
  const int macs = depthwise ? t.tm : t.tm * tn;
  r.dsp = bits >= 32 ? 5 * macs : macs;
  r.port_bits = bits * (t.wp + t.ip + t.op);
  const auto blocks = [&](std::int64_t elems) {
    return static_cast<int>(ceil_div(elems * bits, 18000));
  };
  const int b_in = 2 * tn * blocks(static_cast<std::int64_t>(t.tr) * t.tc);
  const int b_out = 2 * t.tm * blocks(static_cast<std::int64_t>(t.tr) * t.tc);
  const int w_tiles = depthwise ? t.tm : t.tm * tn;
  const int b_w = bits >= 32 ? 2 * w_tiles * blocks(static_cast<std::int64_t>(t.tk) * t.tk)
                             : w_tiles * blocks(4LL * t.tk * t.tk);
  r.bram18k = b_in + b_out + b_w;
  return r;
}

std::optional<std::string> misfit(const Tiling& t, const Board& board, int bits, bool bram_check,
                                  bool depthwise) {
  const Resources r = resources(t, bits, depthwise);
  if (r.dsp > board.dsp)
    return "DSP " + std::to_string(r.dsp) + " > " + std::to_string(board.dsp) + " on " + board.name;
  if (r.port_bits > board.port_bits)
    return "port bandwidth " + std::to_string(r.port_bits) + " bits > " +
           std::to_string(board.port_bits) + " on " + board.name;
  if (bram_check && r.bram18k > board.bram18k)
    return "BRAM18K " + std::to_string(r.bram18k) + " > " + std::to_string(board.bram18k) + " on " +
           board.name;
  return std::nullopt;
}

LayerCycles layer_cycles(const LayerShape& L, const Tiling& t, int bits, bool input_halo) {
  LayerCycles c;
  const int tn = L.depthwise ? t.tm : t.tn;
  // Sub-16-bit weights pack several per 16-bit word.
  const double wp = bits < 16 ? std::floor(t.wp * 16.0 / bits) : t.wp;
  const double k2 = static_cast<double>(L.k) * L.k;
  c.t_weight = static_cast<double>(t.tm) * (L.depthwise ? 1 : tn) * k2 / wp;
  const double rows = input_halo ? std::min<std::int64_t>((t.tr - 1) * L.s + L.k, L.r + 2 * L.p)
                                 : std::min<std::int64_t>(t.tr, L.r);
  const double cols = input_halo ? std::min<std::int64_t>((t.tc - 1) * L.s + L.k, L.c + 2 * L.p)
                                 : std::min<std::int64_t>(t.tc, L.c);
  c.t_input = static_cast<double>(std::min<std::int64_t>(tn, L.n)) * rows * cols / t.ip;
  c.t_output = static_cast<double>(std::min<std::int64_t>(t.tm, L.m)) *
               ceil_div(std::min<std::int64_t>(t.tr, L.r), L.s) *
               ceil_div(std::min<std::int64_t>(t.tc, L.c), L.s) / t.op;
  c.t_compute = k2 * ceil_div(std::min<std::int64_t>(t.tr, L.r + 2 * L.p), L.s) *
                ceil_div(std::min<std::int64_t>(t.tc, L.c + 2 * L.p), L.s);
  const double l1 = std::max({c.t_input, c.t_weight, c.t_compute});
  const double n_loop = L.depthwise ? 1.0 : static_cast<double>(ceil_div(L.n, tn));
  const double l2 = std::max(n_loop * l1, c.t_output);
  c.cycles = static_cast<double>(L.b) * ceil_div(L.r, t.tr) * ceil_div(L.c, t.tc) *
             ceil_div(L.m, t.tm) * l2;
  if (c.t_output >= n_loop * l1)
    c.bottleneck = "storing OFM";
  else if (l1 == c.t_input)
    c.bottleneck = "loading IFM";
  else if (l1 == c.t_weight)
    c.bottleneck = "loading Weight";
  else
    c.bottleneck = "computing";
  return c;
}

}  // namespace coex::plugins::fpga_cluster
