// The two-level loop with in-process stand-in plugins: pruning, budgets, cache, store, resume.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "coex/core/core_evaluator.hpp"
#include "coex/core/store.hpp"
#include "coex/error.hpp"
#include "test_support.hpp"

using namespace coex;
using namespace coex::core;

namespace {

/// One integer dimension w in [1, 8] -> a 1-conv network of w filters; w = 8 is invalid
/// (kernel larger than the input); dimension `pad` does not change the network.
class ToySpace : public SearchSpace {
 public:
  ToySpace() : space_({Dimension::integer("w", 1, 8), Dimension::integer("pad", 0, 1)}) {}
  const Space& space() const override { return space_; }
  Network decode(const Point& p) const override {
    Network n;
    const int x = n.add_input({1, 4, 4});
    n.add_conv2d(x, static_cast<std::int64_t>(p[0]), p[0] == 8 ? 9 : 3, 1, 1);
    return n;
  }

 private:
  Space space_;
};

/// Throughput falls with the filter count: 1000 / w images/s.
class ToyTarget : public HardwareTarget {
 public:
  ToyTarget() : design_({Dimension::integer("speed", 1, 2)}) {}
  const Space& design_space() const override { return design_; }
  std::vector<MetricInfo> metrics() const override {
    return {{"throughput_fps", "images/s", Direction::kMaximize, ""}};
  }
  HardwareResult evaluate(const Network& net, const Point& d) const override {
    HardwareResult r;
    r.feasible = true;
    r.design = d;
    r.metrics.set("throughput_fps",
                  1000.0 * d.at(0) / static_cast<double>(net.node(1).out_channels));
    ++evaluations;
    return r;
  }
  mutable int evaluations = 0;

 private:
  Space design_;
};

class CountingEstimator : public AccuracyEstimator {
 public:
  bool training_free() const override { return false; }
  Estimate estimate(const Network& net, const EstimateContext&) override {
    seen.insert(net.hash_hex());
    ++calls;
    return {0.5 + 0.05 * static_cast<double>(net.node(1).out_channels), 0, {}};
  }
  std::set<std::string> seen;
  int calls = 0;
};

struct Fixture {
  RunConfig config;
  Problem problem;
  ToySpace space;
  ToyTarget target;
  CountingEstimator estimator;
  Fixture() {
    config.budget.candidates = 100;
    config.specs.add(
        Spec::parse("throughput_fps >= 250"));  // w <= 4 in tuned mode (speed 2: w <= 8)
    config.reward.kind = RewardConfig::Kind::kConstrained;
    problem.space = space.space();
    problem.network_dims = 2;
    problem.specs = config.specs;
    problem.objective_names = {"accuracy", "throughput_fps"};
  }
};

std::vector<Point> all_points() {
  std::vector<Point> v;
  for (int w = 1; w <= 8; ++w)
    for (int pad = 0; pad <= 1; ++pad) v.push_back({double(w), double(pad)});
  return v;
}

/// The toy target and estimator made safe for concurrent calls (their counters are shared).
class LockedTarget : public ToyTarget {
 public:
  HardwareResult evaluate(const Network& net, const Point& d) const override {
    std::lock_guard<std::mutex> lock(mu_);
    return ToyTarget::evaluate(net, d);
  }

 private:
  mutable std::mutex mu_;
};

class LockedEstimator : public CountingEstimator {
 public:
  Estimate estimate(const Network& net, const EstimateContext& c) override {
    std::lock_guard<std::mutex> lock(mu_);
    return CountingEstimator::estimate(net, c);
  }

 private:
  std::mutex mu_;
};

}  // namespace

