// The `gpu` target: roofline times against hand computations, the directions precision, batch,
// power cap and GPU count move the results, memory feasibility, and calibration.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "coex/testing/checks.hpp"
#include "coex/tools/networks.hpp"
#include "gpu_model.hpp"

namespace coex {
namespace {

namespace fs = std::filesystem;
using gpu::Precision;

const gpu::Device& a100() { return *gpu::find_preset("a100_40gb"); }

/// 3x3 convolution 256 -> 256 channels on 56x56, no bias: 2 x 256 x 256 x 9 x 56 x 56 FLOP.
Network big_conv() {
  Network n;
  n.add_conv2d(n.add_input({256, 56, 56}), 256, 3, 1, 1, 1, false);
  return n;
}

TEST(GpuModel, ComputeBoundLayerEqualsHandComputation) {
  const auto w = gpu::workload(big_conv());
  ASSERT_EQ(w.kernels.size(), 1u);
  const auto& k = w.kernels[0];
  EXPECT_EQ(k.cls, gpu::OpClass::kConv);
  EXPECT_DOUBLE_EQ(k.flop, 2.0 * 256 * 256 * 9 * 56 * 56);
  EXPECT_DOUBLE_EQ(k.act_elements, 2.0 * 256 * 56 * 56);
  EXPECT_DOUBLE_EQ(k.weight_elements, 256.0 * 256 * 9);
  // fp16, batch 32 on an A100: 312 TFLOPS x 0.55 (default conv compute efficiency).
  const auto t = gpu::kernel_time(k, a100(), gpu::default_profile(), Precision::kFp16, 32);
  const double compute = 2.0 * 256 * 256 * 9 * 56 * 56 * 32 / (312e12 * 0.55);
  const double memory = (2.0 * 256 * 56 * 56 * 32 + 256.0 * 256 * 9) * 2 / (1555e9 * 0.75);
  EXPECT_NEAR(t.compute_s, compute, 1e-15);
  EXPECT_NEAR(t.memory_s, memory, 1e-15);
  EXPECT_GT(t.compute_s, t.memory_s);  // compute-bound
  EXPECT_NEAR(t.total_s, compute + 5e-6, 1e-15);
}

TEST(GpuModel, MemoryBoundLayerEqualsHandComputation) {
  // 2x2 max pooling of 64x112x112: 4 FLOP per output element, reads the input, writes the output.
  Network n;
  n.add_max_pool(n.add_input({64, 112, 112}), 2, 2);
  const auto w = gpu::workload(n);
  ASSERT_EQ(w.kernels.size(), 1u);
  EXPECT_EQ(w.kernels[0].cls, gpu::OpClass::kPool);
  const auto t =
      gpu::kernel_time(w.kernels[0], a100(), gpu::default_profile(), Precision::kFp32, 8);
  const double compute = 4.0 * 64 * 56 * 56 * 8 / (19.5e12 * 0.3);  // vector peak x pool 0.3
  const double memory = (64.0 * 112 * 112 + 64.0 * 56 * 56) * 8 * 4 / (1555e9 * 0.7);
  EXPECT_NEAR(t.compute_s, compute, 1e-15);
  EXPECT_NEAR(t.memory_s, memory, 1e-15);
  EXPECT_GT(t.memory_s, t.compute_s);  // memory-bound
  EXPECT_NEAR(t.total_s, memory + 5e-6, 1e-15);
  // The network's latency is the sum of its kernels (one here).
  gpu::Deployment d{&a100(), Precision::kFp32, 8, 0, 1};
  EXPECT_NEAR(gpu::predict(w, d, gpu::default_profile()).latency_ms, (memory + 5e-6) * 1e3, 1e-12);
}

TEST(GpuModel, FusesNormAndActivationIntoTheConvolutionAndFlattenIsAView) {
  Network n;
  int x = n.add_input({3, 32, 32});
  x = n.add_activation(n.add_batch_norm(n.add_conv2d(x, 16, 3, 1, 1, 1, false)), Activation::kRelu);
  const int a = n.add_conv2d(x, 16, 1, 1, 0, 1, false);
  const int s = n.add_add({a, x});  // x has two consumers: not fused into the next conv
  n.add_linear(n.add_flatten(n.add_global_avg_pool(s)), 10);
  const auto w = gpu::workload(n);
  std::vector<std::string> names;
  for (const auto& k : w.kernels) names.push_back(k.name);
  EXPECT_EQ(names, (std::vector<std::string>{"conv3x3+batch_norm+relu", "conv1x1", "add",
                                             "global_avg_pool", "linear"}));
  // The fused kernel reads the input and writes one 16x32x32 tensor: no intermediates.
  EXPECT_DOUBLE_EQ(w.kernels[0].act_elements, 3.0 * 32 * 32 + 16.0 * 32 * 32);
  // conv + BN: 16 x 3 x 9 weights + 2 x 16 (scale, shift) + 3 x 16 x 32 x 32 x 2 ... FLOP
  EXPECT_DOUBLE_EQ(w.kernels[0].weight_elements, 16.0 * 3 * 9 + 32);
  EXPECT_DOUBLE_EQ(w.kernels[0].flop,
                   2.0 * 16 * 3 * 9 * 32 * 32 + 2.0 * 16 * 32 * 32 + 16.0 * 32 * 32);
  // Live at the add: x (until the add), a and the add's output: 3 x 16 x 32 x 32.
  EXPECT_DOUBLE_EQ(w.peak_live_elements, 3.0 * 16 * 32 * 32);
  // im2col of the 3x3 convolution: 3 x 9 x 32 x 32.
  EXPECT_DOUBLE_EQ(w.workspace_elements, 3.0 * 9 * 32 * 32);
}

TEST(GpuModel, PrecisionBatchCapAndGpusMoveResultsTheExpectedWay) {
  const auto w = gpu::workload(big_conv());
  const auto p = gpu::default_profile();
  auto at = [&](Precision pr, int batch, double cap, int gpus) {
    return gpu::predict(w, {&a100(), pr, batch, cap, gpus}, p);
  };
  const auto fp32 = at(Precision::kFp32, 32, 0, 1);
  const auto tf32 = at(Precision::kTf32, 32, 0, 1);
  const auto fp16 = at(Precision::kFp16, 32, 0, 1);
  const auto int8 = at(Precision::kInt8, 32, 0, 1);
  EXPECT_LT(tf32.latency_ms, fp32.latency_ms);
  EXPECT_LT(fp16.latency_ms, tf32.latency_ms);
  EXPECT_LT(int8.latency_ms, fp16.latency_ms);
  EXPECT_LT(fp16.memory_gb, fp32.memory_gb);
  EXPECT_LT(int8.memory_gb, fp16.memory_gb);
  EXPECT_LT(fp16.energy_mj, fp32.energy_mj);
  // Batch: a longer pass, but more images per second (launch and weights amortised).
  const auto b1 = at(Precision::kFp16, 1, 0, 1);
  EXPECT_LT(b1.latency_ms, fp16.latency_ms);
  EXPECT_GT(fp16.throughput_ips, b1.throughput_ips);
  EXPECT_GT(fp16.memory_gb, b1.memory_gb);
  // Power cap: a compute-bound pass at 60% of 400 W runs at a lower clock, within the cap.
  EXPECT_GT(fp32.power_w, 240);
  const auto capped = at(Precision::kFp32, 32, 240, 1);
  EXPECT_LT(capped.clock, 1.0);
  EXPECT_LE(capped.power_w, 240 + 1e-6);
  EXPECT_GT(capped.latency_ms, fp32.latency_ms);
  // Caps outside the device's range are clamped: 10 W becomes the A100's 100 W minimum.
  EXPECT_DOUBLE_EQ(at(Precision::kFp32, 32, 10, 1).power_cap_w, 100);
  // Data parallelism: same latency per pass, 4x the images and the power.
  const auto four = at(Precision::kFp16, 32, 0, 4);
  EXPECT_DOUBLE_EQ(four.latency_ms, fp16.latency_ms);
  EXPECT_NEAR(four.throughput_ips, 4 * fp16.throughput_ips, 1e-6 * four.throughput_ips);
  EXPECT_NEAR(four.power_w, 4 * fp16.power_w, 1e-9);
  EXPECT_NEAR(four.energy_mj, fp16.energy_mj, 1e-12);
  // A faster device is faster.
  const auto h100 = gpu::predict(w, {gpu::find_preset("h100_sxm"), Precision::kFp16, 32, 0, 1}, p);
  EXPECT_LT(h100.latency_ms, fp16.latency_ms);
}

TEST(GpuTarget, NetworkTooLargeForMemoryIsInfeasibleWithTheReason) {
  // 512 channels at 224x224 in fp32: 103 MB per image per activation; batch 128 needs ~50 GB.
  Network n;
  int x = n.add_input({3, 224, 224});
  x = n.add_activation(n.add_conv2d(x, 512, 3, 1, 1, 1, false), Activation::kRelu);
  x = n.add_activation(n.add_conv2d(x, 512, 3, 1, 1, 1, false), Activation::kRelu);
  n.add_linear(n.add_flatten(n.add_global_avg_pool(x)), 10);
  auto t = coex::testing::load<HardwareTarget>({"gpu",
                                                {{"pool", {"jetson_orin_nano", "h100_sxm"}},
                                                 {"precisions", {"fp32"}},
                                                 {"batches", {1, 128}},
                                                 {"power_caps", {100}},
                                                 {"gpus", {1, 2}}}});
  // design = device, precision, batch, cap, gpus (indices)
  const auto small = t->evaluate(n, {1, 0, 0, 0, 0});
  EXPECT_TRUE(small.feasible) << small.reason;
  const auto big = t->evaluate(n, {0, 0, 1, 0, 0});
  EXPECT_FALSE(big.feasible);
  EXPECT_NE(big.reason.find("GB per GPU at batch 128"), std::string::npos) << big.reason;
  EXPECT_NE(big.reason.find("jetson_orin_nano"), std::string::npos) << big.reason;
  EXPECT_GT(big.metrics.get("memory_gb"), 8);
  // Two Jetsons are not a node.
  const auto two = t->evaluate(n, {0, 0, 0, 0, 1});
  EXPECT_FALSE(two.feasible);
  EXPECT_NE(two.reason.find("at most 1"), std::string::npos) << two.reason;
  // tune() under a latency spec returns a feasible design that meets it.
  const Specs specs({Spec::parse("latency_ms <= 50")});
  const auto tuned = t->tune(n, specs);
  EXPECT_TRUE(tuned.feasible);
  EXPECT_LE(tuned.metrics.get("latency_ms"), 50);
}

TEST(GpuTarget, CustomDevicesAndUnsupportedPrecision) {
  auto t = coex::testing::load<HardwareTarget>(
      {"gpu",
       {{"pool", {"tiny"}},
        {"devices", nlohmann::json::array({{{"name", "tiny"},
                                            {"fp32_tflops", 2.0},
                                            {"fp16_tflops", 8.0},
                                            {"memory_gb", 4},
                                            {"bandwidth_gbs", 100},
                                            {"tdp_w", 30}}})},
        {"precisions", {"fp16", "int8"}}}});
  const auto net = coex::testing::reference_networks(Task{}, 3)[2];
  const auto ok = t->evaluate(net, {0, 0, 0, 0, 0});
  EXPECT_TRUE(ok.feasible) << ok.reason;
  const auto r = t->evaluate(net, {0, 1, 0, 0, 0});
  EXPECT_FALSE(r.feasible);
  EXPECT_EQ(r.reason, "tiny does not support int8");
  // A typo in a device field or the pool is named, with a suggestion.
  try {
    coex::testing::load<HardwareTarget>(
        {"gpu",
         {{"pool", {"tiny"}},
          {"devices", nlohmann::json::array({{{"name", "tiny"},
                                              {"fp32_tflop", 2.0},
                                              {"memory_gb", 4},
                                              {"bandwidth_gbs", 100},
                                              {"tdp_w", 30}}})}}});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(
        std::string(e.what()).find("unknown field 'fp32_tflop' in entry 0 of option 'devices'"),
        std::string::npos)
        << e.what();
  }
  try {
    coex::testing::load<HardwareTarget>({"gpu", {{"pool", {"a100_40gbb"}}}});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("Did you mean 'a100_40gb'"), std::string::npos)
        << e.what();
  }
}

/// Measurements generated by a known profile on an A100: fp32 and fp16, batch 1 and 256, wide
/// generated networks (so convolutions are compute-bound at large batches and memory-bound at
/// batch 1).
std::vector<gpu::Measurement> synthetic(const gpu::Profile& truth, std::size_t count,
                                        std::uint64_t seed) {
  const auto nets =
      tools::generated_networks(count, seed, {3, 64, 64}, 10, {16, 64, 128, 256, 512});
  std::vector<gpu::Measurement> ms;
  for (std::size_t i = 0; i < nets.size(); ++i)
    for (Precision p : {Precision::kFp32, Precision::kFp16})
      for (int b : {1, 256}) {
        gpu::Measurement m;
        m.workload = gpu::workload(nets[i]);
        m.network = std::to_string(i);
        m.precision = p;
        m.batch = b;
        m.latency_ms = gpu::predict(m.workload, {&a100(), p, b, 0, 1}, truth).latency_ms;
        ms.push_back(std::move(m));
      }
  return ms;
}

gpu::Profile truth_profile() {
  gpu::Profile t = gpu::default_profile();
  t.ops[0] = {0.41, 0.83};  // conv
  t.ops[2] = {0.37, 0.52};  // matmul
  t.ops[3] = {0.3, 0.66};   // element-wise
  t.ops[4] = {0.3, 0.47};   // pool
  t.ops[5] = {0.3, 0.91};   // memory
  t.launch_us = 7.5;
  return t;
}

TEST(GpuCalibration, RecoversTheCoefficientsOfSyntheticMeasurements) {
  const auto truth = truth_profile();
  const auto ms = synthetic(truth, 40, 5);
  const auto r = gpu::fit(ms, a100(), gpu::default_profile());
  EXPECT_LT(r.rms_relative_error, 1e-9);
  EXPECT_TRUE(r.profile.calibrated);
  EXPECT_EQ(r.profile.device, "a100_40gb");
  // What the data determines is recovered exactly.
  EXPECT_TRUE(r.compute_identified[0]);
  for (std::size_t c : {0u, 2u, 3u, 4u, 5u}) EXPECT_TRUE(r.memory_identified[c]) << c;
  EXPECT_TRUE(r.launch_identified);
  for (std::size_t c = 0; c < gpu::kOpClasses; ++c) {
    if (r.compute_identified[c]) {
      EXPECT_NEAR(r.profile.ops[c].compute / truth.ops[c].compute, 1, 1e-6) << c;
    }
    if (r.memory_identified[c]) {
      EXPECT_NEAR(r.profile.ops[c].memory / truth.ops[c].memory, 1, 1e-6) << c;
    }
  }
  EXPECT_NEAR(r.profile.launch_us, 7.5, 1e-6);
  // No depthwise convolution was measured: its efficiencies stay at the start values.
  EXPECT_FALSE(r.compute_identified[1]);
  EXPECT_FALSE(r.memory_identified[1]);
  EXPECT_EQ(r.profile.ops[1].memory, gpu::default_profile().ops[1].memory);
  // Held-out networks are predicted exactly.
  for (const auto& m : synthetic(truth, 10, 99))
    EXPECT_NEAR(
        gpu::predict(m.workload, {&a100(), m.precision, m.batch, 0, 1}, r.profile).latency_ms /
            m.latency_ms,
        1, 1e-6);
  // Too few measurements is an error that says how many are needed.
  EXPECT_THROW(gpu::fit({ms.begin(), ms.begin() + 5}, a100(), gpu::default_profile()), Error);
}

TEST(GpuCalibration, MeasurementsCsvFeedsTheTargetAndBadRowsAreNamed) {
  const fs::path dir = fs::temp_directory_path() / "coex_gpu_csv_test";
  fs::remove_all(dir);
  fs::create_directories(dir / "networks");
  const auto truth = truth_profile();
  const auto nets = tools::generated_networks(20, 3, {3, 64, 64}, 10, {16, 64, 128, 256, 512});
  std::ofstream csv(dir / "m.csv");
  csv << "network,device,precision,batch,latency_ms\n";
  for (std::size_t i = 0; i < nets.size(); ++i) {
    const std::string name = "networks/" + std::to_string(i) + ".json";
    std::ofstream(dir / name) << nets[i].to_json().dump();
    for (const char* p : {"fp32", "fp16"})
      for (int b : {1, 256}) {
        const double ms = gpu::predict(gpu::workload(nets[i]),
                                       {&a100(), *gpu::parse_precision(p), b, 0, 1}, truth)
                              .latency_ms;
        char line[200];
        std::snprintf(line, sizeof line, "%s,a100_40gb,%s,%d,%.17g\n", name.c_str(), p, b, ms);
        csv << line;
      }
  }
  csv.close();
  auto fitted = coex::testing::load<HardwareTarget>(
      {"gpu", {{"pool", {"a100_40gb", "l4"}}, {"measurements", (dir / "m.csv").string()}}});
  auto plain = coex::testing::load<HardwareTarget>({"gpu", {{"pool", {"a100_40gb", "l4"}}}});
  const auto net = nets[0];
  // fp32 batch 1 on the A100 (calibrated) matches the truth; the L4 keeps the defaults.
  const auto r = fitted->evaluate(net, {0, 0, 0, 2, 0});
  EXPECT_TRUE(r.detail["calibrated"].get<bool>());
  EXPECT_NEAR(
      r.metrics.get("latency_ms") /
          gpu::predict(gpu::workload(net), {&a100(), Precision::kFp32, 1, 0, 1}, truth).latency_ms,
      1, 1e-6);
  EXPECT_DOUBLE_EQ(fitted->evaluate(net, {1, 0, 0, 2, 0}).metrics.get("latency_ms"),
                   plain->evaluate(net, {1, 0, 0, 2, 0}).metrics.get("latency_ms"));

  // A bad row is named by file:line.
  std::ofstream(dir / "bad.csv") << "network,device,precision,batch,latency_ms\n"
                                    "networks/0.json,a100_40gb,fp64,1,0.5\n";
  try {
    coex::testing::load<HardwareTarget>({"gpu", {{"measurements", (dir / "bad.csv").string()}}});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv:2: unknown precision 'fp64'"), std::string::npos)
        << e.what();
  }
  std::ofstream(dir / "missing.csv") << "network,device,precision,batch,latency_ms\n"
                                        "networks/nope.json,a100_40gb,fp32,1,0.5\n";
  EXPECT_THROW(coex::testing::load<HardwareTarget>(
                   {"gpu", {{"measurements", (dir / "missing.csv").string()}}}),
               UserError);
  // A profile for a device outside the pool is refused.
  try {
    coex::testing::load<HardwareTarget>(
        {"gpu", {{"pool", {"l4"}}, {"measurements", (dir / "m.csv").string()}}});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("not in option 'pool'"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(GpuCalibration, ProfileRoundTripsThroughJson) {
  auto p = truth_profile();
  p.device = "a100_40gb";
  p.calibrated = true;
  const auto q = gpu::Profile::from_json(p.to_json(), "test");
  for (std::size_t c = 0; c < gpu::kOpClasses; ++c) {
    EXPECT_EQ(q.ops[c].compute, p.ops[c].compute) << c;
    EXPECT_EQ(q.ops[c].memory, p.ops[c].memory) << c;
  }
  EXPECT_EQ(q.launch_us, 7.5);
  EXPECT_THROW(gpu::Profile::from_json({{"device", "x"}}, "f.json"), ConfigError);
  auto bad = p.to_json();
  bad["efficiency"]["conv"]["compute"] = 0;
  EXPECT_THROW(gpu::Profile::from_json(bad, "f.json"), ConfigError);
}

TEST(GpuTarget, DeviceFilesAreCheckedAgainstTheDeclaredFields) {
  // `coex calibrate --target gpu --device-file F` reads a device outside any config: the same
  // field declarations check it, plus the checks between fields.
  const nlohmann::json ok = {
      {"name", "x"}, {"fp32_tflops", 10}, {"memory_gb", 8}, {"bandwidth_gbs", 300}, {"tdp_w", 100}};
  const auto d = gpu::device_from_json(ok, "d.json");
  EXPECT_DOUBLE_EQ(d.idle_w, 15);       // 15% of tdp_w
  EXPECT_DOUBLE_EQ(d.min_power_w, 40);  // 40% of tdp_w
  EXPECT_DOUBLE_EQ(d.vector_tflops, 10);
  EXPECT_EQ(d.max_gpus, 8);
  auto error = [](nlohmann::json j) {
    try {
      gpu::device_from_json(j, "d.json");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  nlohmann::json typo = ok;
  typo.erase("fp32_tflops");
  typo["fp32_tflop"] = 10;
  EXPECT_NE(error(typo).find("d.json: unknown field 'fp32_tflop' in the device. Did you mean "
                             "'fp32_tflops'?"),
            std::string::npos)
      << error(typo);
  nlohmann::json idle = ok;
  idle["idle_w"] = 150;
  EXPECT_NE(error(idle).find("field 'idle_w' = 150"), std::string::npos) << error(idle);
  nlohmann::json missing = ok;
  missing.erase("tdp_w");
  EXPECT_NE(error(missing).find("needs field 'tdp_w'"), std::string::npos) << error(missing);
}

}  // namespace
}  // namespace coex
