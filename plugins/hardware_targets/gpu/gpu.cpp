// Hardware target `gpu`: a network's deployment on GPUs predicted by the roofline model of
// gpu_model.hpp. Design space: device (from the pool), precision, batch size, power cap and
// data-parallel GPU count. Efficiencies come from the defaults, a fitted profile, or measurements
// fitted when the target loads.
#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "coex/error.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"
#include "gpu_model.hpp"

namespace coex::plugins::gpu_target {

using namespace coex::gpu;
using json = nlohmann::json;

class Gpu final : public HardwareTarget {
 public:
  Gpu(const Options& o, const PluginContext&)
      : objective_(o.get_string("tune_objective")),
        runtime_(o.get_string("runtime") == "eager" ? Runtime::kEager : Runtime::kFused) {
    model_.compute_power_share = o.get_real("compute_power_share");
    model_.context_gb = o.get_real("context_gb");
    model_.min_clock = o.get_real("min_clock");

    // Entries were validated against device_fields() by the host; device_from_json adds the
    // derived defaults and the checks between fields.
    std::vector<Device> custom;
    const json& devs = o.get_json("devices");
    for (std::size_t i = 0; i < devs.size(); ++i)
      custom.push_back(device_from_json(devs[i], "option 'devices'[" + std::to_string(i) + "]"));
    pool_ = resolve_pool(
        o.get_string_list("pool"), device_presets(), custom, [](const Device& d) { return d.name; },
        "pool", "device", "devices");
    profiles_.assign(pool_.size(), default_profile(runtime_));
    load_profile(o.get_string("efficiency_profile"), o.get_string("measurements"));

    for (const auto& s : o.get_string_list("precisions")) {
      const auto p = parse_precision(s);
      if (!p)
        throw ConfigError("option 'precisions': unknown precision '" + s +
                          "' (known: fp32, tf32, fp16, bf16, int8)");
      precisions_.push_back(*p);
    }
    batches_ = o.get_int_list("batches");
    caps_ = o.get_int_list("power_caps");
    gpus_ = o.get_int_list("gpus");
    const std::pair<const char*, bool> empties[] = {{"precisions", precisions_.empty()},
                                                    {"batches", batches_.empty()},
                                                    {"power_caps", caps_.empty()},
                                                    {"gpus", gpus_.empty()}};
    for (const auto& [k, empty] : empties)
      if (empty) throw ConfigError(std::string("option '") + k + "' is empty");
    std::vector<std::string> names, precs;
    for (const auto& d : pool_) names.push_back(d.name);
    for (Precision p : precisions_) precs.emplace_back(precision_name(p));
    space_ =
        Space({Dimension::categorical("device", names), Dimension::categorical("precision", precs),
               Dimension::categorical_of("batch", batches_),
               Dimension::categorical_of("power_cap_pct", caps_),
               Dimension::categorical_of("gpus", gpus_)});
  }

