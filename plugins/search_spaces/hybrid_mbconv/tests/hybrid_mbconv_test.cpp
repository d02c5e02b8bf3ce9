// Search space hybrid_mbconv (NASA, Shi et al., ICCAD 2022): the AddAll candidate sets (19 per
// inner cell, 13 per end cell), the reference's stages, the MBConv lowering and the stride
// adaptation to the input size.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <sstream>

#include "coex/error.hpp"
#include "test_support.hpp"

using namespace coex;
using coex::test::load_plugin;

namespace {

Task fashion() {
  Task t;
  t.input = {1, 28, 28};
  return t;
}

Task cifar() {
  Task t;
  t.input = {3, 32, 32};
  return t;
}

// The point choosing `name` in every cell (each cell's choice list holds it).
Point uniform_point(const SearchSpace& s, const std::string& name) {
  Point p;
  for (const auto& d : s.space().dims()) {
    const auto it = std::find(d.choices.begin(), d.choices.end(), name);
    EXPECT_NE(it, d.choices.end()) << d.name << " has no " << name;
    p.push_back(static_cast<double>(it - d.choices.begin()));
  }
  return p;
}

int count(const Network& n, OpKind op) {
  int c = 0;
  for (const auto& x : n.nodes()) c += x.op == op;
  return c;
}

}  // namespace

TEST(HybridMbconv, TheReferenceSupernetHas22CellsWithTheAddAllCandidateSets) {
  const auto s = load_plugin<SearchSpace>("hybrid_mbconv", {}, cifar());
  const auto& dims = s->space().dims();
  ASSERT_EQ(dims.size(), 22u) << "stages of 1, 4, 4, 4, 4, 4, 1 cells";
  for (std::size_t c = 0; c < dims.size(); ++c) {
    const bool end = c < 3 || c >= 19;
    EXPECT_EQ(dims[c].choices.size(), end ? 13u : 19u)
        << "cell " << c + 1 << ": 6 conv + 6 shift (+ 6 adder inside) + skip";
    bool adder = false;
    for (const auto& ch : dims[c].choices) adder |= ch.rfind("adder", 0) == 0;
    EXPECT_EQ(adder, !end) << "cell " << c + 1;
  }
  // All conv_k3_e6 at CIFAR size: stride 8 overall, header 1504 channels, 10 classes.
  const Network n = s->decode(uniform_point(*s, "conv_k3_e6"));
  const Node* gap = nullptr;
  for (const auto& x : n.nodes())
    if (x.op == OpKind::kGlobalAvgPool) gap = &x;
  ASSERT_NE(gap, nullptr);
  EXPECT_EQ(n.input_shape(*gap), (Shape{1504, 4, 4}));
  EXPECT_EQ(n.output().shape.c, 10);
  // 22 cells x (expand, depthwise, project) + stem + header.
  EXPECT_EQ(count(n, OpKind::kConv2d), 22 * 3 + 2);
  // Residuals where a cell keeps width and stride: every cell but the 7 stage openers, and the
  // first stage's opener keeps 16 -> 16 at stride 1.
  EXPECT_EQ(count(n, OpKind::kAdd), 22 - 7 + 1);
}

TEST(HybridMbconv, OneCellNetworkHasTheHandCountedParameters) {
  // Stem 3x3 3->16 (432) + BN (64); conv_k3_e6 16->16: expand 16*96 (1,536) + BN (384), depthwise
  // 9*96 (864) + BN (384), project 96*16 (1,536) + BN (64); header 16->1504 (24,064) + BN
  // (6,016); classifier 1504*10 + 10 (15,050). Keras counting (BN 4 per channel): 50,394.
  const auto s = load_plugin<SearchSpace>(
      "hybrid_mbconv", {{"stage_cells", {1, 0, 0, 0, 0, 0, 0}}, {"adder_free_ends", 0}}, cifar());
  const Network n = s->decode(uniform_point(*s, "conv_k3_e6"));
  EXPECT_EQ(n.params(), 50394);
  // The same cell as a shift or adder block has the same parameters (no bias either way).
  EXPECT_EQ(s->decode(uniform_point(*s, "shift_k3_e6")).params(), 50394);
  const Network a = s->decode(uniform_point(*s, "adder_k3_e6"));
  EXPECT_EQ(a.params(), 50394);
  EXPECT_EQ(count(a, OpKind::kAdderConv2d), 3) << "expand, depthwise and project are adders";
  EXPECT_EQ(count(a, OpKind::kConv2d), 2) << "stem and header stay conv";
  // e = 1 leaves out the expansion: depthwise 9*16 + BN 64, project 16*16 + BN 64.
  EXPECT_EQ(s->decode(uniform_point(*s, "conv_k5_e1")).params(),
            432 + 64 + 25 * 16 + 64 + 256 + 64 + 24064 + 6016 + 15050);
  // Skip on an unchanged shape is the identity.
  EXPECT_EQ(s->decode(uniform_point(*s, "skip")).params(), 432 + 64 + 24064 + 6016 + 15050);
}

