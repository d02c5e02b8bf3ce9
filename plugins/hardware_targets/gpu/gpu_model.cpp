#include "gpu_model.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "coex/csv.hpp"
#include "coex/error.hpp"
#include "coex/fit.hpp"
#include "coex/options.hpp"

namespace coex::gpu {

using json = nlohmann::json;

namespace {
constexpr Precision kAllPrecisions[] = {Precision::kFp32, Precision::kTf32, Precision::kFp16,
                                        Precision::kBf16, Precision::kInt8};
constexpr OpClass kAllClasses[] = {OpClass::kConv,        OpClass::kDepthwise, OpClass::kMatmul,
                                   OpClass::kElementwise, OpClass::kPool,      OpClass::kMemory};
static_assert(std::size(kAllPrecisions) == kPrecisions);
static_assert(std::size(kAllClasses) == kOpClasses);

std::size_t idx(OpClass c) { return static_cast<std::size_t>(c); }
}  // namespace

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::kFp32:
      return "fp32";
    case Precision::kTf32:
      return "tf32";
    case Precision::kFp16:
      return "fp16";
    case Precision::kBf16:
      return "bf16";
    case Precision::kInt8:
      return "int8";
  }
  return "?";
}

std::optional<Precision> parse_precision(std::string_view s) {
  for (Precision p : kAllPrecisions)
    if (s == precision_name(p)) return p;
  return std::nullopt;
}

int bytes_per_element(Precision p) {
  switch (p) {
    case Precision::kFp16:
    case Precision::kBf16:
      return 2;
    case Precision::kInt8:
      return 1;
    default:
      return 4;
  }
}

const char* op_class_name(OpClass c) {
  switch (c) {
    case OpClass::kConv:
      return "conv";
    case OpClass::kDepthwise:
      return "depthwise";
    case OpClass::kMatmul:
      return "matmul";
    case OpClass::kElementwise:
      return "elementwise";
    case OpClass::kPool:
      return "pool";
    case OpClass::kMemory:
      return "memory";
  }
  return "?";
}

double Device::peak_tflops(OpClass c, Precision p) const {
  return c == OpClass::kConv || c == OpClass::kMatmul ? tflops[static_cast<std::size_t>(p)]
                                                      : vector_tflops;
}

const std::vector<Device>& device_presets() {
  // Dense peaks (sparsity excluded) from NVIDIA's datasheets; idle power, minimum cap and launch
  // overhead are typical values, not datasheet figures (README.md).
  //                     name            fp32   tf32   fp16    bf16    int8     vector
  static const std::vector<Device> presets{
      {"a100_40gb", {19.5, 156, 312, 312, 624}, 19.5, 40, 1555, 400, 50, 100, 5, 8},
      {"h100_sxm", {67, 494.5, 989.5, 989.5, 1979}, 67, 80, 3350, 700, 70, 200, 4, 8},
      {"l4", {30.3, 60, 121, 121, 242.5}, 30.3, 24, 300, 72, 12, 40, 5, 8},
      {"rtx4090", {82.6, 82.6, 165.2, 165.2, 660.6}, 82.6, 24, 1008, 450, 25, 150, 5, 4},
      {"jetson_orin_nano", {1.28, 5, 10, 10, 20}, 1.28, 8, 68, 15, 3, 7, 20, 1},
  };
  return presets;
}

const Device* find_preset(std::string_view name) {
  for (const auto& d : device_presets())
    if (d.name == name) return &d;
  return nullptr;
}

