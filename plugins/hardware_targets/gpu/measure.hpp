// Timing of real inference on the visible CUDA GPU for `coex calibrate --target gpu`. Compiled
// only when coex is built against a CUDA-enabled LibTorch (COEX_GPU_CUDA); the tool says so
// otherwise.
#pragma once

#include <string>
#include <vector>

#include "gpu_model.hpp"

namespace coex::gpu {

/// What to measure.
struct MeasurePlan {
  std::size_t networks = 60;  ///< generated networks
  std::uint64_t seed = 1;
  Shape input{3, 32, 32};
  std::vector<Precision> precisions{Precision::kFp32, Precision::kFp16};
  std::vector<int> batches{1, 32, 256};
  int warmup = 10;       ///< untimed runs per (network, precision, batch)
  int repeats = 30;      ///< timed runs; the median is kept
  std::string dump_dir;  ///< networks/NNN.json and measurements.csv are written here
};

/// Name of the visible CUDA device ("NVIDIA A100-SXM4-40GB"), or throws coex::UserError when
/// no CUDA device is visible.
std::string cuda_device_name();

/// Times every (network, precision, batch) of the plan with CUDA events (warm-up, then the median
/// of `repeats`), writes the networks and `measurements.csv` (for `--measurements`) into
/// `plan.dump_dir` under the device name `device`, and returns the measurements.
std::vector<Measurement> measure_on_cuda(const MeasurePlan& plan, const std::string& device);

}  // namespace coex::gpu
