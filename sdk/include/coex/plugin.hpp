// The four plugin kinds. A plugin is a class deriving from one of these, constructed as
//   MyPlugin(const coex::Options& options, const coex::PluginContext& context)
// with options already validated against its static `coex::OptionSchema schema()`, and exported
// with COEX_PLUGIN (coex/plugin_entry.hpp). Objects are used from one thread at a time, unless
// the class declares `static constexpr bool kConcurrent = true;`: then its work calls (decode and
// describe, evaluate and tune, estimate) may run on several threads at once (docs/plugins.md).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coex/breakdown.hpp"
#include "coex/calibration.hpp"
#include "coex/evaluator.hpp"
#include "coex/metrics.hpp"
#include "coex/network.hpp"
#include "coex/options.hpp"
#include "coex/space.hpp"
#include "coex/task.hpp"
#include "coex/visibility.hpp"

namespace coex {

enum class PluginKind { kSearchSpace, kHardwareTarget, kController, kAccuracyEstimator };

/// "search_space", "hardware_target", "controller", "estimator".
COEX_API const char* kind_name(PluginKind k);
/// Inverse of kind_name; empty if unknown.
COEX_API std::optional<PluginKind> kind_from_name(const std::string& s);

/// Common base: a virtual destructor, so the host deletes through it.
class COEX_API Plugin {
 public:
  virtual ~Plugin();
  virtual PluginKind kind() const = 0;
};

/// Decodes points of its Space into networks.
class COEX_API SearchSpace : public Plugin {
 public:
  PluginKind kind() const override { return PluginKind::kSearchSpace; }
  /// The space of network points. Stable for the object's lifetime.
  virtual const Space& space() const = 0;
  /// The network of `p`. Throws coex::InvalidCandidate if `p` decodes to no valid network.
  virtual Network decode(const Point& p) const = 0;
  /// Short human description of `p` (default: Space::describe).
  virtual std::string describe(const Point& p) const { return space().describe(p); }
  /// The point a description names, so that measurements and tables keyed by descriptions (a
  /// NAS-Bench-201 cell string, say) can be matched to networks: decode(parse(describe(p))) is
  /// the network of p, and parse(describe(p)) == p where the description determines the point
  /// (a space whose points carry unused coordinates returns its canonical point, unused
  /// coordinates 0). Default: Space::parse, the inverse of the default describe; a space that
  /// overrides describe overrides this too, or leaves descriptions unparsable. Thread-safety as
  /// describe. Throws coex::UserError naming the description and what was expected.
  virtual Point parse(const std::string& description) const { return space().parse(description); }
};

/// A hardware design chosen for a network, and how it performs.
struct COEX_API HardwareResult {
  /// The design as a point of the target's design space (empty for a fixed device, or when the
  /// design has structure a point cannot hold; then `detail` carries it).
  Point design;
  /// One-line human description ("3 FPGAs, stages [0-3][4-7][8-10], Tm=32 Tn=8 ...").
  std::string summary;
  /// Structured description of the design (partition, tilings, ...), stored with the candidate.
  nlohmann::json detail = nlohmann::json::object();
  /// Declared metrics of the target for this network on this design.
  Metrics metrics;
  /// False if the design cannot implement the network at all (a resource limit is exceeded).
  bool feasible = false;
  /// Why it is infeasible, or empty.
  std::string reason;
};

/// The option every hardware target takes (COEX_PLUGIN adds it to the schema): the path of a
/// calibration profile, applied by the host through HardwareTarget::set_coefficients().
inline constexpr const char* kProfileOption = "profile";

/// A hardware target: a cost model (or a real device) with a design space.
class COEX_API HardwareTarget : public Plugin {
 public:
  PluginKind kind() const override { return PluginKind::kHardwareTarget; }
  /// The hardware design space (may be empty for a fixed device).
  virtual const Space& design_space() const = 0;
  /// The metrics evaluate() and tune() report, with units and directions.
  virtual std::vector<MetricInfo> metrics() const = 0;
  /// The metric tune() optimises when several designs meet the specs (default: the first).
  virtual std::string tune_objective() const { return metrics().at(0).name; }
  /// Performance of `net` on `design` (a point of design_space()). Must not throw for a valid
  /// network: an impossible mapping is reported as feasible = false with a reason.
  virtual HardwareResult evaluate(const Network& net, const Point& design) const = 0;
  /// The best design for `net` under `specs`: feasible and meeting the specs if any design does
  /// (then best on tune_objective()), else the one closest to meeting them. The default
  /// enumerates the design space when it has at most 4096 points, else evaluates 512 seeded
  /// random samples. Targets with structure (pipeline partitions) override it.
  virtual HardwareResult tune(const Network& net, const Specs& specs) const;