std::vector<OptionSpec> device_fields() {
  using T = OptionSpec::Type;
  OptionSchema f;
  f.add_required("name", T::kString, "Device name, used in 'pool'; a preset's name replaces it");
  f.add_required("fp32_tflops", T::kReal, "Peak dense FP32 throughput", 1e-3, 1e5, "TFLOP/s");
  f.add_real("tf32_tflops", 0, "Peak TF32 tensor throughput (0 = unsupported)", 0, 1e5, "TFLOP/s");
  f.add_real("fp16_tflops", 0, "Peak FP16 tensor throughput (0 = unsupported)", 0, 1e5, "TFLOP/s");
  f.add_real("bf16_tflops", 0, "Peak BF16 tensor throughput (0 = unsupported)", 0, 1e5, "TFLOP/s");
  f.add_real("int8_tops", 0, "Peak INT8 tensor throughput (0 = unsupported)", 0, 1e5, "TOP/s");
  f.add_optional_real("vector_tflops",
                      "Throughput of non-tensor (vector) work; default: fp32_tflops", 1e-3, 1e5,
                      "TFLOP/s");
  f.add_required("memory_gb", T::kReal, "Device memory", 0.1, 1e5, "GB");
  f.add_required("bandwidth_gbs", T::kReal, "Memory bandwidth", 1, 1e6, "GB/s");
  f.add_required("tdp_w", T::kReal, "Board power limit (TDP)", 1, 1e5, "W");
  f.add_optional_real("idle_w", "Idle power, at most tdp_w; default: 15% of tdp_w", 0, 1e5, "W");
  f.add_optional_real("min_power_w",
                      "Lowest settable power cap, at most tdp_w; default: 40% of "
                      "tdp_w",
                      0, 1e5, "W");
  f.add_real("launch_us", 5, "Kernel launch overhead", 0, 1e5, "us");
  f.add_int("max_gpus", 8, "Most GPUs of this device in one deployment", 1, 4096);
  return f.specs();
}

Device device_from_json(const json& t, const std::string& where) {
  const json v = validate_fields(
      device_fields(), t, "the device", [&](const std::string&) { return where; },
      " Fix: see `coex plugins show gpu` for the fields of a device");
  Device d;
  d.name = v.at("name").get<std::string>();
  const char* keys[] = {"fp32_tflops", "tf32_tflops", "fp16_tflops", "bf16_tflops", "int8_tops"};
  for (std::size_t i = 0; i < 5; ++i) d.tflops[i] = v.at(keys[i]).get<double>();
  d.vector_tflops = v.value("vector_tflops", d.tflops[0]);
  d.memory_gb = v.at("memory_gb").get<double>();
  d.bandwidth_gbs = v.at("bandwidth_gbs").get<double>();
  d.tdp_w = v.at("tdp_w").get<double>();
  d.idle_w = v.value("idle_w", 0.15 * d.tdp_w);
  d.min_power_w = v.value("min_power_w", 0.4 * d.tdp_w);
  for (const auto& [key, value] : {std::pair{"idle_w", d.idle_w}, {"min_power_w", d.min_power_w}})
    if (value > d.tdp_w)
      throw ConfigError(where + ": field '" + key + "' = " + json(value).dump() +
                        " is above tdp_w = " + json(d.tdp_w).dump() +
                        ". Fix: lower it or raise tdp_w");
  d.launch_us = v.at("launch_us").get<double>();
  d.max_gpus = v.at("max_gpus").get<int>();
  return d;
}

Profile default_profile() {
  Profile p;
  p.ops[idx(OpClass::kConv)] = {0.55, 0.75};
  p.ops[idx(OpClass::kDepthwise)] = {0.25, 0.6};
  p.ops[idx(OpClass::kMatmul)] = {0.6, 0.75};
  p.ops[idx(OpClass::kElementwise)] = {0.3, 0.8};
  p.ops[idx(OpClass::kPool)] = {0.3, 0.7};
  p.ops[idx(OpClass::kMemory)] = {0.3, 0.75};
  return p;
}

Profile default_profile(Runtime runtime) {
  Profile p = default_profile();
  if (runtime == Runtime::kEager) {
    p.overhead_us.fill(10.0);
    p.network_overhead_us = 50.0;
  }
  return p;
}

