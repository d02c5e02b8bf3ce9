// Controller `evolution`: regularized (aging) evolution (Real et al., AAAI 2019). A population of
// the `population` most recent candidates; each child mutates the best of `sample_size` members
// drawn at random; the oldest member dies. Works over any Space.
#include <algorithm>
#include <cmath>
#include <deque>
#include <random>

#include "coex/error.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"

namespace coex::plugins::evolution {

class Evolution final : public Controller {
 public:
  Evolution(const Options& o, const PluginContext&)
      : population_(static_cast<std::size_t>(o.get_int("population"))),
        sample_size_(static_cast<std::size_t>(o.get_int("sample_size"))),
        batch_(static_cast<std::size_t>(o.get_int("batch"))),
        real_sigma_(o.get_real("real_sigma")) {
    if (sample_size_ > population_)
      throw ConfigError("option 'sample_size' (" + std::to_string(sample_size_) +
                        ") must not exceed 'population' (" + std::to_string(population_) + ")");
  }

  static OptionSchema schema() {
    OptionSchema s;
    s.add_int("population", 20, "Members kept (the most recent candidates)", 2, 100000,
              "candidates");
    s.add_int("sample_size", 5, "Tournament size: members drawn to pick each parent", 1, 100000,
              "candidates");
    s.add_int("batch", 1, "Children per evaluator call", 1, 4096, "children");
    s.add_real("real_sigma", 0.1, "Mutation step of real dimensions, as a fraction of their range",
               1e-6, 1);
    return s;
  }

  /// Changes one uniformly chosen dimension to another legal value.
  Point mutate(const Space& space, Point p, std::mt19937_64& rng) const {
    const std::size_t i = static_cast<std::size_t>(rng() % space.size());
    const Dimension& d = space[i];
    if (d.kind == Dimension::Kind::kReal) {
      std::normal_distribution<double> n(0.0, real_sigma_ * (d.hi - d.lo));
      p[i] = std::clamp(p[i] + n(rng), d.lo, d.hi);
    } else {
      p[i] = d.other_value(p[i], rng);
    }
    return p;
  }

  void search(const Problem& problem, Evaluator& evaluator) override {
    std::mt19937_64 rng(problem.seed);
    struct Member {
      Point point;
      double reward;
    };
    std::deque<Member> pop;
    auto add = [&](const std::vector<Point>& batch) {
      const auto out = evaluator.evaluate(batch);
      for (std::size_t k = 0; k < out.size(); ++k) {
        pop.push_back({batch[k], out[k].reward});
        if (pop.size() > population_) pop.pop_front();  // aging: the oldest dies
      }
      return !out.empty();
    };
    // Initial population: random points.
    while (!evaluator.done() && pop.size() < population_) {
      std::vector<Point> batch;
      for (std::size_t k = 0; k < batch_ && pop.size() + batch.size() < population_; ++k)
        batch.push_back(problem.space.sample(rng));
      if (!add(batch)) return;
    }
    while (!evaluator.done()) {
      std::vector<Point> batch;
      for (std::size_t k = 0; k < batch_; ++k) {
        const Member* parent = nullptr;
        for (std::size_t s = 0; s < sample_size_; ++s) {
          const Member& m = pop[static_cast<std::size_t>(rng() % pop.size())];
          if (!parent || m.reward > parent->reward) parent = &m;
        }
        batch.push_back(mutate(problem.space, parent->point, rng));
      }
      if (!add(batch)) return;
    }
  }

 private:
  std::size_t population_, sample_size_, batch_;
  double real_sigma_;
};

}  // namespace coex::plugins::evolution

COEX_PLUGIN(coex::plugins::evolution::Evolution, "evolution", "0.1.0",
            "Regularized (aging) evolution: tournament selection, one-dimension mutation")
