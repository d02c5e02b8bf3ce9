// Search space `hybrid_mbconv`: NASA's hybrid MBConv supernet (Shi et al., ICCAD 2022) as a
// discrete space. A stem, seven stages of MBConv cells, a 1x1 header, global pooling and a
// classifier; each cell picks one block: operator type (conv, shift, adder), kernel (3, 5) and
// expansion (1, 3, 6), or skip. The first and last `adder_free_ends` cells cannot use adders.
// Stage widths and strides are the reference's; the strides follow the input size (CIFAR's for
// inputs below 64 px, ImageNet's otherwise). README.md lists the options and the lowering.
#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "coex/error.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"

namespace coex::plugins::hybrid_mbconv {

namespace {

/// One cell's block.
struct Block {
  OpKind op = OpKind::kConv2d;  ///< conv2d, shift_conv2d or adder_conv2d
  int kernel = 3;
  int expansion = 1;
  bool skip = false;
};

const char* type_name(OpKind op) {
  return op == OpKind::kShiftConv2d ? "shift" : op == OpKind::kAdderConv2d ? "adder" : "conv";
}

/// A block in a description: "-" for skip, else the operator's initial, kernel and expansion.
std::string token(const Block& b) {
  if (b.skip) return "-";
  return type_name(b.op)[0] + std::to_string(b.kernel) + std::to_string(b.expansion);
}

std::string block_name(const Block& b) {
  if (b.skip) return "skip";
  return std::string(type_name(b.op)) + "_k" + std::to_string(b.kernel) + "_e" +
         std::to_string(b.expansion);
}

OpKind type_of(const std::string& s) {
  return s == "shift"   ? OpKind::kShiftConv2d
         : s == "adder" ? OpKind::kAdderConv2d
                        : OpKind::kConv2d;
}

constexpr std::size_t kStages = 7;

}  // namespace

class HybridMbconv final : public SearchSpace {
 public:
  HybridMbconv(const Options& o, const PluginContext& ctx)
      : operators_(o.get_string_list("operators")),
        kernels_(o.get_int_list("kernels")),
        expansions_(o.get_int_list("expansions")),
        cells_(o.get_int_list("stage_cells")),
        widths_(o.get_int_list("stage_widths")),
        header_(o.get_int("header_channels")),
        adder_free_(o.get_int("adder_free_ends")),
        task_(ctx.task) {
    require_choices(operators_, "operators");
    require_choices(kernels_, "kernels");
    require_choices(expansions_, "expansions");
    for (auto k : kernels_)
      if (k % 2 == 0)
        throw ConfigError("option 'kernels': " + std::to_string(k) +
                          " is even; the depthwise layer pads k/2 on each side and needs odd k");
    if (cells_.size() != kStages || widths_.size() != kStages)
      throw ConfigError(
          "options 'stage_cells' and 'stage_widths' need 7 entries, one per stage "
          "(got " +
          std::to_string(cells_.size()) + " and " + std::to_string(widths_.size()) +
          "); the reference's are [1, 4, 4, 4, 4, 4, 1] and [16, 24, 32, 64, 112, "
          "184, 352]");
    const double mult = o.get_real("width_multiplier");
    for (auto& w : widths_)
      w = std::max<std::int64_t>(1, std::llround(static_cast<double>(w) * mult));
    stem_ = widths_[0];
    // Strides: CIFAR's for small inputs (stem 1; stages 1, 1, 2, 2, 1, 2, 1), ImageNet's
    // otherwise (stem 2; stages 1, 2, 2, 2, 1, 2, 1).
    std::string strides = o.get_string("strides");
    if (strides == "auto")
      strides = std::min(task_.input.h, task_.input.w) < 64 ? "cifar" : "imagenet";
    stem_stride_ = strides == "cifar" ? 1 : 2;
    strides_ = strides == "cifar" ? std::vector<int>{1, 1, 2, 2, 1, 2, 1}
                                  : std::vector<int>{1, 2, 2, 2, 1, 2, 1};
    // Cell choices: every (type, k, e), then skip; end cells leave out the adder.
    std::vector<std::string> all, ends;
    for (const auto& t : operators_)
      for (auto k : kernels_)
        for (auto e : expansions_) {
          Block b{type_of(t), static_cast<int>(k), static_cast<int>(e), false};
          all.push_back(block_name(b));
          choices_all_.push_back(b);
          if (b.op != OpKind::kAdderConv2d) {
            ends.push_back(block_name(b));
            choices_end_.push_back(b);
          }
        }
    if (o.get_bool("skip")) {
      all.push_back("skip");
      ends.push_back("skip");
      choices_all_.push_back({OpKind::kConv2d, 0, 0, true});
      choices_end_.push_back({OpKind::kConv2d, 0, 0, true});
    }
    std::int64_t total = 0;
    for (auto c : cells_) total += c;
    if (total == 0) throw ConfigError("option 'stage_cells': every stage has 0 cells");
    if (adder_free_ > 0 && choices_end_.empty())
      throw ConfigError(
          "option 'operators': with only 'adder' and skip = false, the first and "
          "last " +
          std::to_string(adder_free_) +
          " cells (adder_free_ends) have no block to choose; add 'conv' or 'shift'");
    std::vector<Dimension> dims;
    for (std::int64_t c = 0; c < total; ++c) {
      const bool end = c < adder_free_ || c >= total - adder_free_;
      end_cell_.push_back(end);
      dims.push_back(Dimension::categorical("cell" + std::to_string(c + 1), end ? ends : all));
    }
    space_ = Space(std::move(dims));
  }

