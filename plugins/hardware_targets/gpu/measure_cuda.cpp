// CUDA timing for coex-calibrate-gpu. Built only with a CUDA-enabled LibTorch (COEX_GPU_CUDA).
#include <ATen/Context.h>
#include <ATen/cuda/CUDAEvent.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "coex/error.hpp"
#include "coex/io.hpp"
#include "coex/tools/networks.hpp"
#include "coex/torch/lower.hpp"
#include "measure.hpp"

namespace coex::gpu {

std::string cuda_device_name() {
  if (!torch::cuda::is_available() || torch::cuda::device_count() == 0)
    throw UserError(
        "coex calibrate --target gpu: no CUDA device is visible (torch::cuda::is_available() is "
        "false). Fix: run on a machine with an NVIDIA GPU and driver, check CUDA_VISIBLE_DEVICES, "
        "or fit measurements taken elsewhere with --measurements FILE.csv");
  const auto* props = at::cuda::getCurrentDeviceProperties();
  return props ? std::string(props->name) : std::string("cuda_gpu");
}

std::vector<Measurement> measure_on_cuda(const MeasurePlan& plan, const std::string& device) {
  namespace fs = std::filesystem;
  torch::NoGradGuard no_grad;
  const auto nets = tools::generated_networks(plan.networks, plan.seed, plan.input, 10,
                                              {16, 32, 64, 128, 256, 512});
  fs::create_directories(fs::path(plan.dump_dir) / "networks");
  std::string csv = "network,device,precision,batch,latency_ms\n";
  std::vector<Measurement> out;
  for (std::size_t i = 0; i < nets.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "networks/%03zu.json", i);
    write_file_atomic((fs::path(plan.dump_dir) / name).string(), nets[i].to_json_text() + "\n");
    const Workload work = workload(nets[i]);
    for (Precision p : plan.precisions) {
      if (p == Precision::kInt8) continue;  // no int8 convolution in eager LibTorch on CUDA
      const bool tf32 = p == Precision::kTf32;
      at::globalContext().setAllowTF32CuBLAS(tf32);
      at::globalContext().setAllowTF32CuDNN(tf32);
      const auto dtype = p == Precision::kFp16   ? torch::kHalf
                         : p == Precision::kBf16 ? torch::kBFloat16
                                                 : torch::kFloat;
      auto module = torch_bridge::lower(nets[i]);
      module->eval();
      module->to(torch::kCUDA, dtype);
      for (int batch : plan.batches) {
        auto x = torch::randn({batch, plan.input.c, plan.input.h, plan.input.w},
                              torch::TensorOptions().device(torch::kCUDA).dtype(dtype));
        for (int w = 0; w < plan.warmup; ++w) module->forward(x);
        std::vector<double> ms;
        for (int r = 0; r < plan.repeats; ++r) {
          at::cuda::CUDAEvent start(cudaEventDefault), stop(cudaEventDefault);
          start.record();
          auto y = module->forward(x);
          stop.record();
          stop.synchronize();
          ms.push_back(static_cast<double>(start.elapsed_time(stop)));
        }
        std::nth_element(ms.begin(), ms.begin() + static_cast<std::ptrdiff_t>(ms.size() / 2),
                         ms.end());
        Measurement m;
        m.workload = work;
        m.network = name;
        m.precision = p;
        m.batch = batch;
        m.latency_ms = ms[ms.size() / 2];
        char row[160];
        std::snprintf(row, sizeof row, "%s,%s,%s,%d,%.9g\n", name, device.c_str(),
                      precision_name(p), batch, m.latency_ms);
        csv += row;
        out.push_back(std::move(m));
      }
    }
    std::printf("  network %zu/%zu timed\n", i + 1, nets.size());
    std::fflush(stdout);
  }
  write_file_atomic((fs::path(plan.dump_dir) / "measurements.csv").string(), csv);
  return out;
}

}  // namespace coex::gpu