  static OptionSchema schema() {
    OptionSchema s;
    s.add_string_list("pool", {"a100_40gb", "h100_sxm", "l4", "rtx4090", "jetson_orin_nano"},
                      "Design space: devices to deploy on, by preset (a100_40gb, h100_sxm, l4, "
                      "rtx4090, jetson_orin_nano) or [[devices]] name");
    s.add_table_list("devices", "Custom devices, used by name in 'pool'", device_fields());
    s.add_string_list("precisions", {"fp32", "tf32", "fp16", "bf16", "int8"},
                      "Design space: precisions (a device without a precision makes that design "
                      "infeasible). The estimator's accuracy is not adjusted for precision",
                      {"fp32", "tf32", "fp16", "bf16", "int8"});
    s.add_int_list("batches", {1, 8, 32, 128}, "Design space: images per forward pass per GPU", 1,
                   65536, "images");
    s.add_int_list("power_caps", {60, 80, 100},
                   "Design space: power cap in percent of the device's TDP (clamped up to its "
                   "minimum cap)",
                   1, 100, "%");
    s.add_int_list("gpus", {1, 2, 4, 8},
                   "Design space: data-parallel GPUs, each running its own batch (designs over "
                   "the device's max_gpus are infeasible)",
                   1, 4096, "GPUs");
    s.add_string("runtime", "fused",
                 "How the network runs: fused = convolution, batch norm and activation in one "
                 "kernel (an inference runtime); eager = one kernel per operation plus a framework "
                 "overhead per operation (PyTorch eager)",
                 {"fused", "eager"});
    s.add_string("efficiency_profile", "",
                 "Efficiency profile timed on a GPU by `coex calibrate --target gpu` (JSON); "
                 "applies to the pool device it names. Empty = default efficiencies. A "
                 "calibration 'profile' (fitted by `coex calibrate --config`) applies to every "
                 "pool device");
    s.add_string("measurements", "",
                 "CSV of measured latencies (network,device,precision,batch,latency_ms), fitted "
                 "when the target loads; applies to the device it names. Exclusive with "
                 "'profile'");
    s.add_real("compute_power_share", 0.7,
               "Share of dynamic power (TDP - idle) drawn by compute units at full load", 0, 1);
    s.add_real("context_gb", 0.5, "CUDA context and framework memory per GPU", 0, 1e3, "GB");
    s.add_real("min_clock", 0.2, "Lowest compute clock a power cap can force (share of boost)",
               0.01, 1);
    s.add_string("tune_objective", "energy_mj",
                 "What tune() optimises among designs meeting the specs",
                 {"energy_mj", "latency_ms", "throughput_ips", "power_w", "memory_gb"});
    return s;
  }

  const Space& design_space() const override { return space_; }

  std::vector<MetricInfo> metrics() const override {
    return {{"latency_ms", "ms", Direction::kMinimize, "Time of one batch on one GPU"},
            {"throughput_ips", "images/s", Direction::kMaximize,
             "Images per second over all data-parallel GPUs"},
            {"energy_mj", "mJ", Direction::kMinimize, "Energy per image (average power x time)"},
            {"memory_gb", "GB", Direction::kMinimize,
             "Per GPU: weights, live activations and workspace at the batch size, context"},
            {"power_w", "W", Direction::kMinimize, "Average power of all GPUs while running"}};
  }

  std::string tune_objective() const override { return objective_; }

  std::vector<Coefficient> coefficients() const override {
    return gpu::coefficients(profiles_.front());
  }

  LatencyModel latency_model(const Network& net, const Point& design) const override {
    auto w = std::make_shared<const Workload>(workload(net, runtime_));
    const Placement at = placement(design);
    const Deployment dep = deployment(at);
    // The profile copied once without its fit report: each call copies only the numbers.
    Profile base = profiles_[at.device];
    base.report = nlohmann::json::object();
    return [this, w, dep, base = std::move(base)](const std::vector<double>& v) {
      return predict(*w, dep, with_coefficients(base, v), model_).latency_ms;
    };
  }

  void set_coefficients(const std::vector<double>& values) override {
    for (auto& p : profiles_) p = with_coefficients(p, values);
  }

