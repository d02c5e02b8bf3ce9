// What a controller sees of the core: a Problem to solve and an Evaluator that runs candidates
// through the two-level loop. Controllers never touch the store; the evaluator owns budgets,
// the cache and persistence.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coex/metrics.hpp"
#include "coex/space.hpp"
#include "coex/visibility.hpp"

namespace coex {

/// What became of a candidate.
enum class CandidateStatus {
  kInvalid,    ///< the point decodes to no valid network
  kPruned,     ///< the fast level rejected it (hardware cannot meet the specs); never trained
  kEvaluated,  ///< passed the fast level and its accuracy was estimated
  kFailed,     ///< an estimator or target failed on it (reason recorded)
};

COEX_API const char* status_name(CandidateStatus s);

/// The result of one candidate, as the controller sees it.
struct COEX_API Outcome {
  CandidateStatus status = CandidateStatus::kFailed;
  /// Scalar reward (higher is better); the configured penalty for invalid/pruned/failed.
  double reward = 0;
  /// Accuracy in [0,1] when evaluated.
  std::optional<double> accuracy;
  /// Hardware metrics of the chosen design plus `params` and `macs` of the network.
  Metrics metrics;
  /// Objective vector for multi-objective controllers, every entry to be maximised:
  /// accuracy first, then each configured hardware objective (negated when minimised).
  std::vector<double> objectives;
  /// Total normalised spec violation (0 when the specs hold).
  double violation = 0;
  std::string reason;
  /// True if answered from the cache or from the store of a resumed run.
  bool cached = false;
};

/// The problem a controller solves.
struct COEX_API Problem {
  /// The space the controller proposes points in: the search space's, or in `searched` hardware
  /// mode the concatenation of the search space's and the hardware design space.
  Space space;
  /// Number of leading dimensions that belong to the network (the rest are hardware).
  std::size_t network_dims = 0;
  Specs specs;
  /// Names of the objectives in Outcome::objectives, in order.
  std::vector<std::string> objective_names;
  /// The controller's seed (already derived from the run seed).
  std::uint64_t seed = 0;
  /// Candidate budget (0 = unlimited; then the training or time budget ends the run).
  std::uint64_t max_candidates = 0;
};

/// Evaluates batches of points. Implemented by the core; a controller calls it until done().
class COEX_API Evaluator {
 public:
  virtual ~Evaluator() = default;
  /// Evaluates `batch` in order and returns one Outcome per point evaluated. Returns fewer
  /// outcomes than points (possibly none) when the budget runs out part-way; each returned
  /// outcome has been committed to the store. Points must belong to Problem::space (else
  /// coex::Error). Not thread-safe: call from one thread.
  virtual std::vector<Outcome> evaluate(const std::vector<Point>& batch) = 0;
  /// True once any budget (candidates, trainings, wall time) is spent.
  virtual bool done() const = 0;
  /// Candidates still allowed (UINT64_MAX if unlimited).
  virtual std::uint64_t remaining_candidates() const = 0;
};

}  // namespace coex
