// Hardware target `systolic_array`: a weight-stationary systolic array with three SRAM buffers
// (ifmap, filter, ofmap) and DRAM behind them, modelled analytically after SCALE-Sim's
// weight-stationary dataflow. See README.md for the model, its constants and its assumptions.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "coex/error.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"

namespace coex::examples::systolic_array {

namespace {

double ceil_div(double a, double b) { return std::ceil(a / b); }

}  // namespace

/// One design: array shape, buffer sizes, clock.
struct Design {
  double rows, cols, ifmap_kib, filter_kib, ofmap_kib, clock_mhz;
};

class SystolicArray final : public HardwareTarget {
 public:
  SystolicArray(const Options& o, const PluginContext&)
      : sizes_(o.get_int_list("array_sizes")),
        buffers_(o.get_int_list("buffer_kib")),
        clocks_(o.get_int_list("clock_mhz")),
        bytes_(static_cast<double>(o.get_int("data_bytes"))),
        dram_gbytes_(o.get_real("dram_gbytes_per_s")),
        mac_pj_(o.get_real("mac_pj")),
        sram_pj_(o.get_real("sram_pj_per_byte")),
        dram_pj_(o.get_real("dram_pj_per_byte")),
        pe_mm2_(o.get_real("pe_area_mm2")),
        sram_mm2_(o.get_real("sram_mm2_per_kib")),
        leak_mw_(o.get_real("static_mw_per_mm2")),
        objective_(o.get_string("tune_objective")) {
    if (sizes_.empty() || buffers_.empty() || clocks_.empty())
      throw ConfigError("options 'array_sizes', 'buffer_kib' and 'clock_mhz' must not be empty");
    space_ =
        Space({Dimension::categorical_of("rows", sizes_), Dimension::categorical_of("cols", sizes_),
               Dimension::categorical_of("ifmap_kib", buffers_),
               Dimension::categorical_of("filter_kib", buffers_),
               Dimension::categorical_of("ofmap_kib", buffers_),
               Dimension::categorical_of("clock_mhz", clocks_)});
  }

  static OptionSchema schema() {
    OptionSchema s;
    s.add_int_list("array_sizes", {8, 16, 32, 64, 128}, "Choices of PE rows and of PE columns", 1,
                   1024, "PEs");
    s.add_int_list("buffer_kib", {8, 32, 128, 512},
                   "Choices of each SRAM buffer's size (ifmap, filter, ofmap)", 1, 1 << 20, "KiB");
    s.add_int_list("clock_mhz", {200, 500, 800}, "Choices of the array clock", 1, 5000, "MHz");
    s.add_int("data_bytes", 1, "Bytes per value (1 = int8, 2 = 16-bit)", 1, 4, "bytes");
    s.add_real("dram_gbytes_per_s", 16, "DRAM bandwidth", 0.01, 10000, "GB/s");
    s.add_real("mac_pj", 0.2, "Energy of one MAC (int8, 45 nm: Horowitz ISSCC'14)", 0, 1000, "pJ");
    s.add_real("sram_pj_per_byte", 1.25, "SRAM access energy (8 KiB bank, 45 nm)", 0, 1000,
               "pJ/byte");
    s.add_real("dram_pj_per_byte", 160, "DRAM access energy (LPDDR-class, 45 nm era)", 0, 100000,
               "pJ/byte");
    s.add_real("pe_area_mm2", 0.0006, "Area of one PE (MAC + registers, 28 nm class)", 0, 10,
               "mm2");
    s.add_real("sram_mm2_per_kib", 0.0016, "SRAM area per KiB including periphery (28 nm class)", 0,
               10, "mm2/KiB");
    s.add_real("static_mw_per_mm2", 5, "Leakage power density", 0, 10000, "mW/mm2");
    s.add_string("tune_objective", "latency_ms",
                 "What tune() minimises among designs meeting the specs",
                 {"latency_ms", "energy_mj", "edp_mj_ms", "area_mm2"});
    return s;
  }

  const Space& design_space() const override { return space_; }
  std::string tune_objective() const override { return objective_; }
  std::vector<MetricInfo> metrics() const override {
    return {
        {"latency_ms", "ms", Direction::kMinimize, "one inference, layer by layer"},
        {"energy_mj", "mJ", Direction::kMinimize, "MACs + SRAM + DRAM + leakage, per inference"},
        {"area_mm2", "mm2", Direction::kMinimize, "PEs + the three SRAM buffers"},
        {"edp_mj_ms", "mJ*ms", Direction::kMinimize, "energy x latency"},
        {"throughput_fps", "images/s", Direction::kMaximize, "1000 / latency_ms"},
        {"utilization", "fraction", Direction::kMaximize, "MACs / (cycles x PEs)"}};
  }

