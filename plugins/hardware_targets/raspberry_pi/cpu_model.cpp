#include "cpu_model.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <iterator>
#include <random>

#include <nlohmann/json.hpp>

#include "coex/error.hpp"

namespace coex::cpu_model {

using json = nlohmann::json;

namespace {
// In enum order: kAllKinds[i] names the coefficients Profile::kinds[i].
constexpr LayerKind kAllKinds[] = {
    LayerKind::kConv, LayerKind::kConvStrided, LayerKind::kConv1x1, LayerKind::kLinear,
    LayerKind::kNorm, LayerKind::kActivation,  LayerKind::kPool,    LayerKind::kMemory};
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
  }
  return "?";
}

std::vector<LayerCost> layer_costs(const Network& net) {
  std::vector<LayerCost> out;
  for (std::size_t i = 0; i < net.size(); ++i) {
    const Node& n = net.node(static_cast<int>(i));
    if (n.op == OpKind::kInput) continue;
    LayerCost c;
    double in_elems = 0;
    for (int k : n.inputs) in_elems += static_cast<double>(net.node(k).shape.elements());
    const double out_elems = static_cast<double>(n.shape.elements());
    double weights = static_cast<double>(net.params(n));
    c.mb = 4.0 * (in_elems + out_elems + weights) / 1e6;
    const double macs = static_cast<double>(net.macs(n));
    switch (n.op) {
      case OpKind::kConv2d:
        c.kind = n.stride > 1    ? LayerKind::kConvStrided
                 : n.kernel == 1 ? LayerKind::kConv1x1
                                 : LayerKind::kConv;
        c.gflop = 2 * macs / 1e9;
        break;
      case OpKind::kLinear:
        c.kind = LayerKind::kLinear;
        c.gflop = 2 * macs / 1e9;
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
    out.push_back(c);
  }
  return out;
}

json Profile::to_json() const {
  json k = json::object();
  for (std::size_t i = 0; i < kKinds; ++i)
    k[kind_name(kAllKinds[i])] = {{"ms_per_gflop", kinds[i].ms_per_gflop},
                                  {"ms_per_mb", kinds[i].ms_per_mb},
                                  {"ms_per_layer", kinds[i].ms_per_layer}};
  return {{"device", device},
          {"kinds", k},
          {"per_network_ms", per_network_ms},
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
      const json& k = j.at("kinds").at(kind_name(kAllKinds[i]));
      p.kinds[i] = {k.at("ms_per_gflop").get<double>(), k.at("ms_per_mb").get<double>(),
                    k.at("ms_per_layer").get<double>()};
    }
    p.per_network_ms = j.at("per_network_ms").get<double>();
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
    const bool compute = kAllKinds[i] == LayerKind::kConv || kAllKinds[i] == LayerKind::kLinear ||
                         kAllKinds[i] == LayerKind::kConv1x1 ||
                         kAllKinds[i] == LayerKind::kConvStrided;
    // Element-wise layers reach a fraction of the convolution throughput.
    p.kinds[i] = {1000.0 / (compute ? gflops : gflops / 4), 1.0 / gbps, layer_ms};
  }
  p.cores = 4;
  p.calibration_threads = 1;
  p.thread_efficiency = 0.8;
  return p;
}

double latency_ms(const Profile& p, const Network& net, int threads) {
  const int t = std::clamp(threads, 1, std::max(1, p.cores));
  auto speed = [&](int th) { return 1 + (th - 1) * p.thread_efficiency; };
  const double scale = speed(p.calibration_threads) / speed(t);
  double ms = p.per_network_ms;
  for (const auto& c : layer_costs(net)) {
    const auto& k = p.kinds[static_cast<std::size_t>(c.kind)];
    ms += k.ms_per_gflop * c.gflop * scale + k.ms_per_mb * c.mb + k.ms_per_layer;
  }
  return ms;
}

std::vector<double> features(const Network& net) {
  std::vector<double> f(3 * kKinds + 1, 0.0);
  for (const auto& c : layer_costs(net)) {
    const auto k = static_cast<std::size_t>(c.kind);
    f[3 * k] += c.gflop;
    f[3 * k + 1] += c.mb;
    f[3 * k + 2] += 1;
  }
  f.back() = 1;
  return f;
}

namespace {

/// Lawson-Hanson non-negative least squares: min |A x - b| s.t. x >= 0.
Eigen::VectorXd nnls(const Eigen::MatrixXd& A, const Eigen::VectorXd& b) {
  const Eigen::Index n = A.cols();
  Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
  std::vector<bool> passive(static_cast<std::size_t>(n), false);
  for (int outer = 0; outer < 3 * n + 10; ++outer) {
    const Eigen::VectorXd w = A.transpose() * (b - A * x);
    Eigen::Index best = -1;
    double wmax = 1e-12 * (1 + w.cwiseAbs().maxCoeff());
    for (Eigen::Index j = 0; j < n; ++j)
      if (!passive[static_cast<std::size_t>(j)] && w(j) > wmax) wmax = w(j), best = j;
    if (best < 0) break;
    passive[static_cast<std::size_t>(best)] = true;
    for (int inner = 0; inner < 3 * n + 10; ++inner) {
      std::vector<Eigen::Index> P;
      for (Eigen::Index j = 0; j < n; ++j)
        if (passive[static_cast<std::size_t>(j)]) P.push_back(j);
      Eigen::MatrixXd Ap(A.rows(), static_cast<Eigen::Index>(P.size()));
      for (std::size_t k = 0; k < P.size(); ++k) Ap.col(static_cast<Eigen::Index>(k)) = A.col(P[k]);
      const Eigen::VectorXd zp = Ap.colPivHouseholderQr().solve(b);
      Eigen::VectorXd z = Eigen::VectorXd::Zero(n);
      for (std::size_t k = 0; k < P.size(); ++k) z(P[k]) = zp(static_cast<Eigen::Index>(k));
      bool ok = true;
      for (Eigen::Index j : P) ok &= z(j) > 0;
      if (ok) {
        x = z;
        break;
      }
      double alpha = 1;
      for (Eigen::Index j : P)
        if (z(j) <= 0) alpha = std::min(alpha, x(j) / (x(j) - z(j)));
      x += alpha * (z - x);
      for (Eigen::Index j : P)
        if (x(j) <= 1e-15) passive[static_cast<std::size_t>(j)] = false, x(j) = 0;
    }
  }
  return x;
}

}  // namespace