std::vector<Coefficient> coefficients(const Profile& p) {
  std::vector<Coefficient> cs;
  const double inf = std::numeric_limits<double>::infinity();
  for (OpClass c : kAllClasses) {
    const std::string k = op_class_name(c);
    const auto& e = p.ops[idx(c)];
    cs.push_back({k + "_compute_efficiency", "",
                  "achieved share of the peak FLOP rate by " + k + " kernels", e.compute, 1e-3, 2.0,
                  1.0, true});
    cs.push_back({k + "_memory_efficiency", "",
                  "achieved share of the memory bandwidth by " + k + " kernels", e.memory, 1e-3,
                  2.0, 1.0, true});
    cs.push_back({k + "_overhead_us", "us",
                  "framework dispatch per " + k + " kernel, on top of the launch",
                  p.overhead_us[idx(c)], 0.0, inf, 10.0, false});
  }
  cs.push_back({"network_overhead_us", "us", "fixed cost of one forward pass",
                p.network_overhead_us, 0.0, inf, 100.0, false});
  return cs;
}

Profile with_coefficients(Profile p, const std::vector<double>& v) {
  if (v.size() != 3 * kOpClasses + 1)
    throw Error("gpu: " + std::to_string(3 * kOpClasses + 1) +
                " coefficient values expected, got " + std::to_string(v.size()));
  for (OpClass c : kAllClasses) {
    const std::size_t i = idx(c);
    p.ops[i] = {v[3 * i], v[3 * i + 1]};
    p.overhead_us[i] = v[3 * i + 2];
  }
  p.network_overhead_us = v.back();
  p.calibrated = true;
  return p;
}

json Profile::to_json() const {
  json ops_j = json::object();
  for (OpClass c : kAllClasses)
    ops_j[op_class_name(c)] = {{"compute", ops[idx(c)].compute}, {"memory", ops[idx(c)].memory}};
  return {{"device", device},
          {"efficiency", ops_j},
          {"launch_us", launch_us},
          {"overhead_us", overhead_us},
          {"network_overhead_us", network_overhead_us},
          {"calibrated", calibrated},
          {"report", report}};
}

Profile Profile::from_json(const json& j, const std::string& where) {
  Profile p;
  try {
    p.device = j.at("device").get<std::string>();
    const json& e = j.at("efficiency");
    for (OpClass c : kAllClasses) {
      const json& k = e.at(op_class_name(c));
      p.ops[idx(c)] = {k.at("compute").get<double>(), k.at("memory").get<double>()};
    }
    p.launch_us = j.value("launch_us", -1.0);
    if (j.contains("overhead_us"))
      p.overhead_us = j.at("overhead_us").get<std::array<double, kOpClasses>>();
    p.network_overhead_us = j.value("network_overhead_us", 0.0);
    p.calibrated = j.value("calibrated", false);
    p.report = j.value("report", json::object());
  } catch (const std::exception& e) {
    throw ConfigError(where + ": not a gpu efficiency profile (" + e.what() +
                      "). Fix: write one with `coex calibrate --target gpu --out FILE`");
  }
  for (OpClass c : kAllClasses) {
    const auto& e = p.ops[idx(c)];
    if (!(e.compute > 0 && e.compute <= 2 && e.memory > 0 && e.memory <= 2))
      throw ConfigError(where + ": efficiency of '" + op_class_name(c) +
                        "' must be in (0, 2] for compute and memory");
  }
  return p;
}

