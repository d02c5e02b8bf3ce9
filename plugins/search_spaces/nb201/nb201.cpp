// Search space `nb201`: the NAS-Bench-201 cell space (Dong & Yang, ICLR 2020) in the coex IR:
// a 4-node cell with 6 edges, each one of 5 operations (15,625 cells), in the standard macro
// skeleton (stem, 3 stages of N cells at C, 2C, 4C channels with residual reduction blocks,
// BN-ReLU, global average pooling, linear). See README.md.
#include <algorithm>
#include <array>

#include "coex/error.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"

namespace coex::plugins::nb201 {

namespace {

const std::vector<std::string> kOps = {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3",
                                       "avg_pool_3x3"};
// Edge (to, from) of each dimension, in the order of the standard string form.
constexpr std::array<std::pair<int, int>, 6> kEdges = {
    {{1, 0}, {2, 0}, {2, 1}, {3, 0}, {3, 1}, {3, 2}}};

int relu_conv_bn(Network& n, int x, std::int64_t c_out, int k, int stride) {
  x = n.add_activation(x, Activation::kRelu);
  x = n.add_conv2d(x, c_out, k, stride, k / 2, 1, false);
  return n.add_batch_norm(x);
}

}  // namespace

class Nb201 final : public SearchSpace {
 public:
  Nb201(const Options& o, const PluginContext& ctx)
      : channels_(o.get_int("channels")),
        cells_(static_cast<int>(o.get_int("cells_per_stage"))),
        prune_dead_(o.get_bool("prune_dead")),
        task_(ctx.task) {
    std::vector<Dimension> dims;
    for (const auto& [to, from] : kEdges)
      dims.push_back(
          Dimension::categorical("edge_" + std::to_string(to) + "_" + std::to_string(from), kOps));
    space_ = Space(std::move(dims));
  }

  static OptionSchema schema() {
    OptionSchema s;
    s.add_int("channels", 16, "Channels C of the first stage (2C and 4C after the reductions)", 1,
              4096, "channels");
    s.add_int("cells_per_stage", 5, "Cells N per stage", 1, 64, "cells");
    s.add_bool("prune_dead", false,
               "Describe the functional graph: leave out 'none' edges and the operations on nodes "
               "that are always zero (false: every edge as NAS-Bench-201's code executes it, "
               "'none' as a zero operation, which is what a device runs and times)");
    return s;
  }

  const Space& space() const override { return space_; }

  Network decode(const Point& p) const override {
    space_.check(p);
    Network n;
    int x = n.add_input(task_.input);
    x = n.add_batch_norm(n.add_conv2d(x, channels_, 3, 1, 1, 1, false));  // stem
    std::int64_t c = channels_;
    for (int stage = 0; stage < 3; ++stage) {
      if (stage > 0) {
        x = reduction(n, x, 2 * c);
        c *= 2;
      }
      for (int i = 0; i < cells_; ++i) x = cell(n, x, c, p);
    }
    x = n.add_activation(n.add_batch_norm(x), Activation::kRelu);  // lastact
    x = n.add_flatten(n.add_global_avg_pool(x));
    n.add_linear(x, task_.classes, true);
    return n;
  }

  /// The standard string form: |op~0|+|op~0|op~1|+|op~0|op~1|op~2|
  std::string describe(const Point& p) const override {
    space_.check(p);
    std::string s;
    for (std::size_t e = 0; e < kEdges.size(); ++e) {
      if (e == 1 || e == 3) s += "+";
      s += "|" + kOps[static_cast<std::size_t>(p[e])] + "~" + std::to_string(kEdges[e].second);
      if (e == 0 || e == 2 || e == 5) s += "|";
    }
    return s;
  }

