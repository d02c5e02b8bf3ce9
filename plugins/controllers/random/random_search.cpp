// Controller `random`: uniform random search, the baseline every other controller must beat.
#include <random>
#include <set>

#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"

namespace coex::plugins::random_search {

class RandomSearch final : public Controller {
 public:
  RandomSearch(const Options& o, const PluginContext&)
      : batch_(static_cast<std::size_t>(o.get_int("batch"))), unique_(o.get_bool("unique")) {}

  static OptionSchema schema() {
    OptionSchema s;
    s.add_int("batch", 1, "Points proposed per evaluator call", 1, 4096, "points");
    s.add_bool("unique", true,
               "Never propose the same point twice (stops when a finite space is exhausted)");
    return s;
  }

  void search(const Problem& problem, Evaluator& evaluator) override {
    std::mt19937_64 rng(problem.seed);
    std::set<std::string> seen;
    const std::uint64_t size = problem.space.cardinality();  // 0 = infinite (real dims)
    while (!evaluator.done()) {
      std::vector<Point> batch;
      while (batch.size() < batch_) {
        if (unique_ && size != 0 && seen.size() >= size) break;
        Point p = problem.space.sample(rng);
        if (unique_ && !seen.insert(Space::key(p)).second) continue;
        batch.push_back(std::move(p));
      }
      if (batch.empty()) return;  // the whole space has been proposed
      evaluator.evaluate(batch);
    }
  }

 private:
  std::size_t batch_;
  bool unique_;
};

}  // namespace coex::plugins::random_search

COEX_PLUGIN(coex::plugins::random_search::RandomSearch, "random", "0.1.0",
            "Uniform random search (baseline), seeded, optionally without repeats")
