// imc: the crossbar / network-on-chip model against hand computations.
#include <gtest/gtest.h>

#include <cmath>

#include "coex/testing/checks.hpp"
#include "imc_model.hpp"

using namespace coex;

TEST(Imc, HandComputedSmallNetwork) {
  // conv 3x3 16 -> 32 on 8x8 (pad 1), then linear 2048 -> 10, on 128x128 crossbars, 6-bit ADCs.
  Network n;
  int x = n.add_input({16, 8, 8});
  x = n.add_conv2d(x, 32, 3, 1, 1);
  n.add_linear(n.add_flatten(x), 10);
  imc::Technology t;  // defaults: b_w 8, b_cell 2, b_in 8, 8 crossbars/tile, 8 ADCs/crossbar
  imc::Design d;
  d.crossbar = 128;
  d.adc_bits = 6;
  const auto r = imc::evaluate(n, d, t);
  // conv: ceil(144/128) = 2 row blocks x ceil(32*8 / (2*128)) = 1 column block = 2 crossbars;
  // linear: ceil(2048/128) = 16 x ceil(80/256) = 1 = 16 crossbars; 18 crossbars = 3 tiles.
  ASSERT_EQ(r.layers.size(), 2u);
  EXPECT_EQ(r.layers[0].crossbars, 2);
  EXPECT_EQ(r.layers[1].crossbars, 16);
  EXPECT_EQ(r.tiles, 3);
  EXPECT_EQ(r.routers, 3);
  // t_xb = 10 + ceil(128/8) * 6 * 0.5 = 58 ns. conv: 64 positions x 8 bits x 58 = 29,696 ns.
  EXPECT_DOUBLE_EQ(r.layers[0].compute_ns, 29696);
  EXPECT_DOUBLE_EQ(r.layers[1].compute_ns, 8 * 58);
  // NoC: 3 routers on a 2-wide mesh. conv's middle crossbar 1 -> router 0; linear's middle
  // crossbar 2 + 8 = 10 -> tile 1 -> router 1 (0,1): 1 hop. conv output 8*8*32*8 bits = 256
  // flits: (1 hop x 3 cycles + 256) x 1 ns = 259 ns. linear: 1 hop to the output, 2 flits: 5 ns.
  EXPECT_EQ(r.layers[0].hops, 1);
  EXPECT_DOUBLE_EQ(r.layers[0].noc_ns, 259);
  EXPECT_DOUBLE_EQ(r.layers[1].noc_ns, 5);
  EXPECT_NEAR(r.latency_ms, (29696 + 259 + 464 + 5) * 1e-6, 1e-15);
  // Energy: conv MACs 64*32*144 = 294,912 x 0.02 pJ; ADC conversions 64 x 8 x (2 x 128 columns)
  // x 1.6 pJ (6-bit); 256 flits x 1 hop x 1 pJ. linear: 20,480 MACs; 1 x 8 x (16 x 40) x 1.6;
  // 2 flits.
  const double e_pj = 294912 * 0.02 + 64 * 8 * 256 * 1.6 + 256 + 20480 * 0.02 + 8 * 640 * 1.6 + 2;
  EXPECT_NEAR(r.energy_mj, e_pj * 1e-9, 1e-15);
  // Area: crossbar 128^2 x 0.025 um2 + 8 ADCs x 0.0006 x 4 mm2; tile 8 crossbars + 0.05;
  // 3 tiles + 3 routers x 0.02.
  const double xb = 128.0 * 128 * 0.025e-6 + 8 * 0.0006 * 4;
  EXPECT_NEAR(r.area_mm2, 3 * (8 * xb + 0.05) + 3 * 0.02, 1e-12);
  EXPECT_EQ(r.adc_deficit_bits, 7 + 2 - 6);
}

TEST(Imc, ShiftLayersMapLikeConvolutionsAndAdderLayersAreRefused) {
  // Power-of-two weights are ordinary crossbar weights; an L1 distance is not a dot product.
  auto build = [](int kind) {
    Network n;
    int x = n.add_input({16, 8, 8});
    x = kind == 0   ? n.add_conv2d(x, 32, 3, 1, 1, 1, false)
        : kind == 1 ? n.add_shift_conv2d(x, 32, 3, 1, 1)
                    : n.add_adder_conv2d(x, 32, 3, 1, 1);
    n.add_linear(n.add_flatten(x), 10);
    return n;
  };
  imc::Technology t;
  imc::Design d;
  const auto conv = imc::evaluate(build(0), d, t), shift = imc::evaluate(build(1), d, t),
             adder = imc::evaluate(build(2), d, t);
  ASSERT_TRUE(conv.feasible && shift.feasible);
  EXPECT_EQ(shift.crossbars, conv.crossbars);
  EXPECT_DOUBLE_EQ(shift.energy_mj, conv.energy_mj);
  EXPECT_DOUBLE_EQ(shift.latency_ms, conv.latency_ms);
  EXPECT_FALSE(adder.feasible);
  EXPECT_NE(adder.reason.find("adder_conv2d at node 1"), std::string::npos) << adder.reason;
}

TEST(Imc, DesignChoicesMoveTheMetricsTheExpectedWay) {
  const auto net = coex::testing::reference_networks(Task{}, 6)[5];
  imc::Technology t;
  imc::Design base;
  const auto r0 = imc::evaluate(net, base, t);
  imc::Design wide = base;
  wide.bandwidth_flits = 8;
  EXPECT_LT(imc::evaluate(net, wide, t).latency_ms, r0.latency_ms);
  imc::Design fine_adc = base;
  fine_adc.adc_bits = 8;
  const auto r1 = imc::evaluate(net, fine_adc, t);
  EXPECT_GT(r1.energy_mj, r0.energy_mj);
  EXPECT_GT(r1.area_mm2, r0.area_mm2);
  EXPECT_LT(r1.adc_deficit_bits, r0.adc_deficit_bits);
  imc::Design small = base;
  small.crossbar = 64;
  EXPECT_GT(imc::evaluate(net, small, t).crossbars, r0.crossbars);
  t.max_tiles = 1;
  const auto r2 = imc::evaluate(net, base, t);
  EXPECT_FALSE(r2.feasible);
  EXPECT_NE(r2.reason.find("the chip has 1"), std::string::npos);
}