  /// The point of a standard cell string. Exact inverse of describe(); whitespace around the
  /// string is ignored.
  Point parse(const std::string& text) const override {
    const auto a = text.find_first_not_of(" \t\r\n"), b = text.find_last_not_of(" \t\r\n");
    const std::string s = a == std::string::npos ? "" : text.substr(a, b - a + 1);
    auto fail = [&](const std::string& why) {
      return UserError("'" + text + "' is not a NAS-Bench-201 cell string: " + why +
                       ". Expected |op~0|+|op~0|op~1|+|op~0|op~1|op~2| with op one of none, "
                       "skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3");
    };
    Point p;
    std::size_t pos = 0;
    for (std::size_t e = 0; e < kEdges.size(); ++e) {
      if (e == 1 || e == 3) {
        if (s.compare(pos, 3, "|+|") != 0)
          throw fail("'|+|' expected before the edges into node " +
                     std::to_string(kEdges[e].first));
        pos += 2;
      }
      if (pos >= s.size() || s[pos] != '|')
        throw fail("'|' expected at character " + std::to_string(pos + 1));
      const std::size_t close = s.find('|', pos + 1);
      if (close == std::string::npos) throw fail("unterminated edge '" + s.substr(pos) + "'");
      const std::string token = s.substr(pos + 1, close - pos - 1);
      const std::string suffix = "~" + std::to_string(kEdges[e].second);
      if (token.size() <= suffix.size() ||
          token.compare(token.size() - suffix.size(), suffix.size(), suffix) != 0)
        throw fail("edge '" + token + "' should end in '" + suffix + "' (the edge into node " +
                   std::to_string(kEdges[e].first) + " from node " +
                   std::to_string(kEdges[e].second) + ")");
      const std::string op = token.substr(0, token.size() - suffix.size());
      const auto it = std::find(kOps.begin(), kOps.end(), op);
      if (it == kOps.end()) throw fail("unknown operation '" + op + "'");
      p.push_back(static_cast<Coordinate>(it - kOps.begin()));
      pos = close;
    }
    if (pos + 1 != s.size()) throw fail("unexpected text after the sixth edge");
    return p;
  }

 private:
  /// ResNet basic block with stride 2 (NAS-Bench-201's reduction cell).
  static int reduction(Network& n, int x, std::int64_t c_out) {
    const int a = relu_conv_bn(n, x, c_out, 3, 2);
    const int b = relu_conv_bn(n, a, c_out, 3, 1);
    const int shortcut = n.add_conv2d(n.add_avg_pool(x, 2, 2), c_out, 1, 1, 0, 1, false);
    return n.add_add({shortcut, b});
  }

  /// node_j = sum over i < j of op_(j,i)(node_i). Executed (default): every edge runs, `none`
  /// as a zero operation on its input, as NAS-Bench-201's code does. prune_dead: `none` edges
  /// and edges out of identically zero nodes are left out; a node with no incoming term is zero
  /// (-1 below), and a cell whose node 3 is zero outputs the IR's zero op.
  int cell(Network& n, int x, std::int64_t c, const Point& p) const {
    std::array<int, 4> node{x, -1, -1, -1};
    for (int j = 1; j <= 3; ++j) {
      std::vector<int> terms;
      for (std::size_t e = 0; e < kEdges.size(); ++e) {
        if (kEdges[e].first != j) continue;
        const int from = node[static_cast<std::size_t>(kEdges[e].second)];
        const std::string& op = kOps[static_cast<std::size_t>(p[e])];
        if (prune_dead_ && (op == "none" || from < 0)) continue;
        if (op == "none") terms.push_back(n.add_zero(from));
        if (op == "skip_connect") terms.push_back(from);
        if (op == "nor_conv_1x1") terms.push_back(relu_conv_bn(n, from, c, 1, 1));
        if (op == "nor_conv_3x3") terms.push_back(relu_conv_bn(n, from, c, 3, 1));
        if (op == "avg_pool_3x3") terms.push_back(n.add_avg_pool(from, 3, 1, 1));
      }
      node[static_cast<std::size_t>(j)] = terms.empty()       ? -1
                                          : terms.size() == 1 ? terms[0]
                                                              : n.add_add(terms);
    }
    return node[3] >= 0 ? node[3] : n.add_zero(x);
  }

  std::int64_t channels_;
  int cells_;
  bool prune_dead_;
  Task task_;
  Space space_;
};

}  // namespace coex::plugins::nb201

COEX_PLUGIN(
    coex::plugins::nb201::Nb201, "nb201", "0.1.0",
    "NAS-Bench-201 cell space: 6 edges x 5 operations (15,625 cells) in the standard skeleton")
