// NASA's chunk-based accelerator (NASA, Shi et al., ICCAD 2022; the NASA-F model, TCAS-I 2023;
// README.md): three PE chunks (conv/MAC, shift, adder) sharing a global buffer, a mapper that picks
// the valid tiling of minimum energy-delay product per layer, the access-count energy model with
// each chunk charged its own operator energy, and the event-driven schedule that runs the chunks
// concurrently. The row-stationary dataflow is the reference's; weight-, output- and
// input-stationary are coex's models of the same array (see Dataflow). The `chunk_accel` target
// plugin is built on it.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "coex/network.hpp"

namespace coex::chunk {

/// The operator a layer runs, i.e. the chunk that executes it.
enum class Chunk { kConv = 0, kShift = 1, kAdder = 2 };
const char* chunk_name(Chunk c);

/// How a PE array runs a layer.
///
/// kRowStationary is NASA-F's: a PE holds a filter row and an ifmap row, R PE
/// rows are spatial, psums accumulate in the PE over C0 S and across the R rows.
///
/// The other three are coex's models; the reference records that the original has them but gives
/// no formulas. They are the pure stationary dataflows of the Eyeriss taxonomy (Chen, Emer, Sze,
/// ISCA 2016): one operand stays in the PE's register while the PE loops over the dimension that
/// operand does not depend on; the other two operands move through the array (NoC) at every MAC.
/// They share the row-stationary tiling's passes (M3 M2 C2 E3, so the same DRAM and global-buffer
/// traffic and buffer rule) and spread M1 C1 E1 PEs; each PE runs M0 C0 F R S MACs per pass:
///
///   weight-stationary  for m0, c0, r, s: hold w; for f: MAC      (a weight reused F times)
///   output-stationary  for m0, f: hold psum; for c0, r, s: MAC   (a psum accumulates C0 R S MACs)
///   input-stationary   for c0, f, r, s: hold x; for m0: MAC      (an input reused M0 times)
///
/// Registers do not persist across passes. Word counts are in chunk_model.cpp (evaluate) and are
/// checked against a literal simulation of these loop nests in the tests.
enum class Dataflow {
  kRowStationary = 0,
  kWeightStationary = 1,
  kOutputStationary = 2,
  kInputStationary = 3
};
inline constexpr Dataflow kDataflows[] = {Dataflow::kRowStationary, Dataflow::kWeightStationary,
                                          Dataflow::kOutputStationary, Dataflow::kInputStationary};
/// "rs", "ws", "os", "is".
const char* dataflow_name(Dataflow d);
/// The dataflow named `name` ("rs", "ws", "os", "is"), or nullopt.
std::optional<Dataflow> parse_dataflow(const std::string& name);

/// The dataflow a schedule maps with: one for every layer, or (automatic) for each layer the
/// dataflow whose best tiling has the least EDP, as a reconfigurable array would.
struct DataflowChoice {
  bool automatic = false;
  Dataflow fixed = Dataflow::kRowStationary;
  static DataflowChoice any() { return {true, Dataflow::kRowStationary}; }
  static DataflowChoice only(Dataflow d) { return {false, d}; }
};

/// Arithmetic operation priced by op_energy_pj.
enum class Op { kMult, kAdd, kShift };

/// Energy of one operation in pJ at `bits` (the reference's table, bits 32, 16, 8, 6; ASIC) or the
/// FPGA variant's 8-bit figures (mult 0.213, shift 0.07, add 0.05). Throws coex::Error for a bit
/// width the table does not hold.
double op_energy_pj(Op op, int bits, bool fpga = false);

/// Constants of the accelerator (defaults: the reference's ASIC, 250 MHz).
struct Technology {
  int pe_budget = 168;             ///< MAC-equivalent PEs
  double cheap_pe_factor = 1.88;   ///< a shift or adder PE costs 1/1.88 of a MAC PE
  std::int64_t gb_words = 131070;  ///< global buffer, words
  int ifmap_rf = 48;               ///< C0*S must stay below this
  int weight_rf = 112;             ///< M0*C0*S must stay below this
  int m0_max = 16;
  double cycle_ns = 4;
  double e_dram = 200, e_gb = 6, e_noc = 2, e_rf = 1;  ///< pJ per 16-bit word access
  std::array<int, 3> bits{8, 6, 6};  ///< word width per chunk (conv, shift, adder)
  /// FPGA variant: shift/adder PEs pack 8 ops, their weight traffic shrinks by 8/6, memory costs
  /// x0.63, FPGA operator energies.
  bool fpga = false;
  /// The original's bug, for parity: every chunk pays the conv chunk's multiply energy.
  bool compat_conv_energy = false;
  static Technology asic() { return {}; }
  static Technology fpga_variant();
};

/// PEs per chunk from the chunks' MACs (F_c, F_s, F_a): u = budget / (F_c + (F_s + F_a)/1.88),
/// PE_c = floor(u F_c), PE_s = ceil(u F_s), PE_a = ceil(u F_a).
struct PeSplit {
  int conv = 0, shift = 0, adder = 0;
  int of(Chunk c) const { return c == Chunk::kConv ? conv : c == Chunk::kShift ? shift : adder; }
};
PeSplit split_pes(double f_conv, double f_shift, double f_adder, const Technology& t);

/// One layer as the mapper sees it: input H x W x C, filter R x S, output E x F x M, stride.
/// `repeat` identical copies run back to back (a depthwise conv lowers to C single-channel
/// layers).
struct Layer {
  std::int64_t H = 1, W = 1, C = 1, M = 1, R = 1, S = 1, E = 1, F = 1;
  int stride = 1;
  Chunk chunk = Chunk::kConv;
  std::int64_t repeat = 1;
  int node = -1;  ///< IR node it comes from
  std::int64_t macs() const { return E * F * M * R * S * C; }
  bool fully_connected() const { return E == 1 && F == 1 && R == 1 && S == 1; }
};

/// Tiling: M = M0 M1 M2 M3, C = C0 C1 C2 (C3 = 1), E = E1 E3. Index 0 is inside a PE, 1 across
/// PEs, 2 and 3 are passes (global buffer and DRAM).
struct Tiling {
  std::int64_t M0 = 1, M1 = 1, M2 = 1, M3 = 1, C0 = 1, C1 = 1, C2 = 1, E1 = 1, E3 = 1;
  bool operator==(const Tiling&) const = default;
  std::string to_string() const;
};

/// Accesses (words) per memory level: DRAM, global buffer, NoC, register file.
struct Accesses {
  double dram = 0, gb = 0, noc = 0, rf = 0;
};

struct Mapping {
  Tiling tiling;
  Dataflow dataflow = Dataflow::kRowStationary;
  Accesses accesses;
  double latency_ns = 0;      ///< one copy of the layer
  double energy_pj = 0;       ///< one copy, DRAM included
  double onchip_pj = 0;       ///< one copy, DRAM excluded (the reference's reported energy)
  std::int64_t gb_words = 0;  ///< global buffer the tiling holds
  double edp() const { return energy_pj * latency_ns; }
};

/// Why `t` is not a valid tiling of `l` under dataflow `d` on `pes` PEs with `gb_free` buffer
/// words, or nullopt. Every dataflow: the factors multiply to M, C, E; M0 <= m0_max; buffer <
/// gb_free. Row-stationary: E1 != 1 unless the layer is fully connected; M1 C1 E1 R < pes;
/// C0 S < ifmap_rf; M0 C0 S < weight_rf. The others: M1 C1 E1 < pes (one stationary word per PE,
/// so no register-file bound).
std::optional<std::string> invalid(const Layer& l, const Tiling& t, int pes, std::int64_t gb_free,
                                   const Technology& tech, Dataflow d = Dataflow::kRowStationary);

/// Global-buffer words tiling `t` holds: C1 C0 ((E1-1) st + R) ((F-1) st + S) + M2 M1 M0 E1 F.
std::int64_t gb_words(const Layer& l, const Tiling& t);

/// Latency, access counts and energy of `l` under `t` and dataflow `d` (validity not checked).
/// Latency: passes x MACs per PE per pass x cycle, i.e. MACs / PEs used x cycle (row-stationary
/// uses M1 C1 E1 R PEs, the others M1 C1 E1).
Mapping evaluate(const Layer& l, const Tiling& t, const Technology& tech,
                 Dataflow d = Dataflow::kRowStationary);

/// The valid tiling of minimum EDP under dataflow `d` (ties: lower latency, then the first found),
/// enumerating every ordered factorisation of M, C and E with the PE and register-file bounds
/// pruned early; nullopt if none is valid (the original returned a sentinel 5000).
std::optional<Mapping> map_layer(const Layer& l, int pes, std::int64_t gb_free,
                                 const Technology& tech, Dataflow d = Dataflow::kRowStationary);

/// Memoised map_layer keyed by (layer shape, chunk, PEs, buffer budget, dataflow): identical
/// depthwise channels and repeated cells map once.
class Mapper {
 public:
  explicit Mapper(Technology tech) : tech_(tech) {}
  std::optional<Mapping> map(const Layer& l, int pes, std::int64_t gb_free,
                             Dataflow d = Dataflow::kRowStationary);
  /// The least-EDP mapping over `choice`'s dataflows (ties: the earlier in kDataflows).
  std::optional<Mapping> map(const Layer& l, int pes, std::int64_t gb_free, DataflowChoice choice);
  const Technology& technology() const { return tech_; }
  std::size_t cached() const { return memo_.size(); }

