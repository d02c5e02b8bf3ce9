// Controllers through the real loader against a scripted evaluator: exact budgets, seed
// determinism, and that REINFORCE learns.
#include <gtest/gtest.h>

#include <numeric>

#include "baseline.hpp"
#include "test_support.hpp"

using namespace coex;

namespace {

/// Reward = share of coordinates equal to 0; stops after `budget` candidates.
class ScriptedEvaluator : public Evaluator {
 public:
  ScriptedEvaluator(const Space& s, std::size_t budget) : space_(s), budget_(budget) {}
  std::vector<Outcome> evaluate(const std::vector<Point>& batch) override {
    std::vector<Outcome> out;
    for (const auto& p : batch) {
      if (done()) break;
      space_.check(p);
      points.push_back(p);
      Outcome o;
      o.status = CandidateStatus::kEvaluated;
      o.reward =
          static_cast<double>(std::count(p.begin(), p.end(), 0.0)) / static_cast<double>(p.size());
      rewards.push_back(o.reward);
      out.push_back(o);
    }
    return out;
  }
  bool done() const override { return points.size() >= budget_; }
  std::uint64_t remaining_candidates() const override { return budget_ - points.size(); }
  std::vector<Point> points;
  std::vector<double> rewards;

 private:
  const Space& space_;
  std::size_t budget_;
};

Problem problem(std::uint64_t seed) {
  Problem p;
  std::vector<Dimension> dims;
  for (int i = 0; i < 6; ++i)
    dims.push_back(Dimension::categorical("d" + std::to_string(i), {"a", "b", "c", "d"}));
  dims.push_back(Dimension::integer("n", 0, 3));
  p.space = Space(dims);
  p.network_dims = dims.size();
  p.seed = seed;
  return p;
}

std::vector<Point> run(const std::string& name, const nlohmann::json& opts, std::uint64_t seed,
                       std::size_t budget, std::vector<double>* rewards = nullptr) {
  const Problem pr = problem(seed);
  ScriptedEvaluator ev(pr.space, budget);
  test::load_plugin<Controller>(name, opts)->search(pr, ev);
  if (rewards) *rewards = ev.rewards;
  return ev.points;
}

}  // namespace

TEST(EmaBaseline, NewestRewardWeighsMost) {
  // Reference §3: beta = 0.9; after 0,0,0,0,1 the baseline is 0.1/(1-0.9^5) = 0.2442 (> mean 0.2),
  // after 1,0,0,0,0 it is 0.1602 (< 0.2); the first advantage is 0.
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

TEST(Controllers, RespectBudgetExactlyAndAreSeedDeterministic) {
  for (const std::string name : {"random", "rl"}) {
    const nlohmann::json opts =
        name == "rl" ? nlohmann::json{{"children", 4}} : nlohmann::json{{"batch", 4}};
    const auto a = run(name, opts, 7, 37);
    EXPECT_EQ(a.size(), 37u) << name;
    EXPECT_EQ(a, run(name, opts, 7, 37)) << name << " is not deterministic under a seed";
    EXPECT_NE(a, run(name, opts, 8, 37)) << name << " ignores the seed";
  }
}

TEST(Controllers, RandomExhaustsAFiniteSpaceWithoutRepeats) {
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

TEST(Controllers, ReinforceLearns) {
  std::vector<double> rewards;
  run("rl", {{"children", 4}, {"lr", 0.05}}, 1, 1200, &rewards);
  std::vector<double> uniform;
  run("random", {{"batch", 4}}, 1, 1200, &uniform);
  const double base =
      std::accumulate(uniform.begin(), uniform.end(), 0.0) / static_cast<double>(uniform.size());
  const double last = std::accumulate(rewards.end() - 200, rewards.end(), 0.0) / 200;
  // Uniform sampling gives 0.25 on average; a learning policy approaches 1.
  EXPECT_NEAR(base, 0.25, 0.05);
  EXPECT_GT(last, 0.8) << "random " << base << ", rl (last 200) " << last;
}
