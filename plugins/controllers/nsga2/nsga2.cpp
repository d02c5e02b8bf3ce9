// Controller `nsga2`: NSGA-II (Deb et al., IEEE TEVC 2002) over the objective vector the core
// gives each candidate (accuracy and the configured hardware objectives, all maximised), with
// constraint-domination for the specs (Outcome::violation). See README.md.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "coex/error.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"

namespace coex::plugins::nsga2 {

namespace {

struct Individual {
  Point point;
  std::vector<double> objectives;  ///< maximised
  double violation = 0;            ///< 0 = feasible
  int rank = 0;
  double crowding = 0;
};

/// Constraint-domination: feasible beats infeasible; between infeasible, smaller violation;
/// between feasible, Pareto dominance.
bool constrained_dominates(const Individual& a, const Individual& b) {
  if (a.violation == 0 && b.violation > 0) return true;
  if (a.violation > 0 && b.violation > 0) return a.violation < b.violation;
  if (a.violation > 0) return false;
  bool better = false;
  for (std::size_t i = 0; i < a.objectives.size(); ++i) {
    if (a.objectives[i] < b.objectives[i]) return false;
    if (a.objectives[i] > b.objectives[i]) better = true;
  }
  return better;
}

/// Fast non-dominated sort; sets rank and returns the fronts (indices).
std::vector<std::vector<std::size_t>> sort_fronts(std::vector<Individual>& pop) {
  const std::size_t n = pop.size();
  std::vector<std::vector<std::size_t>> dominated(n), fronts(1);
  std::vector<int> count(n, 0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      if (i == j) continue;
      if (constrained_dominates(pop[i], pop[j]))
        dominated[i].push_back(j);
      else if (constrained_dominates(pop[j], pop[i]))
        ++count[i];
    }
  for (std::size_t i = 0; i < n; ++i)
    if (count[i] == 0) {
      pop[i].rank = 0;
      fronts[0].push_back(i);
    }
  for (std::size_t f = 0; !fronts[f].empty(); ++f) {
    std::vector<std::size_t> next;
    for (std::size_t i : fronts[f])
      for (std::size_t j : dominated[i])
        if (--count[j] == 0) {
          pop[j].rank = static_cast<int>(f + 1);
          next.push_back(j);
        }
    fronts.push_back(std::move(next));
  }
  fronts.pop_back();
  return fronts;
}

void crowding(std::vector<Individual>& pop, const std::vector<std::size_t>& front) {
  for (std::size_t i : front) pop[i].crowding = 0;
  if (front.empty()) return;
  const std::size_t m = pop[front[0]].objectives.size();
  std::vector<std::size_t> f = front;
  for (std::size_t k = 0; k < m; ++k) {
    std::sort(f.begin(), f.end(), [&](std::size_t a, std::size_t b) {
      return pop[a].objectives[k] < pop[b].objectives[k];
    });
    const double lo = pop[f.front()].objectives[k], hi = pop[f.back()].objectives[k];
    pop[f.front()].crowding = pop[f.back()].crowding = std::numeric_limits<double>::infinity();
    if (hi <= lo) continue;
    for (std::size_t i = 1; i + 1 < f.size(); ++i)
      pop[f[i]].crowding += (pop[f[i + 1]].objectives[k] - pop[f[i - 1]].objectives[k]) / (hi - lo);
  }
}

}  // namespace

class Nsga2 final : public Controller {
 public:
  Nsga2(const Options& o, const PluginContext&)
      : population_(static_cast<std::size_t>(o.get_int("population"))),
        crossover_(o.get_real("crossover_probability")),
        eta_c_(o.get_real("eta_crossover")),
        eta_m_(o.get_real("eta_mutation")) {}

  static OptionSchema schema() {
    OptionSchema s;
    s.add_int("population", 20, "Population size N (offspring per generation: N)", 4, 100000,
              "candidates");
    s.add_real("crossover_probability", 0.9, "Probability that two parents are recombined", 0, 1);
    s.add_real("eta_crossover", 15, "SBX distribution index (real dimensions)", 0.1, 1000);
    s.add_real("eta_mutation", 20, "Polynomial mutation distribution index (real dimensions)", 0.1,
               1000);
    return s;
  }