Workload workload(const Network& net, Runtime runtime) {
  const std::size_t n = net.size();
  std::vector<std::vector<int>> consumers(n);
  for (const auto& node : net.nodes())
    for (int i : node.inputs) consumers[static_cast<std::size_t>(i)].push_back(node.id);

  Workload w;
  // Tensors: the input and each kernel's output; flatten aliases its input's tensor.
  std::vector<int> tensor_of(n, -1);
  std::vector<double> tensor_size;
  std::vector<int> birth, death;
  std::vector<bool> absorbed(n, false);
  auto flop_of = [&](const Node& x) -> double {
    const double out = static_cast<double>(x.shape.elements());
    switch (x.op) {
      case OpKind::kConv2d:
      case OpKind::kShiftConv2d:  // run as a convolution with power-of-two weights
      case OpKind::kLinear:
        return 2.0 * static_cast<double>(net.macs(x));
      case OpKind::kAdderConv2d:  // subtract, absolute value, add per weight use
        return 3.0 * static_cast<double>(net.macs(x));
      case OpKind::kBatchNorm:
        return 2 * out;
      case OpKind::kActivation:
        return out;
      case OpKind::kAdd:
        return static_cast<double>(x.inputs.size() - 1) * out;
      case OpKind::kMaxPool:
      case OpKind::kAvgPool:
        return out * x.kernel * x.kernel;
      case OpKind::kGlobalAvgPool:
        return static_cast<double>(net.input_shape(x).elements());
      default:
        return 0;
    }
  };
  for (const auto& node : net.nodes()) {
    const auto i = static_cast<std::size_t>(node.id);
    if (node.op == OpKind::kInput) {
      tensor_of[i] = static_cast<int>(tensor_size.size());
      tensor_size.push_back(static_cast<double>(node.shape.elements()));
      birth.push_back(0);
      death.push_back(0);
      continue;
    }
    if (absorbed[i]) continue;
    if (node.op == OpKind::kFlatten) {  // a view: no kernel, same storage
      tensor_of[i] = tensor_of[static_cast<std::size_t>(node.inputs.at(0))];
      continue;
    }
    const int k = static_cast<int>(w.kernels.size());
    Kernel kern;
    switch (node.op) {
      case OpKind::kConv2d:
      case OpKind::kShiftConv2d:
      case OpKind::kAdderConv2d:
        kern.cls = node.groups > 1 && node.groups == net.input_shape(node).c ? OpClass::kDepthwise
                                                                             : OpClass::kConv;
        break;
      case OpKind::kLinear:
        kern.cls = OpClass::kMatmul;
        break;
      case OpKind::kBatchNorm:
      case OpKind::kActivation:
      case OpKind::kAdd:
        kern.cls = OpClass::kElementwise;
        break;
      case OpKind::kMaxPool:
      case OpKind::kAvgPool:
      case OpKind::kGlobalAvgPool:
        kern.cls = OpClass::kPool;
        break;
      default:
        kern.cls = OpClass::kMemory;
        break;
    }
    kern.name = is_conv(node.op)
                    ? std::string(node.op == OpKind::kConv2d        ? "conv"
                                  : node.op == OpKind::kShiftConv2d ? "shift_conv"
                                                                    : "adder_conv") +
                          std::to_string(node.kernel) + "x" + std::to_string(node.kernel)
                    : op_name(node.op);
    if (node.op == OpKind::kActivation) kern.name = activation_name(node.activation);
    for (int in : node.inputs) {
      kern.act_elements += static_cast<double>(net.node(in).shape.elements());
      const int t = tensor_of[static_cast<std::size_t>(in)];
      death[static_cast<std::size_t>(t)] = std::max(death[static_cast<std::size_t>(t)], k);
    }
    kern.flop = flop_of(node);
    kern.weight_elements = static_cast<double>(net.trainable_params(node));
    if (is_conv(node.op) && node.kernel > 1 && kern.cls == OpClass::kConv)
      w.workspace_elements =
          std::max(w.workspace_elements,
                   static_cast<double>(net.input_shape(node).c / node.groups) * node.kernel *
                       node.kernel * static_cast<double>(node.shape.h * node.shape.w));
    // Fusion: batch norm and activations that are the only consumer of the tail.
    std::size_t tail = i;
    const bool fusable_head = is_conv(node.op) || node.op == OpKind::kLinear ||
                              node.op == OpKind::kBatchNorm || node.op == OpKind::kActivation ||
                              node.op == OpKind::kAdd;
    while (runtime == Runtime::kFused && fusable_head && consumers[tail].size() == 1) {
      const Node& c = net.node(consumers[tail][0]);
      if ((c.op != OpKind::kBatchNorm && c.op != OpKind::kActivation) || c.inputs.size() != 1)
        break;
      absorbed[static_cast<std::size_t>(c.id)] = true;
      kern.flop += flop_of(c);
      kern.weight_elements += static_cast<double>(net.trainable_params(c));
      kern.name += std::string("+") +
                   (c.op == OpKind::kActivation ? activation_name(c.activation) : op_name(c.op));
      tail = static_cast<std::size_t>(c.id);
    }
    const Node& last = net.node(static_cast<int>(tail));
    kern.act_elements += static_cast<double>(last.shape.elements());
    const int t = static_cast<int>(tensor_size.size());
    tensor_size.push_back(static_cast<double>(last.shape.elements()));
    birth.push_back(k);
    death.push_back(k);
    tensor_of[i] = tensor_of[tail] = t;
    w.weight_elements += kern.weight_elements;
    w.kernels.push_back(std::move(kern));
  }
  // The network's output lives to the end.
  if (!w.kernels.empty()) {
    const int out = tensor_of[static_cast<std::size_t>(net.output().id)];
    if (out >= 0) death[static_cast<std::size_t>(out)] = static_cast<int>(w.kernels.size()) - 1;
  }
  // Peak of live activations: sweep births and deaths over kernel indices.
  std::vector<double> delta(w.kernels.size() + 1, 0.0);
  for (std::size_t t = 0; t < tensor_size.size(); ++t) {
    delta[static_cast<std::size_t>(birth[t])] += tensor_size[t];
    delta[static_cast<std::size_t>(death[t]) + 1] -= tensor_size[t];
  }
  double live = 0;
  for (std::size_t k = 0; k < w.kernels.size(); ++k) {
    live += delta[k];
    w.peak_live_elements = std::max(w.peak_live_elements, live);
  }
  return w;
}

