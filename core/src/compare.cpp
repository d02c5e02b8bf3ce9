#include "coex/core/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <sstream>

#include "coex/core/pareto.hpp"
#include "coex/error.hpp"

namespace coex::core {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string num(double v, int prec = 4) {
  if (!std::isfinite(v)) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", prec, v);
  return buf;
}

std::string spread_text(const Spread& s, int prec = 4) {
  if (!std::isfinite(s.median)) return "-";
  return num(s.median, prec) + " [" + num(s.q1, prec) + ", " + num(s.q3, prec) + "]";
}

/// Feasible Pareto-front objective vectors of a run.
std::vector<std::vector<double>> front_of(const RunTrace& r) {
  std::vector<std::vector<double>> f;
  for (std::size_t i : pareto_of(r.records)) f.push_back(r.records[i].outcome.objectives);
  return f;
}

}  // namespace

Spread Spread::of(const std::vector<double>& s) {
  return {quantile(s, 0.5), quantile(s, 0.25), quantile(s, 0.75)};
}

std::vector<std::uint64_t> default_steps(std::uint64_t budget) {
  std::vector<std::uint64_t> steps;
  if (budget == 0) return steps;
  const std::uint64_t n = std::min<std::uint64_t>(budget, 10);
  for (std::uint64_t i = 1; i <= n; ++i) {
    const std::uint64_t s = (budget * i + n - 1) / n;
    if (steps.empty() || steps.back() != s) steps.push_back(s);
  }
  return steps;
}

Comparison compare(const std::vector<RunTrace>& runs, const ComparisonSetup& setup) {
  Comparison c;
  c.steps = setup.steps;
  const std::size_t m = setup.objective_names.size();
  // Reference and ideal points over every run's front.
  c.hv_reference.assign(m, std::numeric_limits<double>::infinity());
  c.hv_ideal.assign(m, -std::numeric_limits<double>::infinity());
  std::vector<std::vector<std::vector<double>>> fronts;
  for (const auto& r : runs) {
    fronts.push_back(front_of(r));
    for (const auto& p : fronts.back())
      for (std::size_t k = 0; k < m && k < p.size(); ++k) {
        c.hv_reference[k] = std::min(c.hv_reference[k], p[k]);
        c.hv_ideal[k] = std::max(c.hv_ideal[k], p[k]);
      }
  }
  for (std::size_t k = 0; k < m; ++k) {
    const std::string& name = setup.objective_names[k];
    if (k == 0 && name == "accuracy") c.hv_reference[k] = 0;
    for (const auto& s : setup.specs.items())
      if (s.metric == name)
        c.hv_reference[k] = s.op == Spec::Op::kGreaterEqual ? s.bound : -s.bound;
  }
  double box = 1;
  for (std::size_t k = 0; k < m; ++k) box *= std::max(0.0, c.hv_ideal[k] - c.hv_reference[k]);

  // Each run's best reward after each of its candidates, computed once.
  std::vector<std::vector<double>> running(runs.size());
  std::vector<double> finals;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    double best = -std::numeric_limits<double>::infinity();
    for (const auto& rec : runs[i].records)
      running[i].push_back(best = std::max(best, rec.outcome.reward));
    if (!running[i].empty()) finals.push_back(running[i].back());
  }
  // Target: the median final best reward over all runs unless given.
  c.target = setup.target ? *setup.target : quantile(finals, 0.5);

  std::map<std::string, std::size_t> index;
  std::vector<std::vector<std::size_t>> runs_of;  // per controller: indices into runs
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    auto [it, fresh] = index.emplace(r.controller, c.controllers.size());
    if (fresh) {
      c.controllers.emplace_back();
      c.controllers.back().controller = r.controller;
      runs_of.emplace_back();
    }
    runs_of[it->second].push_back(i);
    ControllerSummary& s = c.controllers[it->second];
    ++s.runs;
    std::optional<double> reached;
    bool met = false;
    for (std::size_t k = 0; k < r.records.size(); ++k) {
      const auto& o = r.records[k].outcome;
      if (!reached && o.reward >= c.target) reached = static_cast<double>(k + 1);
      met |= o.status == CandidateStatus::kEvaluated && o.violation == 0;
    }
    s.final_best.push_back(running[i].empty() ? kNaN : running[i].back());
    s.hypervolume.push_back(box > 0 ? hypervolume(fronts[i], c.hv_reference) / box : 0.0);
    if (met) ++s.met_specs;
    if (reached) s.to_target.push_back(*reached);
  }
  // Curves: per controller and step, over its runs (a run that ended early, its space
  // exhausted, keeps its final best for the later steps).
  for (std::size_t ci = 0; ci < c.controllers.size(); ++ci) {
    auto& s = c.controllers[ci];
    s.curve.resize(setup.steps.size());
    for (std::size_t st = 0; st < setup.steps.size(); ++st) {
      std::vector<double> v;
      for (std::size_t i : runs_of[ci])
        if (!running[i].empty())
          v.push_back(running[i][std::min<std::size_t>(running[i].size(), setup.steps[st]) - 1]);
      s.curve[st] = Spread::of(v);
    }
  }
  for (std::size_t a = 0; a < c.controllers.size(); ++a)
    for (std::size_t b = a + 1; b < c.controllers.size(); ++b) {
      auto clean = [](const std::vector<double>& x) {
        std::vector<double> y;
        for (double v : x)
          if (std::isfinite(v)) y.push_back(v);
        return y;
      };
      c.pairs.push_back(
          {c.controllers[a].controller, c.controllers[b].controller,
           mann_whitney_u(clean(c.controllers[a].final_best), clean(c.controllers[b].final_best))});
    }
  return c;
}

