// Controller `shgo`: SHGO (shgo.hpp) over the problem's space relaxed to the unit box
// (Space::from_unit rounds categorical and integer coordinates), minimising -reward with every
// spec as an inequality constraint. `hierarchical` mode (FLASH): level 1 searches the network
// dimensions with the hardware design held at a default; level 2 searches the hardware design of
// the best level-1 networks.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "coex/error.hpp"
#include "coex/io.hpp"
#include "coex/log.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"
#include "shgo.hpp"

namespace coex::plugins::shgo_controller {

namespace shgo = coex::shgo;

class ShgoController final : public Controller {
 public:
  ShgoController(const Options& o, const PluginContext& ctx) : run_dir_(ctx.run_dir) {
    const std::string sampling = o.get_string("sampling");
    opts_.sampling = sampling == "simplicial" ? shgo::Sampling::kSimplicial
                     : sampling == "sobol"    ? shgo::Sampling::kSobol
                                              : shgo::Sampling::kAuto;
    opts_.n = static_cast<std::size_t>(o.get_int("n"));
    opts_.iters = static_cast<std::size_t>(o.get_int("iters"));
    const std::string local = o.get_string("local");
    opts_.local = local == "slsqp"    ? shgo::LocalMethod::kSlsqp
                  : local == "cobyla" ? shgo::LocalMethod::kCobyla
                                      : shgo::LocalMethod::kNone;
    opts_.local_maxeval = static_cast<std::size_t>(o.get_int("local_maxeval"));
    opts_.maxtime = o.get_real("max_seconds");
    scramble_ = o.get_bool("scramble");
    hierarchical_ = o.get_bool("hierarchical");
    top_k_ = static_cast<std::size_t>(o.get_int("top_k"));
    level1_share_ = o.get_real("level1_share");
    hardware_start_ = o.get_real("hardware_start");
  }

  static OptionSchema schema() {
    OptionSchema s;
    s.add_string("sampling", "sobol",
                 "Sampling of the unit box: Sobol points (n per iteration), the simplicial "
                 "complex (2^d corners + centroid, then refinements), or auto (simplicial "
                 "without specs, Sobol with)",
                 {"auto", "simplicial", "sobol"});
    s.add_int("n", 64, "Sobol points per iteration (rounded up to a power of two)", 1, 1 << 20,
              "points");
    s.add_int("iters", 0, "SHGO iterations; 0 = keep iterating until the candidate budget is spent",
              0, 1000000, "iterations");
    s.add_string("local", "cobyla",
                 "Local solver (NLopt) from each minimiser-pool vertex. COBYLA is derivative-free "
                 "and suits the rounded (piecewise-constant) objective of discrete spaces; SLSQP "
                 "suits continuous spaces",
                 {"cobyla", "slsqp", "none"});
    s.add_int("local_maxeval", 40, "Cap on candidates one local solve may propose", 1, 1000000,
              "candidates");
    s.add_real("max_seconds", 0, "Wall-time limit of one SHGO call (0 = none)", 0, 1e9, "s");
    s.add_bool("scramble", true,
               "Apply a seeded digital shift to the Sobol sequence, so that different seeds give "
               "independent replicates (false = scipy's unscrambled sequence, seed-independent)");
    s.add_bool("hierarchical", false,
               "FLASH's two levels: level 1 searches the network dimensions with the hardware "
               "held at `hardware_start`; level 2 searches the hardware design of the top_k "
               "level-1 networks. Needs hardware.mode = \"searched\"");
    s.add_int("top_k", 3, "Level-1 local minima whose hardware design level 2 searches", 1, 1000,
              "networks");
    s.add_real("level1_share", 0.5,
               "Share of the candidate budget level 1 may use (the rest is split over the top_k "
               "level-2 searches)",
               0.01, 1);
    s.add_real("hardware_start", 0.5,
               "Level 1's hardware design: this position in [0,1] along every hardware "
               "dimension (0.5 = the middle)",
               0, 1);
    return s;
  }

