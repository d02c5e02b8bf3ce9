// coex-calibrate-raspberry_pi: run by `coex calibrate --target raspberry_pi`. Times real LibTorch
// inference of generated networks, or of networks sampled from a config's search space (--space),
// on the machine it runs on (batch 1; interleaved rounds, each the
// median of repeats, the fastest round kept), fits the per-layer latency model of cpu_model.hpp by
// non-negative least squares, checks it on held-out networks and writes the profile the
// `raspberry_pi` target loads. Run on a Pi, it calibrates that Pi; run anywhere else, it profiles
// that CPU (device host_cpu).
#include <ATen/native/ConvUtils.h>
#include <torch/torch.h>

#include <time.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "coex/csv.hpp"
#include "coex/error.hpp"
#include "coex/io.hpp"
#include "coex/tools/networks.hpp"
#include "coex/tools/tool_args.hpp"
#include "coex/torch/lower.hpp"
#include "cpu_model.hpp"

namespace {

using coex::cpu_model::Profile;

struct Args {
  std::string out = "host_cpu.profile.json";
  std::string dump;  ///< folder for measurements.csv and the timed networks (IR JSON)
  std::string device = "host_cpu";
  std::size_t networks = 120, holdout = 50;
  int threads = 1, repeats = 5, warmup = 3, rounds = 5;
  bool cpu_clock = false;  ///< --clock thread_cpu: the thread's CPU time instead of wall time
  std::uint64_t seed = 1;
  coex::Shape input{1, 28, 28};
  double power_idle = 0, power_core = 0, memory_mb = 0;
  /// --space CONFIG [--set key=value]...: networks sampled from that config's search space (on
  /// its task's input) instead of generated ones.
  std::string space_config;
  std::vector<std::string> space_sets;
};

[[noreturn]] void usage_error(const std::string& msg) {
  throw coex::UserError(
      "coex calibrate --target raspberry_pi: " + msg +
      ". Usage: coex calibrate --target raspberry_pi [--out FILE] [--device NAME] [--networks N] "
      "[--holdout N] [--threads N] [--repeats N] [--rounds N] [--clock wall|thread_cpu] [--warmup "
      "N] [--seed N] [--input CxHxW] [--space CONFIG [--set key=value]...] "
      "[--idle-power-w W] [--power-per-core-w W] [--memory-mb MB] [--dump DIR]");
}

Args parse(int argc, char** argv) {
  Args a;
  coex::tools::ToolArgs args(argc, argv, [](const std::string& m) { usage_error(m); });
  while (args.next()) {
    const std::string& k = args.key();
    auto val = [&] { return args.value(); };
    auto num = [&](double lo, double hi) { return args.number(lo, hi); };
    if (k == "--out")
      a.out = val();
    else if (k == "--dump")
      a.dump = val();
    else if (k == "--device")
      a.device = val();
    else if (k == "--networks")
      a.networks = static_cast<std::size_t>(num(30, 100000));
    else if (k == "--holdout")
      a.holdout = static_cast<std::size_t>(num(0, 100000));
    else if (k == "--threads")
      a.threads = static_cast<int>(num(1, 256));
    else if (k == "--repeats")
      a.repeats = static_cast<int>(num(1, 1000));
    else if (k == "--clock") {
      const std::string v = val();
      if (v != "wall" && v != "thread_cpu") usage_error("--clock must be wall or thread_cpu");
      a.cpu_clock = v == "thread_cpu";
    } else if (k == "--rounds")
      a.rounds = static_cast<int>(num(1, 1000));
    else if (k == "--warmup")
      a.warmup = static_cast<int>(num(0, 1000));
    else if (k == "--seed")
      a.seed = static_cast<std::uint64_t>(num(0, 1e18));
    else if (k == "--idle-power-w")
      a.power_idle = num(0, 1e4);
    else if (k == "--power-per-core-w")
      a.power_core = num(0, 1e4);
    else if (k == "--memory-mb")
      a.memory_mb = num(1, 1e9);
    else if (k == "--space")
      a.space_config = val();
    else if (k == "--set")
      a.space_sets.push_back(val());
    else if (k == "--input") {
      const std::string v = val();
      long c = 0, h = 0, w = 0;
      if (std::sscanf(v.c_str(), "%ldx%ldx%ld", &c, &h, &w) != 3 || c < 1 || h < 4 || w < 4)
        usage_error("option --input = '" + v + "' must be CxHxW, e.g. 1x28x28");
      a.input = {c, h, w};
    } else
      usage_error("unknown option '" + k + "'");
  }
  if (!a.space_sets.empty() && a.space_config.empty())
    usage_error("--set applies to the config of --space, which is missing");
  return a;
}

/// `count` distinct networks sampled from the search space of the config `a.space_config`, and
/// that config's input shape in `input`. Only the search space plugin is created.
std::vector<coex::Network> space_networks(const Args& a, std::size_t count, coex::Shape& input) {
  auto sampled = coex::tools::sample_space_networks(a.space_config, a.space_sets, count, a.seed);
  input = sampled.input;
  return std::move(sampled.networks);
}

/// Batch-1 inference timer of one network. Timing is interleaved over all networks in rounds
/// (so a slow spell of the machine hits every network alike) and the minimum over rounds of each
/// round's median is kept: interference only ever slows a run down.
struct Timer {
  coex::torch_bridge::IrModule module;
  torch::Tensor input;
  explicit Timer(const coex::Network& net, const coex::Shape& in)
      : module(coex::torch_bridge::lower(net)), input(torch::randn({1, in.c, in.h, in.w})) {
    module->eval();
  }
  static double now_ms(bool cpu_clock) {
    if (cpu_clock) {
      timespec ts{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
      return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
    }
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  double median_ms(int warmup, int repeats, bool cpu_clock) {
    torch::NoGradGuard ng;
    for (int i = 0; i < warmup; ++i) module->forward(input);
    std::vector<double> t;
    for (int i = 0; i < repeats; ++i) {
      const double t0 = now_ms(cpu_clock);
      auto y = module->forward(input);
      (void)y.data_ptr<float>();
      t.push_back(now_ms(cpu_clock) - t0);
    }
    std::nth_element(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(t.size() / 2), t.end());
    return t[t.size() / 2];
  }
};

/// Convolutions of `nets` for which cpu_model::conv_backend() names another kernel than the one
/// LibTorch selects here (the model's backend rule assumes an x86 build with oneDNN).
std::size_t backend_mismatches(const std::vector<coex::Network>& nets) {
  std::size_t bad = 0;
  for (const auto& net : nets)
    for (const auto& n : net.nodes()) {
      if (!coex::is_conv(n.op)) continue;
      const coex::Shape& in = net.input_shape(n);
      const auto x = torch::empty({1, in.c, in.h, in.w});
      const auto w = torch::empty({n.out_channels, in.c / n.groups, n.kernel, n.kernel});
      const bool dnn = at::native::select_conv_backend(
                           x, w, c10::nullopt, {n.stride, n.stride}, {n.padding, n.padding}, {1, 1},
                           false, {0, 0}, n.groups) == at::native::ConvBackend::Mkldnn;
      const bool model =
          coex::cpu_model::conv_backend(in.c, in.h, in.w, n.kernel, n.stride, n.groups) ==
          coex::cpu_model::ConvBackend::kOneDnn;
      bad += dnn != model;
    }
  return bad;
}

int run(const Args& a) {
  torch::set_num_threads(a.threads);
  coex::Shape input = a.input;
  const auto nets = a.space_config.empty()
                        ? coex::tools::generated_networks(a.networks + a.holdout, a.seed, a.input)
                        : space_networks(a, a.networks + a.holdout, input);
  const std::string source =
      a.space_config.empty() ? "generated" : "search-space (" + a.space_config + ")";
  std::vector<double> ms;
  std::printf(
      "coex calibrate: timing %zu %s networks (%d thread%s, median of %d after %d "
      "warm-up runs)\n",
      nets.size(), source.c_str(), a.threads, a.threads == 1 ? "" : "s", a.repeats, a.warmup);
  std::fflush(stdout);
  std::vector<Timer> timers;
  for (const auto& n : nets) timers.emplace_back(n, input);
  ms.assign(nets.size(), std::numeric_limits<double>::infinity());
  for (int round = 0; round < a.rounds; ++round)
    for (std::size_t i = 0; i < nets.size(); ++i)
      ms[i] =
          std::min(ms[i], timers[i].median_ms(round == 0 ? a.warmup : 1, a.repeats, a.cpu_clock));
  if (!a.dump.empty()) {
    // The measurement format every target's calibration reads (docs/calibration.md): a CSV whose
    // `network` column names IR JSON files next to it. `coex calibrate --config CONFIG
    // --measurements DIR/measurements.csv --key-column network --latency-column latency_ms` fits
    // any calibratable target to what was timed here.
    const std::filesystem::path dir(a.dump);
    std::filesystem::create_directories(dir / "networks");
    std::string csv = "network,threads,latency_ms,summary\n";
    for (std::size_t i = 0; i < nets.size(); ++i) {
      const std::string name = "networks/" + std::to_string(i) + ".json";
      coex::write_file_atomic(dir / name, nets[i].to_json_text() + "\n");
      csv += name + "," + std::to_string(a.threads) + "," + std::to_string(ms[i]) + "," +
             coex::csv_field(nets[i].summary()) + "\n";
    }
    coex::write_file_atomic(dir / "measurements.csv", csv);
    std::printf("measurements written to %s\n", (dir / "measurements.csv").c_str());
  }

  Profile base;
  base.device = a.device;
  base.calibration_threads = a.threads;
  base.cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  base.idle_power_w = a.power_idle;
  base.power_per_core_w = a.power_core;
  if (a.memory_mb > 0) {
    base.memory_mb = a.memory_mb;
  } else {
    std::ifstream mi("/proc/meminfo");
    std::string key;
    double kb = 0;
    while (mi >> key >> kb)
      if (key == "MemTotal:") break;
    base.memory_mb = kb > 0 ? kb / 1024 : 1024;
  }
  const std::size_t mismatches = backend_mismatches(nets);
  if (mismatches)
    std::printf(
        "note: LibTorch here picks another convolution kernel than the model assumes for %zu "
        "layers (not an x86 build with oneDNN?); their kinds are fitted all the same\n",
        mismatches);
  const std::vector<coex::Network> fit_nets(nets.begin(),
                                            nets.begin() + static_cast<std::ptrdiff_t>(a.networks));
  const std::vector<double> fit_ms(ms.begin(),
                                   ms.begin() + static_cast<std::ptrdiff_t>(a.networks));
  Profile p = coex::cpu_model::fit(fit_nets, fit_ms, base);

  // Held-out networks: share within +-10% and mean absolute percentage error.
  std::size_t within = 0;
  double ape = 0;
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t i = a.networks; i < nets.size(); ++i) {
    const double pred = coex::cpu_model::latency_ms(p, nets[i], a.threads);
    const double e = std::abs(pred - ms[i]) / ms[i];
    within += e <= 0.10;
    ape += e;
    rows.push_back({{"measured_ms", ms[i]}, {"predicted_ms", pred}});
  }
  double fit_ape = 0;
  for (std::size_t i = 0; i < a.networks; ++i)
    fit_ape += std::abs(coex::cpu_model::latency_ms(p, nets[i], a.threads) - ms[i]) / ms[i];
  const double share = a.holdout ? static_cast<double>(within) / static_cast<double>(a.holdout) : 0;
  const double mape = a.holdout ? ape / static_cast<double>(a.holdout) : 0;
  p.report = {{"fit_networks", a.networks},
              {"fit_mape", fit_ape / static_cast<double>(a.networks)},
              {"holdout_networks", a.holdout},
              {"holdout_within_10pct", share},
              {"holdout_mape", mape},
              {"threads", a.threads},
              {"repeats", a.repeats},
              {"rounds", a.rounds},
              {"clock", a.cpu_clock ? "thread_cpu" : "wall"},
              {"conv_backend_mismatches", mismatches},
              {"seed", a.seed},
              {"networks_from", source},
              {"measured_ms_range",
               {*std::min_element(ms.begin(), ms.end()), *std::max_element(ms.begin(), ms.end())}},
              {"holdout", rows}};
  const std::filesystem::path out(a.out);
  if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
  coex::write_file_atomic(a.out, p.to_json().dump(2) + "\n");
  std::printf("fit on %zu networks: mean abs. error %.1f%%\n", a.networks,
              100 * fit_ape / static_cast<double>(a.networks));
  if (a.holdout)
    std::printf(
        "held-out %zu networks: %.0f%% within +-10%%, MAPE %.1f%% (measured %.2f..%.2f ms)\n",
        a.holdout, 100 * share, 100 * mape, *std::min_element(ms.begin(), ms.end()),
        *std::max_element(ms.begin(), ms.end()));
  std::printf("profile '%s' written to %s\n", a.device.c_str(), a.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return coex::tools::tool_main([&] { return run(parse(argc, argv)); });
}