std::string comparison_table(const Comparison& c) {
  std::ostringstream os;
  char line[512];
  std::snprintf(line, sizeof line, "%-12s %4s  %-30s %-30s %-9s %-22s\n", "controller", "runs",
                "best reward: median [IQR]", "hypervolume: median [IQR]", "met specs",
                "evals to target");
  os << line;
  for (const auto& s : c.controllers) {
    const std::string met = std::to_string(s.met_specs) + "/" + std::to_string(s.runs);
    std::string tt = std::to_string(s.to_target.size()) + "/" + std::to_string(s.runs) + " reach";
    if (!s.to_target.empty()) tt += ", median " + num(quantile(s.to_target, 0.5), 4);
    std::snprintf(line, sizeof line, "%-12s %4zu  %-30s %-30s %-9s %-22s\n", s.controller.c_str(),
                  s.runs, spread_text(Spread::of(s.final_best)).c_str(),
                  spread_text(Spread::of(s.hypervolume), 3).c_str(), met.c_str(), tt.c_str());
    os << line;
  }
  os << "target reward " << num(c.target) << "\n";
  if (!c.steps.empty()) {
    os << "\nBest reward after each budget step (median over seeds):\n";
    std::snprintf(line, sizeof line, "%-12s", "controller");
    os << line;
    for (auto st : c.steps) {
      std::snprintf(line, sizeof line, " %8llu", static_cast<unsigned long long>(st));
      os << line;
    }
    os << "\n";
    for (const auto& s : c.controllers) {
      std::snprintf(line, sizeof line, "%-12s", s.controller.c_str());
      os << line;
      for (const auto& sp : s.curve) {
        std::snprintf(line, sizeof line, " %8s", num(sp.median).c_str());
        os << line;
      }
      os << "\n";
    }
  }
  if (!c.pairs.empty()) {
    os << "\nMann-Whitney U on final best reward (two-sided):\n";
    for (const auto& p : c.pairs) {
      std::snprintf(line, sizeof line, "  %-12s vs %-12s U = %-6s p = %-8s (%s)%s\n", p.a.c_str(),
                    p.b.c_str(), num(p.test.u1).c_str(), num(p.test.p, 3).c_str(),
                    p.test.exact ? "exact" : "normal approx.", p.test.p < 0.05 ? "  *" : "");
      os << line;
    }
  }
  return os.str();
}

std::string comparison_csv(const Comparison& c) {
  std::ostringstream os;
  os.precision(10);
  os << "controller,runs,best_reward_median,best_reward_q1,best_reward_q3,hypervolume_median,"
        "hypervolume_q1,hypervolume_q3,met_specs_share,target,reached_target,"
        "evals_to_target_median\n";
  for (const auto& s : c.controllers) {
    const Spread b = Spread::of(s.final_best), h = Spread::of(s.hypervolume);
    os << s.controller << "," << s.runs << "," << b.median << "," << b.q1 << "," << b.q3 << ","
       << h.median << "," << h.q1 << "," << h.q3 << ","
       << static_cast<double>(s.met_specs) / static_cast<double>(std::max<std::size_t>(1, s.runs))
       << "," << c.target << "," << s.to_target.size() << ","
       << (s.to_target.empty() ? std::string() : num(quantile(s.to_target, 0.5), 10)) << "\n";
  }
  return os.str();
}

std::string curves_csv(const Comparison& c) {
  std::ostringstream os;
  os.precision(10);
  os << "controller,step,median,q1,q3\n";
  for (const auto& s : c.controllers)
    for (std::size_t i = 0; i < c.steps.size() && i < s.curve.size(); ++i)
      os << s.controller << "," << c.steps[i] << "," << s.curve[i].median << "," << s.curve[i].q1
         << "," << s.curve[i].q3 << "\n";
  return os.str();
}

std::string pairs_csv(const Comparison& c) {
  std::ostringstream os;
  os.precision(10);
  os << "controller_a,controller_b,u,p,method\n";
  for (const auto& p : c.pairs)
    os << p.a << "," << p.b << "," << p.test.u1 << "," << p.test.p << ","
       << (p.test.exact ? "exact" : "asymptotic") << "\n";
  return os.str();
}

}  // namespace coex::core
