// The loop-tiling model against hand computations, resource checks, the pipeline DP against
// brute force, and tune() against sampled designs.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

#include "coex/error.hpp"
#include "pipeline_planner.hpp"
#include "test_support.hpp"
#include "tiling_model.hpp"

using namespace coex;
using namespace coex::plugins::fpga_cluster;

namespace {
LayerShape conv(std::int64_t m, std::int64_t n, std::int64_t r, int k, int s, int p) {
  LayerShape L;
  L.m = m;
  L.n = n;
  L.r = L.c = r;
  L.k = k;
  L.s = s;
  L.p = p;
  L.out_elements = m * ((r + s - 1) / s) * ((r + s - 1) / s);
  return L;
}
}  // namespace

TEST(TilingModel, HandComputedComputeBoundLayer) {
  // M=64, N=32, 32x32, K=3, S=1, P=1 on Tm=32 Tn=8 Tr=Tc=32, ports 2 words/cycle, 16 bit:
  // tW = 32*8*9/2 = 1152; tI = 8*32*32/2 = 4096; tO = 32*32*32/2 = 16384;
  // tC = 9*32*32 = 9216; L1 = 9216; L2 = max(ceil(32/8)*9216, 16384) = 36864;
  // cycles = ceil(32/32)^2 * ceil(64/32) * 36864 = 73728.
  const auto c = layer_cycles(conv(64, 32, 32, 3, 1, 1), {32, 8, 32, 32, 3, 2, 2, 2}, 16);
  EXPECT_DOUBLE_EQ(c.t_weight, 1152);
  EXPECT_DOUBLE_EQ(c.t_input, 4096);
  EXPECT_DOUBLE_EQ(c.t_output, 16384);
  EXPECT_DOUBLE_EQ(c.t_compute, 9216);
  EXPECT_DOUBLE_EQ(c.cycles, 73728);
  EXPECT_STREQ(c.bottleneck, "computing");
}

TEST(TilingModel, HandComputedStridedLayer) {
  // M=24, N=3, 32x32, K=5, S=2, P=2 on Tm=16 Tn=4 Tr=Tc=32:
  // tW = 16*4*25/2 = 800; tI = 3*32*32/2 = 1536; tO = 16*16*16/2 = 2048;
  // tC = 25*ceil(32/2)*ceil(32/2) = 6400; L2 = max(1*6400, 2048) = 6400;
  // cycles = 1 * 1 * ceil(24/16) * 6400 = 12800.
  const auto c = layer_cycles(conv(24, 3, 32, 5, 2, 2), {16, 4, 32, 32, 5, 2, 2, 2}, 16);
  EXPECT_DOUBLE_EQ(c.t_weight, 800);
  EXPECT_DOUBLE_EQ(c.t_input, 1536);
  EXPECT_DOUBLE_EQ(c.t_output, 2048);
  EXPECT_DOUBLE_EQ(c.t_compute, 6400);
  EXPECT_DOUBLE_EQ(c.cycles, 12800);
}

TEST(TilingModel, HandComputedOutputBoundLayer) {
  // 1x1 conv M=64, N=8, 64x64 on Tm=48 Tn=8 Tr=Tc=64:
  // tW = 48*8/2 = 192; tI = 8*64*64/2 = 16384; tO = 48*64*64/2 = 98304; tC = 64*64 = 4096;
  // L2 = max(1*16384, 98304) = 98304 (storing OFM); cycles = ceil(64/48) * 98304 = 196608.
  const auto c = layer_cycles(conv(64, 8, 64, 1, 1, 0), {48, 8, 64, 64, 3, 2, 2, 2}, 16);
  EXPECT_DOUBLE_EQ(c.t_output, 98304);
  EXPECT_DOUBLE_EQ(c.cycles, 196608);
  EXPECT_STREQ(c.bottleneck, "storing OFM");
}

