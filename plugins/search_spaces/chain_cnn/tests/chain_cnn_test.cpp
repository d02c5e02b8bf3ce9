// The three published architectures of co-exploration NAS (Jiang et al., IEEE TCAD 2020) decode to
// networks with exactly the published parameter counts (32x32x3 input, 10 classes, Keras counting).
#include <gtest/gtest.h>

#include <random>

#include "coex/error.hpp"
#include "test_support.hpp"

using namespace coex;

namespace {

struct Arch {
  const char* name;
  const char* stride;
  std::vector<std::array<int, 3>> layers;  // [k, f, s]
  std::int64_t params;
  Shape dense_input;
};

Point point_of(const SearchSpace& s, const Arch& a) {
  const std::vector<int> depths{6, 10, 14}, kernels{1, 3, 5, 7}, filters{24, 36, 48, 64};
  auto index = [](const std::vector<int>& v, int x) {
    return static_cast<double>(std::find(v.begin(), v.end(), x) - v.begin());
  };
  Point p(s.space().size(), 0.0);
  p[0] = index(depths, static_cast<int>(a.layers.size()));
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    p[1 + 2 * i] = index(kernels, a.layers[i][0]);
    p[2 + 2 * i] = index(filters, a.layers[i][1]);
  }
  return p;
}

}  // namespace

TEST(ChainCnn, PublishedArchitecturesHavePublishedParameterCounts) {
  const std::vector<Arch> archs = {
      {"FixedStride/OptHW",
       "fixed",
       {{5, 24, 1},
        {1, 64, 1},
        {5, 48, 1},
        {7, 24, 1},
        {5, 36, 1},
        {1, 24, 1},
        {5, 48, 1},
        {3, 24, 1},
        {7, 24, 1},
        {3, 36, 1}},
       604626,
       {36 * 32 * 32, 1, 1}},
      {"PredStride/OptHW",
       "predictable",
       {{3, 36, 1}, {5, 36, 1}, {1, 64, 1}, {3, 48, 2}, {7, 24, 1}, {1, 64, 1}},
       286518,
       {64 * 16 * 16, 1, 1}},
      {"PredStride/OptSW",
       "predictable",
       {{1, 24, 1},
        {7, 64, 1},
        {1, 64, 1},
        {5, 48, 2},
        {5, 48, 1},
        {7, 24, 1},
        {7, 64, 1},
        {5, 24, 2},
        {1, 48, 1},
        {5, 36, 1},
        {1, 48, 1},
        {7, 24, 2},
        {1, 64, 1},
        {7, 36, 1}},
       609754,
       {36 * 4 * 4, 1, 1}},
  };
  Task task;
  task.input = {3, 32, 32};
  task.classes = 10;
  for (const auto& a : archs) {
    auto space = test::load_plugin<SearchSpace>("chain_cnn", {{"stride", a.stride}}, task);
    const Network net = space->decode(point_of(*space, a));
    EXPECT_EQ(net.params(), a.params) << a.name;
    std::int64_t f_sum = 0;
    for (const auto& l : a.layers) f_sum += l[1];
    EXPECT_EQ(net.trainable_params(), a.params - 2 * f_sum)
        << a.name << ": BN running stats are not trainable";
    // The dense layer's input is the flattened last feature map.
    const Node& dense = net.output();
    EXPECT_EQ(net.input_shape(dense), a.dense_input) << a.name;
    std::string desc = "depth " + std::to_string(a.layers.size()) + ": ";
    for (const auto& l : a.layers)
      desc += "[" + std::to_string(l[0]) + "," + std::to_string(l[1]) + "," + std::to_string(l[2]) +
              "]";
    EXPECT_EQ(space->describe(point_of(*space, a)), desc);
  }
  // Trainable-only count of FixedStride/OptHW, as stated in the reference.
  auto fixed = test::load_plugin<SearchSpace>("chain_cnn", {{"stride", "fixed"}}, task);
  EXPECT_EQ(fixed->decode(point_of(*fixed, archs[0])).trainable_params(), 603922);
}

TEST(ChainCnn, SpaceShapeAndStrideModes) {
  auto s =
      test::load_plugin<SearchSpace>("chain_cnn", {{"depths", {2, 3}}, {"stride", "searched"}});
  // depth + 3 layers x (kernel, filters, stride)
  EXPECT_EQ(s->space().size(), 1u + 3 * 3);
  // per layer 4 kernels x 4 filters x 2 strides = 32 tokens; 2 depths
  EXPECT_EQ(s->space().cardinality(), 2u * 32 * 32 * 32);
  auto one = test::load_plugin<SearchSpace>("chain_cnn", {{"depths", {3}}, {"stride", "fixed"}});
  EXPECT_EQ(one->space().size(), 6u) << "a single depth adds no dimension";
  const Network n = one->decode(Point(6, 0.0));
  EXPECT_EQ(n.input_shape(n.node(1)), (Shape{1, 28, 28})) << "input shape from the task";
  EXPECT_EQ(n.output().shape.c, 10);
  EXPECT_THROW(test::load_plugin<SearchSpace>("chain_cnn", {{"kernels", {2, 3}}}), PluginError)
      << "even kernel";
  EXPECT_THROW(one->decode(Point(6, 9.0)), Error);
}

TEST(ChainCnn, DescriptionsParseToTheCanonicalPointOfTheirNetwork) {
  for (const std::string stride : {"fixed", "predictable", "searched"}) {
    auto s = test::load_plugin<SearchSpace>("chain_cnn", {{"stride", stride}});
    std::mt19937_64 rng(8);
    for (int i = 0; i < 200; ++i) {
      const Point p = s->space().sample(rng);
      const Point q = s->parse(s->describe(p));
      ASSERT_EQ(s->describe(q), s->describe(p)) << stride;
      ASSERT_EQ(s->decode(q).hash(), s->decode(p).hash()) << stride;
      ASSERT_EQ(s->parse(s->describe(q)), q) << "canonical points are fixed points";
    }
  }
  auto s = test::load_plugin<SearchSpace>("chain_cnn", {{"depths", {2, 3}}});
  const Point q = s->parse("depth 2: [3,24,1][5,64,1]");
  EXPECT_EQ(q.size(), 7u);  // depth, then kernel and filters of 3 layers
  EXPECT_EQ(q[0], 0);
  EXPECT_EQ(q[5], 0);  // the unused third layer at 0
  for (const char* bad : {"depth 4: [3,24,1][5,64,1][3,24,1][5,64,2]",  // depth not a choice
                          "depth 2: [4,24,1][5,64,1]",                  // kernel not a choice
                          "depth 2: [3,24,2][5,64,1]",  // not the predictable stride
                          "depth 2: [3,24,1]", "depth 2: [3,24,1][5,64,1] x"})
    EXPECT_THROW(s->parse(bad), UserError) << bad;
}
