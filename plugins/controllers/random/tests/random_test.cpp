// random: exact budgets, seed determinism, exhausting a finite space without repeats.
#include <gtest/gtest.h>

#include <numeric>
#include <set>

#include "test_support.hpp"

using namespace coex;

using coex::test::run_controller;
using coex::testing::ScriptedEvaluator;

TEST(Random, RespectsTheBudgetExactlyAndIsSeedDeterministic) {
  for (const std::string name : {"random"}) {
    const nlohmann::json opts =
        name == "rl" ? nlohmann::json{{"children", 4}} : nlohmann::json{{"batch", 4}};
    const auto a = run_controller(name, opts, 7, 37);
    EXPECT_EQ(a.size(), 37u) << name;
    EXPECT_EQ(a, run_controller(name, opts, 7, 37)) << name << " is not deterministic under a seed";
    EXPECT_NE(a, run_controller(name, opts, 8, 37)) << name << " ignores the seed";
  }
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
