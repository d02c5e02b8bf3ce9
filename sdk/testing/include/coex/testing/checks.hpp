// coex::testing: the conformance kit's checks, usable from any test. Each returns a
// ::testing::AssertionResult whose failure message says what the plugin did wrong, so a test can
// both require conformance (EXPECT_TRUE) and prove the kit catches a dishonest plugin
// (EXPECT_FALSE).
//
// Plugins under test are loaded through the real loader (coex/testing/loader.hpp), from
// COEX_TESTING_PLUGIN_DIR (set by coex_add_plugin_test) and the usual plugin path
// (COEX_PLUGIN_PATH, ...).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "coex/calibration.hpp"
#include "coex/error.hpp"
#include "coex/plugin.hpp"
#include "coex/testing/loader.hpp"

namespace coex::testing {

/// A plugin to test: its name, options (validated like a config table) and the task it sees.
/// `network_space` (optional) names a search space whose networks the hardware and estimator
/// checks use instead of reference_networks(), for plugins that run only special networks (a
/// quantum circuit target); it is created with its default options and `task`.
struct PluginUnderTest {
  std::string name;
  nlohmann::json options = nlohmann::json::object();
  Task task = Task{};
  std::string network_space = {};
};

inline std::ostream& operator<<(std::ostream& os, const PluginUnderTest& p) {
  return os << p.name << " " << p.options.dump();
}

/// Where plugins under test are looked for before the usual plugin path.
inline std::vector<std::string> plugin_dirs() {
  std::vector<std::string> dirs;
#ifdef COEX_TESTING_PLUGIN_DIR
  dirs.push_back(COEX_TESTING_PLUGIN_DIR);
#endif
#ifdef COEX_TESTING_EXTRA_PLUGIN_DIR
  dirs.push_back(COEX_TESTING_EXTRA_PLUGIN_DIR);
#endif
  return dirs;
}

/// The manifest of plugin `name`, or nothing.
inline std::optional<PluginInfo> find(const std::string& name) {
  return find_plugin(plugin_dirs(), name);
}

/// Creates the plugin (options validated against its manifest). Throws coex errors, and
/// coex::PluginError if the plugin is not a T.
template <class T>
std::shared_ptr<T> load(const PluginUnderTest& p, PluginContext ctx) {
  ctx.task = p.task;
  auto plugin = create_plugin(plugin_dirs(), p.name, p.options, ctx);
  auto typed = std::dynamic_pointer_cast<T>(plugin);
  if (!typed) throw PluginError("conformance: plugin '" + p.name + "' is not of the kind tested");
  return typed;
}

/// As above with a plain context: the task of `p` and `seed`.
template <class T>
std::shared_ptr<T> load(const PluginUnderTest& p, std::uint64_t seed = 1234) {
  PluginContext ctx;
  ctx.seed = seed;
  return load<T>(p, ctx);
}

/// A few deterministic chain CNNs (1 to 6 conv layers, mixed kernels, widths and strides, a
/// linear head) on the task's input: the networks hardware targets and estimators are checked on.
inline std::vector<Network> reference_networks(const Task& task, int count = 6) {
  std::vector<Network> out;
  for (int n = 0; n < count; ++n) {
    Network net;
    int x = net.add_input(task.input);
    Shape s = task.input;
    const int layers = 1 + n % 6;
    for (int l = 0; l < layers; ++l) {
      const int k = (n + l) % 3 == 0 ? 1 : ((n + l) % 3 == 1 ? 3 : 5);
      const int stride = (l % 2 == 1 && s.h > 4) ? 2 : 1;
      const std::int64_t f = 8 << ((n + l) % 3);
      if (s.h + 2 * (k / 2) < k) break;
      x = net.add_conv2d_same(x, f, k, stride);
      x = net.add_activation(x, Activation::kRelu);
      x = net.add_batch_norm(x);
      s = net.node(x).shape;
    }
    x = net.add_flatten(x);
    net.add_linear(x, task.classes);
    out.push_back(std::move(net));
  }
  return out;
}

/// A network the checks use, with what an estimator is told about it: the search space's
/// description and point (empty for reference_networks()).
struct CheckNetwork {
  Network network;
  EstimateContext context;
};

/// The networks the checks of `p` use, with their contexts: reference_networks(p.task, count), or
/// `count` seeded samples of p.network_space that decode (skipping invalid points), described by
/// that space (so that an estimator keyed by descriptions, such as `table`, can be checked).
inline std::vector<CheckNetwork> described_networks_for(const PluginUnderTest& p, int count = 6) {
  std::vector<CheckNetwork> out;
  if (p.network_space.empty()) {
    for (auto& n : reference_networks(p.task, count)) out.push_back({std::move(n), {}});
    return out;
  }
  const auto space = load<SearchSpace>(PluginUnderTest{p.network_space, {}, p.task});
  std::mt19937_64 rng(99);
  for (int tries = 0; static_cast<int>(out.size()) < count && tries < 100 * count; ++tries) {
    const Point point = space->space().sample(rng);
    try {
      Network n = space->decode(point);
      out.push_back({std::move(n), EstimateContext{space->describe(point), point}});
    } catch (const InvalidCandidate&) {
    }
  }
  return out;
}

/// The networks of described_networks_for() alone.
inline std::vector<Network> networks_for(const PluginUnderTest& p, int count = 6) {
  std::vector<Network> out;
  for (auto& c : described_networks_for(p, count)) out.push_back(std::move(c.network));
  return out;
}

namespace detail {
/// Every spec of `specs` (options, or the fields of a table list `prefix`) has a doc string and a
/// default that passes its own checks.
inline ::testing::AssertionResult specs_documented(const std::string& name,
                                                   const std::vector<OptionSpec>& specs,
                                                   const std::string& prefix) {
  for (const auto& o : specs) {
    if (o.doc.empty())
      return ::testing::AssertionFailure()
             << name << ": option '" << prefix << o.name << "' has no doc";
    if (!o.default_value.is_null())
      if (auto e = check_option_value(o, o.default_value))
        return ::testing::AssertionFailure()
               << name << ": default of '" << prefix << o.name << "' is invalid: " << *e;
    if (auto r = specs_documented(name, o.fields, prefix + o.name + "[]."); !r) return r;
  }
  return ::testing::AssertionSuccess();
}
}  // namespace detail

/// True if `s` parses the description of its first decodable sampled point (a space that
/// overrides describe without parse cannot, and its descriptions are no key into measurements).
inline bool parses_descriptions(const SearchSpace& s) {
  std::mt19937_64 rng(5);
  for (int tries = 0; tries < 200; ++tries) {
    const Point p = s.space().sample(rng);
    try {
      s.decode(p);
    } catch (const InvalidCandidate&) {
      continue;
    }
    try {
      s.parse(s.describe(p));
      return true;
    } catch (const UserError&) {
      return false;
    }
  }
  return false;
}

/// parse inverts describe: for `samples` sampled decodable points p, q = parse(describe(p))
/// describes as p and decodes to p's network (same hash); text that is no description is a
/// coex::UserError, not a crash or another exception.
inline ::testing::AssertionResult check_search_space_parse(const SearchSpace& s, int samples = 25) {
  std::mt19937_64 rng(6);
  int checked = 0;
  for (int tries = 0; checked < samples && tries < 20 * samples; ++tries) {
    const Point p = s.space().sample(rng);
    Network net;
    try {
      net = s.decode(p);
    } catch (const InvalidCandidate&) {
      continue;
    }
    const std::string d = s.describe(p);
    Point q;
    try {
      q = s.parse(d);
    } catch (const std::exception& e) {
      return ::testing::AssertionFailure() << "parse('" << d << "') failed: " << e.what();
    }
    if (s.describe(q) != d)
      return ::testing::AssertionFailure()
             << "parse('" << d << "') describes as '" << s.describe(q) << "'";
    if (s.decode(q).hash() != net.hash())
      return ::testing::AssertionFailure() << "parse('" << d << "') decodes to another network";
    ++checked;
  }
  if (checked == 0) return ::testing::AssertionFailure() << "no decodable point sampled";
  for (const char* junk : {"", "not a description", "|||", "depth 0: []"}) {
    try {
      s.parse(junk);
    } catch (const UserError&) {
      continue;
    } catch (const std::exception& e) {
      return ::testing::AssertionFailure()
             << "parse('" << junk << "') threw a non-UserError: " << e.what();
    }
  }
  return ::testing::AssertionSuccess();
}

/// Every option (and every field of a table-list option) has a doc string and its default
/// passes its own checks; the plugin has a summary.
inline ::testing::AssertionResult check_schema_documented(const std::string& name) {
  const auto m = find(name);
  if (!m) return ::testing::AssertionFailure() << "plugin '" << name << "' not found";
  if (auto r = detail::specs_documented(name, m->schema.specs(), ""); !r) return r;
  if (m->summary.empty()) return ::testing::AssertionFailure() << name << ": empty summary";
  return ::testing::AssertionSuccess();
}

/// decode and describe are deterministic functions of the point, across two instances; decoded
/// networks survive a JSON round trip; bad points raise coex errors, not crashes.
inline ::testing::AssertionResult check_search_space(const SearchSpace& a, const SearchSpace& b,
                                                     int samples = 40, std::uint64_t seed = 7) {
  if (a.space().empty()) return ::testing::AssertionFailure() << "the space has no dimension";
  std::mt19937_64 rng(seed);
  int valid = 0;
  for (int i = 0; i < samples; ++i) {
    const Point p = a.space().sample(rng);
    std::optional<Network> na, nb;
    try {
      na = a.decode(p);
    } catch (const InvalidCandidate&) {
    }
    try {
      nb = b.decode(p);
    } catch (const InvalidCandidate&) {
    }
    if (na.has_value() != nb.has_value())
      return ::testing::AssertionFailure()
             << "point " << Space::key(p) << " is valid for one instance only";
    if (!na) continue;
    ++valid;
    if (na->hash() != nb->hash() || na->hash() != a.decode(p).hash())
      return ::testing::AssertionFailure()
             << "decode(" << Space::key(p) << ") is not deterministic";
    if (Network::from_json(na->to_json()).hash() != na->hash())
      return ::testing::AssertionFailure()
             << "network of " << Space::key(p) << " does not survive a JSON round trip";
    const std::string d = a.describe(p);
    if (d.empty() || d != b.describe(p))
      return ::testing::AssertionFailure()
             << "describe(" << Space::key(p) << ") is empty or not deterministic";
  }
  if (valid == 0)
    return ::testing::AssertionFailure() << "none of " << samples << " sampled points decodes";
  try {
    a.decode(Point(a.space().size() + 1, 0.0));
    return ::testing::AssertionFailure() << "decode accepted a point of the wrong size";
  } catch (const Error&) {
  }
  return ::testing::AssertionSuccess();
}

namespace detail {
inline std::string names(const Metrics& m) {
  std::string s;
  for (const auto& [k, v] : m.items()) s += k + " ";
  return s;
}
inline ::testing::AssertionResult honest(const HardwareTarget& t, const HardwareResult& r,
                                         const std::string& what) {
  if (!r.feasible) {
    if (r.reason.empty())
      return ::testing::AssertionFailure() << what << ": infeasible without a reason";
    return ::testing::AssertionSuccess();
  }
  std::set<std::string> declared;
  for (const auto& m : t.metrics()) declared.insert(m.name);
  for (const auto& [k, v] : r.metrics.items()) {
    if (!declared.count(k))
      return ::testing::AssertionFailure() << what << ": reports undeclared metric '" << k << "'";
    if (!std::isfinite(v))
      return ::testing::AssertionFailure() << what << ": metric '" << k << "' is not finite";
  }
  for (const auto& d : declared)
    if (!r.metrics.has(d))
      return ::testing::AssertionFailure()
             << what << ": declared metric '" << d << "' missing (got " << names(r.metrics) << ")";
  return ::testing::AssertionSuccess();
}
}  // namespace detail

/// evaluate() and tune() report exactly the declared metrics, finite, and a reason whenever a
/// design is infeasible; tune() is deterministic; a design tune() returns evaluates to the same.
inline ::testing::AssertionResult check_hardware_honest(const HardwareTarget& t,
                                                        const std::vector<Network>& nets,
                                                        int samples = 10, std::uint64_t seed = 7) {
  if (t.metrics().empty()) return ::testing::AssertionFailure() << "declares no metric";
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < nets.size(); ++i) {
    const auto& net = nets[i];
    const HardwareResult r = t.tune(net, {});
    if (auto h = detail::honest(t, r, "tune(net " + std::to_string(i) + ")"); !h) return h;
    const HardwareResult again = t.tune(net, {});
    if (again.metrics.items() != r.metrics.items() || again.feasible != r.feasible)
      return ::testing::AssertionFailure() << "tune(net " << i << ") is not deterministic";
    if (r.feasible && !r.design.empty()) {
      const HardwareResult e = t.evaluate(net, r.design);
      for (const auto& [k, v] : r.metrics.items())
        if (std::abs(e.metrics.find(k).value_or(NAN) - v) > 1e-9 * std::max(1.0, std::abs(v)))
          return ::testing::AssertionFailure()
                 << "net " << i << ": evaluate(tune().design) gives " << k << " = "
                 << e.metrics.find(k).value_or(NAN) << ", tune said " << v;
    }
    if (t.design_space().empty()) continue;
    for (int s = 0; s < samples; ++s) {
      const Point d = t.design_space().sample(rng);
      if (auto h = detail::honest(t, t.evaluate(net, d),
                                  "evaluate(net " + std::to_string(i) + ", " + Space::key(d) + ")");
          !h)
        return h;
    }
  }
  return ::testing::AssertionSuccess();
}