  static OptionSchema schema() {
    OptionSchema s;
    s.add_string_list("operators", {"conv", "shift", "adder"},
                      "Operator types a cell may use (reference AddAll: all three; ['conv'] is "
                      "the OnlyConv baseline)",
                      {"conv", "shift", "adder"});
    s.add_int_list("kernels", {3, 5}, "Choices of the depthwise kernel", 1, 11, "px");
    s.add_int_list("expansions", {1, 3, 6},
                   "Choices of the expansion ratio e (the 1x1 expansion layer is left out "
                   "when e = 1)",
                   1, 12);
    s.add_bool("skip", true,
               "Offer the skip block (identity; a 1x1 conv + BN + ReLU where the cell changes "
               "width or stride)");
    s.add_int_list("stage_cells", {1, 4, 4, 4, 4, 4, 1},
                   "Cells per stage, 7 stages (reference: 22 cells)", 0, 16, "cells");
    s.add_int_list("stage_widths", {16, 24, 32, 64, 112, 184, 352},
                   "Output channels per stage before width_multiplier; stage 0's width is "
                   "also the stem's",
                   1, 4096, "channels");
    s.add_real("width_multiplier", 1.0, "Scales the stem and stage widths (rounded, at least 1)",
               0.01, 8.0);
    s.add_int("header_channels", 1504, "Channels of the 1x1 header before pooling", 1, 8192,
              "channels");
    s.add_int("adder_free_ends", 3,
              "The first and the last this many cells choose among blocks without adders", 0, 64,
              "cells");
    s.add_string("strides", "auto",
                 "Stem and stage strides: cifar (stem 1; 1,1,2,2,1,2,1), imagenet (stem 2; "
                 "1,2,2,2,1,2,1), or auto (cifar below 64 px input, else imagenet)",
                 {"auto", "cifar", "imagenet"});
    return s;
  }

  const Space& space() const override { return space_; }

  Network decode(const Point& p) const override {
    const auto blocks = design(p);
    Network net;
    int x = net.add_input(task_.input);
    x = net.add_conv2d(x, stem_, 3, stem_stride_, 1, 1, false);
    x = net.add_activation(net.add_batch_norm(x), Activation::kRelu);
    std::size_t c = 0;
    for (std::size_t s = 0; s < kStages; ++s)
      for (std::int64_t j = 0; j < cells_[s]; ++j, ++c)
        x = add_cell(net, x, blocks[c], widths_[s], j == 0 ? strides_[s] : 1);
    x = net.add_conv2d(x, header_, 1, 1, 0, 1, false);
    x = net.add_activation(net.add_batch_norm(x), Activation::kRelu);
    x = net.add_flatten(net.add_global_avg_pool(x));
    net.add_linear(x, task_.classes);
    return net;
  }

  std::string describe(const Point& p) const override {
    const auto blocks = design(p);
    int n[3] = {0, 0, 0}, skips = 0;
    std::string s;
    for (const auto& b : blocks) {
      if (b.skip) {
        ++skips;
        s += " -";
        continue;
      }
      ++n[b.op == OpKind::kConv2d ? 0 : b.op == OpKind::kShiftConv2d ? 1 : 2];
      s += " " + token(b);
    }
    return std::to_string(n[0]) + " conv, " + std::to_string(n[1]) + " shift, " +
           std::to_string(n[2]) + " adder, " + std::to_string(skips) + " skip:" + s;
  }