TEST(HybridMbconv, StridesFollowTheInputSizeAndWidthsScale) {
  auto final_side = [](const Network& n) {
    for (const auto& x : n.nodes())
      if (x.op == OpKind::kGlobalAvgPool) return n.input_shape(x).h;
    return std::int64_t{-1};
  };
  const auto f = load_plugin<SearchSpace>("hybrid_mbconv", {{"width_multiplier", 0.25}}, fashion());
  const Network n = f->decode(uniform_point(*f, "skip"));
  EXPECT_EQ(final_side(n), 4) << "CIFAR strides on 28 px: 28 -> 14 -> 7 -> 4";
  EXPECT_EQ(n.node(1).shape.c, 4) << "stem 16 x 0.25";
  Task big;
  big.input = {3, 224, 224};
  const auto i = load_plugin<SearchSpace>("hybrid_mbconv", {}, big);
  EXPECT_EQ(final_side(i->decode(uniform_point(*i, "skip"))), 7) << "ImageNet strides: /32";
  const auto forced = load_plugin<SearchSpace>("hybrid_mbconv", {{"strides", "imagenet"}}, cifar());
  EXPECT_EQ(final_side(forced->decode(uniform_point(*forced, "skip"))), 1);
}

TEST(HybridMbconv, ConvOnlyAndRandomPointsRespectTheCandidateSets) {
  const auto conv = load_plugin<SearchSpace>("hybrid_mbconv", {{"operators", {"conv"}}}, fashion());
  for (const auto& d : conv->space().dims()) EXPECT_EQ(d.choices.size(), 7u) << d.name;
  const auto s = load_plugin<SearchSpace>("hybrid_mbconv", {{"width_multiplier", 0.25}}, fashion());
  std::mt19937_64 rng(3);
  int shift = 0, adder = 0;
  for (int t = 0; t < 50; ++t) {
    Point p;
    for (const auto& d : s->space().dims())
      p.push_back(static_cast<double>(rng() % d.choices.size()));
    const Network n = s->decode(p);
    shift += count(n, OpKind::kShiftConv2d);
    adder += count(n, OpKind::kAdderConv2d);
    // No adder before the fourth cell's input or after the nineteenth cell: the first adder
    // layer's input is at stage 1 or later and the header follows at least 3 adder-free cells.
    const std::string desc = s->describe(p);
    std::istringstream in(desc.substr(desc.find(':') + 1));
    std::vector<std::string> cells;
    for (std::string c; in >> c;) cells.push_back(c);
    ASSERT_EQ(cells.size(), 22u) << desc;
    for (std::size_t c = 0; c < cells.size(); ++c)
      if (c < 3 || c >= 19) {
        EXPECT_NE(cells[c][0], 'a') << desc;
      }
  }
  EXPECT_GT(shift, 0);
  EXPECT_GT(adder, 0);
}

TEST(HybridMbconv, BadOptionsNameTheOption) {
  auto message = [](const nlohmann::json& o) {
    try {
      load_plugin<SearchSpace>("hybrid_mbconv", o, fashion());
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({{"stage_cells", {1, 4, 4}}}).find("'stage_cells'"), std::string::npos);
  EXPECT_NE(message({{"kernels", {3, 4}}}).find("'kernels': 4 is even"), std::string::npos);
  EXPECT_NE(message({{"operators", {"adder"}}, {"skip", false}}).find("'operators'"),
            std::string::npos);
  EXPECT_NE(message({{"operators", {"mult"}}}).find("operators"), std::string::npos);
}

TEST(HybridMbconv, DescriptionsParseBackToTheirPoints) {
  auto s = load_plugin<SearchSpace>("hybrid_mbconv");
  std::mt19937_64 rng(9);
  for (int i = 0; i < 300; ++i) {
    const Point p = s->space().sample(rng);
    ASSERT_EQ(s->parse(s->describe(p)), p) << s->describe(p);
  }
  const std::string d = s->describe(s->space().sample(rng));
  std::string wrong_count = d;
  wrong_count[0] = wrong_count[0] == '9' ? '8' : static_cast<char>(wrong_count[0] + 1);
  for (const std::string& bad : {std::string("no colon"), d + " c35", wrong_count,
                                 d.substr(0, d.find(':') + 1) + " x99" + d.substr(d.find(':') + 4)})
    EXPECT_THROW(s->parse(bad), UserError) << bad;
}