/// Calibration (coex/calibration.hpp), for a target that declares coefficients: they are well
/// formed; at the design measurements are taken at (first_design), latency_model() at the values
/// in use equals evaluate()'s latency_ms; measurements generated from other coefficient values
/// (each moved by about a third of its prior width) are fitted back by fit_coefficients() to
/// within 2 % on every network; and after set_coefficients() with those values, evaluate()
/// reports the generated latencies. `t` is changed (set_coefficients): pass a fresh instance.
/// Networks the target cannot map are skipped; at least four must remain.
/// HardwareTarget::breakdown (optional) of each network's tune() result, where it is feasible: a
/// table whose every part has one finite, non-negative value per column and a unique name, the
/// same on a second call, and whose time columns (unit "ms") never show a part slower than the
/// whole latency evaluate() reports. An empty breakdown passes (the target gives none).
inline ::testing::AssertionResult check_breakdown(const HardwareTarget& t,
                                                  const std::vector<Network>& nets) {
  std::size_t shown = 0;
  for (std::size_t i = 0; i < nets.size(); ++i) {
    const HardwareResult r = t.tune(nets[i], {});
    if (!r.feasible) continue;
    Breakdown b;
    try {
      b = t.breakdown(nets[i], r);
    } catch (const std::exception& ex) {
      return ::testing::AssertionFailure()
             << "breakdown(net " << i << ") throws for a feasible design: " << ex.what();
    }
    if (b.empty()) continue;
    ++shown;
    if (b.columns.empty())
      return ::testing::AssertionFailure() << "breakdown(net " << i << ") has parts, no column";
    const auto whole = r.metrics.find("latency_ms");
    std::vector<std::string> names;
    for (const auto& p : b.parts) {
      if (p.values.size() != b.columns.size())
        return ::testing::AssertionFailure()
               << "breakdown(net " << i << ") part '" << p.name << "' has " << p.values.size()
               << " values for " << b.columns.size() << " columns";
      if (std::find(names.begin(), names.end(), p.name) != names.end())
        return ::testing::AssertionFailure()
               << "breakdown(net " << i << ") names two parts '" << p.name << "'";
      names.push_back(p.name);
      for (std::size_t c = 0; c < p.values.size(); ++c) {
        const double v = p.values[c];
        if (!std::isfinite(v) || v < 0)
          return ::testing::AssertionFailure()
                 << "breakdown(net " << i << ") part '" << p.name << "' has " << b.columns[c].name
                 << " = " << v << " (must be finite and >= 0)";
        if (whole && b.columns[c].unit == "ms" && v > *whole * (1 + 1e-9) + 1e-12)
          return ::testing::AssertionFailure()
                 << "breakdown(net " << i << ") part '" << p.name << "' takes " << v << " ms ("
                 << b.columns[c].name << "), more than the whole network's latency_ms = " << *whole
                 << " ms that tune() reports";
      }
    }
    const Breakdown again = t.breakdown(nets[i], r);
    if (again.to_json() != b.to_json())
      return ::testing::AssertionFailure() << "breakdown(net " << i << ") is not deterministic";
  }
  return ::testing::AssertionSuccess() << shown << " breakdowns checked";
}