  void search(const Problem& problem, Evaluator& evaluator) override {
    const Space& space = problem.space;
    std::mt19937_64 rng(problem.seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const std::size_t m = std::max<std::size_t>(1, problem.objective_names.size());

    auto evaluate = [&](std::vector<Point> pts) {
      std::vector<Individual> out;
      const auto res = evaluator.evaluate(pts);
      for (std::size_t i = 0; i < res.size(); ++i) {
        Individual ind;
        ind.point = std::move(pts[i]);
        ind.objectives = res[i].objectives;
        ind.violation = res[i].violation;
        if (ind.objectives.size() != m) {
          // Not evaluated (invalid, pruned, failed): infeasible.
          ind.objectives.assign(m, -std::numeric_limits<double>::infinity());
          ind.violation = std::max(ind.violation, 1.0) + 1.0;
        }
        out.push_back(std::move(ind));
      }
      return out;
    };

    std::vector<Point> init;
    for (std::size_t i = 0; i < population_; ++i) init.push_back(space.sample(rng));
    std::vector<Individual> pop = evaluate(init);
    while (!evaluator.done() && !pop.empty()) {
      for (const auto& f : sort_fronts(pop)) crowding(pop, f);
      auto tournament = [&]() -> const Individual& {
        const Individual& a = pop[rng() % pop.size()];
        const Individual& b = pop[rng() % pop.size()];
        if (a.rank != b.rank) return a.rank < b.rank ? a : b;
        return a.crowding >= b.crowding ? a : b;
      };
      std::vector<Point> kids;
      while (kids.size() < population_) {
        Point c1 = tournament().point, c2 = tournament().point;
        if (u(rng) < crossover_) recombine(space, c1, c2, rng);
        mutate(space, c1, rng);
        mutate(space, c2, rng);
        kids.push_back(std::move(c1));
        if (kids.size() < population_) kids.push_back(std::move(c2));
      }
      std::vector<Individual> offspring = evaluate(kids);
      if (offspring.empty()) break;
      // Environmental selection over parents + offspring.
      pop.insert(pop.end(), std::make_move_iterator(offspring.begin()),
                 std::make_move_iterator(offspring.end()));
      std::vector<Individual> next;
      for (auto& f : sort_fronts(pop)) {
        crowding(pop, f);
        if (next.size() + f.size() > population_)
          std::sort(f.begin(), f.end(), [&](std::size_t a, std::size_t b) {
            return pop[a].crowding > pop[b].crowding;
          });
        for (std::size_t i : f) {
          if (next.size() == population_) break;
          next.push_back(pop[i]);
        }
        if (next.size() == population_) break;
      }
      pop = std::move(next);
    }
  }

 private:
  /// SBX for real dimensions, uniform crossover for the others.
  void recombine(const Space& space, Point& a, Point& b, std::mt19937_64& rng) const {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (std::size_t i = 0; i < space.size(); ++i) {
      const Dimension& d = space[i];
      if (u(rng) >= 0.5) continue;
      if (d.kind != Dimension::Kind::kReal) {
        std::swap(a[i], b[i]);
        continue;
      }
      if (std::abs(a[i] - b[i]) < 1e-14) continue;
      const double r = u(rng);
      const double beta = r <= 0.5 ? std::pow(2 * r, 1 / (eta_c_ + 1))
                                   : std::pow(1 / (2 * (1 - r)), 1 / (eta_c_ + 1));
      const double x = 0.5 * ((1 + beta) * a[i] + (1 - beta) * b[i]);
      const double y = 0.5 * ((1 - beta) * a[i] + (1 + beta) * b[i]);
      a[i] = std::clamp(x, d.lo, d.hi);
      b[i] = std::clamp(y, d.lo, d.hi);
    }
  }

  /// Each dimension mutates with probability 1/n: polynomial mutation for reals, another value
  /// drawn uniformly for the others.
  void mutate(const Space& space, Point& p, std::mt19937_64& rng) const {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const double pm = 1.0 / static_cast<double>(space.size());
    for (std::size_t i = 0; i < space.size(); ++i) {
      if (u(rng) >= pm) continue;
      const Dimension& d = space[i];
      if (d.kind == Dimension::Kind::kReal) {
        const double r = u(rng);
        const double delta = r < 0.5 ? std::pow(2 * r, 1 / (eta_m_ + 1)) - 1
                                     : 1 - std::pow(2 * (1 - r), 1 / (eta_m_ + 1));
        p[i] = std::clamp(p[i] + delta * (d.hi - d.lo), d.lo, d.hi);
      } else {
        p[i] = d.other_value(p[i], rng);
      }
    }
  }

  std::size_t population_;
  double crossover_, eta_c_, eta_m_;
};

}  // namespace coex::plugins::nsga2

COEX_PLUGIN(coex::plugins::nsga2::Nsga2, "nsga2", "0.1.0",
            "NSGA-II over accuracy and hardware objectives, constraint-domination for the specs")