namespace {
double launch_seconds(const Device& d, const Profile& p) {
  return (p.launch_us >= 0 ? p.launch_us : d.launch_us) * 1e-6;
}
}  // namespace

KernelTime kernel_time(const Kernel& k, const Device& d, const Profile& p, Precision precision,
                       int batch, double clock) {
  KernelTime t;
  const auto& e = p.ops[idx(k.cls)];
  const double b = static_cast<double>(batch);
  if (k.flop > 0) {
    const double peak = d.peak_tflops(k.cls, precision) * 1e12 * e.compute * clock;
    t.compute_s = peak > 0 ? k.flop * b / peak : std::numeric_limits<double>::infinity();
  }
  const double bytes = (k.act_elements * b + k.weight_elements) * bytes_per_element(precision);
  t.memory_s = bytes / (d.bandwidth_gbs * 1e9 * e.memory);
  t.launch_s = launch_seconds(d, p) + p.overhead_us[idx(k.cls)] * 1e-6;
  t.total_s = std::max(t.compute_s, t.memory_s) + t.launch_s;
  return t;
}

Prediction predict(const Workload& w, const Deployment& dep, const Profile& p,
                   const ModelOptions& m) {
  if (!dep.device) throw Error("gpu model: deployment without a device");
  if (dep.batch < 1 || dep.gpus < 1) throw Error("gpu model: batch and gpus must be >= 1");
  const Device& d = *dep.device;
  Prediction r;
  r.power_cap_w =
      std::clamp(dep.power_cap_w > 0 ? dep.power_cap_w : d.tdp_w, d.min_power_w, d.tdp_w);
  // Time and average power of one batch at compute clock s.
  auto run = [&](double s, double& seconds, double& watts) {
    double t = 0, dyn = 0;
    for (const auto& k : w.kernels) {
      const KernelTime kt = kernel_time(k, d, p, dep.precision, dep.batch, s);
      t += kt.total_s;
      // Dynamic compute power scales with f V^2 ~ s^3 while busy; memory power does not scale.
      dyn += m.compute_power_share * s * s * s * kt.compute_s +
             (1 - m.compute_power_share) * kt.memory_s;
    }
    t += p.network_overhead_us * 1e-6;  // the GPU idles while the framework enters the network
    seconds = t;
    watts = t > 0 ? d.idle_w + (d.tdp_w - d.idle_w) * dyn / t : d.idle_w;
  };
  double seconds = 0, watts = 0;
  run(1.0, seconds, watts);
  if (watts > r.power_cap_w) {
    // Power rises monotonically with the clock: bisect for the fastest clock within the cap.
    double lo = m.min_clock, hi = 1.0, s_lo = 0, w_lo = 0;
    run(lo, s_lo, w_lo);
    if (w_lo > r.power_cap_w) {
      r.cap_reachable = false;
      hi = lo;
    } else {
      for (int it = 0; it < 50; ++it) {
        const double mid = 0.5 * (lo + hi);
        double sm = 0, wm = 0;
        run(mid, sm, wm);
        (wm <= r.power_cap_w ? lo : hi) = mid;
      }
      hi = lo;
    }
    r.clock = hi;
    run(r.clock, seconds, watts);
  }
  const double b = static_cast<double>(dep.batch);
  r.latency_ms = seconds * 1e3;
  r.throughput_ips = seconds > 0 ? dep.gpus * b / seconds : 0;
  r.power_w = watts * dep.gpus;
  r.energy_mj = watts * seconds * 1e3 / b;
  r.memory_gb = (w.weight_elements + (w.peak_live_elements + w.workspace_elements) * b) *
                    bytes_per_element(dep.precision) / 1e9 +
                m.context_gb;
  r.fits_memory = r.memory_gb <= d.memory_gb;
  return r;
}