inline ::testing::AssertionResult check_calibration(HardwareTarget& t,
                                                    const std::vector<Network>& nets) {
  const std::vector<Coefficient> cs = t.coefficients();
  if (cs.empty()) return ::testing::AssertionSuccess() << "declares no coefficients";
  try {
    check_coefficients(cs);
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "coefficients(): " << e.what();
  }
  const Point design = first_design(t.design_space());
  const std::vector<double> now = default_values(cs);
  std::vector<LatencyModel> models;
  std::vector<const Network*> used;
  for (const auto& n : nets) {
    const HardwareResult r = t.evaluate(n, design);
    LatencyModel m;
    try {
      m = t.latency_model(n, design);
    } catch (const InvalidCandidate&) {
      if (r.feasible)
        return ::testing::AssertionFailure()
               << "latency_model() refuses a network evaluate() finds feasible";
      continue;
    }
    if (!r.feasible) continue;
    const double want = r.metrics.get("latency_ms"), got = m(now);
    if (!(std::abs(got / want - 1) <= 1e-9))
      return ::testing::AssertionFailure()
             << "latency_model() at the coefficients in use gives " << got
             << " ms, evaluate() reports latency_ms = " << want << " ms";
    models.push_back(std::move(m));
    used.push_back(&n);
  }
  if (models.size() < 4)
    return ::testing::AssertionFailure()
           << "only " << models.size() << " of " << nets.size()
           << " networks can be mapped at the first design; the check needs 4";
  // Truth: each coefficient a third of its prior width away, alternating in sign, within bounds.
  std::vector<double> truth;
  for (std::size_t j = 0; j < cs.size(); ++j) {
    const Coefficient& c = cs[j];
    const double z = (j % 2 == 0 ? 1.0 : -1.0) / 3;
    double v = c.relative ? c.value * std::exp(c.spread * z) : c.value + c.spread * std::abs(z);
    truth.push_back(std::clamp(v, c.lower, c.upper));
  }
  std::vector<double> measured;
  for (const auto& m : models) measured.push_back(m(truth));
  CoefficientFit fit;
  try {
    fit = fit_coefficients(cs, models, measured, FitSettings{0.01, 2.0, 400});
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "fit_coefficients: " << e.what();
  }
  for (std::size_t i = 0; i < models.size(); ++i) {
    const double got = models[i](fit.values);
    if (!(std::abs(got / measured[i] - 1) <= 0.02))
      return ::testing::AssertionFailure()
             << "the fit to synthetic measurements predicts " << got << " ms for network " << i
             << ", generated " << measured[i] << " ms";
  }
  t.set_coefficients(truth);
  for (std::size_t i = 0; i < models.size(); ++i) {
    const double got = t.evaluate(*used[i], design).metrics.get("latency_ms");
    if (!(std::abs(got / measured[i] - 1) <= 1e-9))
      return ::testing::AssertionFailure()
             << "after set_coefficients(), evaluate() reports " << got << " ms for network " << i
             << ", the latency model " << measured[i] << " ms";
  }
  const std::vector<Coefficient> after = t.coefficients();
  for (std::size_t j = 0; j < after.size() && j < truth.size(); ++j)
    if (!(std::abs(after[j].value - truth[j]) <= 1e-12 * (1 + std::abs(truth[j]))))
      return ::testing::AssertionFailure()
             << "coefficients() does not report the values set_coefficients() gave ("
             << after[j].name << ")";
  return ::testing::AssertionSuccess();
}

