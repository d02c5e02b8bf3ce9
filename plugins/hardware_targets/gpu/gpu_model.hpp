// Roofline model of a network deployed on GPUs, its device presets, its efficiency profile and
// the fit of that profile to measured latencies. Shared by the `gpu` target, the calibration tool
// `coex-calibrate-gpu` and the tests. All assumptions are listed in README.md.
//
// A network is first turned into a Workload: the kernels it launches after fusion (a convolution
// or linear layer absorbs the batch norm and activation that follow it; flatten is a view), each
// with its FLOP, activation traffic and weights per sample. One kernel of class k at batch B and
// precision p then takes
//
//   t = max(FLOP x B / (peak_p x e_compute,k x s),  bytes / (bandwidth x e_memory,k)) + launch
//   bytes = (activation elements x B + weight elements) x bytes_per_element(p)
//
// where peak_p is the device's dense peak at p for convolutions and matrix products (tensor cores
// where the precision uses them) and its fp32 vector peak for the other classes, and s <= 1 the
// compute clock the power cap allows. The network's latency is the sum over kernels.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "coex/calibration.hpp"
#include "coex/network.hpp"
#include "coex/options.hpp"

namespace coex::gpu {

/// Arithmetic precision of a deployment (weights and activations).
enum class Precision { kFp32, kTf32, kFp16, kBf16, kInt8 };
constexpr std::size_t kPrecisions = 5;
/// "fp32", "tf32", "fp16", "bf16", "int8".
const char* precision_name(Precision p);
/// The precision named `s`, or nullopt.
std::optional<Precision> parse_precision(std::string_view s);
/// Storage of one element: 4 (fp32, tf32), 2 (fp16, bf16), 1 (int8).
int bytes_per_element(Precision p);

/// Classes of kernels with their own achievable efficiencies.
enum class OpClass {
  kConv,         ///< dense or grouped convolution with groups < channels (tensor-core eligible)
  kDepthwise,    ///< convolution with one group per input channel
  kMatmul,       ///< linear layer
  kElementwise,  ///< batch norm, activation, add (when not fused into a convolution)
  kPool,         ///< max, average and global average pooling
  kMemory,       ///< concat, channel_select, zero: pure data movement
};
constexpr std::size_t kOpClasses = 6;
/// "conv", "depthwise", "matmul", "elementwise", "pool", "memory".
const char* op_class_name(OpClass c);

/// One GPU model from its datasheet. Figures are per GPU; TFLOPS are dense (no sparsity).
struct Device {
  std::string name;
  /// Peak per precision for convolutions and linear layers, TFLOPS (TOPS for int8); 0 means the
  /// device does not support the precision.
  std::array<double, kPrecisions> tflops{};
  double vector_tflops = 0;  ///< fp32 CUDA-core peak, used by the other kernel classes
  double memory_gb = 0;      ///< device memory, GB (1e9 bytes)
  double bandwidth_gbs = 0;  ///< memory bandwidth, GB/s
  double tdp_w = 0;          ///< board power limit (default power cap), W
  double idle_w = 0;         ///< power with nothing running, W
  double min_power_w = 0;    ///< lowest power cap the driver accepts, W
  double launch_us = 5;      ///< kernel launch overhead, microseconds
  int max_gpus = 8;          ///< GPUs of this model in one node (data parallelism bound)

  bool supports(Precision p) const { return tflops[static_cast<std::size_t>(p)] > 0; }
  /// Peak for kernels of class `c` at precision `p`, TFLOPS.
  double peak_tflops(OpClass c, Precision p) const;
};

/// A device from a JSON object {name, fp32_tflops, tf32_tflops=0, fp16_tflops=0, bf16_tflops=0,
/// int8_tops=0 (0 = unsupported), vector_tflops=fp32_tflops, memory_gb, bandwidth_gbs, tdp_w,
/// idle_w=0.15 tdp_w, min_power_w=0.4 tdp_w, launch_us=5, max_gpus=8} (a [[devices]] table of
/// the target). Throws coex::ConfigError naming `where` and the field for a missing, unknown or
/// out-of-range field.
Device device_from_json(const nlohmann::json& t, const std::string& where);
/// The fields of a custom device (option `devices`, or a `--device-file`), as option specs.
std::vector<OptionSpec> device_fields();

/// Built-in devices: a100_40gb, h100_sxm, l4, rtx4090, jetson_orin_nano (README.md lists the
/// datasheet figures and their sources).
const std::vector<Device>& device_presets();
/// The preset named `name`, or nullptr.
const Device* find_preset(std::string_view name);

/// How the framework runs a network: `kEager` launches one kernel per IR operation and pays a
/// framework overhead per operation (PyTorch eager); `kFused` folds a batch norm and activation
/// into the convolution or linear layer before them (an inference runtime such as TensorRT).
enum class Runtime { kEager, kFused };

/// Achievable share of a peak, in (0, 1] (can exceed 1 slightly in a noisy fit).
struct Efficiency {
  double compute = 0.5;
  double memory = 0.7;
};

/// Efficiencies per kernel class: defaults, or fitted to measurements of one device.
struct Profile {
  std::string device;  ///< device the profile was fitted on; empty for the defaults
  std::array<Efficiency, kOpClasses> ops{};
  double launch_us = -1;  ///< fitted launch overhead, microseconds; < 0 keeps the device's
  /// Per kernel of each class, on top of the launch: the framework's dispatch cost, microseconds.
  std::array<double, kOpClasses> overhead_us{};
  /// Per forward pass (the framework's call into the network), microseconds.
  double network_overhead_us = 0;
  bool calibrated = false;
  nlohmann::json report = nlohmann::json::object();  ///< fit statistics

