// SHGO (plugins/controllers/shgo): known global minima, all local minima of a 1-D function,
// constraints, every stopping limit, the simplicial complex's links, Sobol stratification, and
// the `shgo` controller on the core's Evaluator interface.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>
#include <set>

#include "coex/testing/checks.hpp"
#include "shgo.hpp"

namespace {

using coex::shgo::LocalMethod;
using coex::shgo::Options;
using coex::shgo::Sampling;
using coex::shgo::Vector;

double rosenbrock(const Vector& x) {
  double s = 0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i)
    s += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(1 - x[i], 2);
  return s;
}

/// Ackley shifted so that its global minimum (0) is at shift·1.
double ackley(const Vector& x, double shift) {
  const double d = static_cast<double>(x.size());
  double sq = 0, cs = 0;
  for (double xi : x) {
    const double y = xi - shift;
    sq += y * y;
    cs += std::cos(2 * std::numbers::pi * y);
  }
  return -20 * std::exp(-0.2 * std::sqrt(sq / d)) - std::exp(cs / d) + 20 + std::numbers::e;
}

void expect_at(const Vector& x, double value, double tol) {
  for (double xi : x) EXPECT_NEAR(xi, value, tol);
}

TEST(Shgo, Rosenbrock2dWithScipyDefaults) {
  // scipy: simplicial, iters = 1, SLSQP; f = 2e-11 at (1, 1) after 85 evaluations.
  const auto r = coex::shgo::minimize(rosenbrock, {-5, -5}, {5, 5}, {}, Options{});
  EXPECT_TRUE(r.success) << r.message;
  EXPECT_LE(r.fun, 1e-6);
  expect_at(r.x, 1.0, 1e-3);
  EXPECT_EQ(r.nsample, 5u);  // 2^2 corners + centroid
  EXPECT_EQ(r.nfev, r.nsample + r.nlfev);
}

TEST(Shgo, ShiftedAckley2dDefaultsStickAtTheLocalMinimumAsScipyDoes) {
  // scipy 1.10.1 with defaults stops at the local minimum f = 3.57 next to the centroid.
  const auto f = [](const Vector& x) { return ackley(x, 1.234); };
  const auto r = coex::shgo::minimize(f, {-5, -5}, {5, 5}, {}, Options{});
  EXPECT_NEAR(r.fun, 3.57, 0.01);
}

TEST(Shgo, ShiftedAckley2dIsSolvedByThreeIterationsOrSobol) {
  const auto f = [](const Vector& x) { return ackley(x, 1.234); };
  Options three;
  three.iters = 3;
  const auto a = coex::shgo::minimize(f, {-5, -5}, {5, 5}, {}, three);
  EXPECT_LE(a.fun, 1e-6);
  expect_at(a.x, 1.234, 1e-6);
  Options sobol;
  sobol.sampling = Sampling::kSobol;
  const auto b = coex::shgo::minimize(f, {-5, -5}, {5, 5}, {}, sobol);
  EXPECT_LE(b.fun, 1e-6);
  expect_at(b.x, 1.234, 1e-6);
}

TEST(Shgo, ShiftedAckley5dAnd10d) {
  for (std::size_t d : {5u, 10u}) {
    const auto f = [](const Vector& x) { return ackley(x, 1.234); };
    Options o;
    o.sampling = Sampling::kSobol;
    o.n = 256;
    const auto r = coex::shgo::minimize(f, Vector(d, -5), Vector(d, 5), {}, o);
    EXPECT_LE(r.fun, 1e-6) << d << "-D: " << r.message;
    expect_at(r.x, 1.234, 1e-6);
  }
}