  Breakdown breakdown(const Network& net, const HardwareResult& design) const override {
    const auto w = workload_of(net);
    const Placement at = placement(design.design);
    const Deployment dep = deployment(at);
    const Profile& prof = profiles_[at.device];
    const Prediction p = predict(*w, dep, prof, model_);
    Breakdown b;
    b.part_kind = "kernel";
    b.add_column("latency_ms", "ms", "max(compute, memory) + launch and dispatch, one batch");
    b.add_column("compute_ms", "ms", "FLOP at the class's achievable peak and the capped clock");
    b.add_column("memory_ms", "ms", "activation and weight traffic at the achievable bandwidth");
    b.add_column("launch_ms", "ms", "kernel launch and framework dispatch");
    b.add_column("gflop", "GFLOP", "operations of the kernel for one batch");
    for (std::size_t i = 0; i < w->kernels.size(); ++i) {
      const Kernel& k = w->kernels[i];
      const KernelTime t = kernel_time(k, *dep.device, prof, dep.precision, dep.batch, p.clock);
      b.add_part("#" + std::to_string(i) + " " + k.name,
                 std::string(op_class_name(k.cls)) +
                     (t.compute_s >= t.memory_s ? ", compute-bound" : ", memory-bound"),
                 {t.total_s * 1e3, t.compute_s * 1e3, t.memory_s * 1e3, t.launch_s * 1e3,
                  k.flop * dep.batch * 1e-9});
    }
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "One batch of %d on one GPU (%s, clock %.2f of boost): the kernels run one "
                  "after another; the forward pass adds %.3g ms of framework overhead.",
                  dep.batch, precision_name(dep.precision), p.clock,
                  prof.network_overhead_us * 1e-3);
    b.note = buf;
    return b;
  }

  HardwareResult evaluate(const Network& net, const Point& design) const override {
    const auto w = workload_of(net);
    // The design's coordinates (indices into the option lists), clamped; missing ones are 0.
    const Placement at = placement(design);
    HardwareResult r;
    for (std::size_t i : at.index) r.design.push_back(static_cast<double>(i));
    const std::size_t di = at.device;
    const Device& dev = pool_[di];
    const Deployment dep = deployment(at);

    const Prediction p = predict(*w, dep, profiles_[di], model_);
    r.metrics.set("latency_ms", p.latency_ms);
    r.metrics.set("throughput_ips", p.throughput_ips);
    r.metrics.set("energy_mj", p.energy_mj);
    r.metrics.set("memory_gb", p.memory_gb);
    r.metrics.set("power_w", p.power_w);
    char buf[256];
    r.feasible = true;
    if (!dev.supports(dep.precision)) {
      r.feasible = false;
      r.reason = dev.name + " does not support " + precision_name(dep.precision);
    } else if (dep.gpus > dev.max_gpus) {
      r.feasible = false;
      std::snprintf(buf, sizeof buf, "%d GPUs, but a %s node holds at most %d", dep.gpus,
                    dev.name.c_str(), dev.max_gpus);
      r.reason = buf;
    } else if (!p.fits_memory) {
      r.feasible = false;
      std::snprintf(buf, sizeof buf,
                    "needs %.2f GB per GPU at batch %d (%s), over the %.0f GB of %s", p.memory_gb,
                    dep.batch, precision_name(dep.precision), dev.memory_gb, dev.name.c_str());
      r.reason = buf;
    } else if (!p.cap_reachable) {
      r.feasible = false;
      std::snprintf(buf, sizeof buf, "power cap %.0f W is below what %s draws at its lowest clock",
                    p.power_cap_w, dev.name.c_str());
      r.reason = buf;
    }
    std::snprintf(
        buf, sizeof buf,
        "%s x%d, %s, batch %d, cap %.0f W (clock %.2f): %.3g ms, %.3g img/s, %.3g mJ/img, "
        "%.2f GB%s",
        dev.name.c_str(), dep.gpus, precision_name(dep.precision), dep.batch, p.power_cap_w,
        p.clock, p.latency_ms, p.throughput_ips, p.energy_mj, p.memory_gb,
        profiles_[di].calibrated ? ", calibrated" : "");
    r.summary = buf;
    r.detail = {{"device", dev.name},           {"precision", precision_name(dep.precision)},
                {"batch", dep.batch},           {"gpus", dep.gpus},
                {"power_cap_w", p.power_cap_w}, {"clock", p.clock},
                {"kernels", w->kernels.size()}, {"calibrated", profiles_[di].calibrated}};
    return r;
  }