  void search(const Problem& problem, Evaluator& evaluator) override {
    problem_ = &problem;
    evaluator_ = &evaluator;
    memo_.clear();
    report_ = nlohmann::json::object();
    const std::size_t n = problem.space.size();
    const std::size_t nd = std::min(problem.network_dims, n);
    if (n == 0) return;
    if (!hierarchical_ || nd == 0 || nd == n) {
      if (hierarchical_)
        logger()->info(
            "shgo: hierarchical mode needs network and hardware dimensions (set "
            "hardware.mode = \"searched\"); searching all {} dimensions at once",
            n);
      std::vector<std::size_t> all(n);
      for (std::size_t i = 0; i < n; ++i) all[i] = i;
      const auto r = run_level(all, std::vector<double>(n, 0.5), problem.seed, 0);
      report_["levels"].push_back(summary("flat", r, all, std::vector<double>(n, 0.5)));
    } else {
      std::vector<std::size_t> net_dims, hw_dims;
      for (std::size_t i = 0; i < nd; ++i) net_dims.push_back(i);
      for (std::size_t i = nd; i < n; ++i) hw_dims.push_back(i);
      std::vector<double> base(n, hardware_start_);
      const std::uint64_t rem = evaluator.remaining_candidates();
      const bool finite = rem != std::numeric_limits<std::uint64_t>::max();
      const std::uint64_t cap1 =
          finite ? std::max<std::uint64_t>(
                       1, static_cast<std::uint64_t>(level1_share_ * static_cast<double>(rem)))
                 : 0;
      const auto r1 = run_level(net_dims, base, problem.seed, cap1);
      report_["levels"].push_back(summary("network", r1, net_dims, base));
      // Level 2: the top_k distinct networks level 1 evaluated (meeting the specs first, then by
      // reward); SHGO's local minima are among them.
      std::vector<std::pair<const Outcome*, std::vector<double>>> ranked;
      for (const auto& [key, e] : memo_) ranked.emplace_back(&e.outcome, e.unit);
      std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
        const bool fa = a.first->violation == 0, fb = b.first->violation == 0;
        if (fa != fb) return fa;
        return a.first->reward > b.first->reward;
      });
      std::vector<std::vector<double>> tops;
      std::set<std::string> seen;
      for (const auto& [o, unit] : ranked) {
        if (tops.size() >= top_k_) break;
        std::vector<double> full = base;
        for (std::size_t k = 0; k < nd; ++k) full[k] = unit[k];
        Point p = problem.space.from_unit(full);
        p.resize(nd);
        if (seen.insert(Space::key(p)).second) tops.push_back(full);
      }
      for (std::size_t t = 0; t < tops.size() && !evaluator.done(); ++t) {
        const std::uint64_t left = evaluator.remaining_candidates();
        const std::uint64_t cap = left == std::numeric_limits<std::uint64_t>::max()
                                      ? 0
                                      : std::max<std::uint64_t>(1, left / (tops.size() - t));
        const auto r2 = run_level(hw_dims, tops[t], problem.seed + 1 + t, cap);
        report_["levels"].push_back(summary("hardware", r2, hw_dims, tops[t]));
      }
    }
    write_report();
  }

 private:
  /// Evaluates a point through the core, once per distinct point; shgo::Stop when the budget
  /// (or this level's cap) is spent.
  const Outcome& outcome(const Point& p) {
    const std::string key = Space::key(p);
    if (auto it = memo_.find(key); it != memo_.end()) return it->second.outcome;
    if (evaluator_->done() || (level_cap_ && level_used_ >= level_cap_)) throw shgo::Stop();
    const auto out = evaluator_->evaluate({p});
    if (out.empty()) throw shgo::Stop();
    ++level_used_;
    return memo_.emplace(key, Evaluated{out.front(), problem_->space.to_unit(p)})
        .first->second.outcome;
  }

  /// Evaluates the new points of `xs` as one batch (the first time each is met, in order, at
  /// most this level's cap), so that outcome() finds them in memory.
  template <class ToPoint>
  void prefetch(const std::vector<shgo::Vector>& xs, const ToPoint& to_point) {
    std::vector<Point> batch;
    std::vector<std::string> keys;
    std::set<std::string> seen;
    const std::uint64_t room =
        level_cap_ ? (level_cap_ > level_used_ ? level_cap_ - level_used_ : 0) : xs.size();
    for (const auto& x : xs) {
      if (batch.size() >= room) break;
      Point p = to_point(x);
      std::string key = Space::key(p);
      if (memo_.count(key) || !seen.insert(key).second) continue;
      batch.push_back(std::move(p));
      keys.push_back(std::move(key));
    }
    if (batch.size() < 2 || evaluator_->done()) return;
    const auto out = evaluator_->evaluate(batch);
    for (std::size_t i = 0; i < out.size(); ++i)
      memo_.emplace(keys[i], Evaluated{out[i], problem_->space.to_unit(batch[i])});
    level_used_ += out.size();
  }

  /// Spec constraints, normalised by the bound: >= 0 where the spec holds; -1 when the
  /// candidate has no value for the metric (invalid or failed).
  std::vector<double> constraints_of(const Outcome& o) const {
    std::vector<double> g;
    for (const auto& s : problem_->specs.items()) {
      std::optional<double> v = s.metric == "accuracy" ? o.accuracy : o.metrics.find(s.metric);
      if (!v) {
        g.push_back(-1);
        continue;
      }
      const double scale = std::max(std::abs(s.bound), 1e-12);
      g.push_back((s.op == Spec::Op::kLessEqual ? s.bound - *v : *v - s.bound) / scale);
    }
    return g;
  }

  /// The problem's point for `x` over the unit box of `dims`, the other coordinates at `base`.
  Point point_of(const std::vector<std::size_t>& dims, std::vector<double> base,
                 const shgo::Vector& x) const {
    for (std::size_t k = 0; k < dims.size(); ++k) base[dims[k]] = x[k];
    return problem_->space.from_unit(base);
  }

  shgo::Result run_level(const std::vector<std::size_t>& dims, const std::vector<double>& base,
                         std::uint64_t seed, std::uint64_t cap) {
    level_cap_ = cap;
    level_used_ = 0;
    auto to_point = [&](const shgo::Vector& x) { return point_of(dims, base, x); };
    const shgo::Objective f = [&](const shgo::Vector& x) { return -outcome(to_point(x)).reward; };
    shgo::Constraints g;
    if (!problem_->specs.empty())
      g = [&](const shgo::Vector& x) { return constraints_of(outcome(to_point(x))); };
    shgo::Options o = opts_;
    // COBYLA's first step moves one value of a discrete dimension (its cell in the unit box).
    // The rounded objective is piecewise constant: no f tolerance (a plateau would end a local
    // solve at once); stop once steps are below a quarter of a discrete value.
    o.initial_step.assign(dims.size(), 0.05);
    o.local_xtol.assign(dims.size(), 1e-4);
    o.local_ftol = 0;
    for (std::size_t k = 0; k < dims.size(); ++k)
      if (const auto card = problem_->space[dims[k]].cardinality(); card > 1) {
        o.initial_step[k] = 1.0 / static_cast<double>(card);
        o.local_xtol[k] = 0.25 / static_cast<double>(card);
      }
    o.sobol_shift_seed = scramble_ ? (seed | 1) : 0;
    if (o.iters == 0) o.maxev = std::size_t{1} << 22;  // the budget ends it; this is a backstop
    // End the level once an iteration proposes nothing new (a small space is exhausted).
    std::uint64_t used_before = 0;
    o.on_iteration = [&](std::size_t) {
      const bool progressed = level_used_ > used_before;
      used_before = level_used_;
      return progressed;
    };
    // A sampling stage's points go to the core as one batch (evaluated in parallel when the
    // plugins allow it), in the order and up to the limits the one-at-a-time calls would use.
    o.prefetch = [&](const std::vector<shgo::Vector>& xs) { prefetch(xs, to_point); };
    auto r =
        shgo::minimize(f, shgo::Vector(dims.size(), 0.0), shgo::Vector(dims.size(), 1.0), g, o);
    logger()->info("shgo: {} candidates, {} sampled, {} local minima, {} ({})", level_used_,
                   r.nsample, r.minima.size(), r.success ? "success" : "no feasible minimum",
                   r.message);
    return r;
  }

  nlohmann::json summary(const std::string& level, const shgo::Result& r,
                         const std::vector<std::size_t>& dims,
                         const std::vector<double>& base) const {
    nlohmann::json j;
    j["level"] = level;
    j["candidates"] = level_used_;
    j["sampled"] = r.nsample;
    j["iterations"] = r.nit;
    j["message"] = r.message;
    j["minima"] = nlohmann::json::array();
    for (const auto& m : r.minima) {
      const Point p = point_of(dims, base, m.x);
      j["minima"].push_back(
          {{"point", problem_->space.describe(p)}, {"reward", -m.f}, {"meets_specs", m.feasible}});
    }
    return j;
  }

  void write_report() const {
    if (!run_dir_.empty())
      write_file_atomic(run_dir_ + "/shgo_minima.json", report_.dump(2) + "\n");
  }

  std::string run_dir_;
  shgo::Options opts_;
  bool scramble_ = true, hierarchical_ = false;
  std::size_t top_k_ = 3;
  double level1_share_ = 0.5, hardware_start_ = 0.5;
  const Problem* problem_ = nullptr;
  Evaluator* evaluator_ = nullptr;
  struct Evaluated {
    Outcome outcome;
    std::vector<double> unit;  ///< the point in the unit box
  };
  std::map<std::string, Evaluated> memo_;
  std::uint64_t level_cap_ = 0, level_used_ = 0;
  nlohmann::json report_;
};

}  // namespace coex::plugins::shgo_controller

COEX_PLUGIN(coex::plugins::shgo_controller::ShgoController, "shgo", "0.1.0",
            "SHGO global optimisation (Sobol or simplicial sampling, NLopt local solves, specs as "
            "constraints); FLASH's hierarchical network-then-hardware mode")