TEST(TilingModel, ResourcesAndRejections) {
  const Tiling t{48, 8, 64, 64, 3, 2, 2, 2};
  // DSP 48*8 = 384; port 16*(2+2+2) = 96; BRAM: bI = 2*8*ceil(4096*16/18000) = 64,
  // bO = 2*48*4 = 384, bW = 48*8*ceil(4*9*16/18000) = 384; total 832.
  const Resources r = resources(t, 16);
  EXPECT_EQ(r.dsp, 384);
  EXPECT_EQ(r.port_bits, 96);
  EXPECT_EQ(r.bram18k, 832);
  EXPECT_EQ(resources(t, 32).dsp, 5 * 384) << "fp32: 5 DSP per MAC";
  const Board zcu102 = *find_preset("zcu102");
  EXPECT_FALSE(misfit(t, zcu102, 16, true));
  EXPECT_NE(misfit(t, *find_preset("pynq_z1"), 16, true)->find("DSP 384 > 220"), std::string::npos);
  Board small = zcu102;
  small.bram18k = 800;
  EXPECT_NE(misfit(t, small, 16, true)->find("BRAM18K 832 > 800"), std::string::npos);
  EXPECT_FALSE(misfit(t, small, 16, false)) << "bram_check = false reproduces the original";
  const Tiling wide{48, 8, 64, 64, 3, 16, 16, 16};
  EXPECT_NE(misfit(wide, zcu102, 16, true)->find("port bandwidth 768 bits > 512"),
            std::string::npos);
  // HotNAS default cconv string, read as (Tm,Tn,Tr,Tc,Tk,Wp,Ip,Op): DSP 2470 <= 2520, port 480 <=
  // 512.
  const Resources h = resources({130, 19, 32, 32, 3, 18, 2, 10}, 16);
  EXPECT_EQ(h.dsp, 2470);
  EXPECT_EQ(h.port_bits, 480);
}

namespace {
double brute_force(const PipelinePlanner& p, const std::vector<int>& order, int m) {
  const int L = static_cast<int>(p.layers().size());
  double best = std::numeric_limits<double>::infinity();
  // Choose m-1 cut positions among L-1 gaps.
  std::vector<int> sel(static_cast<std::size_t>(L - 1), 0);
  std::fill(sel.begin(), sel.begin() + (m - 1), 1);
  std::sort(sel.begin(), sel.end());
  do {
    std::vector<int> bounds{0};
    for (int g = 0; g < L - 1; ++g)
      if (sel[static_cast<std::size_t>(g)]) bounds.push_back(g + 1);
    bounds.push_back(L);
    double worst = 0;
    for (int s = 0; s < m; ++s) {
      const int b = order[static_cast<std::size_t>(s)];
      double stage = std::numeric_limits<double>::infinity();
      for (int t = 0; t < static_cast<int>(p.tilings().size()); ++t) {
        if (misfit(p.tilings()[static_cast<std::size_t>(t)], p.pool()[static_cast<std::size_t>(b)],
                   16, true))
          continue;
        double cyc = 0;
        for (int l = bounds[static_cast<std::size_t>(s)];
             l < bounds[static_cast<std::size_t>(s + 1)]; ++l)
          cyc += p.cycles(l, t);
        stage = std::min(stage, cyc / (p.pool()[static_cast<std::size_t>(b)].clock_mhz * 1e6));
      }
      const int last = bounds[static_cast<std::size_t>(s + 1)];
      if (last < L) stage += p.transfer_seconds(last - 1);
      worst = std::max(worst, stage);
    }
    best = std::min(best, worst);
  } while (std::next_permutation(sel.begin(), sel.end()));
  return best;
}
}  // namespace

TEST(PipelinePlanner, DynamicProgrammingMatchesBruteForce) {
  std::mt19937_64 rng(5);
  std::vector<Board> pool{*find_preset("zcu102"), *find_preset("pynq_z1"), *find_preset("ultra96")};
  pool[1].clock_mhz = 150;  // boards differ in speed as well as size
  std::vector<Tiling> grid;
  for (int tm : {8, 16, 32})
    for (int tn : {1, 4, 8})
      for (int tr : {16, 32}) grid.push_back({tm, tn, tr, tr, 7, 2, 2, 2});
  for (int trial = 0; trial < 12; ++trial) {
    std::vector<LayerShape> layers;
    std::int64_t ch = 3, size = 32;
    const int n_layers = 3 + trial % 4;
    for (int l = 0; l < n_layers; ++l) {
      const int k = std::array<int, 3>{1, 3, 5}[rng() % 3];
      const int s = (rng() % 3 == 0) ? 2 : 1;
      const std::int64_t f = std::array<int, 4>{8, 16, 24, 48}[rng() % 4];
      layers.push_back(conv(f, ch, size, k, s, k / 2));
      ch = f;
      size = (size + s - 1) / s;
    }
    PlannerOptions opt;
    opt.link_gbps = trial % 2 ? 0.5 : 10;  // slow links make transfers matter
    PipelinePlanner planner(layers, pool, grid, opt);
    std::vector<int> order{0, 1, 2};
    do {
      const auto plans = planner.plan(order);
      for (int m = 1; m <= 3; ++m) {
        if (m > n_layers) continue;
        const double bf = brute_force(planner, order, m);
        ASSERT_FALSE(plans[static_cast<std::size_t>(m - 1)].stages.empty());
        EXPECT_NEAR(plans[static_cast<std::size_t>(m - 1)].max_stage_s, bf, bf * 1e-12)
            << "trial " << trial << " m " << m;
        // The reported stages reproduce the optimum and cover every layer once.
        const auto& st = plans[static_cast<std::size_t>(m - 1)].stages;
        EXPECT_EQ(st.front().first, 0);
        EXPECT_EQ(st.back().last, n_layers - 1);
        double worst = 0;
        for (std::size_t i = 0; i < st.size(); ++i) {
          if (i) {
            EXPECT_EQ(st[i].first, st[i - 1].last + 1);
          }
          worst = std::max(worst, st[i].compute_s + st[i].transfer_s);
        }
        EXPECT_NEAR(worst, bf, bf * 1e-12);
      }
    } while (std::next_permutation(order.begin(), order.end()));
  }
}