Profile fit(const std::vector<Network>& nets, const std::vector<double>& measured,
            const Profile& base) {
  if (nets.size() != measured.size() || nets.empty())
    throw Error("calibration: one measured latency per network is needed");
  const std::size_t m = 3 * kKinds + 1;
  std::vector<std::vector<double>> rows;
  for (const auto& n : nets) rows.push_back(features(n));
  // Only coefficients whose feature varies (appears in some network) are fitted; others are 0.
  std::vector<std::size_t> used;
  for (std::size_t j = 0; j < m; ++j) {
    bool any = false;
    for (const auto& r : rows) any |= r[j] != 0;
    if (any) used.push_back(j);
  }
  if (nets.size() < used.size())
    throw Error("calibration: " + std::to_string(nets.size()) + " networks for " +
                std::to_string(used.size()) + " coefficients; measure more networks");
  Eigen::MatrixXd A(static_cast<Eigen::Index>(nets.size()), static_cast<Eigen::Index>(used.size()));
  Eigen::VectorXd b(static_cast<Eigen::Index>(nets.size()));
  for (std::size_t i = 0; i < nets.size(); ++i) {
    if (!(measured[i] > 0)) throw Error("calibration: measured latencies must be positive");
    // Relative error: divide each row by its measurement (|pred/meas - 1|).
    for (std::size_t k = 0; k < used.size(); ++k)
      A(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) =
          rows[i][used[k]] / measured[i];
    b(static_cast<Eigen::Index>(i)) = 1.0;
  }
  // Column scaling for conditioning (GFLOP and layer counts differ by orders of magnitude).
  Eigen::VectorXd scale(A.cols());
  for (Eigen::Index k = 0; k < A.cols(); ++k) {
    scale(k) = A.col(k).norm();
    if (scale(k) > 0) A.col(k) /= scale(k);
  }
  Eigen::VectorXd x = nnls(A, b);
  for (Eigen::Index k = 0; k < A.cols(); ++k)
    if (scale(k) > 0) x(k) /= scale(k);
  Profile p = base;
  std::vector<double> coef(m, 0.0);
  for (std::size_t k = 0; k < used.size(); ++k) coef[used[k]] = x(static_cast<Eigen::Index>(k));
  for (std::size_t i = 0; i < kKinds; ++i)
    p.kinds[i] = {coef[3 * i], coef[3 * i + 1], coef[3 * i + 2]};
  p.per_network_ms = coef.back();
  p.calibrated = true;
  return p;
}

std::vector<Network> generated_networks(std::size_t count, std::uint64_t seed, const Shape& input,
                                        int classes) {
  std::mt19937_64 rng(seed);
  auto pick = [&](std::initializer_list<int> v) {
    return *(v.begin() + static_cast<std::ptrdiff_t>(rng() % v.size()));
  };
  std::vector<Network> out;
  while (out.size() < count) {
    Network n;
    int x = n.add_input(input);
    const int layers = 2 + static_cast<int>(rng() % 9);
    int prev = -1;
    for (int l = 0; l < layers; ++l) {
      const Shape s = n.node(x).shape;
      const int k = pick({1, 3, 3, 5});
      const int c = pick({4, 8, 16, 24, 32, 48, 64, 96, 128});
      const int stride = s.h >= 8 && rng() % 4 == 0 ? 2 : 1;
      int y = n.add_conv2d(x, c, k, stride, k / 2, 1, false);
      if (rng() % 3 != 0) y = n.add_batch_norm(y);
      y = n.add_activation(y, Activation::kRelu);
      const Shape ys = n.node(y).shape;
      // Occasionally a DenseNet concatenation or a residual addition with the previous layer.
      if (prev >= 0 && n.node(prev).shape.h == ys.h && rng() % 4 == 0) {
        if (n.node(prev).shape.c == ys.c && rng() % 2 == 0) {
          y = n.add_add({y, prev});
        } else {
          const auto pc = n.node(prev).shape.c;
          std::vector<std::int64_t> ch;
          for (std::int64_t j = 0; j < pc; j += 2) ch.push_back(j);
          y = n.add_concat({y, n.add_channel_select(prev, ch)});
        }
      }
      if (ys.h >= 8 && rng() % 5 == 0) y = n.add_max_pool(y, 2, 2);
      prev = y;
      x = y;
    }
    x = n.add_global_avg_pool(x);
    n.add_linear(n.add_flatten(x), classes);
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace coex::cpu_model
