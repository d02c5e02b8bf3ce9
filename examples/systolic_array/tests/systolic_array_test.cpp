// Tests of the out-of-tree systolic array target: hand-computed cycles, feasibility, direction of
// the trade-offs, and the coex conformance kit.
#include <gtest/gtest.h>

#include "coex/testing/conformance.hpp"

using namespace coex;

COEX_HARDWARE_TARGET_CONFORMANCE(SystolicArray, {"systolic_array", {}});

namespace {
Network one_conv() {
  Network n;
  const int x = n.add_input({16, 8, 8});
  n.add_conv2d_same(x, 32, 3, 1);
  return n;
}
// Design point: rows, cols, ifmap, filter, ofmap (indices), clock index.
Point at(int rows_idx, int cols_idx, int buf_idx, int clock_idx) {
  return {double(rows_idx), double(cols_idx), double(buf_idx),
          double(buf_idx),  double(buf_idx),  double(clock_idx)};
}
}  // namespace

TEST(SystolicArray, HandComputedLatency) {
  auto t = coex::testing::load<HardwareTarget>({"systolic_array", {}});
  // 16x16 PEs, 512 KiB buffers (nothing refetched), 200 MHz, int8, 16 GB/s.
  // T = 64 output pixels, K = 16*9 = 144, N = 32: folds 9 x 2;
  // compute = 18 * (2*16 + 16 + 64 - 2) = 1980 cycles.
  // DRAM bytes = weights 4608 + ifmap 1024 + ofmap 2048 = 7680; 16e9/200e6 = 80 B/cycle -> 96
  // cycles. latency = 1980 / (200e3) ms = 0.0099 ms.
  const HardwareResult r = t->evaluate(one_conv(), at(1, 1, 3, 0));
  ASSERT_TRUE(r.feasible) << r.reason;
  EXPECT_DOUBLE_EQ(r.detail["cycles"].get<double>(), 1980);
  EXPECT_DOUBLE_EQ(r.detail["dram_bytes"].get<double>(), 7680);
  EXPECT_NEAR(r.metrics.get("latency_ms"), 0.0099, 1e-12);
  EXPECT_NEAR(r.metrics.get("utilization"), 64.0 * 144 * 32 / (1980.0 * 256), 1e-12);
  // Area: 256 PEs * 0.0006 + 3 * 512 KiB * 0.0016.
  EXPECT_NEAR(r.metrics.get("area_mm2"), 256 * 0.0006 + 1536 * 0.0016, 1e-12);
}

TEST(SystolicArray, TradeOffsGoTheExpectedWay) {
  auto t = coex::testing::load<HardwareTarget>({"systolic_array", {}});
  const Network n = one_conv();
  const auto small = t->evaluate(n, at(0, 0, 3, 1));  // 8x8
  const auto big = t->evaluate(n, at(2, 2, 3, 1));    // 32x32
  EXPECT_LT(big.metrics.get("latency_ms"), small.metrics.get("latency_ms"));
  EXPECT_GT(big.metrics.get("area_mm2"), small.metrics.get("area_mm2"));
  const auto fast = t->evaluate(n, at(2, 2, 3, 2));  // 800 MHz
  EXPECT_LT(fast.metrics.get("latency_ms"), big.metrics.get("latency_ms"));
  // 128x128 int8 weights need 16 KiB: an 8 KiB filter buffer cannot hold a fold.
  const auto tiny = t->evaluate(n, {4, 4, 0, 0, 0, 0});
  EXPECT_FALSE(tiny.feasible);
  EXPECT_NE(tiny.reason.find("cannot hold one 128x128 weight fold"), std::string::npos);
  // An area spec makes tune() choose a smaller array.
  const auto unconstrained = t->tune(n, {});
  const auto limited = t->tune(n, Specs({Spec::parse("area_mm2 <= 0.1")}));
  EXPECT_LE(limited.metrics.get("area_mm2"), 0.1);
  EXPECT_GE(limited.metrics.get("latency_ms"), unconstrained.metrics.get("latency_ms"));
}