TEST(Shgo, LinearlyConstrainedQuadratic) {
  // The SLSQP example of scipy's documentation: the minimum 0.8 lies at (1.4, 1.7), on the
  // constraint x0 - 2 x1 + 2 >= 0.
  const auto f = [](const Vector& x) { return std::pow(x[0] - 1, 2) + std::pow(x[1] - 2.5, 2); };
  const auto g = [](const Vector& x) {
    return Vector{x[0] - 2 * x[1] + 2, -x[0] - 2 * x[1] + 6, -x[0] + 2 * x[1] + 2};
  };
  const auto r = coex::shgo::minimize(f, {0, 0}, {4, 4}, g, Options{});
  EXPECT_TRUE(r.success) << r.message;
  EXPECT_NEAR(r.fun, 0.8, 1e-6);
  EXPECT_NEAR(r.x[0], 1.4, 1e-5);
  EXPECT_NEAR(r.x[1], 1.7, 1e-5);
  for (double c : g(r.x)) EXPECT_GE(c, -1e-8);
}

TEST(Shgo, NonconvexConstraintMinimumOnTheCircle) {
  // max x0 + x1 inside the unit disc: -sqrt(2) at (1/sqrt2, 1/sqrt2).
  const auto f = [](const Vector& x) { return -(x[0] + x[1]); };
  const auto g = [](const Vector& x) { return Vector{1 - x[0] * x[0] - x[1] * x[1]}; };
  const auto r = coex::shgo::minimize(f, {-2, -2}, {2, 2}, g, Options{});
  EXPECT_TRUE(r.success) << r.message;
  EXPECT_NEAR(r.fun, -std::sqrt(2.0), 1e-6);
  expect_at(r.x, std::sqrt(0.5), 1e-5);
  for (const auto& m : r.minima)
    if (m.feasible) {
      EXPECT_GE(g(m.x)[0], -1e-8);
    }
}

TEST(Shgo, FindsEveryLocalMinimumOfAMultimodal1dFunction) {
  // f = cos x + 0.01 x on [0, 6 pi]: f' = 0 and f'' > 0 at x = pi - asin(0.01) + 2 k pi, k = 0..2.
  const auto f = [](const Vector& x) { return std::cos(x[0]) + 0.01 * x[0]; };
  Options o;
  o.iters = 4;  // 17 vertices
  const auto r = coex::shgo::minimize(f, {0}, {6 * std::numbers::pi}, {}, o);
  std::vector<double> want;
  for (int k = 0; k < 3; ++k)
    want.push_back(std::numbers::pi - std::asin(0.01) + 2 * k * std::numbers::pi);
  std::vector<double> got;
  for (const auto& m : r.minima)
    if (m.x[0] > 1e-6 && m.x[0] < 6 * std::numbers::pi - 1e-6) got.push_back(m.x[0]);
  std::sort(got.begin(), got.end());
  ASSERT_EQ(got.size(), want.size()) << r.message;
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6);
  // Ascending in f: the lowest is the first (k = 0, since the tilt is positive).
  EXPECT_NEAR(r.x[0], want[0], 1e-6);
}

TEST(Shgo, SimplicialFirstGenerationLinksComparableCornersOnly) {
  // Fixture of the reference: on [0,1]^2, (1,0) and (0,1) are not linked, so with f(0,1) = -2,
  // f(1,0) = -1 and 0 elsewhere both are minimisers; (0,0) and (1,1) are not.
  const auto f = [](const Vector& x) {
    if (x[0] == 0 && x[1] == 1) return -2.0;
    if (x[0] == 1 && x[1] == 0) return -1.0;
    return 0.0;
  };
  Options o;
  o.local = LocalMethod::kNone;
  const auto r = coex::shgo::minimize(f, {0, 0}, {1, 1}, {}, o);
  ASSERT_EQ(r.minima.size(), 2u);
  EXPECT_EQ(r.minima[0].x, (Vector{0, 1}));
  EXPECT_EQ(r.minima[1].x, (Vector{1, 0}));
  // The centroid is linked to every corner: lowest at the centre means it alone is in the pool.
  const auto g = [](const Vector& x) { return x[0] == 0.5 && x[1] == 0.5 ? -1.0 : 0.0; };
  const auto r2 = coex::shgo::minimize(g, {0, 0}, {1, 1}, {}, o);
  ASSERT_EQ(r2.minima.size(), 1u);
  EXPECT_EQ(r2.minima[0].x, (Vector{0.5, 0.5}));
  // A corner lower than its comparable neighbours and the centre, but not than the corner it is
  // not linked to, is still a minimiser: (1,0) at -1 with (0,1) at -5.
}

