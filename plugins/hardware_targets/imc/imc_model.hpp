// Analytical model of an in-memory-computing accelerator: ReRAM crossbars in tiles, tiles
// attached to the routers of a mesh network-on-chip (FLASH's IMC template, Li et
// al., ACM TECS 2021). Every constant is a documented assumption (README.md) and can be set in
// config.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "coex/network.hpp"

namespace coex::imc {

/// Technology and architecture constants (defaults: README.md).
struct Technology {
  int weight_bits = 8;      ///< b_w
  int cell_bits = 2;        ///< b_cell: bits per ReRAM cell
  int input_bits = 8;       ///< b_in: inputs applied bit-serially
  int activation_bits = 8;  ///< bits per output activation moved on the NoC
  int crossbars_per_tile = 8;
  int adcs_per_crossbar = 8;  ///< column ADCs shared by a crossbar's columns
  double t_read_ns = 10;      ///< crossbar read (one input bit, analog)
  double t_adc_bit_ns = 0.5;  ///< SAR ADC: one comparison per bit
  double noc_ghz = 1.0;       ///< NoC clock
  int router_cycles = 2, link_cycles = 1;
  int flit_bits = 64;
  double e_mac_pj = 0.02;           ///< analog multiply-accumulate
  double e_adc_4bit_pj = 0.4;       ///< one 4-bit conversion; doubles per extra bit
  double e_flit_hop_pj = 1.0;       ///< one flit over one router + link
  double a_cell_um2 = 0.025;        ///< 1T1R cell
  double a_adc_4bit_mm2 = 0.0006;   ///< doubles per extra bit
  double a_tile_periph_mm2 = 0.05;  ///< buffers, shift-add, activation units per tile
  double a_router_mm2 = 0.02;       ///< per flit/cycle of bandwidth
  int max_tiles = 4096;             ///< chip limit: more tiles are infeasible
};

/// A design point.
struct Design {
  int crossbar = 128;        ///< R_xb = C_xb
  int tiles_per_router = 1;  ///< tiles sharing one router (concentrated mesh)
  int bandwidth_flits = 1;   ///< NoC link bandwidth, flits per cycle
  int adc_bits = 6;
};

/// Per weight layer (conv or linear) figures.
struct LayerMapping {
  int node = 0;
  std::int64_t crossbars = 0;
  std::int64_t first_crossbar = 0;
  double compute_ns = 0, noc_ns = 0;
  double energy_pj = 0;
  int hops = 0;
  std::int64_t flits = 0;
};

struct Result {
  std::vector<LayerMapping> layers;
  std::int64_t crossbars = 0, tiles = 0, routers = 0;
  double latency_ms = 0, energy_mj = 0, area_mm2 = 0;
  /// Bits an exact column sum needs beyond the ADC's: log2(rows) + cell_bits - adc_bits, >= 0.
  int adc_deficit_bits = 0;
  bool feasible = true;
  std::string reason;
};

/// Maps every conv and linear layer of `net` onto `d` and evaluates latency (layers in sequence,
/// each layer's output sent to the next over the NoC), energy and area.
Result evaluate(const Network& net, const Design& d, const Technology& t);

}  // namespace coex::imc