TEST(FpgaCluster, TuneIsNoWorseThanSampledDesignsAndPrunesImpossibleSpecs) {
  auto space =
      test::load_plugin<SearchSpace>("chain_cnn", {{"depths", {4, 6}}, {"stride_every", 2}});
  auto target = test::load_plugin<HardwareTarget>("fpga_cluster",
                                                  {{"pool", {"zcu102", "ultra96", "pynq_z1"}}});
  std::mt19937_64 rng(11);
  const Specs none;
  for (int i = 0; i < 20; ++i) {
    const Network net = space->decode(space->space().sample(rng));
    const HardwareResult best = target->tune(net, none);
    ASSERT_TRUE(best.feasible) << best.reason;
    for (int j = 0; j < 25; ++j) {
      const HardwareResult r = target->evaluate(net, target->design_space().sample(rng));
      if (r.feasible) {
        EXPECT_GE(best.metrics.get("throughput_fps"),
                  r.metrics.get("throughput_fps") * (1 - 1e-12));
      }
    }
    for (const auto& m : target->metrics()) EXPECT_TRUE(best.metrics.has(m.name)) << m.name;
    EXPECT_GT(best.metrics.get("gops_per_w"), 0);
    EXPECT_NEAR(best.metrics.get("energy_mj"),
                best.metrics.get("power_w") / best.metrics.get("throughput_fps") * 1e3, 1e-9);
  }
  // A spec no pipeline can meet: tune still answers, and the answer violates the spec.
  const Network net = space->decode(space->space().sample(rng));
  const Specs impossible({Spec::parse("throughput_fps >= 1e12")});
  const HardwareResult r = target->tune(net, impossible);
  EXPECT_TRUE(impossible.violation(r.metrics).has_value());
  // A spec on energy: tune prefers a design meeting it over a faster one violating it.
  const HardwareResult fast = target->tune(net, none);
  const Specs frugal(
      {Spec::parse("power_w <= " + std::to_string(fast.metrics.get("power_w") * 0.7))});
  const HardwareResult lean = target->tune(net, frugal);
  ASSERT_FALSE(frugal.violation(lean.metrics)) << "fewer boards meet the power spec";
  EXPECT_LT(lean.metrics.get("fpgas"), fast.metrics.get("fpgas"));
}

TEST(FpgaCluster, BadBoardsAreConfigErrors) {
  EXPECT_THROW(test::load_plugin<HardwareTarget>("fpga_cluster", {{"pool", {"zcu103"}}}),
               PluginError);
  try {
    test::load_plugin<HardwareTarget>("fpga_cluster", {{"pool", {"zcu103"}}});
  } catch (const PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("Did you mean 'zcu102'"), std::string::npos) << e.what();
  }
  const nlohmann::json custom = {{"pool", {"mine"}},
                                 {"boards", {{{"name", "mine"}, {"dsp", 100}, {"bram18k", 100}}}}};
  auto t = test::load_plugin<HardwareTarget>("fpga_cluster", custom);
  EXPECT_EQ(t->design_space().size(), 5u);
  const nlohmann::json typo = {{"pool", {"mine"}},
                               {"boards", {{{"name", "mine"}, {"dsps", 100}, {"bram18k", 100}}}}};
  // The host validates board entries against the declared fields: the typo is named, with a
  // suggestion.
  try {
    test::load_plugin<HardwareTarget>("fpga_cluster", typo);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown field 'dsps' in entry 0 of option 'boards'"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("Did you mean 'dsp'?"), std::string::npos) << e.what();
  }
  const nlohmann::json missing = {{"pool", {"mine"}},
                                  {"boards", {{{"name", "mine"}, {"dsp", 100}}}}};
  EXPECT_THROW(test::load_plugin<HardwareTarget>("fpga_cluster", missing), ConfigError);
  const nlohmann::json range = {
      {"pool", {"mine"}},
      {"boards", {{{"name", "mine"}, {"dsp", 100}, {"bram18k", 100}, {"clock_mhz", 5000}}}}};
  EXPECT_THROW(test::load_plugin<HardwareTarget>("fpga_cluster", range), ConfigError);
}