TEST(Shgo, RespectsEveryStoppingLimit) {
  const auto f = [](const Vector& x) { return ackley(x, 1.234); };
  std::size_t calls = 0;
  const auto counted = [&](const Vector& x) {
    ++calls;
    return f(x);
  };
  Options o;
  o.sampling = Sampling::kSobol;
  o.iters = 0;
  o.maxfev = 137;
  auto r = coex::shgo::minimize(counted, Vector(4, -5), Vector(4, 5), {}, o);
  EXPECT_EQ(calls, 137u);
  EXPECT_EQ(r.nfev, 137u);
  EXPECT_TRUE(r.message.starts_with("maxfev reached")) << r.message;

  Options ev;
  ev.sampling = Sampling::kSobol;
  ev.iters = 0;
  ev.n = 16;
  ev.maxev = 40;
  r = coex::shgo::minimize(f, Vector(3, -5), Vector(3, 5), {}, ev);
  EXPECT_LE(r.nsample, 40u);
  EXPECT_TRUE(r.message.starts_with("maxev reached")) << r.message;

  Options it;
  it.sampling = Sampling::kSobol;
  it.n = 16;
  it.iters = 3;
  r = coex::shgo::minimize(f, Vector(3, -5), Vector(3, 5), {}, it);
  EXPECT_EQ(r.nit, 3u);
  EXPECT_GE(r.nsample, 48u);

  Options t;
  t.maxtime = 1e-300;  // already elapsed at the first evaluation
  calls = 0;
  r = coex::shgo::minimize(counted, Vector(3, -5), Vector(3, 5), {}, t);
  EXPECT_TRUE(r.message.starts_with("maxtime reached")) << r.message;
  EXPECT_EQ(calls, 0u);

  Options fm;
  fm.sampling = Sampling::kSobol;
  fm.iters = 0;
  fm.f_min = 0.0;
  fm.f_tol = 1e-3;
  r = coex::shgo::minimize(f, Vector(2, -5), Vector(2, 5), {}, fm);
  EXPECT_EQ(r.message, "f_min reached");
  EXPECT_LE(r.fun, 1e-3);

  Options h;
  h.sampling = Sampling::kSobol;
  h.iters = 0;
  h.n = 16;
  h.minhgrd = 0;
  r = coex::shgo::minimize(rosenbrock, {-5, -5}, {5, 5}, {}, h);
  EXPECT_EQ(r.message, "homology growth <= minhgrd");
  EXPECT_GE(r.nit, 2u);

  // shgo::Stop from the objective ends the search with what was found.
  calls = 0;
  const auto stopping = [&](const Vector& x) {
    if (++calls > 20) throw coex::shgo::Stop();
    return f(x);
  };
  r = coex::shgo::minimize(stopping, Vector(3, -5), Vector(3, 5), {}, Options{});
  EXPECT_TRUE(r.stopped_early);
  EXPECT_EQ(r.nfev, 20u);
  EXPECT_FALSE(r.x.empty());
}

TEST(Shgo, PrefetchHandsOverEachSamplingStageInTheOrderItIsEvaluated) {
  // Every prefetched batch is exactly the run of new points the solver then evaluates, in order;
  // a prefetch that changes nothing leaves the result as it was; maxfev turns prefetch off.
  const auto f = [](const Vector& x) { return rosenbrock(x); };
  for (Sampling sampling : {Sampling::kSobol, Sampling::kSimplicial}) {
    Options o;
    o.sampling = sampling;
    o.iters = 3;
    o.n = 16;
    std::vector<Vector> calls;
    const auto logged = [&](const Vector& x) {
      calls.push_back(x);
      return f(x);
    };
    const auto plain = coex::shgo::minimize(f, {-5, -5}, {5, 5}, {}, o);
    std::vector<std::pair<std::size_t, std::vector<Vector>>> batches;  // (calls so far, batch)
    o.prefetch = [&](const std::vector<Vector>& xs) { batches.emplace_back(calls.size(), xs); };
    const auto r = coex::shgo::minimize(logged, {-5, -5}, {5, 5}, {}, o);
    EXPECT_EQ(r.nfev, plain.nfev);
    EXPECT_EQ(r.fun, plain.fun);
    ASSERT_GE(batches.size(), 2u);
    for (const auto& [at, xs] : batches) {
      ASSERT_LE(at + xs.size(), calls.size());
      for (std::size_t i = 0; i < xs.size(); ++i) EXPECT_EQ(calls[at + i], xs[i]) << i;
    }
    o.maxfev = 1000;
    batches.clear();
    coex::shgo::minimize(f, {-5, -5}, {5, 5}, {}, o);
    EXPECT_TRUE(batches.empty());
  }
}

