// evolution: one-dimension mutations that improve the reward; bad options.
#include <gtest/gtest.h>

#include <numeric>
#include <set>

#include "test_support.hpp"

using namespace coex;

using coex::test::run_controller;
using coex::testing::ScriptedEvaluator;

TEST(Evolution, MutatesOneDimensionAndImproves) {
  std::vector<double> rewards;
  const auto pts =
      run_controller("evolution", {{"population", 20}, {"sample_size", 5}}, 2, 600, &rewards);
  // After the 20 random members, every child differs from some earlier candidate in exactly one
  // coordinate (its parent).
  for (std::size_t i = 20; i < pts.size(); ++i) {
    bool has_parent = false;
    for (std::size_t j = 0; j < i && !has_parent; ++j) {
      int diff = 0;
      for (std::size_t k = 0; k < pts[i].size(); ++k) diff += pts[i][k] != pts[j][k];
      has_parent = diff == 1;
    }
    ASSERT_TRUE(has_parent) << "child " << i << " is not a one-dimension mutation";
  }
  const double first = std::accumulate(rewards.begin(), rewards.begin() + 20, 0.0) / 20;
  const double last = std::accumulate(rewards.end() - 100, rewards.end(), 0.0) / 100;
  EXPECT_GT(last, first + 0.3) << "first " << first << ", last " << last;
  EXPECT_THROW(
      coex::testing::load<Controller>({"evolution", {{"population", 3}, {"sample_size", 5}}}),
      PluginError);
}
