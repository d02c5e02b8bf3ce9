// `coex compare`: n-D hypervolume, and the per-controller summary of synthetic runs.
#include <gtest/gtest.h>

#include <cmath>

#include "coex/core/compare.hpp"
#include "coex/core/pareto.hpp"

using namespace coex;
using namespace coex::core;

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
