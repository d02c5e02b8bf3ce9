// Per-layer analytical latency model of a CPU (Raspberry Pi or the host), its calibration
// profile, and the least-squares fit that `coex calibrate --target raspberry_pi` runs on measured
// inference times. Shared by the `raspberry_pi` target and the calibration tool.
//
//   latency_ms = per_network_ms + sum over layers l of
//                (a_k + a_in_k / Cin_l + a_out_k / Cout_l) * GFLOP_l / speedup(threads)
//                + b_k * MB_l + c_k                                           (k = kind of l)
//
// FLOP = 2 x MACs (convolutions, linear; 3 for adder convolutions) or one per output element
// (other layers); Cin, Cout = input and output channels per group (convolutions, linear; the
// channel terms are 0 for other kinds). The channel terms are an efficiency curve: a layer's
// throughput 1 / (a (1 + h_in / Cin + h_out / Cout)) falls off for narrow layers, as LibTorch's
// CPU kernels do (3 GFLOP/s for one input channel, 50+ for 64), yet the model stays linear in
// its coefficients. MB = bytes moved (input and output activations and weights, fp32) / 1e6;
// speedup(t) = 1 + (t-1) x thread_efficiency, relative to the profile's calibration threads.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coex/calibration.hpp"
#include "coex/network.hpp"

namespace coex::cpu_model {

/// Layer kinds with their own coefficients. Convolutions split by the kernel LibTorch's CPU
/// backend runs for them (conv_backend()) and then by kernel and stride: the two backends differ
/// by up to 4x in efficiency on the same shape.
enum class LayerKind {
  kConv,         ///< native im2col + GEMM, kernel > 1, stride 1
  kConvStrided,  ///< native im2col + GEMM, stride > 1
  kConv1x1,      ///< native GEMM, kernel 1, stride 1
  kLinear,
  kNorm,
  kActivation,
  kPool,
  kMemory,          ///< add, concat, channel_select, flatten
  kConvDnn,         ///< oneDNN (mkldnn) direct convolution, stride 1
  kConvDnnStrided,  ///< oneDNN (mkldnn) direct convolution, stride > 1
};
constexpr std::size_t kKinds = 10;
const char* kind_name(LayerKind k);

/// The CPU convolution kernel LibTorch (1.13, x86 builds with oneDNN) selects for a float
/// convolution at batch 1 on one thread: oneDNN when the layer is strided or not 1x1, and it is
/// grouped, its kernel is larger than 3, or its input has more than 20480 elements; else the
/// native im2col + GEMM kernel. The calibration tool checks this rule against LibTorch's own
/// choice (at::native::select_conv_backend) on the networks it times.
enum class ConvBackend { kNative, kOneDnn };
ConvBackend conv_backend(std::int64_t in_channels, std::int64_t in_h, std::int64_t in_w, int kernel,
                         int stride, int groups);

/// How the framework runs the IR: one kernel per IR operation (PyTorch eager, the default), or
/// with a batch norm and activation that directly follow a convolution or linear layer folded into
/// it (an inference runtime with operator fusion): those layers then cost nothing of their own.
enum class Runtime { kEager, kFused };

/// What one layer costs the model.
struct LayerCost {
  LayerKind kind = LayerKind::kMemory;
  double gflop = 0;
  double gflop_over_cin = 0;   ///< GFLOP / input channels per group (convolutions, linear)
  double gflop_over_cout = 0;  ///< GFLOP / output channels per group (convolutions, linear)
  double mb = 0;
  int node = -1;  ///< the IR node (layer_costs sets it)
};

/// What node `n` of `net` costs (not the input node).
LayerCost layer_cost(const Network& net, const Node& n);
/// Costs of every layer of `net` the runtime executes (the input node excluded).
std::vector<LayerCost> layer_costs(const Network& net, Runtime runtime = Runtime::kEager);

/// Coefficients of one layer kind.
struct KindCoefficients {
  double ms_per_gflop = 0;
  double ms_per_gflop_over_cin = 0;   ///< times GFLOP / Cin (narrow-input slowdown)
  double ms_per_gflop_over_cout = 0;  ///< times GFLOP / Cout (narrow-output slowdown)
  double ms_per_mb = 0;
  double ms_per_layer = 0;
};

/// Regression features per layer kind: GFLOP, GFLOP/Cin, GFLOP/Cout, MB, layers.
constexpr std::size_t kFeaturesPerKind = 5;

/// A device profile: the model's coefficients and the device facts around them.
struct Profile {
  std::string device;  ///< "rpi3b", "rpi4", "host_cpu", ...
  std::array<KindCoefficients, kKinds> kinds{};
  double per_network_ms = 0;
  /// Multiplies the whole latency: how much faster or slower the device is than the coefficients
  /// say (a calibration moves this first; see coefficients()).
  double latency_scale = 1;
  int calibration_threads = 1;  ///< threads the coefficients were measured with
  int cores = 4;
  double thread_efficiency = 0.8;  ///< speed-up per extra thread (0..1)
  double idle_power_w = 0;
  double power_per_core_w = 0;
  double memory_mb = 1024;  ///< RAM available to the process
  bool calibrated = false;  ///< measured on the device (else datasheet-derived assumptions)
  nlohmann::json report;    ///< the calibration's statistics (held-out errors, ...)