// ---- calibration ----

namespace {

constexpr std::size_t kUnknowns = 2 * kOpClasses + 1;  // 1/e_compute, 1/e_memory, launch (s)

/// Per kernel of a measurement: seconds at efficiency 1 for compute (a) and memory (b).
struct Terms {
  std::vector<double> a, b;
  std::vector<std::size_t> cls;
  double seconds = 0;
};

std::vector<Terms> terms_of(const std::vector<Measurement>& ms, const Device& d) {
  Profile unit;
  for (auto& e : unit.ops) e = {1.0, 1.0};
  unit.launch_us = 0;
  std::vector<Terms> out;
  for (const auto& m : ms) {
    Terms t;
    for (const auto& k : m.workload.kernels) {
      const KernelTime kt = kernel_time(k, d, unit, m.precision, m.batch);
      t.a.push_back(kt.compute_s);
      t.b.push_back(kt.memory_s);
      t.cls.push_back(idx(k.cls));
    }
    t.seconds = m.latency_ms * 1e-3;
    out.push_back(std::move(t));
  }
  return out;
}

/// Whether kernel l of `t` is compute-bound under coefficients x (kernels without FLOP never are).
bool compute_bound(const Terms& t, std::size_t l, const std::vector<double>& x) {
  return t.a[l] > 0 && t.a[l] * x[t.cls[l]] >= t.b[l] * x[kOpClasses + t.cls[l]];
}

double predict_seconds(const Terms& t, const std::vector<double>& x) {
  double s = 0;
  for (std::size_t l = 0; l < t.a.size(); ++l)
    s += std::max(t.a[l] * x[t.cls[l]], t.b[l] * x[kOpClasses + t.cls[l]]);
  return s + static_cast<double>(t.a.size()) * x[2 * kOpClasses];
}

double sse(const std::vector<Terms>& ts, const std::vector<double>& x) {
  double e = 0;
  for (const auto& t : ts) {
    const double r = predict_seconds(t, x) / t.seconds - 1;
    e += r * r;
  }
  return e;
}

/// Alternates between the branch each kernel takes under x and a non-negative solve.
std::vector<double> refine(const std::vector<Terms>& ts, std::vector<double> x) {
  std::vector<std::vector<char>> branch;
  for (int iter = 0; iter < 100; ++iter) {
    std::vector<std::vector<char>> now;
    std::vector<std::vector<double>> rows;
    std::vector<double> meas;
    for (const auto& t : ts) {
      std::vector<char> br(t.a.size());
      std::vector<double> row(kUnknowns, 0.0);
      for (std::size_t l = 0; l < t.a.size(); ++l) {
        br[l] = compute_bound(t, l, x);
        if (br[l])
          row[t.cls[l]] += t.a[l];
        else
          row[kOpClasses + t.cls[l]] += t.b[l];
      }
      row[2 * kOpClasses] = static_cast<double>(t.a.size());
      rows.push_back(std::move(row));
      meas.push_back(t.seconds);
      now.push_back(std::move(br));
    }
    if (now == branch) break;
    branch = std::move(now);
    std::vector<double> next = fit_relative_nnls(rows, meas);
    // A coefficient no kernel used keeps its value: it decides branches, not the fit.
    for (std::size_t j = 0; j < kUnknowns; ++j) {
      bool used = false;
      for (const auto& r : rows) used |= r[j] != 0;
      if (used) x[j] = next[j];
    }
  }
  return x;
}

}  // namespace