 private:
  using Key =
      std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                 std::int64_t, std::int64_t, int, int, int, std::int64_t, int>;
  Technology tech_;
  std::map<Key, std::optional<Mapping>> memo_;
};

/// The layers of a network for the accelerator: each convolution (a grouped one becomes `groups`
/// layers of C/groups -> M/groups; depthwise: single-channel layers) on its operator's chunk
/// (conv2d -> conv, shift_conv2d -> shift, adder_conv2d -> adder), and linear on the conv chunk.
std::vector<Layer> lower(const Network& net);

/// AlexNet's CONV1-5 (227 x 227 input) on the conv chunk; CONV2, 4 and 5 run in two groups, so
/// their layer is one group's and `repeat` = 2. The workload Eyeriss (ISCA 2016) compared
/// dataflows on.
std::vector<Layer> alexnet_conv_layers();

/// MACs per chunk (conv, shift, adder) of `layers`, repeats included: the F_t of the PE split and
/// of the reference's FLOPs figure.
std::array<double, 3> chunk_macs(const std::vector<Layer>& layers);

/// Result of scheduling a network on the three chunks.
struct ScheduleResult {
  bool feasible = false;
  std::string reason;
  PeSplit pes;
  double latency_ns = 0;  ///< the largest chunk total
  double energy_pj = 0;   ///< all chunks, DRAM included
  double onchip_pj = 0;   ///< all chunks, DRAM excluded
  std::array<double, 3> chunk_latency_ns{0, 0, 0};
  std::array<double, 3> chunk_energy_pj{0, 0, 0};
  std::vector<Mapping> mappings;  ///< per layer, in `layers` order
  /// Layers (distinct, repeats not counted) mapped under each dataflow, indexed by Dataflow.
  std::array<int, 4> layers_by_dataflow{0, 0, 0, 0};
};

/// Runs `layers` on the chunks: each chunk takes its layers in order; at each event the chunk
/// with the least accumulated latency starts its next layer, mapped with the buffer left by the
/// other chunks' current tiles. `pes` = split_pes of the layers' MACs unless given; `gb_words` =
/// the mapper's technology's buffer unless positive (a design may size the buffer; the mapper's
/// memo is keyed by the buffer left, so one mapper serves every size). Layers map under
/// `dataflow` (row-stationary unless given).
ScheduleResult schedule(const std::vector<Layer>& layers, Mapper& mapper,
                        std::optional<PeSplit> pes = std::nullopt, std::int64_t gb_words = 0,
                        DataflowChoice dataflow = {});

}  // namespace coex::chunk