  nlohmann::json to_json() const;
  /// Throws coex::ConfigError naming `where` for a malformed profile.
  static Profile from_json(const nlohmann::json& j, const std::string& where);
};

/// Built-in profiles: "rpi3b" and "rpi4" (datasheet-derived, uncalibrated; see README.md).
/// Throws coex::ConfigError for another name.
Profile preset(const std::string& name);

/// A network's predicted latency split by what threads speed up:
/// latency_ms(threads) = fixed_ms + parallel_ms * speedup(calibration threads) / speedup(threads).
struct LatencyTerms {
  double parallel_ms = 0;  ///< the GFLOP terms at the profile's calibration threads
  double fixed_ms = 0;     ///< per network, per layer and memory terms
};
LatencyTerms latency_terms(const Profile& p, const Network& net, Runtime runtime = Runtime::kEager);
/// Predicted latency with `threads` threads (clamped to 1 .. cores).
double latency_ms(const Profile& p, const LatencyTerms& terms, int threads);
double latency_ms(const Profile& p, const Network& net, int threads,
                  Runtime runtime = Runtime::kEager);

/// One executed layer's share of latency_ms(p, net, threads, runtime): its terms, scaled and
/// thread-adjusted as the whole network's are. The layers add up to the network's latency less
/// latency_scale x per_network_ms.
struct LayerLatency {
  int node = -1;
  LayerKind kind = LayerKind::kMemory;
  double ms = 0;
  double gflop = 0;
  double mb = 0;
};
std::vector<LayerLatency> layer_latencies(const Profile& p, const Network& net, int threads,
                                          Runtime runtime = Runtime::kEager);

/// The regression row of a network: per kind (GFLOP, GFLOP/Cin, GFLOP/Cout, MB, layer count),
/// then 1.
std::vector<double> features(const Network& net, Runtime runtime = Runtime::kEager);

/// The calibration coefficients of `p` (coex/calibration.hpp), in this order: latency_scale,
/// per_network_ms, then per kind `<kind>_ms_per_gflop`, `_ms_per_gflop_over_cin`,
/// `_ms_per_gflop_over_cout`, `_ms_per_mb`, `_ms_per_layer`. Priors: latency_scale is free
/// (a factor e^3 per standard deviation), so a device faster or slower than the preset moves it
/// rather than every coefficient; positive coefficients are relative (a factor e), zero ones
/// absolute with a width of the kind's typical magnitude.
std::vector<Coefficient> coefficients(const Profile& p);
/// `p` with coefficient values `v` (in coefficients() order) and `calibrated` set.
Profile with_coefficients(Profile p, const std::vector<double>& v);
/// latency_ms(p, net, threads, runtime) as a function of the coefficient values.
LatencyModel latency_model(const Profile& p, const Network& net, int threads, Runtime runtime);

/// Fits the coefficients (non-negative least squares on relative error, so that small and large
/// networks weigh alike) to measured latencies. `base` supplies the device facts. Throws
/// coex::Error if there are fewer networks than coefficients that vary.
Profile fit(const std::vector<Network>& nets, const std::vector<double>& measured_ms,
            const Profile& base);

}  // namespace coex::cpu_model