FitResult fit(const std::vector<Measurement>& ms, const Device& d, const Profile& start) {
  if (ms.size() < kUnknowns)
    throw Error("gpu calibration: " + std::to_string(ms.size()) + " measurements for up to " +
                std::to_string(kUnknowns) + " unknowns; measure at least " +
                std::to_string(kUnknowns) + " (network, precision, batch) combinations");
  for (const auto& m : ms)
    if (!(m.latency_ms > 0))
      throw Error("gpu calibration: latency of '" + m.network + "' must be positive");
  const auto ts = terms_of(ms, d);
  auto from_profile = [&](const Profile& p) {
    std::vector<double> x(kUnknowns);
    for (std::size_t c = 0; c < kOpClasses; ++c) {
      x[c] = 1 / p.ops[c].compute;
      x[kOpClasses + c] = 1 / p.ops[c].memory;
    }
    x[2 * kOpClasses] = launch_seconds(d, p);
    return x;
  };
  std::vector<std::vector<double>> starts{from_profile(start)};
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(std::log(1.0), std::log(20.0));
  for (int s = 0; s < 12; ++s) {
    std::vector<double> x(kUnknowns);
    for (std::size_t j = 0; j < 2 * kOpClasses; ++j) x[j] = std::exp(u(rng));
    x[2 * kOpClasses] = d.launch_us * 1e-6;
    starts.push_back(std::move(x));
  }
  std::vector<double> best;
  double best_e = std::numeric_limits<double>::infinity();
  for (const auto& s : starts) {
    auto x = refine(ts, s);
    const double e = sse(ts, x);
    if (e < best_e) best_e = e, best = std::move(x);
  }

  FitResult r;
  r.profile = start;
  r.profile.device = d.name;
  r.profile.calibrated = true;
  for (std::size_t c = 0; c < kOpClasses; ++c) {
    bool comp = false, mem = false;
    for (const auto& t : ts)
      for (std::size_t l = 0; l < t.a.size(); ++l) {
        if (t.cls[l] != c) continue;
        (compute_bound(t, l, best) ? comp : mem) = true;
      }
    r.compute_identified[c] = comp && best[c] > 0;
    r.memory_identified[c] = mem && best[kOpClasses + c] > 0;
    if (r.compute_identified[c]) r.profile.ops[c].compute = 1 / best[c];
    if (r.memory_identified[c]) r.profile.ops[c].memory = 1 / best[kOpClasses + c];
  }
  r.launch_identified = best[2 * kOpClasses] > 0;
  if (r.launch_identified) r.profile.launch_us = best[2 * kOpClasses] * 1e6;
  r.rms_relative_error = std::sqrt(best_e / static_cast<double>(ts.size()));
  json ids = json::object();
  for (std::size_t c = 0; c < kOpClasses; ++c)
    ids[op_class_name(kAllClasses[c])] = {{"compute", r.compute_identified[c]},
                                          {"memory", r.memory_identified[c]}};
  r.profile.report = {{"measurements", ms.size()},
                      {"rms_relative_error", r.rms_relative_error},
                      {"identified", ids},
                      {"launch_identified", r.launch_identified}};
  return r;
}

