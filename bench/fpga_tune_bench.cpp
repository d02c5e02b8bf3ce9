// Benchmark (a): networks tuned per second by `fpga_cluster` for a 10-layer network on a 3-FPGA
// pool with the default tiling grid, on one core (this process is single-threaded). The peer is
// the aim of 1,000 networks/s; the ratio is printed.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "coex/core/registry.hpp"

using namespace coex;

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  core::PluginRegistry reg(std::vector<core::PluginDir>{{COEX_BENCH_PLUGIN_DIR, "build tree"}});
  auto make = [&](const std::string& name, const nlohmann::json& opts, const Task& task) {
    const auto& m = *reg.find_any(name);
    PluginContext ctx;
    ctx.task = task;
    return reg.create(
        m, core::validate_options(name, m.schema, opts, [](const std::string& k) { return k; }),
        ctx);
  };
  Task task;
  task.input = {3, 32, 32};
  // FixedStride/OptHW of the reference: 10 conv layers + the dense head.
  auto space = std::dynamic_pointer_cast<SearchSpace>(
      make("chain_cnn", {{"depths", {10}}, {"stride", "fixed"}}, task));
  auto target = std::dynamic_pointer_cast<HardwareTarget>(
      make("fpga_cluster", {{"pool", {"zcu102", "zcu104", "zc706"}}}, task));
  const std::vector<std::pair<int, int>> layers{{5, 24}, {1, 64}, {5, 48}, {7, 24}, {5, 36},
                                                {1, 24}, {5, 48}, {3, 24}, {7, 24}, {3, 36}};
  const std::vector<int> kernels{1, 3, 5, 7}, filters{24, 36, 48, 64};
  Point p;
  for (auto [k, f] : layers) {
    p.push_back(
        static_cast<double>(std::find(kernels.begin(), kernels.end(), k) - kernels.begin()));
    p.push_back(
        static_cast<double>(std::find(filters.begin(), filters.end(), f) - filters.begin()));
  }
  const Network net = space->decode(p);
  const Specs specs({Spec::parse("throughput_fps >= 100")});
  HardwareResult r = target->tune(net, specs);  // warm-up
  std::size_t n = 0;
  const auto t0 = std::chrono::steady_clock::now();
  double el = 0;
  while (el < seconds) {
    for (int i = 0; i < 50; ++i) r = target->tune(net, specs);
    n += 50;
    el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  const double rate = static_cast<double>(n) / el;
  std::printf(
      "fpga_cluster tune: %zu tunes in %.2f s = %.0f networks/s (10 conv + 1 dense layers, 3 "
      "FPGAs, "
      "%zu board orders, default grid)\n",
      n, el, rate, static_cast<std::size_t>(6));
  std::printf("ratio to the 1,000 networks/s aim: %.2fx\n", rate / 1000.0);
  std::printf("best design: %s (%.0f images/s)\n", r.summary.c_str(),
              r.metrics.get("throughput_fps"));
  return 0;
}