  /// The point of a description: after the ':', one token per cell ("c35": operator letter,
  /// kernel, expansion; "-": skip), each matched to that cell's choices. Exact inverse of
  /// describe() (the counts before the ':' are checked against the tokens).
  Point parse(const std::string& text) const override {
    auto fail = [&](const std::string& why) {
      return UserError("'" + text + "' is not a hybrid_mbconv description: " + why +
                       ". Expected 'N conv, N shift, N adder, N skip:' then one token per cell (" +
                       std::to_string(end_cell_.size()) +
                       "): c, s or a with kernel and expansion (e.g. c36), or - for skip");
    };
    const auto colon = text.find(':');
    if (colon == std::string::npos) throw fail("no ':'");
    std::vector<std::string> tokens;
    std::istringstream in(text.substr(colon + 1));
    for (std::string t; in >> t;) tokens.push_back(t);
    if (tokens.size() != end_cell_.size())
      throw fail(std::to_string(tokens.size()) + " cell tokens");
    Point p;
    for (std::size_t c = 0; c < tokens.size(); ++c) {
      const auto& choices = end_cell_[c] ? choices_end_ : choices_all_;
      std::optional<std::size_t> hit;
      for (std::size_t k = 0; k < choices.size(); ++k)
        if (token(choices[k]) == tokens[c]) hit = k;
      if (!hit)
        throw fail("cell " + std::to_string(c) + " token '" + tokens[c] +
                   "' is not one of its choices");
      p.push_back(static_cast<Coordinate>(*hit));
    }
    if (describe(p) != text) throw fail("the counts before ':' do not match the tokens");
    return p;
  }

 private:
  std::vector<Block> design(const Point& p) const {
    space_.check(p);
    std::vector<Block> out;
    for (std::size_t c = 0; c < end_cell_.size(); ++c)
      out.push_back((end_cell_[c] ? choices_end_ : choices_all_)[static_cast<std::size_t>(p[c])]);
    return out;
  }

  // MBConv: [1x1 t-layer C -> e C, BN, ReLU] (e > 1), k x k depthwise t-layer (stride s), BN,
  // ReLU, 1x1 t-layer -> C_out, BN, + identity if shapes match. Skip: identity, or 1x1 conv + BN +
  // ReLU when the cell changes width or stride.
  static int add_cell(Network& net, int x, const Block& b, std::int64_t c_out, int stride) {
    const std::int64_t c_in = net.node(x).shape.c;
    auto layer = [&](int in, std::int64_t out, int k, int s, int groups) {
      switch (b.op) {
        case OpKind::kShiftConv2d:
          return net.add_shift_conv2d(in, out, k, s, k / 2, groups);
        case OpKind::kAdderConv2d:
          return net.add_adder_conv2d(in, out, k, s, k / 2, groups);
        default:
          return net.add_conv2d(in, out, k, s, k / 2, groups, false);
      }
    };
    if (b.skip) {
      if (c_in == c_out && stride == 1) return x;
      const int y = net.add_conv2d(x, c_out, 1, stride, 0, 1, false);
      return net.add_activation(net.add_batch_norm(y), Activation::kRelu);
    }
    int y = x;
    const std::int64_t mid = c_in * b.expansion;
    if (b.expansion > 1)
      y = net.add_activation(net.add_batch_norm(layer(y, mid, 1, 1, 1)), Activation::kRelu);
    y = layer(y, mid, b.kernel, stride, static_cast<int>(mid));
    y = net.add_activation(net.add_batch_norm(y), Activation::kRelu);
    y = net.add_batch_norm(layer(y, c_out, 1, 1, 1));
    if (c_in == c_out && stride == 1) y = net.add_add({x, y});
    return y;
  }

  std::vector<std::string> operators_;
  std::vector<std::int64_t> kernels_, expansions_, cells_, widths_;
  std::int64_t header_, adder_free_;
  Task task_;
  std::int64_t stem_ = 16;
  int stem_stride_ = 1;
  std::vector<int> strides_;
  std::vector<Block> choices_all_, choices_end_;
  std::vector<bool> end_cell_;
  Space space_;
};

}  // namespace coex::plugins::hybrid_mbconv

COEX_PLUGIN(coex::plugins::hybrid_mbconv::HybridMbconv, "hybrid_mbconv", "0.1.0",
            "NASA's hybrid MBConv cells: per cell conv/shift/adder x kernel 3/5 x expansion "
            "1/3/6 or skip, adder-free end cells, the reference's stage widths and strides")
