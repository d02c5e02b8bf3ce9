#include "coex/tools/networks.hpp"

#include <random>
#include <set>

#include "coex/core/config.hpp"
#include "coex/core/explorer.hpp"
#include "coex/core/registry.hpp"
#include "coex/error.hpp"

namespace coex::tools {

std::vector<Network> generated_networks(std::size_t count, std::uint64_t seed, const Shape& input,
                                        int classes, const std::vector<int>& widths) {
  if (widths.empty()) throw Error("generated_networks: no widths to choose from");
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
      const int c = widths[rng() % widths.size()];
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

SpaceNetworks sample_space_networks(const std::string& config, const std::vector<std::string>& sets,
                                    std::size_t count, std::uint64_t seed) {
  const core::RunConfig c = core::load_config(config, sets);
  const core::PluginRegistry registry(core::default_plugin_dirs({}, c.plugin_paths));
  const auto space = core::create_search_space(c, registry, core::plugin_context(c, c.output_dir));
  SpaceNetworks out;
  out.input = c.task.input;
  std::mt19937_64 rng(seed);
  std::set<std::string> seen;
  for (std::size_t tries = 0; out.networks.size() < count && tries < 100 * count; ++tries) {
    const Point p = space->space().sample(rng);
    try {
      Network n = space->decode(p);
      if (seen.insert(n.hash_hex()).second) out.networks.push_back(std::move(n));
    } catch (const InvalidCandidate&) {
    }
  }
  if (out.networks.size() < count)
    throw UserError("--space " + config + ": only " + std::to_string(out.networks.size()) +
                    " distinct valid networks in " + std::to_string(100 * count) + " samples, " +
                    std::to_string(count) + " needed. Fix: lower --networks/--holdout");
  return out;
}

}  // namespace coex::tools