  Design design_of(const Point& p) const {
    space_.check(p);
    auto at = [&](const std::vector<std::int64_t>& v, std::size_t i) {
      return static_cast<double>(v[static_cast<std::size_t>(p[i])]);
    };
    return {at(sizes_, 0),   at(sizes_, 1),   at(buffers_, 2),
            at(buffers_, 3), at(buffers_, 4), at(clocks_, 5)};
  }

  HardwareResult evaluate(const Network& net, const Point& point) const override {
    const Design d = design_of(point);
    HardwareResult r;
    r.design = point;
    r.summary = std::to_string(static_cast<int>(d.rows)) + "x" +
                std::to_string(static_cast<int>(d.cols)) + " PEs, " +
                std::to_string(static_cast<int>(d.ifmap_kib)) + "/" +
                std::to_string(static_cast<int>(d.filter_kib)) + "/" +
                std::to_string(static_cast<int>(d.ofmap_kib)) + " KiB, " +
                std::to_string(static_cast<int>(d.clock_mhz)) + " MHz";
    // The filter buffer must hold one weight fold (rows x cols weights).
    if (d.rows * d.cols * bytes_ > d.filter_kib * 1024) {
      r.feasible = false;
      r.reason = "filter buffer " + std::to_string(static_cast<int>(d.filter_kib)) +
                 " KiB cannot hold one " + std::to_string(static_cast<int>(d.rows)) + "x" +
                 std::to_string(static_cast<int>(d.cols)) + " weight fold";
      return r;
    }
    const Layers layers = layers_of(net, d);
    double cycles = 0;
    for (const auto& l : layers.terms) cycles += std::max(cal_[0] * l.compute, cal_[1] * l.dram);
    const double macs = layers.macs, sram = layers.sram, dram = layers.dram;
    const double latency_ms = cycles / (d.clock_mhz * 1e3) +
                              (cal_[2] * static_cast<double>(layers.terms.size()) + cal_[3]) * 1e-3;
    const double area =
        d.rows * d.cols * pe_mm2_ + (d.ifmap_kib + d.filter_kib + d.ofmap_kib) * sram_mm2_;
    const double dynamic_mj = (macs * mac_pj_ + sram * sram_pj_ + dram * dram_pj_) * 1e-9;
    const double static_mj = leak_mw_ * area * latency_ms * 1e-3;
    const double energy = dynamic_mj + static_mj;
    r.feasible = true;
    r.metrics.set("latency_ms", latency_ms);
    r.metrics.set("energy_mj", energy);
    r.metrics.set("area_mm2", area);
    r.metrics.set("edp_mj_ms", energy * latency_ms);
    r.metrics.set("throughput_fps", latency_ms > 0 ? 1000.0 / latency_ms : 0.0);
    r.metrics.set("utilization", cycles > 0 ? macs / (cycles * d.rows * d.cols) : 0.0);
    r.detail = {{"cycles", cycles}, {"dram_bytes", dram}, {"sram_bytes", sram}};
    return r;
  }

  // Calibration: declaring coefficients and the latency as a function of them is all a target
  // needs for `coex calibrate --measurements` and `hardware.options.profile` (README.md).
  std::vector<coex::Coefficient> coefficients() const override {
    const double inf = std::numeric_limits<double>::infinity();
    return {{"compute_scale", "", "multiplies each layer's modelled array cycles", cal_[0], 1e-3,
             1e3, 1.0, true},
            {"dram_scale", "",
             "multiplies each layer's modelled DRAM cycles (bandwidth "
             "efficiency)",
             cal_[1], 1e-3, 1e3, 1.0, true},
            {"per_layer_us", "us", "fixed cost of each layer (configuration, DMA setup)", cal_[2],
             0.0, inf, 10.0, false},
            {"per_image_us", "us", "fixed cost of one inference (host I/O)", cal_[3], 0.0, inf,
             100.0, false}};
  }

