// random: exact budgets, seed determinism, exhausting a finite space without repeats.
#include <gtest/gtest.h>

#include <numeric>
#include <set>

#include "test_support.hpp"

using namespace coex;

using coex::test::run_controller;
using coex::testing::ScriptedEvaluator;

TEST(Random, RespectsTheBudgetExactlyAndUsesItsSeed) {
  coex::test::expect_exact_budget_and_seed_use("random", {{"batch", 4}});
}

TEST(Random, ExhaustsAFiniteSpaceWithoutRepeats) {
  Problem pr;
  pr.space = Space({Dimension::integer("a", 0, 4), Dimension::categorical("b", {"x", "y"})});
  pr.seed = 3;
  ScriptedEvaluator ev(pr.space, 1000);
  test::load_plugin<Controller>("random")->search(pr, ev);
  EXPECT_EQ(ev.points.size(), 10u);
  std::set<std::string> keys;
  for (const auto& p : ev.points) keys.insert(Space::key(p));
  EXPECT_EQ(keys.size(), 10u);
}