 private:
  void load_profile(const std::string& file, const std::string& csv) {
    if (file.empty() && csv.empty()) return;
    if (!file.empty() && !csv.empty())
      throw ConfigError(
          "options 'efficiency_profile' and 'measurements' are both set. Fix: keep one");
    Profile p;
    std::string source;
    if (!file.empty()) {
      source = "option 'efficiency_profile' ('" + file + "')";
      std::ifstream in(file);
      if (!in)
        throw ConfigError(source +
                          ": cannot read it. Fix: create it with `coex calibrate "
                          "--target gpu --out " +
                          file +
                          "`, or leave 'efficiency_profile' empty for the default "
                          "efficiencies");
      json j;
      try {
        j = json::parse(in);
      } catch (const std::exception& e) {
        throw ConfigError(source + ": not JSON (" + e.what() + ")");
      }
      p = Profile::from_json(j, source);
    } else {
      source = "option 'measurements' ('" + csv + "')";
      std::string device;
      const auto ms = read_measurements(csv, device);
      const Device* d = find_device(device);
      if (!d) throw ConfigError(source + ": device '" + device + "' is not in option 'pool'");
      try {
        p = fit(ms, *d, default_profile(runtime_)).profile;
      } catch (const ConfigError&) {
        throw;
      } catch (const Error& e) {
        throw ConfigError(source + ": " + e.what());
      }
    }
    bool applied = false;
    for (std::size_t i = 0; i < pool_.size(); ++i)
      if (pool_[i].name == p.device) profiles_[i] = p, applied = true;
    if (!applied)
      throw ConfigError(source + ": fitted on device '" + p.device +
                        "', which is not in option 'pool'. Fix: add it to the pool");
  }

  /// A design's coordinates (indices into the option lists), clamped; missing ones are 0.
  struct Placement {
    std::array<std::size_t, 5> index{};
    std::size_t device = 0;
  };
  Placement placement(const Point& design) const {
    const std::size_t sizes[] = {pool_.size(), precisions_.size(), batches_.size(), caps_.size(),
                                 gpus_.size()};
    Placement at;
    for (std::size_t i = 0; i < 5; ++i)
      if (design.size() > i)
        at.index[i] = std::min(static_cast<std::size_t>(design[i]), sizes[i] - 1);
    at.device = at.index[0];
    return at;
  }
  Deployment deployment(const Placement& at) const {
    const Device& dev = pool_[at.device];
    Deployment dep;
    dep.device = &dev;
    dep.precision = precisions_[at.index[1]];
    dep.batch = static_cast<int>(batches_[at.index[2]]);
    dep.power_cap_w = dev.tdp_w * static_cast<double>(caps_[at.index[3]]) / 100.0;
    dep.gpus = static_cast<int>(gpus_[at.index[4]]);
    return dep;
  }

  const Device* find_device(const std::string& name) const {
    for (const auto& d : pool_)
      if (d.name == name) return &d;
    return nullptr;
  }

  /// The workload of `net`, memoised for the last network (tune() evaluates one network on
  /// every design).
  std::shared_ptr<const Workload> workload_of(const Network& net) const {
    const std::uint64_t h = net.hash();
    std::lock_guard<std::mutex> lock(mu_);
    if (!cached_ || cached_hash_ != h) {
      cached_ = std::make_shared<const Workload>(workload(net, runtime_));
      cached_hash_ = h;
    }
    return cached_;
  }

  std::vector<Device> pool_;
  std::vector<Profile> profiles_;  ///< per pool device
  std::vector<Precision> precisions_;
  std::vector<std::int64_t> batches_, caps_, gpus_;
  ModelOptions model_;
  std::string objective_;
  Runtime runtime_;
  Space space_;
  mutable std::mutex mu_;
  mutable std::shared_ptr<const Workload> cached_;
  mutable std::uint64_t cached_hash_ = 0;
};

}  // namespace coex::plugins::gpu_target

COEX_PLUGIN(coex::plugins::gpu_target::Gpu, "gpu", "0.1.0",
            "GPU deployment: per-layer roofline latency with fusion, memory, power-capped "
            "energy; design space: device, precision, batch, power cap, data-parallel GPUs")
