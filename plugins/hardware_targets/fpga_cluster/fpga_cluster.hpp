// Hardware target `fpga_cluster`: a pool of FPGAs running a network as a layer pipeline, each
// stage with its own loop tiling (Jiang et al., IEEE TCAD 2020; README.md). tune() picks the board
// order, the number of boards, the partition (dynamic programming) and the tilings.
#pragma once

#include <vector>

#include "coex/plugin.hpp"
#include "pipeline_planner.hpp"

namespace coex::plugins::fpga_cluster {

class FpgaCluster final : public HardwareTarget {
 public:
  FpgaCluster(const Options& options, const PluginContext& context);
  static OptionSchema schema();

  const Space& design_space() const override { return design_space_; }
  std::vector<MetricInfo> metrics() const override;
  std::string tune_objective() const override { return tune_objective_; }
  HardwareResult evaluate(const Network& net, const Point& design) const override;
  HardwareResult tune(const Network& net, const Specs& specs) const override;

  /// Calibration (README.md, "Calibration"): compute_scale and transfer_scale multiply the
  /// modelled stage times, per_layer_us and per_image_us add fixed costs.
  std::vector<Coefficient> coefficients() const override;
  LatencyModel latency_model(const Network& net, const Point& design) const override;
  void set_coefficients(const std::vector<double>& values) override;
  /// One part per pipeline stage: its board, layers, tiling and bottleneck, compute and transfer
  /// time (calibrated), DSPs, BRAMs and power. A tuned pipeline (board order and per-stage
  /// tilings, which no design point holds) is read from the result's detail.
  Breakdown breakdown(const Network& net, const HardwareResult& design) const override;

  const std::vector<Board>& pool() const { return pool_; }
  /// The tiling grid with Tk set to `tk`.
  std::vector<Tiling> grid(int tk) const;
  /// Metrics of a planned pipeline for a network of `macs` MACs (cheap: used to rank designs).
  Metrics metrics_of(const Pipeline& p, std::int64_t macs) const;
  /// Metrics, summary and detail (stages, tilings, bottlenecks) of a planned pipeline.
  HardwareResult describe(const PipelinePlanner& planner, const Pipeline& p,
                          std::int64_t macs) const;

 private:
  PipelinePlanner planner_for(const Network& net) const;
  /// The pipeline `design` gives `net` (stages empty and `why` set when it cannot run it).
  Pipeline pipeline_of(const PipelinePlanner& planner, const Point& design, std::string& why) const;
  /// `p` with the calibration coefficients applied to its stage times.
  Pipeline calibrated(const Pipeline& p) const;

  /// Calibration coefficients (defaults: the model as published).
  double compute_scale_ = 1, transfer_scale_ = 1, per_layer_us_ = 0, per_image_us_ = 0;

  std::vector<Board> pool_;
  std::vector<std::int64_t> tm_, tn_, tr_, tc_, wp_, ip_, op_;
  PlannerOptions planner_options_;
  int batch_ = 1;
  double f_ref_mhz_ = 100;
  bool try_all_orders_ = true;
  std::string tune_objective_;
  std::vector<std::vector<int>> orders_;
  Space design_space_;
};

}  // namespace coex::plugins::fpga_cluster
