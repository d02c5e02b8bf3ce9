// NSGA-II on standard two-objective test problems: ZDT1 and the constrained CONSTR problem
// (Deb 2001). Objectives are minimised in the literature and maximised by coex: negated here.
#include <gtest/gtest.h>

#include <cmath>

#include "coex/pareto.hpp"
#include "test_support.hpp"

using namespace coex;

namespace {

/// Evaluates a two-objective test function; keeps every feasible objective vector.
class FunctionEvaluator : public Evaluator {
 public:
  using Fn = std::function<std::vector<double>(const Point&, double*)>;  // objectives, violation
  FunctionEvaluator(Fn f, std::size_t budget) : f_(std::move(f)), budget_(budget) {}
  std::vector<Outcome> evaluate(const std::vector<Point>& batch) override {
    std::vector<Outcome> out;
    for (const auto& p : batch) {
      if (done()) break;
      ++used;
      Outcome o;
      o.status = CandidateStatus::kEvaluated;
      o.objectives = f_(p, &o.violation);
      if (o.violation == 0) feasible.push_back(o.objectives);
      out.push_back(o);
    }
    return out;
  }
  bool done() const override { return used >= budget_; }
  std::uint64_t remaining_candidates() const override { return budget_ - used; }
  std::size_t used = 0;
  std::vector<std::vector<double>> feasible;

 private:
  Fn f_;
  std::size_t budget_;
};

Problem real_problem(std::size_t dims, std::vector<std::pair<double, double>> bounds = {}) {
  Problem p;
  std::vector<Dimension> d;
  for (std::size_t i = 0; i < dims; ++i)
    d.push_back(Dimension::real("x" + std::to_string(i), bounds.empty() ? 0 : bounds[i].first,
                                bounds.empty() ? 1 : bounds[i].second));
  p.space = Space(d);
  p.network_dims = dims;
  p.objective_names = {"f1", "f2"};
  p.seed = 1;
  return p;
}

}  // namespace

TEST(Nsga2, Zdt1ReachesMostOfTheTrueHypervolume) {
  // ZDT1, n = 10: f1 = x1, g = 1 + 9 sum(x2..xn)/(n-1), f2 = g (1 - sqrt(f1/g)).
  // True front f2 = 1 - sqrt(f1); its hypervolume to the reference (1.1, 1.1) is
  // integral_0^1 (1.1 - 1 + sqrt(f1)) df1 + 0.1 * 1.1 = 0.1 + 2/3 + 0.11 = 0.87667.
  const Problem pr = real_problem(10);
  FunctionEvaluator ev(
      [](const Point& x, double* v) {
        *v = 0;
        double s = 0;
        for (std::size_t i = 1; i < x.size(); ++i) s += x[i];
        const double g = 1 + 9 * s / static_cast<double>(x.size() - 1);
        return std::vector<double>{-x[0], -g * (1 - std::sqrt(x[0] / g))};
      },
      6000);
  test::load_plugin<Controller>("nsga2", {{"population", 40}})->search(pr, ev);
  EXPECT_EQ(ev.used, 6000u);
  const double hv = coex::hypervolume_2d(ev.feasible, {-1.1, -1.1});
  const double truth = 0.1 + 2.0 / 3.0 + 0.11;
  std::printf("zdt1: hypervolume %.4f of %.4f (%.1f%%)\n", hv, truth, 100 * hv / truth);
  EXPECT_GT(hv / truth, 0.95) << "hypervolume " << hv << " of " << truth;
}

TEST(Nsga2, ConstrainedProblemStaysFeasibleAndCoversTheFront) {
  // CONSTR: minimise f1 = x1, f2 = (1 + x2) / x1, x1 in [0.1, 1], x2 in [0, 5],
  // s.t. x2 + 9 x1 >= 6 and -x2 + 9 x1 >= 1. Compared with random search of the same budget.
  auto constr = [](const Point& x, double* v) {
    const double g1 = x[1] + 9 * x[0] - 6, g2 = -x[1] + 9 * x[0] - 1;
    *v = std::max(0.0, -g1) + std::max(0.0, -g2);
    return std::vector<double>{-x[0], -(1 + x[1]) / x[0]};
  };
  const Problem pr = real_problem(2, {{0.1, 1.0}, {0.0, 5.0}});
  FunctionEvaluator nsga(constr, 2000), rnd(constr, 2000);
  test::load_plugin<Controller>("nsga2", {{"population", 40}})->search(pr, nsga);
  test::load_plugin<Controller>("random", {{"batch", 40}})->search(pr, rnd);
  const std::vector<double> ref{-1.1, -10.0};
  const double hv_nsga = coex::hypervolume_2d(nsga.feasible, ref);
  const double hv_rnd = coex::hypervolume_2d(rnd.feasible, ref);
  EXPECT_GT(nsga.feasible.size(), rnd.feasible.size() + 200)
      << "constraint-domination should keep offspring feasible";
  std::printf("constr: hypervolume nsga2 %.4f, random %.4f; feasible %zu vs %zu of 2000\n", hv_nsga,
              hv_rnd, nsga.feasible.size(), rnd.feasible.size());
  EXPECT_GT(hv_nsga, hv_rnd) << "nsga2 " << hv_nsga << " vs random " << hv_rnd;
}