TEST(CoreEvaluator, WorkersCommitWhatOneThreadCommits) {
  // Two batches (the second revisits every network: cache hits across batches; pad repeats
  // networks within a batch) on 1, 2 and 4 threads: the same records, stats and store.
  test::TempDir d;
  std::vector<std::vector<CandidateRecord>> runs;
  std::vector<RunStats> stats;
  for (unsigned workers : {1u, 2u, 4u}) {
    Fixture f;
    LockedTarget target;
    LockedEstimator estimator;
    SqliteStore store(d / ("w" + std::to_string(workers) + ".db"));
    CoreEvaluator ev(f.config, f.problem, f.space, target, estimator, &store, {});
    ev.set_workers(workers);
    EXPECT_EQ(ev.workers(), workers);
    auto points = all_points();
    EXPECT_EQ(ev.evaluate(points).size(), 16u);
    std::reverse(points.begin(), points.end());
    EXPECT_EQ(ev.evaluate(points).size(), 16u);
    runs.push_back(store.load_all());
    stats.push_back(ev.stats());
  }
  for (std::size_t k = 1; k < runs.size(); ++k) {
    ASSERT_EQ(runs[k].size(), 32u);
    for (std::size_t i = 0; i < runs[0].size(); ++i) {
      const auto &a = runs[0][i], &b = runs[k][i];
      EXPECT_EQ(b.seq, a.seq);
      EXPECT_EQ(b.point, a.point) << i;
      EXPECT_EQ(b.outcome.status, a.outcome.status) << i;
      EXPECT_EQ(b.outcome.reward, a.outcome.reward) << i;
      EXPECT_EQ(b.outcome.accuracy, a.outcome.accuracy) << i;
      EXPECT_EQ(b.outcome.cached, a.outcome.cached) << i;
      EXPECT_EQ(b.trained, a.trained) << i;
      EXPECT_EQ(b.network_json, a.network_json) << i;
      EXPECT_EQ(b.hardware_point, a.hardware_point) << i;
    }
    EXPECT_EQ(stats[k].trainings, stats[0].trainings);
    EXPECT_EQ(stats[k].cached, stats[0].cached);
    EXPECT_EQ(stats[k].invalid, stats[0].invalid);
    EXPECT_EQ(stats[k].pruned, stats[0].pruned);
  }
  EXPECT_EQ(stats[0].trainings, 7u);     // w = 1..7 (w = 8 is invalid)
  EXPECT_EQ(stats[0].cached, 7u + 14u);  // pad's repeats, then every valid candidate again
}

TEST(CoreEvaluator, ParallelWorkersOnlyWhenEveryConditionHolds) {
  RunConfig c;
  EXPECT_EQ(parallel_workers(3, true, true, c), 3u);
  EXPECT_GE(parallel_workers(0, true, true, c), 1u);  // one per core
  EXPECT_EQ(parallel_workers(3, false, true, c), 1u) << "a plugin not declared concurrent";
  EXPECT_EQ(parallel_workers(3, true, false, c), 1u) << "a training estimator";
  c.hardware_mode = HardwareMode::kSearched;
  EXPECT_EQ(parallel_workers(3, true, true, c), 1u) << "redraws share one random stream";
  c.hardware_redraws = 0;
  EXPECT_EQ(parallel_workers(3, true, true, c), 3u);
}

TEST(CoreEvaluator, WorkersStopAtTheBudgetAndCommitUpToABadPoint) {
  test::TempDir d;
  {
    Fixture f;
    f.config.budget.candidates = 5;
    LockedTarget target;
    LockedEstimator estimator;
    SqliteStore store(d / "budget.db");
    CoreEvaluator ev(f.config, f.problem, f.space, target, estimator, &store, {});
    ev.set_workers(2);
    EXPECT_EQ(ev.evaluate(all_points()).size(), 5u);
    EXPECT_TRUE(ev.done());
    EXPECT_TRUE(ev.evaluate(all_points()).empty());
    EXPECT_EQ(store.count(), 5);
  }
  // A point outside the space (w = 9) is the controller's bug: the points before it are
  // committed, then the error, as on one thread.
  Fixture f;
  LockedTarget target;
  LockedEstimator estimator;
  SqliteStore store(d / "bad.db");
  CoreEvaluator ev(f.config, f.problem, f.space, target, estimator, &store, {});
  ev.set_workers(2);
  EXPECT_THROW(ev.evaluate({{1, 0}, {2, 0}, {3, 0}, {9, 0}, {4, 0}}), Error);
  EXPECT_EQ(store.count(), 3);
  EXPECT_EQ(ev.stats().candidates, 3u);
}

