// Hardware target `raspberry_pi`: the per-layer CPU latency model of cpu_model.hpp with a device
// profile (built-in Pi 3B / Pi 4 presets, or a profile measured by `coex calibrate`), energy from
// board power, and the memory the network needs. Design space: the inference thread count.
#include <algorithm>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "coex/error.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"
#include "cpu_model.hpp"

namespace coex::plugins::raspberry_pi {

using namespace coex::cpu_model;

class RaspberryPi final : public HardwareTarget {
 public:
  /// evaluate and tune read only the loaded profile: safe on several threads at once.
  static constexpr bool kConcurrent = true;

  RaspberryPi(const Options& o, const PluginContext&)
      : memory_share_(o.get_real("memory_share")),
        runtime_(o.get_string("runtime") == "fused" ? Runtime::kFused : Runtime::kEager) {
    const std::string file = o.get_string("device_profile");
    if (file.empty()) {
      profile_ = preset(o.get_string("device"));
    } else {
      std::ifstream in(file);
      if (!in)
        throw ConfigError("option 'device_profile': cannot read '" + file +
                          "'. Fix: create it with `coex calibrate --target raspberry_pi --out " +
                          file + "`, or leave 'device_profile' empty to use the 'device' preset");
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(in);
      } catch (const std::exception& e) {
        throw ConfigError("option 'device_profile': '" + file + "' is not JSON (" + e.what() + ")");
      }
      profile_ = Profile::from_json(j, "option 'device_profile' ('" + file + "')");
    }
    const int max_threads = static_cast<int>(o.get_int("max_threads"));
    space_ = Space({Dimension::integer("threads", 1, std::min(max_threads, profile_.cores))});
  }

  static OptionSchema schema() {
    OptionSchema s;
    s.add_string("device", "rpi3b",
                 "Built-in profile (datasheet-derived, uncalibrated): rpi3b or rpi4. Ignored when "
                 "'device_profile' is set",
                 {"rpi3b", "rpi4"});
    s.add_string("device_profile", "",
                 "Device profile timed on the device by `coex calibrate --target raspberry_pi` "
                 "(JSON: coefficients and device facts); empty = the 'device' preset. A "
                 "calibration 'profile' fitted to measurements applies on top of it");
    s.add_string("runtime", "eager",
                 "How the framework runs the network: eager = one kernel per layer (PyTorch); "
                 "fused = batch norm and activation folded into the convolution before them",
                 {"eager", "fused"});
    s.add_int("max_threads", 4, "Largest inference thread count of the design space", 1, 64,
              "threads");
    s.add_real("memory_share", 0.5,
               "Share of the device's RAM a network may use (weights + two activation buffers)",
               0.01, 1);
    return s;
  }

  const Space& design_space() const override { return space_; }

  std::vector<MetricInfo> metrics() const override {
    return {{"latency_ms", "ms", Direction::kMinimize, "Batch-1 inference latency"},
            {"energy_mj", "mJ", Direction::kMinimize,
             "Energy per inference: board power at this thread count x latency"},
            {"memory_mb", "MB", Direction::kMinimize,
             "Weights plus the two largest activation buffers, fp32"}};
  }

  HardwareResult evaluate(const Network& net, const Point& design) const override {
    return result(cost_of(net), design);
  }

  std::vector<Coefficient> coefficients() const override {
    return cpu_model::coefficients(profile_);
  }

  LatencyModel latency_model(const Network& net, const Point& design) const override {
    return cpu_model::latency_model(profile_, net, threads_of(design), runtime_);
  }

  void set_coefficients(const std::vector<double>& values) override {
    profile_ = with_coefficients(profile_, values);
  }

  Breakdown breakdown(const Network& net, const HardwareResult& design) const override {
    const int threads = threads_of(design.design);
    Breakdown b;
    b.part_kind = "layer";
    b.add_column("latency_ms", "ms", "the layer's share of the batch-1 latency at these threads");
    b.add_column("gflop", "GFLOP", "operations of the layer");
    b.add_column("mb", "MB", "activations and weights the layer reads and writes");
    for (const auto& l : cpu_model::layer_latencies(profile_, net, threads, runtime_)) {
      const Node& n = net.node(l.node);
      b.add_part("#" + std::to_string(l.node) + " " + op_name(n.op),
                 std::string(cpu_model::kind_name(l.kind)) + " kernel", {l.ms, l.gflop, l.mb});
    }
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "%s, %d thread%s: the layers run one after another; each forward pass adds "
                  "%.3g ms of its own.",
                  profile_.device.c_str(), threads, threads == 1 ? "" : "s",
                  profile_.latency_scale * profile_.per_network_ms);
    b.note = buf;
    return b;
  }

  /// The thread counts share the network's layer costs: computed once, then each design.
  HardwareResult tune(const Network& net, const Specs& specs) const override {
    const NetworkCost cost = cost_of(net);
    HardwareResult best = best_design(
        specs, [&](const Point& design) { return result(cost, design, /*describe=*/false); });
    return result(cost, best.design);
  }

 private:
  struct NetworkCost {
    cpu_model::LatencyTerms latency;
    double memory_mb = 0;  ///< weights plus the two largest activation buffers, fp32
  };

  NetworkCost cost_of(const Network& net) const {
    return {latency_terms(profile_, net, runtime_),
            4.0 *
                (static_cast<double>(net.params()) +
                 2.0 * static_cast<double>(net.peak_activation_bytes(1))) /
                1e6};
  }

  /// The design's metrics and feasibility; with `describe`, also its reason, summary and detail.
  HardwareResult result(const NetworkCost& cost, const Point& design, bool describe = true) const {
    HardwareResult r;
    const int threads = threads_of(design);
    r.design = {static_cast<double>(threads)};
    const double ms = latency_ms(profile_, cost.latency, threads);
    const double mb = cost.memory_mb;
    const double watts = profile_.idle_power_w + profile_.power_per_core_w * threads;
    r.metrics.set("latency_ms", ms);
    r.metrics.set("energy_mj", watts * ms);
    r.metrics.set("memory_mb", mb);
    const double limit = memory_share_ * profile_.memory_mb;
    r.feasible = mb <= limit;
    if (!describe) return r;
    if (!r.feasible) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "needs %.1f MB, over the %.0f MB allowed on %s", mb, limit,
                    profile_.device.c_str());
      r.reason = buf;
    }
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s, %d thread%s, %.2f ms, %.1f mJ%s", profile_.device.c_str(),
                  threads, threads == 1 ? "" : "s", ms, watts * ms,
                  profile_.calibrated ? "" : " (uncalibrated preset)");
    r.summary = buf;
    r.detail = {{"device", profile_.device},
                {"threads", threads},
                {"power_w", watts},
                {"calibrated", profile_.calibrated}};
    return r;
  }

  static int threads_of(const Point& design) {
    return design.empty() ? 1 : static_cast<int>(design[0]);
  }

  Profile profile_;
  double memory_share_;
  Runtime runtime_;
  Space space_;
};

}  // namespace coex::plugins::raspberry_pi

COEX_PLUGIN(coex::plugins::raspberry_pi::RaspberryPi, "raspberry_pi", "0.1.0",
            "Raspberry Pi (or any CPU): per-layer latency model from a calibrated or preset "
            "profile, board energy, memory; design space: threads")