std::vector<Measurement> read_measurements(const std::string& csv_path, std::string& device) {
  std::ifstream in(csv_path);
  if (!in)
    throw ConfigError("cannot read measurements '" + csv_path +
                      "'. Fix: give the path of a CSV with the header "
                      "network,device,precision,batch,latency_ms");
  const std::filesystem::path dir = std::filesystem::path(csv_path).parent_path();
  std::vector<Measurement> out;
  std::string line;
  int lineno = 0;
  device.clear();
  auto trim = [](std::string s) {
    const auto a = s.find_first_not_of(" \t\r");
    const auto b = s.find_last_not_of(" \t\r");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
  };
  while (std::getline(in, line)) {
    ++lineno;
    const std::string where = csv_path + ":" + std::to_string(lineno);
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    std::vector<std::string> f = split_csv_line(line);
    for (auto& cell : f) cell = trim(cell);
    if (out.empty() && !f.empty() && f[0] == "network") {
      if (f != std::vector<std::string>{"network", "device", "precision", "batch", "latency_ms"})
        throw ConfigError(where + ": header must be network,device,precision,batch,latency_ms");
      continue;
    }
    if (f.size() != 5)
      throw ConfigError(where +
                        ": expected 5 fields (network,device,precision,batch,latency_ms), "
                        "found " +
                        std::to_string(f.size()));
    Measurement m;
    m.network = f[0];
    if (device.empty()) device = f[1];
    if (f[1] != device)
      throw ConfigError(where + ": device '" + f[1] + "' differs from '" + device +
                        "' above. Fix: one device per measurement file");
    const auto p = parse_precision(f[2]);
    if (!p)
      throw ConfigError(where + ": unknown precision '" + f[2] +
                        "' (known: fp32, tf32, fp16, bf16, int8)");
    m.precision = *p;
    try {
      std::size_t used = 0;
      m.batch = std::stoi(f[3], &used);
      if (used != f[3].size() || m.batch < 1) throw std::invalid_argument("batch");
      m.latency_ms = std::stod(f[4], &used);
      if (used != f[4].size() || !(m.latency_ms > 0)) throw std::invalid_argument("latency");
    } catch (const std::exception&) {
      throw ConfigError(where +
                        ": batch must be an integer >= 1 and latency_ms a number > 0 (got '" +
                        f[3] + "', '" + f[4] + "')");
    }
    const std::filesystem::path net_path = dir / f[0];
    std::ifstream nf(net_path);
    if (!nf)
      throw ConfigError(where + ": cannot read network '" + net_path.string() +
                        "' (paths are relative to the CSV's folder)");
    try {
      m.workload = workload(Network::from_json(json::parse(nf)));
    } catch (const std::exception& e) {
      throw ConfigError(where + ": network '" + net_path.string() + "' is not a coex network (" +
                        e.what() + ")");
    }
    out.push_back(std::move(m));
  }
  if (out.empty()) throw ConfigError(csv_path + ": no measurements");
  return out;
}

}  // namespace coex::gpu
