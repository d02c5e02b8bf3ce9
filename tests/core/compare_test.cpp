// Statistics of `coex compare`: quantiles, Mann-Whitney U p-values against hand computations,
// n-D hypervolume, and the per-controller summary of synthetic runs.
#include <gtest/gtest.h>

#include <cmath>

#include "coex/core/compare.hpp"
#include "coex/core/pareto.hpp"
#include "coex/core/stats.hpp"

using namespace coex;
using namespace coex::core;

TEST(Stats, QuantileInterpolatesLinearly) {
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.25), 1.75);  // position 0.75 between 1 and 2
  EXPECT_DOUBLE_EQ(quantile({7}, 0.9), 7);
  EXPECT_TRUE(std::isnan(quantile({}, 0.5)));
}

TEST(Stats, MannWhitneyExactPValuesEqualHandComputations) {
  // Separated samples of 3 and 3: U = 0, and 1 of the C(6,3) = 20 equally likely rank
  // arrangements has U = 0 (likewise U = 9), so p = 2/20.
  auto r = mann_whitney_u({1, 2, 3}, {4, 5, 6});
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u1, 0);
  EXPECT_NEAR(r.p, 2.0 / 20, 1e-12);
  // 5 against 5, separated: p = 2/C(10,5) = 2/252.
  r = mann_whitney_u({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  EXPECT_NEAR(r.p, 2.0 / 252, 1e-12);
  // Interleaved: x beats 3+4+3+5+3 = 18 of the 25 pairs. Of the 252 arrangements, 39 have
  // U <= 7 (partitions of u into at most 5 parts of at most 5: 1,1,2,3,5,7,9,11 for u = 0..7),
  // so P(U >= 18) = 39/252 and p = 78/252.
  r = mann_whitney_u({0.81, 0.83, 0.79, 0.85, 0.80}, {0.78, 0.82, 0.77, 0.76, 0.84});
  EXPECT_DOUBLE_EQ(r.u1, 18);
  EXPECT_NEAR(r.p, 78.0 / 252, 1e-12);
  // Symmetric in its arguments.
  EXPECT_NEAR(mann_whitney_u({0.78, 0.82, 0.77, 0.76, 0.84}, {0.81, 0.83, 0.79, 0.85, 0.80}).p,
              78.0 / 252, 1e-12);
}

TEST(Stats, MannWhitneyNormalApproximationWithTies) {
  // x = 1 2 2 3 4 6, y = 2 3 5 5 7 8 9 (n = 13). Average ranks: 1 -> 1, the three 2s -> 3,
  // the two 3s -> 5.5, 4 -> 7, the two 5s -> 8.5, 6 -> 10. Rank sum of x = 1+3+3+5.5+7+10 = 29.5,
  // U1 = 29.5 - 21 = 8.5, U = max(8.5, 42 - 8.5) = 33.5, mean 21. Tie term
  // (27-3) + (8-2) + (8-2) = 36; variance 42/12 * (14 - 36/156) = 48.19231;
  // z = (33.5 - 21 - 0.5)/sqrt(48.19231) = 1.728606; p = erfc(z/sqrt 2) = 0.083882.
  const auto r = mann_whitney_u({1, 2, 2, 3, 4, 6}, {2, 3, 5, 5, 7, 8, 9});
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u1, 8.5);
  EXPECT_NEAR(r.p, 0.0838822, 1e-6);
  // Both samples constant and equal: no evidence, p = 1.
  EXPECT_DOUBLE_EQ(mann_whitney_u({1, 1, 1}, {1, 1, 1}).p, 1.0);
  EXPECT_DOUBLE_EQ(mann_whitney_u({}, {1.0}).p, 1.0);
}

TEST(Pareto, HypervolumeInThreeDimensions) {
  // Two boxes from the origin: [0,2]x[0,1]x[0,1] (volume 2) and [0,1]x[0,2]x[0,1] (2) overlap in
  // [0,1]^3 (1): union 3. Adding (1,1,3) adds [0,1]x[0,1]x[1,3] = 2.
  const std::vector<double> ref{0, 0, 0};
  EXPECT_DOUBLE_EQ(hypervolume({{2, 1, 1}, {1, 2, 1}}, ref), 3.0);
  EXPECT_DOUBLE_EQ(hypervolume({{2, 1, 1}, {1, 2, 1}, {1, 1, 3}}, ref), 5.0);
  // Dominated and out-of-reference points add nothing; 2-D agrees with hypervolume_2d.
  EXPECT_DOUBLE_EQ(hypervolume({{2, 1, 1}, {1, 1, 1}, {5, 5, -1}}, ref), 2.0);
  const std::vector<std::vector<double>> p2{{3, 1}, {2, 2}, {1, 3}};
  EXPECT_DOUBLE_EQ(hypervolume(p2, {0, 0}), hypervolume_2d(p2, {0, 0}));
  EXPECT_DOUBLE_EQ(hypervolume(p2, {0, 0}), 6.0);
}

