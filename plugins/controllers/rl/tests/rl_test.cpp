// rl (REINFORCE): the EMA baseline, exact budgets, seed determinism, and that it learns.
#include <gtest/gtest.h>

#include <numeric>
#include <set>

#include "baseline.hpp"
#include "test_support.hpp"

using namespace coex;

using coex::test::run_controller;
using coex::testing::ScriptedEvaluator;

TEST(EmaBaseline, NewestRewardWeighsMost) {
  // README "Baseline": beta = 0.9; after 0,0,0,0,1 the baseline is 0.1/(1-0.9^5) = 0.2442 (> mean
  // 0.2), after 1,0,0,0,0 it is 0.1602 (< 0.2); the first advantage is 0.
  coex::plugins::rl::EmaBaseline a(0.9), b(0.9);
  EXPECT_EQ(a.advantage_and_update(0), 0.0);
  for (double r : {0.0, 0.0, 0.0, 1.0}) a.advantage_and_update(r);
  for (double r : {1.0, 0.0, 0.0, 0.0, 0.0}) b.advantage_and_update(r);
  EXPECT_NEAR(a.value(), 0.1 / (1 - std::pow(0.9, 5)), 1e-12);
  EXPECT_NEAR(a.value(), 0.2442, 5e-5);
  EXPECT_NEAR(b.value(), 0.1602, 5e-5);
  coex::plugins::rl::EmaBaseline c(0.9);
  c.advantage_and_update(0.5);
  EXPECT_NEAR(c.advantage_and_update(0.8), 0.3, 1e-12) << "adv_t = R_t - b_{t-1}";
}

TEST(Rl, RespectsTheBudgetExactlyAndUsesItsSeed) {
  coex::test::expect_exact_budget_and_seed_use("rl", {{"children", 4}});
}

TEST(Rl, Learns) {
  std::vector<double> rewards;
  run_controller("rl", {{"children", 4}, {"lr", 0.05}}, 1, 1200, &rewards);
  std::vector<double> uniform;
  run_controller("random", {{"batch", 4}}, 1, 1200, &uniform);
  const double base =
      std::accumulate(uniform.begin(), uniform.end(), 0.0) / static_cast<double>(uniform.size());
  const double last = std::accumulate(rewards.end() - 200, rewards.end(), 0.0) / 200;
  // Uniform sampling gives 0.25 on average; a learning policy approaches 1.
  EXPECT_NEAR(base, 0.25, 0.05);
  EXPECT_GT(last, 0.8) << "random " << base << ", rl (last 200) " << last;
}
