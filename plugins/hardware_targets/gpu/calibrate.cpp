// coex-calibrate-gpu: run by `coex calibrate --target gpu`. Fits the efficiencies and launch
// overhead of the `gpu` target's roofline model to measured latencies and writes the profile the
// target loads (option 'profile').
//
//   --measurements FILE.csv   fit measurements taken anywhere (network,device,precision,batch,
//                             latency_ms; networks as coex IR JSON next to the CSV)
//   (no --measurements)       time generated networks on the visible CUDA GPU first; needs coex
//                             built against a CUDA-enabled LibTorch
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "coex/error.hpp"
#include "coex/io.hpp"
#include "coex/tools/tool_args.hpp"
#include "gpu_model.hpp"
#include "measure.hpp"

namespace {

using namespace coex::gpu;

struct Args {
  std::string measurements;  ///< fit mode
  std::string out = "gpu.profile.json";
  std::string device;       ///< preset name
  std::string device_file;  ///< or a JSON device description
  std::size_t holdout = 0;  ///< last N measurements kept out of the fit
  MeasurePlan plan;
  bool plan_set = false;  ///< a measuring option was given
};

[[noreturn]] void usage_error(const std::string& msg) {
  throw coex::UserError(
      "coex calibrate --target gpu: " + msg +
      ". Usage: coex calibrate --target gpu [--measurements CSV] [--device PRESET | "
      "--device-file JSON] [--out FILE] [--holdout N] [--networks N] [--precisions LIST] "
      "[--batches LIST] [--repeats N] [--warmup N] [--seed N] [--input CxHxW] [--dump DIR]");
}

Args parse(int argc, char** argv) {
  Args a;
  a.plan.dump_dir = "gpu_calibration";
  coex::tools::ToolArgs args(argc, argv, [](const std::string& m) { usage_error(m); });
  while (args.next()) {
    const std::string& k = args.key();
    auto val = [&] { return args.value(); };
    auto num = [&](double lo, double hi) { return args.number(lo, hi); };
    if (k == "--measurements") {
      a.measurements = val();
    } else if (k == "--out") {
      a.out = val();
    } else if (k == "--device") {
      a.device = val();
    } else if (k == "--device-file") {
      a.device_file = val();
    } else if (k == "--holdout") {
      a.holdout = static_cast<std::size_t>(num(0, 1e7));
    } else if (k == "--networks") {
      a.plan.networks = static_cast<std::size_t>(num(13, 1e5)), a.plan_set = true;
    } else if (k == "--repeats") {
      a.plan.repeats = static_cast<int>(num(1, 1e4)), a.plan_set = true;
    } else if (k == "--warmup") {
      a.plan.warmup = static_cast<int>(num(0, 1e4)), a.plan_set = true;
    } else if (k == "--seed") {
      a.plan.seed = static_cast<std::uint64_t>(num(0, 1e18)), a.plan_set = true;
    } else if (k == "--dump") {
      a.plan.dump_dir = val(), a.plan_set = true;
    } else if (k == "--precisions") {
      a.plan.precisions.clear();
      for (const auto& s : args.list()) {
        const auto p = parse_precision(s);
        if (!p) usage_error("--precisions: unknown precision '" + s + "' (fp32, tf32, fp16, bf16)");
        a.plan.precisions.push_back(*p);
      }
      a.plan_set = true;
    } else if (k == "--batches") {
      a.plan.batches.clear();
      for (const auto& s : args.list()) {
        const int b = std::atoi(s.c_str());
        if (b < 1 || std::to_string(b) != s) usage_error("--batches: '" + s + "' is not >= 1");
        a.plan.batches.push_back(b);
      }
      a.plan_set = true;
    } else if (k == "--input") {
      const std::string v = val();
      long c = 0, h = 0, w = 0;
      if (std::sscanf(v.c_str(), "%ldx%ldx%ld", &c, &h, &w) != 3 || c < 1 || h < 4 || w < 4)
        usage_error("option --input = '" + v + "' must be CxHxW, e.g. 3x32x32");
      a.plan.input = {c, h, w};
      a.plan_set = true;
    } else {
      usage_error("unknown option '" + k + "'");
    }
  }
  if (!a.device.empty() && !a.device_file.empty())
    usage_error("give --device or --device-file, not both");
  return a;
}

/// The device the fit is for: --device-file, else --device, else the name in the measurements.
Device resolve_device(const Args& a, const std::string& measured_name) {
  if (!a.device_file.empty()) {
    std::ifstream in(a.device_file);
    if (!in) usage_error("cannot read --device-file '" + a.device_file + "'");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
      usage_error("--device-file '" + a.device_file + "' is not JSON (" + e.what() + ")");
    }
    return device_from_json(j, a.device_file);
  }
  const std::string name = a.device.empty() ? measured_name : a.device;
  if (const Device* d = find_preset(name)) return *d;
  std::string known;
  for (const auto& d : device_presets()) known += " " + d.name;
  usage_error("device '" + name + "' is not a preset (" + known.substr(1) +
              "). Fix: name one with --device, or describe the GPU in a JSON file for "
              "--device-file (fields as [[hardware.options.devices]])");
}