  coex::LatencyModel latency_model(const Network& net, const Point& point) const override {
    const Design d = design_of(point);
    if (d.rows * d.cols * bytes_ > d.filter_kib * 1024)
      throw coex::InvalidCandidate("the filter buffer cannot hold one weight fold");
    const Layers layers = layers_of(net, d);
    const double clock_khz = d.clock_mhz * 1e3;
    return [terms = layers.terms, clock_khz](const std::vector<double>& v) {
      double cycles = 0;
      for (const auto& l : terms) cycles += std::max(v[0] * l.compute, v[1] * l.dram);
      return cycles / clock_khz + (v[2] * static_cast<double>(terms.size()) + v[3]) * 1e-3;
    };
  }

  void set_coefficients(const std::vector<double>& v) override {
    if (v.size() != cal_.size()) throw coex::Error("systolic_array: 4 coefficient values expected");
    std::copy(v.begin(), v.end(), cal_.begin());
  }

 private:
  /// Per layer: array cycles and DRAM cycles (overlapped: the larger one counts).
  struct LayerTerms {
    double compute = 0, dram = 0;
  };
  struct Layers {
    std::vector<LayerTerms> terms;
    double macs = 0, sram = 0, dram = 0;  ///< MACs, SRAM and DRAM bytes of the whole network
  };

  Layers layers_of(const Network& net, const Design& d) const {
    Layers out;
    const double bytes_per_cycle = dram_gbytes_ * 1e9 / (d.clock_mhz * 1e6);
    for (const auto& n : net.nodes()) {
      if (!coex::is_conv(n.op) && n.op != OpKind::kLinear) continue;
      const Shape in = net.input_shape(n);
      const bool conv = n.op != OpKind::kLinear;
      const double groups = conv ? n.groups : 1;
      const double k2 = conv ? static_cast<double>(n.kernel) * n.kernel : 1.0;
      const double T = static_cast<double>(n.shape.h * n.shape.w);    // output pixels
      const double K = static_cast<double>(in.c) / groups * k2;       // reduction length
      const double N = static_cast<double>(n.out_channels) / groups;  // outputs per group
      const double folds_r = ceil_div(K, d.rows), folds_c = ceil_div(N, d.cols);
      // SCALE-Sim weight-stationary: per fold, load weights (rows) and stream T inputs through
      // the array (T + rows + cols - 2).
      const double compute = groups * folds_r * folds_c * (2 * d.rows + d.cols + T - 2);
      const double w = groups * K * N * bytes_;
      const double i = static_cast<double>(in.elements()) * bytes_;
      const double o = T * N * groups * bytes_;
      const double i_dram = i <= d.ifmap_kib * 1024 ? i : i * folds_c;  // refetch per column fold
      const double o_dram =
          o <= d.ofmap_kib * 1024 ? o : o + 2 * o * (folds_r - 1);  // spill partial sums
      const double layer_dram = w + i_dram + o_dram;
      out.terms.push_back({compute, layer_dram / bytes_per_cycle});  // double-buffered: overlap
      out.macs += static_cast<double>(net.macs(n));
      out.sram += groups * (folds_c * T * K + K * N + folds_r * T * N) * bytes_;
      out.dram += layer_dram;
    }
    return out;
  }

 public:
  /// Exhaustive: the design space is small (a few thousand points) and evaluate() is cheap.
  HardwareResult tune(const Network& net, const Specs& specs) const override {
    std::optional<HardwareResult> best;
    std::tuple<int, double, double> best_rank{};
    for (std::uint64_t i = 0; i < space_.cardinality(); ++i) {
      HardwareResult r = evaluate(net, space_.at(i));
      if (!r.feasible) continue;
      const double v = specs.total_violation(r.metrics);
      const auto rank = std::make_tuple(v > 0 ? 1 : 0, v, r.metrics.get(objective_));
      if (!best || rank < best_rank) {
        best = std::move(r);
        best_rank = rank;
      }
    }
    if (!best) {
      HardwareResult r;
      r.reason = "no design's filter buffer holds a weight fold";
      return r;
    }
    return *best;
  }

 private:
  std::vector<std::int64_t> sizes_, buffers_, clocks_;
  /// compute_scale, dram_scale, per_layer_us, per_image_us (the published model: 1, 1, 0, 0).
  std::array<double, 4> cal_{1, 1, 0, 0};
  double bytes_, dram_gbytes_, mac_pj_, sram_pj_, dram_pj_, pe_mm2_, sram_mm2_, leak_mw_;
  std::string objective_;
  Space space_;
};

}  // namespace coex::examples::systolic_array

COEX_PLUGIN(coex::examples::systolic_array::SystolicArray, "systolic_array", "0.1.0",
            "Weight-stationary systolic array (SCALE-Sim-style): latency, energy, area")
