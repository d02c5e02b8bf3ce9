// Space, Dimension and Point: what controllers search over. A controller sees only these, so any
// controller works with any search space and any hardware design space.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "coex/visibility.hpp"

namespace coex {

/// One coordinate of a Point. Categorical and integer dimensions hold integral values (for a
/// categorical one: the index into `choices`); real ones hold any double in [lo, hi].
using Coordinate = double;

/// One named axis of a Space.
struct COEX_API Dimension {
  enum class Kind { kCategorical, kInteger, kReal };

  std::string name;
  Kind kind = Kind::kCategorical;
  /// Categorical only: the labels of the choices (index i is the value i).
  std::vector<std::string> choices;
  /// Integer and real: inclusive bounds. Categorical: 0 and choices.size()-1.
  double lo = 0;
  double hi = 0;
  /// Real only: sample and relax on a log scale (lo must be > 0).
  bool log_scale = false;

  static Dimension categorical(std::string name, std::vector<std::string> choices);
  /// A categorical whose choices are numbers (labels are their decimal text); coordinate i
  /// stands for values[i].
  static Dimension categorical_of(std::string name, const std::vector<std::int64_t>& values);
  static Dimension integer(std::string name, std::int64_t lo, std::int64_t hi);
  static Dimension real(std::string name, double lo, double hi, bool log_scale = false);

  /// Number of distinct values: choices for categorical, hi-lo+1 for integer, 0 (infinite) for
  /// real.
  std::uint64_t cardinality() const;
  /// True if `v` is a legal value of this dimension.
  bool contains(Coordinate v) const;
  /// Categorical or integer: a legal value other than `v`, drawn uniformly (v itself if the
  /// dimension has one value). Real: `v` unchanged (perturb reals with a step of your own).
  Coordinate other_value(Coordinate v, std::mt19937_64& rng) const;
  /// Text of a value: the choice label, the integer, or the real with 6 significant digits.
  std::string label(Coordinate v) const;
};

/// A point: one coordinate per dimension of its Space, in order.
using Point = std::vector<Coordinate>;

/// An ordered list of dimensions. Immutable after construction by its owner.
class COEX_API Space {
 public:
  Space() = default;
  explicit Space(std::vector<Dimension> dims);

  const std::vector<Dimension>& dims() const { return dims_; }
  std::size_t size() const { return dims_.size(); }
  bool empty() const { return dims_.empty(); }
  const Dimension& operator[](std::size_t i) const { return dims_[i]; }
  /// Index of the dimension named `name`; throws coex::Error if absent.
  std::size_t index_of(const std::string& name) const;

  /// Number of points, saturating at UINT64_MAX; 0 if any dimension is real.
  std::uint64_t cardinality() const;
  /// Throws coex::Error naming the first coordinate that is out of its dimension.
  void check(const Point& p) const;
  /// A uniformly random point (log-uniform for log-scale reals).
  Point sample(std::mt19937_64& rng) const;
  /// The i-th point in mixed-radix order (first dimension varies slowest). Requires a finite
  /// space and i < cardinality().
  Point at(std::uint64_t i) const;

  /// Concatenation: the dimensions of `a` followed by those of `b` (joint network+hardware space).
  static Space concat(const Space& a, const Space& b);

  /// The one rule for continuous controllers: a point of [0,1]^n maps to this space by scaling
  /// each coordinate to its dimension (log-scale reals in log space) and rounding categorical and
  /// integer ones to the nearest legal value. `unit` values outside [0,1] are clamped.
  Point from_unit(const std::vector<double>& unit) const;
  /// Inverse of from_unit for legal points (categorical/integer map to the centre of their cell).
  std::vector<double> to_unit(const Point& p) const;

  /// Human-readable "name=label, ..." form.
  std::string describe(const Point& p) const;
  /// The point whose describe() is `description` ("name=label, ..." with every dimension in
  /// order). Reals are read back from their 6-digit labels. Throws coex::UserError naming the
  /// description, the part that does not fit and the expected form.
  Point parse(const std::string& description) const;
  /// Canonical text key of a point (cache and store key).
  static std::string key(const Point& p);

  nlohmann::json to_json() const;

 private:
  std::vector<Dimension> dims_;
};

}  // namespace coex