TEST(CoreEvaluator, PrunedCandidatesAreNeverTrained) {
  Fixture f;
  f.config.specs = Specs({Spec::parse("throughput_fps >= 300")});  // best design (speed 2): w <= 6
  f.problem.specs = f.config.specs;
  CoreEvaluator ev(f.config, f.problem, f.space, f.target, f.estimator, nullptr, {});
  const auto out = ev.evaluate(all_points());
  ASSERT_EQ(out.size(), 16u);
  std::set<std::string> pruned, evaluated;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int w = static_cast<int>(all_points()[i][0]);
    if (w == 8) {
      EXPECT_EQ(out[i].status, CandidateStatus::kInvalid);
      continue;
    }
    const auto net = f.space.decode(all_points()[i]);
    if (w >= 7) {
      EXPECT_EQ(out[i].status, CandidateStatus::kPruned) << w;
      EXPECT_EQ(out[i].reward, -1);
      pruned.insert(net.hash_hex());
    } else {
      EXPECT_EQ(out[i].status, CandidateStatus::kEvaluated) << w;
      evaluated.insert(net.hash_hex());
    }
  }
  for (const auto& h : pruned)
    EXPECT_EQ(f.estimator.seen.count(h), 0u) << "a pruned network was trained";
  EXPECT_EQ(f.estimator.seen, evaluated);
  EXPECT_EQ(f.estimator.calls, 6) << "pad does not change the network: cache by hash";
  EXPECT_EQ(ev.stats().trainings, 6u);
  EXPECT_EQ(ev.stats().cached, 7u);  // second pad of w = 1..7
  EXPECT_EQ(ev.stats().invalid, 2u);
}

TEST(CoreEvaluator, BudgetsStopExactly) {
  Fixture f;
  f.config.budget.candidates = 5;
  CoreEvaluator ev(f.config, f.problem, f.space, f.target, f.estimator, nullptr, {});
  EXPECT_EQ(ev.remaining_candidates(), 5u);
  EXPECT_EQ(ev.evaluate(all_points()).size(), 5u);
  EXPECT_TRUE(ev.done());
  EXPECT_TRUE(ev.evaluate(all_points()).empty());

  Fixture g;
  g.config.budget.candidates = 0;
  g.config.budget.trainings = 3;
  CoreEvaluator ev2(g.config, g.problem, g.space, g.target, g.estimator, nullptr, {});
  ev2.evaluate(all_points());
  EXPECT_EQ(g.estimator.calls, 3);
  EXPECT_TRUE(ev2.done());
}

TEST(CoreEvaluator, SearchedModeRedrawsUntilSpecsMet) {
  Fixture f;
  f.config.hardware_mode = HardwareMode::kSearched;
  f.config.hardware_redraws = 10;
  f.problem.space = Space::concat(f.space.space(), f.target.design_space());
  CoreEvaluator ev(f.config, f.problem, f.space, f.target, f.estimator, nullptr, {});
  // w = 6 needs speed 2 (1000*2/6 = 333 >= 250); proposing speed 1 (167) triggers redraws.
  const auto out = ev.evaluate({{6, 0, 1}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].status, CandidateStatus::kEvaluated);
  EXPECT_GE(out[0].metrics.get("throughput_fps"), 250);
  f.config.hardware_redraws = 0;
  CoreEvaluator ev0(f.config, f.problem, f.space, f.target, f.estimator, nullptr, {});
  EXPECT_EQ(ev0.evaluate({{6, 0, 1}})[0].status, CandidateStatus::kPruned);
  EXPECT_THROW(ev0.evaluate({{6, 0}}), Error) << "a point of the wrong space is a controller bug";
}

TEST(CoreEvaluator, StoreCommitsEachCandidateAndReplays) {
  test::TempDir d;
  Fixture f;
  f.config.budget.candidates = 6;
  std::vector<Outcome> first;
  {
    SqliteStore store(d / "coex.db");
    CoreEvaluator ev(f.config, f.problem, f.space, f.target, f.estimator, &store, {});
    first = ev.evaluate(all_points());
    EXPECT_EQ(store.count(), 6);
  }
  // Resume with a larger budget: the first 6 come from the store, the rest are new.
  Fixture g;
  g.config.budget.candidates = 10;
  SqliteStore store(d / "coex.db");
  CoreEvaluator ev(g.config, g.problem, g.space, g.target, g.estimator, &store, store.load_all());
  const auto out = ev.evaluate(all_points());
  ASSERT_EQ(out.size(), 10u);
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(out[i].reward, first[i].reward);
    EXPECT_EQ(out[i].status, first[i].status);
  }
  EXPECT_EQ(ev.stats().replayed, 6u);
  EXPECT_EQ(store.count(), 10);
  const auto all = store.load_all();
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].seq, static_cast<std::int64_t>(i));
  // A different proposal at a replayed position means a different run.
  Fixture h;
  SqliteStore store2(d / "coex.db");
  CoreEvaluator ev3(h.config, h.problem, h.space, h.target, h.estimator, &store2,
                    store2.load_all());
  EXPECT_THROW(ev3.evaluate({{3, 1}}), UserError);
}
