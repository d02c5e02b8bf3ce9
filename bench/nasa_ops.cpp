// What multiplication-free operators buy, architecture held fixed (issue 6): takes one network of
// the hybrid_mbconv space (its cell blocks, e.g. the conv-only run's best) and evaluates it with
// the config's own plugins (trained estimator, chunk_accel tuned to the specs) as found, with its
// inner cells (those allowed adders) turned to shift, to adder and alternately shift/adder, and
// with every cell turned to shift. Same seeds as `coex run` of the config, so the first row
// repeats the run's figures. Usage:
//   coex_nasa_ops CONFIG [--set key=value]... [BLOCK,BLOCK,...]
// where the blocks are the cells' choices in order (conv_k3_e1, skip, ...); default: the best
// network (#28) of the conv-only run in plugins/hardware_targets/chunk_accel/README.md.
#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "coex/core/config.hpp"
#include "coex/core/explorer.hpp"
#include "coex/error.hpp"

using namespace coex;

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string x; std::getline(in, x, ',');) out.push_back(x);
  return out;
}

// "conv_k3_e6" with its type replaced ("skip" stays).
std::string with_type(const std::string& block, const std::string& type) {
  if (block == "skip") return block;
  return type + block.substr(block.find('_'));
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 2) throw UserError("usage: coex_nasa_ops CONFIG [--set key=value]... [BLOCKS]");
  std::vector<std::string> sets;
  std::string blocks_arg =
      "conv_k3_e1,skip,conv_k5_e1,conv_k3_e3,conv_k3_e1,conv_k5_e1,conv_k3_e1,conv_k5_e3,"
      "conv_k3_e1,conv_k5_e3,conv_k3_e1,conv_k3_e1";
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--set" && i + 1 < argc)
      sets.push_back(argv[++i]);
    else
      blocks_arg = a;
  }
  const core::RunConfig c = core::load_config(argv[1], sets);
  core::PluginRegistry registry(core::default_plugin_dirs({}, c.plugin_paths));
  const auto plugins = core::create_plugins(c, registry, core::plugin_context(c, c.output_dir));
  const auto& dims = plugins.space->space().dims();
  const auto blocks = split(blocks_arg);
  if (blocks.size() != dims.size())
    throw UserError("the space has " + std::to_string(dims.size()) + " cells; " +
                    std::to_string(blocks.size()) + " blocks given");

  struct Variant {
    std::string name;
    std::vector<std::string> blocks;
  };
  std::vector<Variant> variants{{"as given", blocks}};
  auto inner = [&](auto type_of) {
    std::vector<std::string> b = blocks;
    int k = 0;
    for (std::size_t i = 0; i < b.size(); ++i) {
      const bool adder_ok =
          std::find_if(dims[i].choices.begin(), dims[i].choices.end(), [](const std::string& x) {
            return x.rfind("adder", 0) == 0;
          }) != dims[i].choices.end();
      if (adder_ok && b[i] != "skip") b[i] = with_type(b[i], type_of(k++));
    }
    return b;
  };
  variants.push_back({"inner cells shift", inner([](int) { return "shift"; })});
  variants.push_back({"inner cells adder", inner([](int) { return "adder"; })});
  variants.push_back(
      {"inner cells shift/adder", inner([](int k) { return k % 2 ? "adder" : "shift"; })});
  std::vector<std::string> all_shift;
  for (const auto& b : blocks) all_shift.push_back(with_type(b, "shift"));
  variants.push_back({"every cell shift", all_shift});

  std::printf("%-26s %8s %9s %11s %12s %11s %10s  %s\n", "variant", "accuracy", "latency_ms",
              "energy_mj", "onchip_mj", "edp", "flops_1e7", "hardware / network");
  for (const auto& v : variants) {
    Point p;
    for (std::size_t i = 0; i < dims.size(); ++i) {
      const auto it = std::find(dims[i].choices.begin(), dims[i].choices.end(), v.blocks[i]);
      if (it == dims[i].choices.end())
        throw UserError("cell " + std::to_string(i + 1) + " has no choice '" + v.blocks[i] + "'");
      p.push_back(static_cast<double>(it - dims[i].choices.begin()));
    }
    const Network net = plugins.space->decode(p);
    const HardwareResult hw = plugins.target->tune(net, c.specs);
    const Estimate e = plugins.estimator->estimate(net);
    const auto& m = hw.metrics;
    if (!hw.feasible) {
      std::printf("%-26s %8.3f  infeasible: %s\n", v.name.c_str(), e.accuracy, hw.reason.c_str());
      continue;
    }
    std::printf("%-26s %8.3f %9.4f %11.5f %12.5f %11.6f %10.4f  %s; %s\n", v.name.c_str(),
                e.accuracy, m.get("latency_ms"), m.get("energy_mj"), m.get("onchip_energy_mj"),
                m.get("edp"), m.get("flops_1e7"), hw.summary.c_str(), net.summary().c_str());
    std::fflush(stdout);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "coex_nasa_ops: %s\n", e.what());
  return 2;
}