  nlohmann::json to_json() const;
  /// Throws coex::ConfigError naming `where` for a malformed profile.
  static Profile from_json(const nlohmann::json& j, const std::string& where);
};

/// Default efficiencies (README.md): conv 0.55 / 0.75, depthwise 0.25 / 0.6, matmul 0.6 / 0.75,
/// element-wise 0.3 / 0.8, pool 0.3 / 0.7, memory 0.3 / 0.75 (compute / memory).
Profile default_profile();
/// The defaults for `runtime`: eager adds 10 us of framework dispatch per kernel and 50 us per
/// forward pass (README.md, "Runtimes"); fused adds nothing.
Profile default_profile(Runtime runtime);

/// The calibration coefficients of `p` (coex/calibration.hpp), per class in op-class order:
/// `<class>_compute_efficiency`, `<class>_memory_efficiency` (relative priors, a factor e, bounds
/// (0.001, 2]), `<class>_overhead_us` (absolute, 10 us wide, >= 0); then `network_overhead_us`
/// (absolute, 100 us wide, >= 0).
std::vector<Coefficient> coefficients(const Profile& p);
/// `p` with coefficient values `v` (coefficients() order), marked calibrated.
Profile with_coefficients(Profile p, const std::vector<double>& v);

/// One kernel after fusion; figures per sample.
struct Kernel {
  OpClass cls = OpClass::kMemory;
  std::string name;         ///< fused ops, e.g. "conv3x3+batch_norm+relu"
  double flop = 0;          ///< floating-point (or integer) operations per sample
  double act_elements = 0;  ///< activation elements read plus written per sample
  double weight_elements = 0;
};

/// What a network asks of a GPU, independent of the deployment.
struct Workload {
  std::vector<Kernel> kernels;
  double weight_elements = 0;     ///< all parameters (batch norm folded: 2 per channel)
  double peak_live_elements = 0;  ///< per sample: most activation elements alive at once
  double workspace_elements = 0;  ///< per sample: largest implicit-GEMM (im2col) buffer
};

/// The kernels of `net`: with fusion (README.md, "Fusion") for `kFused`, one per IR operation
/// (flatten, a view, excepted) for `kEager`.
Workload workload(const Network& net, Runtime runtime = Runtime::kFused);

/// A deployment: one point of the target's design space.
struct Deployment {
  const Device* device = nullptr;
  Precision precision = Precision::kFp32;
  int batch = 1;           ///< images per forward pass on each GPU
  double power_cap_w = 0;  ///< per GPU; clamped to [min_power_w, tdp_w]
  int gpus = 1;            ///< data-parallel replicas, each with its own batch
};

/// Fixed parameters of the power and memory model.
struct ModelOptions {
  double compute_power_share = 0.7;  ///< share of dynamic power drawn by the compute units
  double context_gb = 0.5;           ///< CUDA context and framework overhead per GPU, GB
  double min_clock = 0.2;            ///< lowest compute clock (share of boost) a cap may force
};

/// Time of one kernel, seconds.
struct KernelTime {
  double compute_s = 0;
  double memory_s = 0;
  double launch_s = 0;
  double total_s = 0;  ///< max(compute_s, memory_s) + launch_s (launch and class overhead)
};

/// Time of kernel `k` at `batch` and `precision` with compute clock `clock` (1 = boost).
KernelTime kernel_time(const Kernel& k, const Device& d, const Profile& p, Precision precision,
                       int batch, double clock = 1.0);

/// What the model predicts for a workload on a deployment.
struct Prediction {
  double latency_ms = 0;      ///< one batch on one GPU
  double throughput_ips = 0;  ///< images per second over all GPUs
  double power_w = 0;         ///< average power of all GPUs together while running
  double energy_mj = 0;       ///< per image
  double memory_gb = 0;       ///< per GPU: weights, live activations, workspace, context
  double clock = 1;           ///< compute clock under the power cap (share of boost)
  double power_cap_w = 0;     ///< the cap applied (after clamping to the device's range)
  bool fits_memory = true;
  bool cap_reachable = true;  ///< false if even the lowest clock draws more than the cap
};

/// Predicts `w` on `d`. Throws coex::Error if the deployment has no device or batch/gpus < 1.
Prediction predict(const Workload& w, const Deployment& d, const Profile& p,
                   const ModelOptions& m = {});

/// One measured latency: a network run at a precision and batch size on one GPU, uncapped.
struct Measurement {
  Workload workload;
  std::string network;  ///< where it came from (file name), for messages
  Precision precision = Precision::kFp32;
  int batch = 1;
  double latency_ms = 0;
};

/// Outcome of a fit.
struct FitResult {
  Profile profile;
  /// Whether each efficiency was determined by the data: a class none of whose kernels is
  /// compute-bound (memory-bound) in any measurement keeps the start value for that efficiency.
  std::array<bool, kOpClasses> compute_identified{};
  std::array<bool, kOpClasses> memory_identified{};
  bool launch_identified = false;
  double rms_relative_error = 0;  ///< over the measurements fitted
};

/// Fits the efficiencies and launch overhead of `d` to measurements (least squares on relative
/// error, alternating between the roofline branch each kernel takes and a non-negative linear
/// solve; several starts, the best kept). Throws coex::Error for fewer measurements than
/// unknowns or a non-positive latency.
FitResult fit(const std::vector<Measurement>& ms, const Device& d, const Profile& start);

/// Reads measurements from a CSV with the header `network,device,precision,batch,latency_ms`;
/// `network` is the path of a network JSON (`coex` IR, as written by the calibration tool or
/// `Network::to_json`), relative to the CSV's folder. Every row must name the same device; it is
/// returned in `device`. Throws coex::ConfigError naming file:line for any malformed row.
std::vector<Measurement> read_measurements(const std::string& csv_path, std::string& device);

}  // namespace coex::gpu