namespace {

CandidateRecord rec(double reward, bool feasible, std::vector<double> objectives) {
  CandidateRecord r;
  r.outcome.status = feasible ? CandidateStatus::kEvaluated : CandidateStatus::kPruned;
  r.outcome.reward = reward;
  r.outcome.violation = feasible ? 0 : 1;
  r.outcome.objectives = std::move(objectives);
  r.network_hash = "h" + std::to_string(reward);
  return r;
}

}  // namespace

TEST(Compare, SummarisesRunsPerController) {
  std::vector<RunTrace> runs;
  // Controller a: seed 0 rewards 0.1, 0.5, 0.3, 0.9; seed 1: 0.2, 0.2, 0.6, 0.6.
  runs.push_back({"a",
                  0,
                  {rec(0.1, true, {0.5, 10}), rec(0.5, true, {0.7, 5}), rec(0.3, false, {}),
                   rec(0.9, true, {0.9, 8})}});
  runs.push_back({"a",
                  1,
                  {rec(0.2, true, {0.6, 6}), rec(0.2, false, {}), rec(0.6, true, {0.8, 7}),
                   rec(0.6, false, {})}});
  // Controller b: never meets the specs.
  runs.push_back(
      {"b", 0, {rec(-1, false, {}), rec(-1, false, {}), rec(-1, false, {}), rec(-1, false, {})}});
  ComparisonSetup setup;
  setup.steps = {2, 4};
  setup.objective_names = {"accuracy", "throughput_fps"};
  setup.specs.add(Spec::parse("throughput_fps >= 4"));
  setup.target = 0.55;
  const Comparison c = compare(runs, setup);
  ASSERT_EQ(c.controllers.size(), 2u);
  const auto& a = c.controllers[0];
  EXPECT_EQ(a.runs, 2u);
  // Best after 2 candidates: 0.5 and 0.2 -> median 0.35; after 4: 0.9 and 0.6 -> 0.75.
  EXPECT_DOUBLE_EQ(a.curve[0].median, 0.35);
  EXPECT_DOUBLE_EQ(a.curve[1].median, 0.75);
  EXPECT_DOUBLE_EQ(a.curve[1].q1, 0.675);
  EXPECT_EQ(a.final_best, (std::vector<double>{0.9, 0.6}));
  EXPECT_EQ(a.met_specs, 2u);
  // Target 0.55: seed 0 at its 4th candidate, seed 1 at its 3rd.
  EXPECT_EQ(a.to_target, (std::vector<double>{4, 3}));
  const auto& b = c.controllers[1];
  EXPECT_EQ(b.met_specs, 0u);
  EXPECT_TRUE(b.to_target.empty());
  EXPECT_DOUBLE_EQ(b.hypervolume[0], 0.0);
  // Reference: accuracy 0, throughput 4 (the spec); ideal (0.9, 10). Seed 0's front
  // {(0.5,10), (0.7,5), (0.9,8)}: area above (0,4) = 0.9*4 + 0.5*2 = 4.6 of the 0.9*6 = 5.4 box.
  EXPECT_EQ(c.hv_reference, (std::vector<double>{0, 4}));
  EXPECT_NEAR(a.hypervolume[0], 4.6 / 5.4, 1e-12);
  ASSERT_EQ(c.pairs.size(), 1u);
  EXPECT_TRUE(c.pairs[0].test.exact);
  // a = {0.9, 0.6} vs b = {-1}: U1 = 2 of 2 pairs; P(U >= 2) = 1/3, p = 2/3.
  EXPECT_NEAR(c.pairs[0].test.p, 2.0 / 3, 1e-12);
  const std::string table = comparison_table(c);
  EXPECT_NE(table.find("Mann-Whitney"), std::string::npos);
  EXPECT_NE(comparison_csv(c).find("a,2,0.75"), std::string::npos) << comparison_csv(c);
}

TEST(Compare, DefaultStepsSplitTheBudgetInTen) {
  EXPECT_EQ(default_steps(60), (std::vector<std::uint64_t>{6, 12, 18, 24, 30, 36, 42, 48, 54, 60}));
  EXPECT_EQ(default_steps(4), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(default_steps(25).back(), 25u);
}