TEST(Shgo, SobolPointsStratifyEveryCoordinateAndTheShiftKeepsIt) {
  for (std::uint64_t shift : {0ULL, 12345ULL}) {
    for (std::size_t d : {1u, 3u, 10u, 64u}) {
      const std::size_t m = 6, count = std::size_t{1} << m;
      const auto pts = coex::shgo::sobol_points(d, count, 0, shift);
      if (shift == 0) {
        EXPECT_EQ(pts[0], Vector(d, 0.0));
      }
      for (std::size_t i = 0; i < d; ++i) {
        std::set<std::size_t> cells;
        for (const auto& p : pts) {
          ASSERT_GE(p[i], 0.0);
          ASSERT_LT(p[i], 1.0);
          cells.insert(static_cast<std::size_t>(p[i] * static_cast<double>(count)));
        }
        EXPECT_EQ(cells.size(), count) << "d=" << d << " coordinate " << i;
      }
    }
  }
}

TEST(Shgo, InvalidBoundsAreRejected) {
  EXPECT_THROW(coex::shgo::minimize(rosenbrock, {}, {}, {}, Options{}), std::invalid_argument);
  EXPECT_THROW(coex::shgo::minimize(rosenbrock, {1, 0}, {0, 1}, {}, Options{}),
               std::invalid_argument);
  Options forever;
  forever.iters = 0;
  EXPECT_THROW(coex::shgo::minimize(rosenbrock, {0, 0}, {1, 1}, {}, forever),
               std::invalid_argument);
}

// ---- the controller ----

TEST(ShgoController, SeedsGiveDifferentReplicatesWhenScrambled) {
  auto a = coex::testing::load<coex::Controller>({"shgo", {}});
  auto b = coex::testing::load<coex::Controller>({"shgo", {}});
  const auto pa = coex::testing::toy_problem(1, 30), pb = coex::testing::toy_problem(2, 30);
  coex::testing::ScriptedEvaluator ea(pa.space, 30), eb(pb.space, 30);
  a->search(pa, ea);
  b->search(pb, eb);
  EXPECT_EQ(ea.points.size(), 30u);
  EXPECT_NE(ea.points, eb.points);
  // Every proposal is distinct: the controller memoises rounded points instead of re-spending
  // budget on them.
  std::set<std::string> keys;
  for (const auto& p : ea.points) keys.insert(coex::Space::key(p));
  EXPECT_EQ(keys.size(), ea.points.size());
}

/// Reward from a function of the point; a spec `latency_ms <= 4` on the metric p[0] + p[1].
class FunctionEvaluator : public coex::Evaluator {
 public:
  FunctionEvaluator(std::size_t budget, std::function<double(const coex::Point&)> reward)
      : budget_(budget), reward_(std::move(reward)) {}
  std::vector<coex::Outcome> evaluate(const std::vector<coex::Point>& batch) override {
    std::vector<coex::Outcome> out;
    for (const auto& p : batch) {
      if (done()) break;
      points.push_back(p);
      coex::Outcome o;
      o.status = coex::CandidateStatus::kEvaluated;
      o.reward = reward_(p);
      o.accuracy = 0.5;
      o.metrics.set("latency_ms", p[0] + p[1]);
      out.push_back(o);
    }
    return out;
  }
  bool done() const override { return points.size() >= budget_; }
  std::uint64_t remaining_candidates() const override { return budget_ - points.size(); }
  std::vector<coex::Point> points;