/// With no specs, tune()'s design is at least as good on tune_objective() as any sampled
/// feasible design.
inline ::testing::AssertionResult check_tune_no_worse_than_sampled(const HardwareTarget& t,
                                                                   const std::vector<Network>& nets,
                                                                   int samples = 30,
                                                                   std::uint64_t seed = 11) {
  if (t.design_space().empty()) return ::testing::AssertionSuccess();
  const std::string obj = t.tune_objective();
  Direction dir = Direction::kMinimize;
  for (const auto& m : t.metrics())
    if (m.name == obj) dir = m.direction;
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < nets.size(); ++i) {
    const HardwareResult best = t.tune(nets[i], {});
    for (int s = 0; s < samples; ++s) {
      const Point d = t.design_space().sample(rng);
      const HardwareResult r = t.evaluate(nets[i], d);
      if (!r.feasible) continue;
      if (!best.feasible)
        return ::testing::AssertionFailure()
               << "net " << i << ": tune found no feasible design, but " << Space::key(d) << " is";
      const double b = best.metrics.get(obj), x = r.metrics.get(obj);
      const double tol = 1e-9 * std::max(1.0, std::abs(x));
      if (dir == Direction::kMaximize ? b < x - tol : b > x + tol)
        return ::testing::AssertionFailure()
               << "net " << i << ": tune() gives " << obj << " = " << b
               << ", but the sampled design " << Space::key(d) << " gives " << x;
    }
  }
  return ::testing::AssertionSuccess();
}

