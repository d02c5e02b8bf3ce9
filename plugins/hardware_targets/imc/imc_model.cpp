#include "imc_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace coex::imc {

namespace {
std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
}  // namespace

Result evaluate(const Network& net, const Design& d, const Technology& t) {
  Result r;
  const std::int64_t R = d.crossbar, C = d.crossbar;
  // 1. Crossbars per layer, placed contiguously in layer order. A shift convolution is a
  // convolution whose weights happen to be powers of two: the crossbar stores them like any
  // other. An adder convolution computes L1 distances, which a crossbar's dot product cannot.
  int adder = -1;
  for (std::size_t i = 0; i < net.size(); ++i) {
    const Node& n = net.node(static_cast<int>(i));
    if (n.op == OpKind::kAdderConv2d) {
      if (adder < 0) adder = n.id;
      continue;
    }
    if (!is_conv(n.op) && n.op != OpKind::kLinear) continue;
    const Shape in = net.node(n.inputs.at(0)).shape;
    const bool conv = n.op != OpKind::kLinear;
    const std::int64_t k = conv ? n.kernel : 1;
    const std::int64_t cin = (conv ? in.c / n.groups : in.c);
    const std::int64_t rows = ceil_div(k * k * cin, R);
    const std::int64_t cols =
        ceil_div(n.out_channels * t.weight_bits, static_cast<std::int64_t>(t.cell_bits) * C);
    LayerMapping m;
    m.node = n.id;
    m.crossbars = rows * cols * (conv ? n.groups : 1);
    m.first_crossbar = r.crossbars;
    r.crossbars += m.crossbars;
    // Compute: H_o W_o output positions, each b_in bit-serial crossbar reads; a read converts the
    // crossbar's C columns on adcs_per_crossbar ADCs of adc_bits SAR steps.
    const double t_xb = t.t_read_ns + static_cast<double>(ceil_div(C, t.adcs_per_crossbar)) *
                                          d.adc_bits * t.t_adc_bit_ns;
    const double positions = static_cast<double>(n.shape.h * n.shape.w);
    m.compute_ns = positions * t.input_bits * t_xb;  // par = 1 (no weight duplication)
    const double ops = static_cast<double>(net.macs(n));
    const double columns_used =
        static_cast<double>(rows) *
        std::ceil(static_cast<double>(n.out_channels * t.weight_bits) / t.cell_bits);
    const double adc_conversions = positions * t.input_bits * columns_used;
    const double e_adc = t.e_adc_4bit_pj * std::pow(2.0, d.adc_bits - 4);
    m.flits = ceil_div(n.shape.elements() * t.activation_bits, t.flit_bits);
    m.energy_pj = ops * t.e_mac_pj + adc_conversions * e_adc;
    r.layers.push_back(m);
  }
  r.tiles = ceil_div(std::max<std::int64_t>(r.crossbars, 1), t.crossbars_per_tile);
  r.routers = ceil_div(r.tiles, d.tiles_per_router);
  // 2. NoC: routers on a square-ish mesh, row-major; a layer's data leaves from its middle
  // router towards the next layer's middle router.
  const std::int64_t width =
      static_cast<std::int64_t>(std::ceil(std::sqrt(static_cast<double>(r.routers))));
  auto router_of = [&](std::int64_t crossbar) {
    return crossbar / t.crossbars_per_tile / d.tiles_per_router;
  };
  auto middle = [&](const LayerMapping& m) {
    return router_of(m.first_crossbar + m.crossbars / 2);
  };
  const double cycle_ns = 1.0 / t.noc_ghz;
  double compute_ns = 0, noc_ns = 0, energy_pj = 0;
  for (std::size_t k = 0; k < r.layers.size(); ++k) {
    LayerMapping& m = r.layers[k];
    if (k + 1 < r.layers.size()) {
      const std::int64_t a = middle(m), b = middle(r.layers[k + 1]);
      m.hops = static_cast<int>(std::max<std::int64_t>(
          1, std::llabs(a / width - b / width) + std::llabs(a % width - b % width)));
    } else {
      m.hops = 1;  // to the output buffer
    }
    m.noc_ns = (m.hops * (t.router_cycles + t.link_cycles) +
                static_cast<double>(ceil_div(m.flits, d.bandwidth_flits))) *
               cycle_ns;
    m.energy_pj += static_cast<double>(m.flits) * m.hops * t.e_flit_hop_pj;
    compute_ns += m.compute_ns;
    noc_ns += m.noc_ns;
    energy_pj += m.energy_pj;
  }
  r.latency_ms = (compute_ns + noc_ns) * 1e-6;
  r.energy_mj = energy_pj * 1e-9;
  const double a_xb = static_cast<double>(R * C) * t.a_cell_um2 * 1e-6 +
                      t.adcs_per_crossbar * t.a_adc_4bit_mm2 * std::pow(2.0, d.adc_bits - 4);
  r.area_mm2 = static_cast<double>(r.tiles) * (t.crossbars_per_tile * a_xb + t.a_tile_periph_mm2) +
               static_cast<double>(r.routers) * t.a_router_mm2 * d.bandwidth_flits;
  const int needed = static_cast<int>(std::lround(std::log2(static_cast<double>(R)))) + t.cell_bits;
  r.adc_deficit_bits = std::max(0, needed - d.adc_bits);
  if (adder >= 0) {
    r.feasible = false;
    r.reason = "imc crossbars compute dot products; the adder_conv2d at node " +
               std::to_string(adder) + " computes L1 distances, which they cannot";
  } else if (r.layers.empty()) {
    r.feasible = false;
    r.reason = "imc maps conv and linear layers onto crossbars; the network has none";
  } else if (r.tiles > t.max_tiles) {
    r.feasible = false;
    r.reason =
        "needs " + std::to_string(r.tiles) + " tiles, the chip has " + std::to_string(t.max_tiles);
  }
  return r;
}

}  // namespace coex::imc
