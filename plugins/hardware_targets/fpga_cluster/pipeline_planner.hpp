// The multi-FPGA pipeline (Jiang et al., IEEE TCAD 2020; README.md): the layer chain is cut into
// contiguous stages, each on one FPGA with a tiling of its own; activations cross board-to-board
// links. Dynamic programming finds, for a board order and a number of boards, the partition and
// tilings that minimise the slowest stage (i.e. maximise throughput).
#pragma once

#include <string>
#include <vector>

#include "tiling_model.hpp"

namespace coex::plugins::fpga_cluster {

struct PlannerOptions {
  int bits = 16;
  bool bram_check = true;
  bool input_halo = false;
  double link_gbps = 10;
  /// false: a stage's outgoing transfer is charged to it; true: each transfer is a stage of its
  /// own.
  bool separate_transfer = false;
};

struct Stage {
  int first = 0, last = 0;  ///< layer range, inclusive
  int board = 0;            ///< index into the pool
  Tiling tiling;
  double compute_s = 0;
  double transfer_s = 0;  ///< outgoing activations to the next stage (0 for the last)
};

struct Pipeline {
  std::vector<Stage> stages;
  double max_stage_s = 0;  ///< the slowest stage: 1 / throughput
  double latency_s = 0;    ///< one image through all stages
};

/// Plans pipelines for one network. Construction evaluates the cycle table (layers x tilings)
/// once; plan() is then cheap. Not thread-safe.
class PipelinePlanner {
 public:
  /// `tilings`: the grid. Throws coex::Error if `layers` or `pool` is empty.
  PipelinePlanner(std::vector<LayerShape> layers, std::vector<Board> pool,
                  std::vector<Tiling> tilings, PlannerOptions options);

  /// Best pipeline with exactly `m` stages on boards order[0..m-1], for m = 1..order.size()
  /// (entry m-1; empty stages vector when no partition or no fitting tiling exists).
  /// `allowed[b]`: indices into the grid usable on pool board b (empty = every tiling that fits).
  std::vector<Pipeline> plan(const std::vector<int>& order,
                             const std::vector<std::vector<int>>& allowed = {}) const;

  /// Grid indices that fit pool board `b`, and the reason for the first misfit when none do.
  const std::vector<int>& fitting(int b) const { return fitting_[static_cast<std::size_t>(b)]; }
  const std::string& misfit_reason(int b) const { return misfit_[static_cast<std::size_t>(b)]; }

  const std::vector<LayerShape>& layers() const { return layers_; }
  const std::vector<Board>& pool() const { return pool_; }
  const std::vector<Tiling>& tilings() const { return tilings_; }
  const PlannerOptions& options() const { return opt_; }
  /// Seconds to send layer l's output over a link.
  double transfer_seconds(int l) const;
  /// Bottleneck label of the slowest layer of stage `s` ("computing", "loading IFM", ...).
  const char* bottleneck(const Stage& s) const;
  /// Cycles of layer l on grid tiling t.
  double cycles(int l, int t) const {
    return cyc_[static_cast<std::size_t>(t) * layers_.size() + static_cast<std::size_t>(l)];
  }

 private:
  std::vector<LayerShape> layers_;
  std::vector<Board> pool_;
  std::vector<Tiling> tilings_;
  PlannerOptions opt_;
  /// Fastest compute time of layers [i, j) on one board and the grid tiling achieving it.
  struct Cell {
    double s;
    int t;
  };
  using StageTable = std::vector<Cell>;  ///< [i * (L+1) + j]
  StageTable stage_table(int board, const std::vector<int>& tilings) const;

  std::vector<double> cyc_;         ///< [t][l]
  std::vector<double> prefix_;      ///< [t][l+1] prefix sums of cycles
  std::vector<StageTable> tables_;  ///< per pool board, over its fitting tilings (built once)
  std::vector<std::vector<int>> fitting_;
  std::vector<std::string> misfit_;
};

}  // namespace coex::plugins::fpga_cluster