/// Reward = share of coordinates equal to 0; stops after `budget` candidates. Records every point.
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
      o.accuracy = o.reward;
      o.objectives = {o.reward};
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

/// A problem over 6 categorical dimensions of 4 choices and one small integer dimension.
inline Problem toy_problem(std::uint64_t seed, std::uint64_t budget) {
  Problem p;
  std::vector<Dimension> dims;
  for (int i = 0; i < 6; ++i)
    dims.push_back(Dimension::categorical("d" + std::to_string(i), {"a", "b", "c", "d"}));
  dims.push_back(Dimension::integer("n", 0, 3));
  p.space = Space(dims);
  p.network_dims = dims.size();
  p.seed = seed;
  p.max_candidates = budget;
  p.objective_names = {"accuracy"};
  return p;
}

/// The controller evaluates exactly `budget` candidates of a large space, all in the space.
inline ::testing::AssertionResult check_controller_budget(Controller& c,
                                                          std::uint64_t budget = 23) {
  const Problem pr = toy_problem(3, budget);
  ScriptedEvaluator ev(pr.space, budget);
  try {
    c.search(pr, ev);
  } catch (const Error& e) {
    return ::testing::AssertionFailure() << "search threw: " << e.what();
  }
  if (ev.points.size() != budget)
    return ::testing::AssertionFailure()
           << "evaluated " << ev.points.size() << " candidates for a budget of " << budget;
  return ::testing::AssertionSuccess();
}

