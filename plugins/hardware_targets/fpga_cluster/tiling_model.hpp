// The per-FPGA loop-tiling model (Zhang et al., FPGA 2015 style; README.md).
// Pure functions, no state: resources of a tiling on a board, and cycles of a layer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coex/network.hpp"

namespace coex::plugins::fpga_cluster {

/// An FPGA board: resources and power coefficients.
struct Board {
  std::string name;
  int dsp = 0;          ///< DSP slices
  int bram18k = 0;      ///< 18 Kb block RAMs (18,000-bit blocks in the model)
  int port_bits = 512;  ///< off-chip port bandwidth per cycle, bits
  double clock_mhz = 100;
  double static_w = 1;           ///< static power, W
  double dsp_w = 0.0006;         ///< W per used DSP at f_ref
  double bram_w = 0.0012;        ///< W per used BRAM18K at f_ref
  double io_w_per_bit = 0.0015;  ///< W per used port bit at f_ref
};

/// The built-in presets (public resource counts; power coefficients are coex's assumptions).
const std::vector<Board>& board_presets();
/// A preset by name, or empty.
std::optional<Board> find_preset(const std::string& name);

/// One loop tiling: (Tm, Tn, Tr, Tc, Tk) and 16-bit words per cycle on the weight, input and
/// output ports.
struct Tiling {
  int tm = 8, tn = 1, tr = 32, tc = 32, tk = 3;
  int wp = 2, ip = 2, op = 2;
  std::string to_string() const;
};

/// A layer as the model sees it: batch B, M output channels, N input channels, R x C the layer's
/// *input* rows and columns (the /S terms of the formulas give the output extent), K, S, P.
struct LayerShape {
  std::int64_t b = 1, m = 1, n = 1, r = 1, c = 1;
  int k = 1, s = 1, p = 0;
  bool depthwise = false;
  std::int64_t out_elements = 0;  ///< output activations (for inter-FPGA transfers)
};

/// The conv and linear layers of `net` in order (linear as a 1x1 conv on a 1x1 map); other
/// nodes (BN, activations, pooling, add, concat, flatten) are fused or negligible in this model.
std::vector<LayerShape> layers_of(const Network& net, int batch);

struct Resources {
  int dsp = 0;
  int bram18k = 0;
  int port_bits = 0;
};

/// Resources used by `t` at `bits` per value (16 or 32; 32 is fp32: 5 DSP per MAC).
/// `depthwise`: Tn := Tm, DSP = Tm.
Resources resources(const Tiling& t, int bits, bool depthwise = false);

/// Why `t` does not fit `board`, or empty if it fits. `bram_check = false` reproduces the
/// original (BRAM unchecked).
std::optional<std::string> misfit(const Tiling& t, const Board& board, int bits, bool bram_check,
                                  bool depthwise = false);

/// Cycle breakdown of one layer on one tiling.
struct LayerCycles {
  double t_weight = 0, t_input = 0, t_output = 0, t_compute = 0;
  double cycles = 0;
  /// "loading IFM", "loading Weight", "computing" or "storing OFM".
  const char* bottleneck = "";
};

/// Cycles of `layer` on `t` (README.md, "Tiling"). `input_halo`: the input tile includes the halo
/// ((Tr-1)·S + K rows) instead of the original's Tr.
LayerCycles layer_cycles(const LayerShape& layer, const Tiling& t, int bits,
                         bool input_halo = false);

}  // namespace coex::plugins::fpga_cluster
