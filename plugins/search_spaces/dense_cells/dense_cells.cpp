// Search space `dense_cells`: DenseNet-type cells with skip links, parameterised as in NN-Mass /
// FLASH (Li et al., ACM TECS 2021; README.md). Per cell c: depth d_c and skip budget tc_c; one
// global width multiplier wm. Cell c has w_c = base_width * wm * 2^c channels per layer; layer
// i >= 2 of a cell receives, besides the previous layer's output, t_{c,i} = min(tc_c, (i-1) w_c)
// channels drawn (seeded, without replacement) from the outputs of layers 0 .. i-2.
#include <algorithm>
#include <limits>
#include <numeric>

#include "coex/description.hpp"
#include "coex/error.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"

namespace coex::plugins::dense_cells {

class DenseCells final : public SearchSpace {
 public:
  /// decode and describe read only the options: safe on several threads at once.
  static constexpr bool kConcurrent = true;

  DenseCells(const Options& o, const PluginContext& ctx)
      : cells_(static_cast<int>(o.get_int("cells"))),
        base_width_(o.get_int("base_width")),
        skip_seed_(static_cast<std::uint64_t>(o.get_int("skip_seed"))),
        task_(ctx.task) {
    const auto dmin = o.get_int("depth_min"), dmax = o.get_int("depth_max");
    if (dmin > dmax)
      throw ConfigError("option 'depth_min' (" + std::to_string(dmin) + ") exceeds 'depth_max' (" +
                        std::to_string(dmax) + ")");
    const auto wms = o.get_int_list("width_multipliers");
    if (wms.empty()) throw ConfigError("option 'width_multipliers' must not be empty");
    std::vector<Dimension> dims;
    for (int c = 0; c < cells_; ++c) {
      dims.push_back(Dimension::integer("depth_" + std::to_string(c), dmin, dmax));
      dims.push_back(Dimension::integer("skips_" + std::to_string(c), 0, o.get_int("skips_max")));
    }
    dims.push_back(Dimension::categorical_of("width_mult", wms));
    wms_ = wms;
    space_ = Space(std::move(dims));
  }

  static OptionSchema schema() {
    OptionSchema s;
    s.add_int("cells", 3, "Cells N_c; each after the first halves the resolution (stride 2)", 1, 6,
              "cells");
    s.add_int("depth_min", 3, "Smallest depth d_c (conv layers per cell)", 2, 64, "layers");
    s.add_int("depth_max", 16, "Largest depth d_c", 2, 64, "layers");
    s.add_int("skips_max", 199,
              "Largest skip budget tc_c per cell: layer i takes min(tc_c, (i-1) w_c) skip "
              "channels",
              0, 100000, "channels");
    s.add_int_list("width_multipliers", {1, 2, 3}, "Width multipliers wm (w_c = base_width wm 2^c)",
                   1, 64);
    s.add_int("base_width", 16, "Channels of cell 0 at wm = 1", 1, 1024, "channels");
    s.add_int("skip_seed", 2, "Seed of the skip-channel draw (NN-Mass's code uses 2)", 0,
              std::numeric_limits<int>::max());
    return s;
  }

  const Space& space() const override { return space_; }

  Network decode(const Point& p) const override {
    space_.check(p);
    const std::int64_t wm = wms_[static_cast<std::size_t>(p.back())];
    Network n;
    int x = n.add_input(task_.input);
    for (int c = 0; c < cells_; ++c) {
      const auto d = static_cast<int>(p[2 * static_cast<std::size_t>(c)]);
      const auto tc = static_cast<std::int64_t>(p[2 * static_cast<std::size_t>(c) + 1]);
      const std::int64_t w = base_width_ * wm * (std::int64_t{1} << c);
      std::vector<int> outs;
      for (int i = 0; i < d; ++i) {
        const int stride = i == 0 && c > 0 ? 2 : 1;
        int in = i == 0 ? x : outs.back();
        if (i >= 2) {
          const std::int64_t pool = static_cast<std::int64_t>(i - 1) * w;
          const std::int64_t t = std::min(tc, pool);
          if (t > 0) {
            std::vector<int> parts{in};
            for (auto& [layer, channels] : skip_channels(c, i, w, t)) {
              const int source = outs[static_cast<std::size_t>(layer)];
              // All of a layer's channels, in order, are the layer itself: no select node.
              parts.push_back(static_cast<std::int64_t>(channels.size()) == w
                                  ? source
                                  : n.add_channel_select(source, channels));
            }
            in = n.add_concat(parts);
          }
        }
        if (!(c == 0 && i == 0))  // pre-activation, except for the first conv on the image
          in = n.add_activation(n.add_batch_norm(in), Activation::kRelu);
        outs.push_back(n.add_conv2d(in, w, 3, stride, 1, 1, false));
      }
      x = outs.back();
    }
    x = n.add_activation(n.add_batch_norm(x), Activation::kRelu);
    const Shape s = n.node(x).shape;
    if (s.h >= 2 && s.w >= 2) x = n.add_avg_pool(x, 2, 2);
    n.add_linear(n.add_flatten(x), task_.classes);
    return n;
  }