int run(const Args& a) {
  std::vector<Measurement> ms;
  Device dev;
  if (!a.measurements.empty()) {
    if (a.plan_set)
      usage_error("measuring options (--networks, --batches, ...) do not apply to --measurements");
    std::string measured;
    ms = read_measurements(a.measurements, measured);
    dev = resolve_device(a, measured);
    if (!a.device.empty() && a.device != measured)
      usage_error("--device '" + a.device + "' but the measurements are of '" + measured + "'");
    std::printf("coex calibrate: %zu measurements of %s from %s\n", ms.size(), dev.name.c_str(),
                a.measurements.c_str());
  } else {
#if defined(COEX_GPU_CUDA)
    if (a.device.empty() && a.device_file.empty())
      usage_error(
          "name the GPU's preset with --device (or --device-file) so that its datasheet "
          "peaks are known; visible device: " +
          cuda_device_name());
    dev = resolve_device(a, a.device);
    std::printf("coex calibrate: timing %zu generated networks on %s (%s)\n", a.plan.networks,
                cuda_device_name().c_str(), dev.name.c_str());
    ms = measure_on_cuda(a.plan, dev.name);
#else
    throw coex::UserError(
        "coex calibrate --target gpu: measuring needs coex built against a CUDA-enabled LibTorch; "
        "this build uses a CPU-only LibTorch (or none), so no GPU can be timed. Fix: rebuild on a "
        "machine with CUDA and a CUDA LibTorch (cmake -DTorch_DIR=<libtorch-cuda>/share/cmake/"
        "Torch), or time the networks elsewhere and fit them here with --measurements FILE.csv "
        "(header network,device,precision,batch,latency_ms)");
#endif
  }
  if (a.holdout >= ms.size()) usage_error("--holdout must be smaller than the measurements");
  const std::vector<Measurement> fit_ms(ms.begin(),
                                        ms.end() - static_cast<std::ptrdiff_t>(a.holdout));
  FitResult r;
  try {
    r = fit(fit_ms, dev, default_profile());
  } catch (const coex::Error& e) {
    throw coex::UserError(std::string("coex calibrate --target gpu: ") + e.what());
  }
  std::printf("fit on %zu measurements: rms relative error %.2f%%\n", fit_ms.size(),
              100 * r.rms_relative_error);
  std::printf("  %-12s %10s %10s\n", "class", "compute", "memory");
  for (std::size_t c = 0; c < kOpClasses; ++c) {
    auto cell = [&](bool id, double v) {
      char b[32];
      if (id)
        std::snprintf(b, sizeof b, "%.3f", v);
      else
        std::snprintf(b, sizeof b, "(%.2f)", v);
      return std::string(b);
    };
    std::printf("  %-12s %10s %10s\n", op_class_name(static_cast<OpClass>(c)),
                cell(r.compute_identified[c], r.profile.ops[c].compute).c_str(),
                cell(r.memory_identified[c], r.profile.ops[c].memory).c_str());
  }
  std::printf(
      "  launch overhead %.2f us%s; (x) = not determined by these measurements, default "
      "kept\n",
      r.profile.launch_us >= 0 ? r.profile.launch_us : dev.launch_us,
      r.launch_identified ? "" : " (default)");
  if (a.holdout) {
    std::size_t within = 0;
    double ape = 0;
    Deployment dep;
    dep.device = &dev;
    for (std::size_t i = fit_ms.size(); i < ms.size(); ++i) {
      dep.precision = ms[i].precision;
      dep.batch = ms[i].batch;
      const double pred = predict(ms[i].workload, dep, r.profile).latency_ms;
      const double e = std::abs(pred / ms[i].latency_ms - 1);
      within += e <= 0.10;
      ape += e;
    }
    const double n = static_cast<double>(a.holdout);
    r.profile.report["holdout_measurements"] = a.holdout;
    r.profile.report["holdout_within_10pct"] = static_cast<double>(within) / n;
    r.profile.report["holdout_mape"] = ape / n;
    std::printf("held-out %zu measurements: %.0f%% within +-10%%, MAPE %.1f%%\n", a.holdout,
                100.0 * static_cast<double>(within) / n, 100 * ape / n);
  }
  const std::filesystem::path out(a.out);
  if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
  coex::write_file_atomic(a.out, r.profile.to_json().dump(2) + "\n");
  std::printf(
      "profile for '%s' written to %s (use it with [hardware.options] efficiency_profile = "
      "\"%s\")\n",
      dev.name.c_str(), a.out.c_str(), a.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return coex::tools::tool_main([&] { return run(parse(argc, argv)); });
}
