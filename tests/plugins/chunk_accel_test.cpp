// NASA's chunk-based accelerator model (reference/nasa.md section 5): the PE split fixtures, the
// operator energy table, the mapper against brute-force enumeration, per-chunk operator energy
// and the concurrent schedule.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "chunk_model.hpp"
#include "coex/error.hpp"
#include "coex/testing/checks.hpp"

namespace coex::chunk {
namespace {

TEST(ChunkAccel, PeSplitFixtures) {
  const Technology t;
  auto eq = [](PeSplit p, int c, int s, int a) {
    return p.conv == c && p.shift == s && p.adder == a;
  };
  EXPECT_TRUE(eq(split_pes(1e8, 5e7, 5e7, t), 109, 55, 55));
  EXPECT_TRUE(eq(split_pes(6e7, 2e7, 0, t), 142, 48, 0));
  EXPECT_TRUE(eq(split_pes(1e8, 0, 0, t), 168, 0, 0));
  // The budget holds in MAC-equivalents (within the rounding of three chunks).
  const auto p = split_pes(3e7, 7e7, 1e7, t);
  EXPECT_NEAR(p.conv + (p.shift + p.adder) / 1.88, 168, 2);
}

TEST(ChunkAccel, OperatorEnergyTable) {
  // pJ per operation: mult, add, shift at 32, 16, 8 and 6 bits; the FPGA's 8-bit figures.
  const double table[4][4] = {
      {32, 3.7, 0.9, 0.13}, {16, 1, 0.03, 0.103}, {8, 0.2, 0.03, 0.024}, {6, 0.2, 0.022, 0.018}};
  for (const auto& row : table) {
    const int bits = static_cast<int>(row[0]);
    EXPECT_DOUBLE_EQ(op_energy_pj(Op::kMult, bits), row[1]) << bits;
    EXPECT_DOUBLE_EQ(op_energy_pj(Op::kAdd, bits), row[2]) << bits;
    EXPECT_DOUBLE_EQ(op_energy_pj(Op::kShift, bits), row[3]) << bits;
  }
  EXPECT_DOUBLE_EQ(op_energy_pj(Op::kMult, 8, true), 0.213);
  EXPECT_DOUBLE_EQ(op_energy_pj(Op::kShift, 8, true), 0.07);
  EXPECT_DOUBLE_EQ(op_energy_pj(Op::kAdd, 8, true), 0.05);
  EXPECT_THROW(op_energy_pj(Op::kAdd, 4), Error);
}

// Every tuple of factors in range (the last factor of each dimension from the product), filtered
// by invalid(): the definition the mapper must meet, without its divisor lists and early exits.
std::optional<Mapping> brute_force(const Layer& l, int pes, std::int64_t gb, const Technology& t) {
  std::optional<Mapping> best;
  Tiling x;
  for (x.M0 = 1; x.M0 <= l.M; ++x.M0)
    for (x.M1 = 1; x.M1 <= l.M; ++x.M1)
      for (x.M2 = 1; x.M2 <= l.M; ++x.M2) {
        x.M3 = l.M / (x.M0 * x.M1 * x.M2);
        for (x.C0 = 1; x.C0 <= l.C; ++x.C0)
          for (x.C1 = 1; x.C1 <= l.C; ++x.C1) {
            x.C2 = l.C / (x.C0 * x.C1);
            for (x.E1 = 1; x.E1 <= l.E; ++x.E1) {
              x.E3 = l.E / x.E1;
              if (invalid(l, x, pes, gb, t)) continue;
              const Mapping m = evaluate(l, x, t);
              if (!best || m.edp() < best->edp() ||
                  (m.edp() == best->edp() && m.latency_ns < best->latency_ns))
                best = m;
            }
          }
      }
  return best;
}

TEST(ChunkAccel, MapperFindsTheBruteForceMinimumAndOnlyValidTilings) {
  const Technology t;
  std::vector<Layer> layers;
  for (auto [c, m, e, k, s] : std::vector<std::tuple<int, int, int, int, int>>{
           {4, 8, 6, 3, 1}, {6, 4, 4, 1, 1}, {8, 12, 3, 3, 2}, {1, 1, 8, 5, 1}, {12, 6, 2, 3, 1}}) {
    Layer l;
    l.C = c;
    l.M = m;
    l.E = l.F = e;
    l.R = l.S = k;
    l.stride = s;
    l.H = l.W = (e - 1) * s + k;
    layers.push_back(l);
  }
  Layer fc;  // fully connected: E = F = 1
  fc.C = 16;
  fc.M = 10;
  layers.push_back(fc);
  int compared = 0;
  for (const auto& l : layers)
    for (int pes : {12, 40, 168})
      for (std::int64_t gb : {std::int64_t{200}, std::int64_t{131070}}) {
        const auto fast = map_layer(l, pes, gb, t);
        const auto slow = brute_force(l, pes, gb, t);
        ASSERT_EQ(fast.has_value(), slow.has_value()) << "C " << l.C << " M " << l.M;
        if (!fast) continue;
        EXPECT_FALSE(invalid(l, fast->tiling, pes, gb, t)) << fast->tiling.to_string();
        EXPECT_DOUBLE_EQ(fast->edp(), slow->edp())
            << fast->tiling.to_string() << " vs " << slow->tiling.to_string();
        ++compared;
      }
  EXPECT_GE(compared, 30);
  // Too few PEs for any tiling of a 5x5 layer: no mapping, not a sentinel.
  EXPECT_FALSE(map_layer(layers[3], 5, 131070, t));
}

TEST(ChunkAccel, EachChunkPaysItsOwnOperatorEnergy) {
  Layer l;
  l.C = 16;
  l.M = 32;
  l.E = l.F = 8;
  l.H = l.W = 10;
  l.R = l.S = 3;
  const Technology t;
  const auto conv = map_layer(l, 100, t.gb_words, t);
  ASSERT_TRUE(conv);
  Layer s = l;
  s.chunk = Chunk::kShift;
  const auto shift = evaluate(s, conv->tiling, t);
  Technology compat;
  compat.compat_conv_energy = true;
  const auto shift_compat = evaluate(s, conv->tiling, compat);
  // The original charged the 8-bit multiply (0.2 pJ) to the shift chunk; coex charges a 6-bit
  // shift (0.018 pJ): the difference is exactly MACs x 0.182 pJ.
  EXPECT_NEAR(shift_compat.energy_pj - shift.energy_pj, static_cast<double>(l.macs()) * 0.182,
              1e-6);
  // Same tiling, so same latency; the shift chunk's 6-bit words cost 6/16 of a 16-bit access.
  EXPECT_DOUBLE_EQ(shift.latency_ns, conv->latency_ns);
  EXPECT_LT(shift.energy_pj, conv->energy_pj);
}

TEST(ChunkAccel, AllConvNetworkUsesOnlyTheConvChunk) {
  Network net;
  int x = net.add_input({3, 16, 16});
  x = net.add_conv2d(x, 16, 3, 1, 1);
  x = net.add_conv2d(x, 16, 3, 2, 1, 16);  // depthwise: 16 single-channel layers
  x = net.add_conv2d(x, 24, 1, 1, 0);
  x = net.add_flatten(net.add_global_avg_pool(x));
  net.add_linear(x, 10);
  const auto layers = lower(net);
  ASSERT_EQ(layers.size(), 4u);
  EXPECT_EQ(layers[1].repeat, 16);
  EXPECT_EQ(layers[1].C, 1);
  Mapper mapper(Technology::asic());
  const auto r = schedule(layers, mapper);
  ASSERT_TRUE(r.feasible) << r.reason;
  EXPECT_EQ(r.pes.conv, 168);
  EXPECT_EQ(r.pes.shift + r.pes.adder, 0);
  EXPECT_EQ(r.chunk_latency_ns[1] + r.chunk_latency_ns[2], 0);
  EXPECT_EQ(r.chunk_energy_pj[1] + r.chunk_energy_pj[2], 0);
  double latency = 0;
  for (std::size_t i = 0; i < layers.size(); ++i)
    latency += r.mappings[i].latency_ns * static_cast<double>(layers[i].repeat);
  EXPECT_DOUBLE_EQ(r.latency_ns, latency);
  EXPECT_GT(r.energy_pj, r.onchip_pj);
}

TEST(ChunkAccel, HybridNetworkRunsEachOperatorOnItsChunk) {
  // conv -> shift -> depthwise adder -> adder: each IR op lowers to its own chunk, the PE split
  // follows the chunks' MACs, and the three chunks overlap in time.
  Network net;
  int x = net.add_input({8, 12, 12});
  x = net.add_conv2d(x, 16, 3, 1, 1);
  x = net.add_shift_conv2d(x, 32, 1, 1, 0);
  x = net.add_adder_conv2d(x, 32, 3, 1, 1, 32);
  x = net.add_adder_conv2d(x, 16, 1, 1, 0);
  const auto layers = lower(net);
  ASSERT_EQ(layers.size(), 4u);
  EXPECT_EQ(layers[0].chunk, Chunk::kConv);
  EXPECT_EQ(layers[1].chunk, Chunk::kShift);
  EXPECT_EQ(layers[2].chunk, Chunk::kAdder);
  EXPECT_EQ(layers[2].repeat, 32);
  EXPECT_EQ(layers[3].chunk, Chunk::kAdder);
  const auto f = chunk_macs(layers);
  EXPECT_DOUBLE_EQ(f[0], 144.0 * 16 * 8 * 9);
  EXPECT_DOUBLE_EQ(f[1], 144.0 * 32 * 16);
  EXPECT_DOUBLE_EQ(f[2], 144.0 * 32 * 9 + 144.0 * 16 * 32);
  Mapper mapper(Technology::asic());
  const auto r = schedule(layers, mapper);
  ASSERT_TRUE(r.feasible) << r.reason;
  const auto expect = split_pes(f[0], f[1], f[2], Technology::asic());
  EXPECT_EQ(r.pes.conv, expect.conv);
  EXPECT_EQ(r.pes.shift, expect.shift);
  EXPECT_EQ(r.pes.adder, expect.adder);
  for (int c = 0; c < 3; ++c) EXPECT_GT(r.chunk_latency_ns[static_cast<std::size_t>(c)], 0) << c;
  const double sum = r.chunk_latency_ns[0] + r.chunk_latency_ns[1] + r.chunk_latency_ns[2];
  EXPECT_DOUBLE_EQ(r.latency_ns,
                   *std::max_element(r.chunk_latency_ns.begin(), r.chunk_latency_ns.end()));
  EXPECT_LT(r.latency_ns, sum);
  // Charged its own operators, the hybrid network costs less than the same tilings at the conv
  // chunk's multiply energy.
  Technology compat;
  compat.compat_conv_energy = true;
  double own = 0, as_conv = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const double n = static_cast<double>(layers[i].repeat);
    own += evaluate(layers[i], r.mappings[i].tiling, Technology::asic()).energy_pj * n;
    as_conv += evaluate(layers[i], r.mappings[i].tiling, compat).energy_pj * n;
  }
  EXPECT_NEAR(own, r.energy_pj, 1e-6 * own);
  EXPECT_NEAR(as_conv - own, f[1] * (0.2 - 0.018) + f[2] * (0.2 - 0.022), 1e-6 * own);
}

TEST(ChunkAccel, ChunksRunConcurrently) {
  // A conv layer and a shift layer of the same shape: the network takes as long as the slower
  // chunk, not their sum, and costs the sum of their energies.
  Layer a;
  a.C = 8;
  a.M = 16;
  a.E = a.F = 8;
  a.H = a.W = 10;
  a.R = a.S = 3;
  Layer b = a;
  b.chunk = Chunk::kShift;
  Mapper mapper(Technology::asic());
  const auto r = schedule({a, b}, mapper);
  ASSERT_TRUE(r.feasible) << r.reason;
  EXPECT_GT(r.pes.conv, 0);
  EXPECT_GT(r.pes.shift, 0);
  EXPECT_DOUBLE_EQ(r.latency_ns, std::max(r.chunk_latency_ns[0], r.chunk_latency_ns[1]));
  EXPECT_LT(r.latency_ns, r.chunk_latency_ns[0] + r.chunk_latency_ns[1]);
  EXPECT_DOUBLE_EQ(r.energy_pj, r.chunk_energy_pj[0] + r.chunk_energy_pj[1]);
  // Memoised: the second identical query is a cache hit.
  const auto before = mapper.cached();
  mapper.map(a, r.pes.conv, 131070);
  mapper.map(a, r.pes.conv, 131070);
  EXPECT_LE(mapper.cached(), before + 1);
}

TEST(ChunkAccelTarget, DesignsTradePesForLatencyAndRefuseNetworksWithoutConv) {
  using coex::testing::load;
  using coex::testing::PluginUnderTest;
  auto t = load<HardwareTarget>(PluginUnderTest{
      "chunk_accel", {{"pe_budgets", {42, 168}}, {"split_override", {100, 40, 40}}}});
  ASSERT_EQ(t->design_space().size(), 3u);  // pe_budget, gb_words, pe_split
  const auto net = coex::testing::reference_networks(Task{}, 6)[5];
  const auto small = t->evaluate(net, {0, 1, 0});
  const auto large = t->evaluate(net, {1, 1, 0});
  ASSERT_TRUE(small.feasible && large.feasible) << small.reason << large.reason;
  EXPECT_GT(small.metrics.get("latency_ms"), large.metrics.get("latency_ms"));
  EXPECT_NE(large.summary.find("168 PEs (conv 168, shift 0, adder 0)"), std::string::npos)
      << large.summary;
  // The override hands the conv chunk 100 PEs of the 168: slower than the workload split.
  const auto fixed = t->evaluate(net, {1, 1, 1});
  ASSERT_TRUE(fixed.feasible) << fixed.reason;
  EXPECT_NE(fixed.summary.find("conv 100"), std::string::npos) << fixed.summary;
  EXPECT_GT(fixed.metrics.get("latency_ms"), large.metrics.get("latency_ms"));
  // The figures are the schedule's.
  Mapper mapper(Technology::asic());
  const auto direct = schedule(lower(net), mapper);
  EXPECT_DOUBLE_EQ(large.metrics.get("latency_ms"), direct.latency_ns * 1e-6);
  EXPECT_DOUBLE_EQ(large.metrics.get("energy_mj"), direct.energy_pj * 1e-9);
  // A network without conv or linear layers has nothing to run here.
  Network q;
  q.add_qf_u(q.add_flatten(q.add_input({1, 4, 4})), 2);
  const auto r = t->tune(q, {});
  EXPECT_FALSE(r.feasible);
  EXPECT_NE(r.reason.find("the network has none"), std::string::npos) << r.reason;
  // A malformed override names the option.
  try {
    load<HardwareTarget>(PluginUnderTest{"chunk_accel", {{"split_override", {1, 2}}}});
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("'split_override'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace coex::chunk