  std::string describe(const Point& p) const override {
    std::string s = "wm=" + std::to_string(wms_[static_cast<std::size_t>(p.back())]);
    for (int c = 0; c < cells_; ++c)
      s += " cell" + std::to_string(c) +
           "(d=" + std::to_string(static_cast<int>(p[2 * static_cast<std::size_t>(c)])) +
           ",tc=" + std::to_string(static_cast<int>(p[2 * static_cast<std::size_t>(c) + 1])) + ")";
    return s;
  }

  /// The point of a description "wm=W cell0(d=D,tc=T) cell1(...) ...": exact inverse of
  /// describe().
  Point parse(const std::string& text) const override {
    DescriptionReader in(text, [&](const std::string& why) {
      Point example;
      for (const auto& d : space_.dims()) example.push_back(d.lo);
      return UserError("'" + text + "' is not a dense_cells description: " + why +
                       ". Expected 'wm=W' then ' cellC(d=D,tc=T)' for each of the " +
                       std::to_string(cells_) + " cells, e.g. '" + describe(example) + "'");
    });
    Point p(space_.size(), 0);
    in.literal("wm=");
    const auto wm = in.integer();
    const auto it = std::find(wms_.begin(), wms_.end(), wm);
    if (it == wms_.end()) throw in.error("wm=" + std::to_string(wm) + " is not a width multiplier");
    p.back() = static_cast<Coordinate>(it - wms_.begin());
    for (int c = 0; c < cells_; ++c) {
      in.literal(" cell" + std::to_string(c) + "(d=");
      p[2 * static_cast<std::size_t>(c)] = static_cast<Coordinate>(in.integer());
      in.literal(",tc=");
      p[2 * static_cast<std::size_t>(c) + 1] = static_cast<Coordinate>(in.integer());
      in.literal(")");
    }
    in.end("the last cell");
    for (std::size_t i = 0; i + 1 < p.size(); ++i)
      if (!space_.dims()[i].contains(p[i]))
        throw in.error(space_.dims()[i].name + " = " + space_.dims()[i].label(p[i]) +
                       " is outside its range");
    return p;
  }

 private:
  /// The t skip channels of layer i in cell c, grouped by source layer (0 .. i-2), each group's
  /// channel indices ascending. Drawn without replacement from the (i-1) w candidates by a
  /// splitmix64 generator seeded from (skip_seed, c, i, w): the same layer always gets the same
  /// links.
  std::vector<std::pair<int, std::vector<std::int64_t>>> skip_channels(int c, int i, std::int64_t w,
                                                                       std::int64_t t) const {
    // splitmix64 over (seed, c, i, w): cheap to seed (decode runs once per candidate).
    std::uint64_t state = skip_seed_ * 0x9e3779b97f4a7c15ULL ^
                          (static_cast<std::uint64_t>(c) << 48) ^
                          (static_cast<std::uint64_t>(i) << 32) ^ static_cast<std::uint64_t>(w);
    auto next = [&state]() {
      std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      return z ^ (z >> 31);
    };
    const std::int64_t pool_size = (i - 1) * w;
    std::vector<std::int64_t> pool(static_cast<std::size_t>(pool_size));
    std::iota(pool.begin(), pool.end(), 0);
    if (t < pool_size) {  // else every channel is picked: the draw would only permute them
      for (std::int64_t k = 0; k < t; ++k) {  // partial Fisher-Yates
        const auto span = static_cast<std::uint64_t>(pool_size - k);
        const auto j = static_cast<std::size_t>(k + static_cast<std::int64_t>(next() % span));
        std::swap(pool[static_cast<std::size_t>(k)], pool[j]);
      }
      pool.resize(static_cast<std::size_t>(t));
      std::sort(pool.begin(), pool.end());
    }
    // Ascending global indices to (layer, channels): one division and one allocation per group.
    std::vector<std::pair<int, std::vector<std::int64_t>>> groups;
    for (std::size_t b = 0; b < pool.size();) {
      const auto layer = static_cast<int>(pool[b] / w);
      const std::int64_t first = layer * w;
      std::size_t e = b;
      while (e < pool.size() && pool[e] < first + w) ++e;
      std::vector<std::int64_t> channels(e - b);
      for (std::size_t k = b; k < e; ++k) channels[k - b] = pool[k] - first;
      groups.emplace_back(layer, std::move(channels));
      b = e;
    }
    return groups;
  }

  int cells_;
  std::int64_t base_width_;
  std::uint64_t skip_seed_;
  Task task_;
  std::vector<std::int64_t> wms_;
  Space space_;
};

}  // namespace coex::plugins::dense_cells

COEX_PLUGIN(coex::plugins::dense_cells::DenseCells, "dense_cells", "0.1.0",
            "DenseNet-type cells with seeded skip links (NN-Mass / FLASH space): depth and skip "
            "budget per cell, width multiplier")
