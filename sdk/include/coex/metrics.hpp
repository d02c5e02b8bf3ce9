// Metrics (named doubles with unit and direction) and Specs (constraints on metrics).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "coex/visibility.hpp"

namespace coex {

/// Whether a larger value of a metric is better.
enum class Direction { kMinimize, kMaximize };

/// Declaration of a metric a hardware target reports. Names carry their unit by convention
/// (`latency_ms`, `throughput_fps`, `energy_mj`, `gops_per_w`, `bram18k`, ...).
struct COEX_API MetricInfo {
  std::string name;
  std::string unit;
  Direction direction = Direction::kMinimize;
  std::string doc;
};

/// A set of named values, in insertion order. Small: linear lookup.
class COEX_API Metrics {
 public:
  /// Sets or replaces `name`.
  void set(const std::string& name, double value);
  bool has(const std::string& name) const;
  /// Value of `name`; throws coex::Error if absent.
  double get(const std::string& name) const;
  std::optional<double> find(const std::string& name) const;
  const std::vector<std::pair<std::string, double>>& items() const { return items_; }
  bool empty() const { return items_.empty(); }

  nlohmann::json to_json() const;
  static Metrics from_json(const nlohmann::json& j);

 private:
  std::vector<std::pair<std::string, double>> items_;
};

/// One constraint `metric op bound`, e.g. `throughput_fps >= 500`.
struct COEX_API Spec {
  enum class Op { kLessEqual, kGreaterEqual };
  std::string metric;
  Op op = Op::kLessEqual;
  double bound = 0;

  /// True if `value` satisfies the constraint.
  bool holds(double value) const;
  /// How far `value` is from satisfying it, >= 0 (0 when it holds). Used for constraint-domination.
  double violation(double value) const;
  /// "throughput_fps >= 500".
  std::string to_string() const;
  /// Parses "metric <= bound" / "metric >= bound"; throws coex::ConfigError on anything else.
  static Spec parse(const std::string& text);
};

/// A conjunction of constraints.
class COEX_API Specs {
 public:
  Specs() = default;
  explicit Specs(std::vector<Spec> specs) : specs_(std::move(specs)) {}
  const std::vector<Spec>& items() const { return specs_; }
  bool empty() const { return specs_.empty(); }
  void add(Spec s) { specs_.push_back(std::move(s)); }

  /// Empty optional if every spec holds on `m`; otherwise the first violation as text, e.g.
  /// "throughput_fps = 312.5 violates throughput_fps >= 500". A spec whose metric `m` lacks is
  /// ignored (specs may name metrics of another level, such as accuracy).
  std::optional<std::string> violation(const Metrics& m) const;
  /// Sum of normalised violations (0 when all hold).
  double total_violation(const Metrics& m) const;
  /// The bound on `metric` with the given op, if any.
  std::optional<double> bound(const std::string& metric, Spec::Op op) const;

 private:
  std::vector<Spec> specs_;
};

}  // namespace coex
