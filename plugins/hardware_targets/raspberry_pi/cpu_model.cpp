#include "cpu_model.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <random>

#include <nlohmann/json.hpp>

#include "coex/error.hpp"
#include "coex/fit.hpp"

namespace coex::cpu_model {

using json = nlohmann::json;

namespace {
// In enum order: kAllKinds[i] names the coefficients Profile::kinds[i].
constexpr LayerKind kAllKinds[] = {
    LayerKind::kConv,    LayerKind::kConvStrided,   LayerKind::kConv1x1, LayerKind::kLinear,
    LayerKind::kNorm,    LayerKind::kActivation,    LayerKind::kPool,    LayerKind::kMemory,
    LayerKind::kConvDnn, LayerKind::kConvDnnStrided};
static_assert(std::size(kAllKinds) == kKinds, "every layer kind has its coefficients");
}  // namespace

const char* kind_name(LayerKind k) {
  switch (k) {
    case LayerKind::kConv:
      return "conv";
    case LayerKind::kConvStrided:
      return "conv_strided";
    case LayerKind::kConv1x1:
      return "conv1x1";
    case LayerKind::kLinear:
      return "linear";
    case LayerKind::kNorm:
      return "norm";
    case LayerKind::kActivation:
      return "activation";
    case LayerKind::kPool:
      return "pool";
    case LayerKind::kMemory:
      return "memory";
    case LayerKind::kConvDnn:
      return "conv_dnn";
    case LayerKind::kConvDnnStrided:
      return "conv_dnn_strided";
  }
  return "?";
}

ConvBackend conv_backend(std::int64_t in_channels, std::int64_t in_h, std::int64_t in_w, int kernel,
                         int stride, int groups) {
  const bool not_plain_1x1 = stride > 1 || kernel != 1;
  const bool dnn_worth_it = groups > 1 || kernel > 3 || in_channels * in_h * in_w > 20480;
  return not_plain_1x1 && dnn_worth_it ? ConvBackend::kOneDnn : ConvBackend::kNative;
}

LayerCost layer_cost(const Network& net, const Node& n) {
  LayerCost c;
  double in_elems = 0;
  for (int k : n.inputs) in_elems += static_cast<double>(net.node(k).shape.elements());
  const double out_elems = static_cast<double>(n.shape.elements());
  double weights = static_cast<double>(net.params(n));
  c.mb = 4.0 * (in_elems + out_elems + weights) / 1e6;
  const double macs = static_cast<double>(net.macs(n));
  switch (n.op) {
    case OpKind::kConv2d:
    case OpKind::kShiftConv2d:    // a convolution with power-of-two weights on a CPU
    case OpKind::kAdderConv2d: {  // subtract, absolute value, add: 3 operations per weight use
      const Shape& in = net.input_shape(n);
      if (conv_backend(in.c, in.h, in.w, n.kernel, n.stride, n.groups) == ConvBackend::kOneDnn)
        c.kind = n.stride > 1 ? LayerKind::kConvDnnStrided : LayerKind::kConvDnn;
      else
        c.kind = n.stride > 1    ? LayerKind::kConvStrided
                 : n.kernel == 1 ? LayerKind::kConv1x1
                                 : LayerKind::kConv;
      c.gflop = (n.op == OpKind::kAdderConv2d ? 3 : 2) * macs / 1e9;
      c.gflop_over_cin = c.gflop / static_cast<double>(std::max<std::int64_t>(1, in.c / n.groups));
      c.gflop_over_cout =
          c.gflop / static_cast<double>(std::max<std::int64_t>(1, n.out_channels / n.groups));
      break;
    }
    case OpKind::kLinear:
      c.kind = LayerKind::kLinear;
      c.gflop = 2 * macs / 1e9;
      c.gflop_over_cin =
          c.gflop / static_cast<double>(std::max<std::int64_t>(1, net.input_shape(n).c));
      c.gflop_over_cout = c.gflop / static_cast<double>(std::max<std::int64_t>(1, n.out_channels));
      break;
    case OpKind::kBatchNorm:
      c.kind = LayerKind::kNorm;
      c.gflop = 2 * out_elems / 1e9;
      break;
    case OpKind::kActivation:
      c.kind = LayerKind::kActivation;
      c.gflop = out_elems / 1e9;
      break;
    case OpKind::kMaxPool:
    case OpKind::kAvgPool:
      c.kind = LayerKind::kPool;
      c.gflop = out_elems * n.kernel * n.kernel / 1e9;
      break;
    case OpKind::kGlobalAvgPool:
      c.kind = LayerKind::kPool;
      c.gflop = in_elems / 1e9;
      break;
    default:  // add, concat, channel_select, flatten, zero: memory movement
      c.kind = LayerKind::kMemory;
      c.gflop = n.op == OpKind::kAdd ? in_elems / 1e9 : 0;
      break;
  }
  return c;
}

std::vector<LayerCost> layer_costs(const Network& net, Runtime runtime) {
  std::vector<LayerCost> out;
  // Fused: a batch norm or activation whose only input is a convolution or linear layer (or a
  // layer already folded into one) is part of that kernel.
  std::vector<bool> folds_into(net.size(), false);
  for (const Node& n : net.nodes()) {
    if (n.op == OpKind::kInput) continue;
    const bool tail = n.op == OpKind::kBatchNorm || n.op == OpKind::kActivation;
    if (runtime == Runtime::kFused && tail && n.inputs.size() == 1) {
      const Node& in = net.node(n.inputs[0]);
      if (is_conv(in.op) || in.op == OpKind::kLinear ||
          folds_into[static_cast<std::size_t>(in.id)]) {
        folds_into[static_cast<std::size_t>(n.id)] = true;
        continue;
      }
    }
    out.push_back(layer_cost(net, n));
    out.back().node = n.id;
  }
  return out;
}

json Profile::to_json() const {
  json k = json::object();
  for (std::size_t i = 0; i < kKinds; ++i)
    k[kind_name(kAllKinds[i])] = {{"ms_per_gflop", kinds[i].ms_per_gflop},
                                  {"ms_per_gflop_over_cin", kinds[i].ms_per_gflop_over_cin},
                                  {"ms_per_gflop_over_cout", kinds[i].ms_per_gflop_over_cout},
                                  {"ms_per_mb", kinds[i].ms_per_mb},
                                  {"ms_per_layer", kinds[i].ms_per_layer}};
  return {{"device", device},
          {"kinds", k},
          {"per_network_ms", per_network_ms},
          {"latency_scale", latency_scale},
          {"calibration_threads", calibration_threads},
          {"cores", cores},
          {"thread_efficiency", thread_efficiency},
          {"idle_power_w", idle_power_w},
          {"power_per_core_w", power_per_core_w},
          {"memory_mb", memory_mb},
          {"calibrated", calibrated},
          {"report", report.is_null() ? json::object() : report}};
}

Profile Profile::from_json(const json& j, const std::string& where) {
  Profile p;
  try {
    p.device = j.at("device").get<std::string>();
    for (std::size_t i = 0; i < kKinds; ++i) {
      // Profiles written before the oneDNN kinds: their convolutions by kernel and stride.
      const LayerKind kind = kAllKinds[i];
      const LayerKind older = kind == LayerKind::kConvDnn          ? LayerKind::kConv
                              : kind == LayerKind::kConvDnnStrided ? LayerKind::kConvStrided
                                                                   : kind;
      const json& kinds = j.at("kinds");
      const json& k =
          kinds.contains(kind_name(kind)) ? kinds.at(kind_name(kind)) : kinds.at(kind_name(older));
      p.kinds[i].ms_per_gflop = k.at("ms_per_gflop").get<double>();
      p.kinds[i].ms_per_mb = k.at("ms_per_mb").get<double>();
      p.kinds[i].ms_per_layer = k.at("ms_per_layer").get<double>();
      // Absent from profiles written before the channel terms: 0 (the old model).
      p.kinds[i].ms_per_gflop_over_cin = k.value("ms_per_gflop_over_cin", 0.0);
      p.kinds[i].ms_per_gflop_over_cout = k.value("ms_per_gflop_over_cout", 0.0);
    }
    p.per_network_ms = j.at("per_network_ms").get<double>();
    p.latency_scale = j.value("latency_scale", 1.0);
    p.calibration_threads = j.at("calibration_threads").get<int>();
    p.cores = j.at("cores").get<int>();
    p.thread_efficiency = j.at("thread_efficiency").get<double>();
    p.idle_power_w = j.at("idle_power_w").get<double>();
    p.power_per_core_w = j.at("power_per_core_w").get<double>();
    p.memory_mb = j.at("memory_mb").get<double>();
    p.calibrated = j.value("calibrated", false);
    p.report = j.value("report", json::object());
  } catch (const std::exception& e) {
    throw ConfigError(where + ": not a raspberry_pi latency profile (" + e.what() +
                      "). Fix: write one with `coex calibrate --target raspberry_pi --out FILE`");
  }
  if (p.cores < 1 || p.calibration_threads < 1 || p.thread_efficiency < 0 ||
      p.thread_efficiency > 1)
    throw ConfigError(where +
                      ": cores and calibration_threads must be >= 1 and "
                      "thread_efficiency in [0, 1]");
  return p;
}

Profile preset(const std::string& name) {
  Profile p;
  p.device = name;
  // Datasheet-derived assumptions (README.md): effective single-thread fp32 throughput of
  // LibTorch convolutions, LPDDR bandwidth, per-layer dispatch overhead, board power.
  double gflops = 0, gbps = 0, layer_ms = 0;
  if (name == "rpi3b") {  // 4x Cortex-A53 @ 1.2 GHz, 1 GB LPDDR2-900
    gflops = 1.2, gbps = 1.8, layer_ms = 0.05;
    p.idle_power_w = 1.4, p.power_per_core_w = 0.55, p.memory_mb = 1024;
    p.per_network_ms = 0.5;
  } else if (name == "rpi4") {  // 4x Cortex-A72 @ 1.5 GHz, 4 GB LPDDR4-3200
    gflops = 3.5, gbps = 4.0, layer_ms = 0.02;
    p.idle_power_w = 2.7, p.power_per_core_w = 0.9, p.memory_mb = 4096;
    p.per_network_ms = 0.2;
  } else {
    throw ConfigError("unknown raspberry_pi preset '" + name +
                      "' (known: rpi3b, rpi4; or a calibrated profile file)");
  }
  for (std::size_t i = 0; i < kKinds; ++i) {
    const LayerKind k = kAllKinds[i];
    const bool compute = k != LayerKind::kNorm && k != LayerKind::kActivation &&
                         k != LayerKind::kPool && k != LayerKind::kMemory;
    // Element-wise layers reach a fraction of the convolution throughput.
    p.kinds[i].ms_per_gflop = 1000.0 / (compute ? gflops : gflops / 4);
    p.kinds[i].ms_per_mb = 1.0 / gbps;
    p.kinds[i].ms_per_layer = layer_ms;
  }
  p.cores = 4;
  p.calibration_threads = 1;
  p.thread_efficiency = 0.8;
  return p;
}

LatencyTerms latency_terms(const Profile& p, const Network& net, Runtime runtime) {
  LatencyTerms t;
  t.fixed_ms = p.per_network_ms;
  for (const LayerCost& c : layer_costs(net, runtime)) {
    const auto& k = p.kinds[static_cast<std::size_t>(c.kind)];
    t.parallel_ms += k.ms_per_gflop * c.gflop + k.ms_per_gflop_over_cin * c.gflop_over_cin +
                     k.ms_per_gflop_over_cout * c.gflop_over_cout;
    t.fixed_ms += k.ms_per_mb * c.mb + k.ms_per_layer;
  }
  return t;
}

namespace {
/// speedup(calibration threads) / speedup(threads): what the parallel terms are multiplied by.
double thread_ratio(const Profile& p, int threads) {
  const int t = std::clamp(threads, 1, std::max(1, p.cores));
  auto speed = [&](int th) { return 1 + (th - 1) * p.thread_efficiency; };
  return speed(p.calibration_threads) / speed(t);
}
}  // namespace

double latency_ms(const Profile& p, const LatencyTerms& terms, int threads) {
  return p.latency_scale * (terms.fixed_ms + terms.parallel_ms * thread_ratio(p, threads));
}

double latency_ms(const Profile& p, const Network& net, int threads, Runtime runtime) {
  return latency_ms(p, latency_terms(p, net, runtime), threads);
}

std::vector<LayerLatency> layer_latencies(const Profile& p, const Network& net, int threads,
                                          Runtime runtime) {
  const double ratio = thread_ratio(p, threads);
  std::vector<LayerLatency> out;
  for (const LayerCost& c : layer_costs(net, runtime)) {
    const auto& k = p.kinds[static_cast<std::size_t>(c.kind)];
    const double parallel = k.ms_per_gflop * c.gflop + k.ms_per_gflop_over_cin * c.gflop_over_cin +
                            k.ms_per_gflop_over_cout * c.gflop_over_cout;
    const double fixed = k.ms_per_mb * c.mb + k.ms_per_layer;
    out.push_back({c.node, c.kind, p.latency_scale * (fixed + parallel * ratio), c.gflop, c.mb});
  }
  return out;
}

std::vector<double> features(const Network& net, Runtime runtime) {
  std::vector<double> f(kFeaturesPerKind * kKinds + 1, 0.0);
  for (const auto& c : layer_costs(net, runtime)) {
    const auto k = kFeaturesPerKind * static_cast<std::size_t>(c.kind);
    f[k] += c.gflop;
    f[k + 1] += c.gflop_over_cin;
    f[k + 2] += c.gflop_over_cout;
    f[k + 3] += c.mb;
    f[k + 4] += 1;
  }
  f.back() = 1;
  return f;
}

std::vector<Coefficient> coefficients(const Profile& p) {
  std::vector<Coefficient> cs;
  cs.push_back({"latency_scale", "",
                "multiplies the whole latency (device speed against the "
                "coefficients)",
                p.latency_scale, 1e-4, 1e4, 3.0, true});
  // Positive values: a relative prior (a factor e); zero: an absolute one of `typical` width.
  auto add = [&](std::string name, std::string unit, std::string doc, double value,
                 double typical) {
    if (value > 0)
      cs.push_back({std::move(name), std::move(unit), std::move(doc), value, value * 1e-4,
                    value * 1e4, 1.0, true});
    else
      cs.push_back({std::move(name), std::move(unit), std::move(doc), 0.0, 0.0,
                    std::numeric_limits<double>::infinity(), typical, false});
  };
  add("per_network_ms", "ms", "fixed cost of one forward pass", p.per_network_ms, 0.2);
  for (std::size_t i = 0; i < kKinds; ++i) {
    const std::string k = kind_name(kAllKinds[i]);
    const KindCoefficients& c = p.kinds[i];
    const double per_gflop = c.ms_per_gflop > 0 ? c.ms_per_gflop : 300.0;
    add(k + "_ms_per_gflop", "ms/GFLOP", "time per GFLOP of " + k + " layers", c.ms_per_gflop,
        300.0);
    add(k + "_ms_per_gflop_over_cin", "ms/(GFLOP/channel)",
        "slowdown of " + k + " layers with few input channels", c.ms_per_gflop_over_cin,
        8 * per_gflop);
    add(k + "_ms_per_gflop_over_cout", "ms/(GFLOP/channel)",
        "slowdown of " + k + " layers with few output channels", c.ms_per_gflop_over_cout,
        8 * per_gflop);
    add(k + "_ms_per_mb", "ms/MB", "time per MB an " + k + " layer moves", c.ms_per_mb, 0.3);
    add(k + "_ms_per_layer", "ms", "fixed cost of one " + k + " layer", c.ms_per_layer, 0.02);
  }
  return cs;
}

Profile with_coefficients(Profile p, const std::vector<double>& v) {
  if (v.size() != 2 + kFeaturesPerKind * kKinds)
    throw Error("raspberry_pi: " + std::to_string(2 + kFeaturesPerKind * kKinds) +
                " coefficient values expected, got " + std::to_string(v.size()));
  p.latency_scale = v[0];
  p.per_network_ms = v[1];
  for (std::size_t i = 0; i < kKinds; ++i) {
    const double* c = &v[2 + kFeaturesPerKind * i];
    p.kinds[i] = {c[0], c[1], c[2], c[3], c[4]};
  }
  p.calibrated = true;
  return p;
}

LatencyModel latency_model(const Profile& p, const Network& net, int threads, Runtime runtime) {
  std::vector<double> f = features(net, runtime);
  // The GFLOP terms scale with the thread count; the MB and per-layer terms do not.
  const double ratio = thread_ratio(p, threads);
  for (std::size_t i = 0; i < kKinds; ++i)
    for (std::size_t j = 0; j < 3; ++j) f[kFeaturesPerKind * i + j] *= ratio;
  return [f = std::move(f)](const std::vector<double>& v) {
    double sum = v[1];
    for (std::size_t j = 0; j + 1 < f.size(); ++j) sum += v[2 + j] * f[j];
    return v[0] * sum;
  };
}

Profile fit(const std::vector<Network>& nets, const std::vector<double>& measured,
            const Profile& base) {
  if (nets.size() != measured.size() || nets.empty())
    throw Error("calibration: one measured latency per network is needed");
  std::vector<std::vector<double>> rows;
  for (const auto& n : nets) rows.push_back(features(n));
  const std::vector<double> coef = fit_relative_nnls(rows, measured);
  Profile p = base;
  for (std::size_t i = 0; i < kKinds; ++i) {
    const double* c = &coef[kFeaturesPerKind * i];
    p.kinds[i] = {c[0], c[1], c[2], c[3], c[4]};
  }
  p.per_network_ms = coef.back();
  p.latency_scale = 1;
  p.calibrated = true;
  return p;
}

}  // namespace coex::cpu_model