/// Two fresh instances with the same seed propose the same points.
inline ::testing::AssertionResult check_controller_deterministic(Controller& a, Controller& b,
                                                                 std::uint64_t budget = 20) {
  const Problem pr = toy_problem(42, budget);
  ScriptedEvaluator ea(pr.space, budget), eb(pr.space, budget);
  a.search(pr, ea);
  b.search(pr, eb);
  for (std::size_t i = 0; i < std::min(ea.points.size(), eb.points.size()); ++i)
    if (ea.points[i] != eb.points[i])
      return ::testing::AssertionFailure()
             << "same seed, different candidate #" << i << ": " << Space::key(ea.points[i])
             << " vs " << Space::key(eb.points[i]);
  if (ea.points.size() != eb.points.size())
    return ::testing::AssertionFailure() << "same seed, different run lengths";
  return ::testing::AssertionSuccess();
}

/// Accuracy in [0, 1] and the same twice for the same network.
inline ::testing::AssertionResult check_estimator(AccuracyEstimator& e,
                                                  const std::vector<CheckNetwork>& nets) {
  for (std::size_t i = 0; i < nets.size(); ++i) {
    const Estimate a = e.estimate(nets[i].network, nets[i].context);
    if (!(a.accuracy >= 0 && a.accuracy <= 1))
      return ::testing::AssertionFailure()
             << "net " << i << ": accuracy " << a.accuracy << " outside [0, 1]";
    const Estimate b = e.estimate(nets[i].network, nets[i].context);
    if (a.accuracy != b.accuracy)
      return ::testing::AssertionFailure()
             << "net " << i << ": accuracy " << a.accuracy << " then " << b.accuracy;
  }
  return ::testing::AssertionSuccess();
}