  // Calibration (coex/calibration.hpp). A target that declares coefficients can be fitted to
  // measured latencies by `coex calibrate` and use a profile (`hardware.options.profile`).

  /// The fittable coefficients of the latency model, each with the value in use (its default, or
  /// what set_coefficients() gave). Default: none, the target cannot be calibrated.
  virtual std::vector<Coefficient> coefficients() const { return {}; }
  /// The `latency_ms` that evaluate(net, design) reports, as a function of the coefficients:
  /// at the values in use it must agree with evaluate() (the conformance kit checks it). It may
  /// hold references into `this`, not into `net`. Default: throws coex::Error (no coefficients).
  virtual LatencyModel latency_model(const Network& net, const Point& design) const;
  /// Uses `values` (one per coefficients(), in order, within bounds) from now on. The host calls
  /// it at most once, after construction and before any other call. Default: throws coex::Error.
  virtual void set_coefficients(const std::vector<double>& values);

  /// Where the cost of `net` on a design goes, part by part (layers, pipeline stages, kernels),
  /// for reports (coex/breakdown.hpp). `design` is a result evaluate() or tune() returned for
  /// `net` (a stored one included): its design point, and its detail for designs a point cannot
  /// hold (a tuned pipeline). The figures must be those the result's metrics add up: no part
  /// slower than its latency_ms. Throws coex::InvalidCandidate for an infeasible design. Default:
  /// empty (the target gives no breakdown). Since ABI 6.
  virtual Breakdown breakdown(const Network& net, const HardwareResult& design) const;

 protected:
  /// The default tune()'s search with the evaluation supplied: `result_of(design)` is the
  /// result of one point of design_space(). For targets whose designs of one network share most
  /// of their cost (compute it once, then derive each design's result), which override tune()
  /// as `return best_design(specs, [&](const Point& d) { ... });`. Empty design space: one call
  /// with an empty point. Since ABI 3.2.
  HardwareResult best_design(const Specs& specs,
                             const std::function<HardwareResult(const Point&)>& result_of) const;
};

/// Accuracy from an estimator.
struct COEX_API Estimate {
  /// Accuracy in [0, 1].
  double accuracy = 0;
  /// Seconds spent (training time for trained estimators).
  double seconds = 0;
  /// Further figures (loss, epochs run, ...).
  Metrics extras;
};

/// What an estimator is told about the candidate besides its network.
struct COEX_API EstimateContext {
  /// The search space's description of the point (e.g. NAS-Bench-201's cell string); may be
  /// empty when a network is estimated outside a run.
  std::string description;
  /// The network part of the candidate's point.
  Point point;
};

/// Estimates the accuracy of a network, by training or by a training-free proxy.
class COEX_API AccuracyEstimator : public Plugin {
 public:
  PluginKind kind() const override { return PluginKind::kAccuracyEstimator; }
  /// True if estimate() trains nothing (milliseconds); false for the slow level.
  virtual bool training_free() const = 0;
  /// Estimates the accuracy of `net` on the task. Deterministic for a given network and seed.
  /// Throws coex::UserError for bad input (missing dataset), coex::Error for other failures.
  virtual Estimate estimate(const Network& net, const EstimateContext& context) = 0;
  /// Convenience: estimate with an empty context.
  Estimate estimate(const Network& net) { return estimate(net, EstimateContext{}); }
};

/// A search algorithm.
class COEX_API Controller : public Plugin {
 public:
  PluginKind kind() const override { return PluginKind::kController; }
  /// Searches `problem` by calling `evaluator` until it reports done() or the controller has
  /// nothing more to propose. Deterministic for a given problem.seed.
  virtual void search(const Problem& problem, Evaluator& evaluator) = 0;
};

}  // namespace coex