 private:
  std::size_t budget_;
  std::function<double(const coex::Point&)> reward_;
};

coex::Problem integer_problem(std::size_t dims, std::size_t network_dims) {
  coex::Problem p;
  std::vector<coex::Dimension> d;
  for (std::size_t i = 0; i < dims; ++i)
    d.push_back(coex::Dimension::integer("v" + std::to_string(i), 0, 9));
  p.space = coex::Space(d);
  p.network_dims = network_dims;
  p.seed = 5;
  p.objective_names = {"accuracy"};
  return p;
}

TEST(ShgoController, LocalSolvesImproveOnTheSampledVertices) {
  // Reward -sum |v_i - 3| over 4 integers 0..9. The first 64 candidates are the Sobol samples;
  // the local solves (COBYLA on the rounded relaxation) that follow must improve on them and end
  // within one step of the optimum.
  auto c = coex::testing::load<coex::Controller>({"shgo", {}});
  const auto p = integer_problem(4, 4);
  std::vector<double> rewards;
  FunctionEvaluator ev(150, [&](const coex::Point& q) {
    double s = 0;
    for (double v : q) s -= std::abs(v - 3);
    rewards.push_back(s);
    return s;
  });
  c->search(p, ev);
  ASSERT_EQ(ev.points.size(), 150u);
  const double sampled = *std::max_element(rewards.begin(), rewards.begin() + 64);
  const double best = *std::max_element(rewards.begin() + 64, rewards.end());
  EXPECT_GT(best, sampled);
  EXPECT_GE(best, -1.0);
}

TEST(ShgoController, SpecsAreConstraints) {
  // Reward grows with v0 + v1, but the spec latency_ms = v0 + v1 <= 4 caps it: the best
  // feasible candidates have v0 + v1 = 4, and SHGO's local solves gather there.
  auto c = coex::testing::load<coex::Controller>({"shgo", {}});
  auto p = integer_problem(2, 2);
  p.specs.add(coex::Spec::parse("latency_ms <= 4"));
  FunctionEvaluator ev(60, [](const coex::Point& q) { return q[0] + q[1]; });
  c->search(p, ev);
  std::size_t on_boundary = 0;
  for (const auto& q : ev.points) on_boundary += q[0] + q[1] == 4;
  EXPECT_GE(on_boundary, 2u);
}

TEST(ShgoController, HierarchicalSearchesTheNetworkThenItsHardware) {
  auto c = coex::testing::load<coex::Controller>(
      {"shgo", {{"hierarchical", true}, {"top_k", 1}, {"level1_share", 0.5}}});
  coex::Problem p;
  p.space = coex::Space({coex::Dimension::integer("a", 0, 4), coex::Dimension::integer("b", 0, 4),
                         coex::Dimension::integer("x", 0, 4), coex::Dimension::integer("y", 0, 4)});
  p.network_dims = 2;
  p.seed = 3;
  p.objective_names = {"accuracy"};
  // Network dims 0-1, hardware dims 2-3; reward peaks at (1, 2 | 3, 0).
  FunctionEvaluator ev(40, [](const coex::Point& q) {
    return -(std::abs(q[0] - 1) + std::abs(q[1] - 2)) - 0.1 * (std::abs(q[2] - 3) + q[3]);
  });
  c->search(p, ev);
  ASSERT_EQ(ev.points.size(), 40u);
  // Level 1 (the first 20) holds the hardware at the middle (2, 2).
  for (std::size_t i = 0; i < 20; ++i) {
    EXPECT_EQ(ev.points[i][2], 2);
    EXPECT_EQ(ev.points[i][3], 2);
  }
  // Level 2 holds the network at level 1's best, which is the optimum (1, 2).
  for (std::size_t i = 20; i < ev.points.size(); ++i) {
    EXPECT_EQ(ev.points[i][0], 1);
    EXPECT_EQ(ev.points[i][1], 2);
  }
  bool best = false;
  for (const auto& q : ev.points) best |= q == coex::Point{1, 2, 3, 0};
  EXPECT_TRUE(best);
}

}  // namespace