/// True if the plugin's manifest declares COEX_PLUGIN_CONCURRENT.
inline bool declared_concurrent(const PluginUnderTest& p) {
  const auto m = find(p.name);
  return m && m->concurrent;
}

namespace detail {
/// Runs `result(i)` for i < n on one thread, then on `threads` threads at once (each over every
/// i, starting at a different one); fails naming the first i whose concurrent result differs.
inline ::testing::AssertionResult same_when_concurrent(
    std::size_t n, const std::function<std::string(std::size_t)>& result, unsigned threads = 4) {
  std::vector<std::string> serial(n);
  for (std::size_t i = 0; i < n; ++i) serial[i] = result(i);
  std::atomic<long long> first_bad{-1};
  std::vector<std::string> errors(threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      try {
        for (std::size_t k = 0; k < n; ++k) {
          const std::size_t i = (k + t * n / threads) % n;
          if (result(i) != serial[i]) {
            long long none = -1;
            first_bad.compare_exchange_strong(none, static_cast<long long>(i));
          }
        }
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  for (auto& th : pool) th.join();
  for (const auto& e : errors)
    if (!e.empty())
      return ::testing::AssertionFailure()
             << "a concurrent call threw (serially it did not): " << e;
  if (first_bad >= 0)
    return ::testing::AssertionFailure()
           << "call " << first_bad << " gives another result when run on " << threads
           << " threads at once: the plugin declares kConcurrent but shares state";
  return ::testing::AssertionSuccess();
}
}  // namespace detail

/// A search space declared concurrent decodes and describes alike on several threads at once.
inline ::testing::AssertionResult check_search_space_concurrent(const SearchSpace& s,
                                                                int samples = 24,
                                                                std::uint64_t seed = 11) {
  std::mt19937_64 rng(seed);
  std::vector<Point> points;
  for (int i = 0; i < samples; ++i) points.push_back(s.space().sample(rng));
  return detail::same_when_concurrent(points.size(), [&](std::size_t i) {
    std::string out = s.describe(points[i]) + "|";
    try {
      out += s.decode(points[i]).to_json_text();
    } catch (const InvalidCandidate& e) {
      out += std::string("invalid: ") + e.what();
    }
    return out;
  });
}

/// A hardware target declared concurrent tunes and evaluates alike on several threads at once.
inline ::testing::AssertionResult check_hardware_concurrent(const HardwareTarget& t,
                                                            const std::vector<Network>& nets) {
  std::mt19937_64 rng(5);
  std::vector<Point> designs;
  for (std::size_t i = 0; i < nets.size(); ++i)
    designs.push_back(t.design_space().empty() ? Point{} : t.design_space().sample(rng));
  auto text = [](const HardwareResult& r) {
    return std::to_string(r.feasible) + r.reason + "|" + r.summary + "|" + r.detail.dump() + "|" +
           r.metrics.to_json().dump();
  };
  return detail::same_when_concurrent(2 * nets.size(), [&](std::size_t i) {
    const std::size_t k = i / 2;
    return i % 2 ? text(t.evaluate(nets[k], designs[k])) : text(t.tune(nets[k], Specs{}));
  });
}

/// An estimator declared concurrent estimates alike on several threads at once.
inline ::testing::AssertionResult check_estimator_concurrent(
    AccuracyEstimator& e, const std::vector<CheckNetwork>& nets) {
  return detail::same_when_concurrent(nets.size(), [&](std::size_t i) {
    const Estimate a = e.estimate(nets[i].network, nets[i].context);
    return std::to_string(a.accuracy) + "|" + a.extras.to_json().dump();
  });
}

}  // namespace coex::testing
