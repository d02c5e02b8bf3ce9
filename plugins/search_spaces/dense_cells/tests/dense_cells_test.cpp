// dense_cells: the NN-Mass / FLASH space, its size and the cell structure it decodes.
#include <gtest/gtest.h>

#include <random>

#include "coex/testing/checks.hpp"

using namespace coex;

namespace {

/// dense_cells point: (d_0, tc_0, d_1, tc_1, d_2, tc_2, wm index).
Network dense(const std::vector<double>& p, std::int64_t max_skip = 199) {
  auto s = coex::testing::load<SearchSpace>(
      {"dense_cells", {{"width_multipliers", {1, 2, 3}}, {"skips_max", max_skip}}});
  return s->decode(p);
}

}  // namespace

TEST(DenseCells, DefaultSpaceHasTheSizeOfTheConfiguredRanges) {
  auto s = coex::testing::load<SearchSpace>({"dense_cells", {}});
  // depths 3..16 (14 values) and skips 0..199 (200 values) per cell, 3 cells, 3 multipliers.
  EXPECT_EQ(s->space().cardinality(), 14ULL * 14 * 14 * 200 * 200 * 200 * 3);
  EXPECT_GT(s->space().cardinality(), 63'000'000'000ULL);  // FLASH: "> 63 x 10^9"
}

TEST(DenseCells, DecodesTheNnMassCellStructure) {
  // wm = 2 (index 1), depths 4, skips (40, 80, 125) on 28x28 Fashion-MNIST.
  const Network n = dense({4, 40, 4, 80, 4, 125, 1});
  int convs = 0, selects = 0;
  std::int64_t skip_channels = 0;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const Node& node = n.node(static_cast<int>(i));
    convs += node.op == OpKind::kConv2d;
    if (node.op == OpKind::kConcat)  // the previous layer, then the skip links
      for (std::size_t k = 1; k < node.inputs.size(); ++k)
        skip_channels += n.node(node.inputs[k]).shape.c;
    if (node.op == OpKind::kChannelSelect) {
      ++selects;
      // A link taking all of a layer's channels is the layer itself, without a select node.
      EXPECT_LT(static_cast<std::int64_t>(node.channels.size()), n.input_shape(node).c);
    }
  }
  EXPECT_EQ(convs, 12);
  EXPECT_GT(selects, 0);
  EXPECT_EQ(skip_channels, 72 + 144 + 250);  // sum over cells of min(tc, (i-1) w)
  EXPECT_EQ(n.output().shape.c, 10);
  // Skip links are fixed by the seed: decoding twice gives the same network.
  EXPECT_EQ(n.hash(), dense({4, 40, 4, 80, 4, 125, 1}).hash());
}

TEST(DenseCells, DescriptionsParseBackToTheirPoints) {
  auto s = coex::testing::load<SearchSpace>({"dense_cells", {}});
  std::mt19937_64 rng(4);
  for (int i = 0; i < 500; ++i) {
    const Point p = s->space().sample(rng);
    ASSERT_EQ(s->parse(s->describe(p)), p) << s->describe(p);
  }
  EXPECT_EQ(s->parse("wm=2 cell0(d=4,tc=40) cell1(d=4,tc=80) cell2(d=4,tc=125)"),
            (Point{4, 40, 4, 80, 4, 125, 1}));
  for (const char* bad : {"wm=5 cell0(d=4,tc=40) cell1(d=4,tc=80) cell2(d=4,tc=125)",
                          "wm=2 cell0(d=40,tc=40) cell1(d=4,tc=80) cell2(d=4,tc=125)",
                          "wm=2 cell0(d=4,tc=40) cell1(d=4,tc=80)", "wm=2"})
    EXPECT_THROW(s->parse(bad), UserError) << bad;
}
