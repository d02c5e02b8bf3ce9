// The core's Evaluator: the two-level loop of DESIGN §2. For each point: decode; fast level
// (hardware tune or evaluate, prune on infeasibility or violated specs, never training);
// slow level (accuracy estimate) for survivors; reward; commit to the store at once.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "coex/core/candidate.hpp"
#include "coex/core/config.hpp"
#include "coex/evaluator.hpp"
#include "coex/plugin.hpp"

namespace coex::core {

class Store;

/// Counters of a run (including candidates replayed from the store on resume).
struct RunStats {
  std::uint64_t candidates = 0;
  std::uint64_t invalid = 0;
  std::uint64_t pruned = 0;
  std::uint64_t evaluated = 0;
  std::uint64_t failed = 0;
  std::uint64_t trainings = 0;  ///< estimator calls (cache hits excluded)
  std::uint64_t cached = 0;
  std::uint64_t replayed = 0;  ///< answered from the store of a resumed run
  double fast_seconds = 0;
  double slow_seconds = 0;
  std::optional<double> best_reward;
  std::optional<double> best_accuracy;
};

class CoreEvaluator final : public Evaluator {
 public:
  using Listener = std::function<void(const CandidateRecord&, const RunStats&)>;

  /// All references must outlive the evaluator. `replay`: the store's records of a resumed run,
  /// by seq. `store` may be null (tests, benchmarks): nothing is persisted then.
  CoreEvaluator(const RunConfig& config, const Problem& problem, SearchSpace& space,
                HardwareTarget& target, AccuracyEstimator& estimator, Store* store,
                std::vector<CandidateRecord> replay, Listener listener = {});

  std::vector<Outcome> evaluate(const std::vector<Point>& batch) override;
  bool done() const override;
  std::uint64_t remaining_candidates() const override;

  const RunStats& stats() const { return stats_; }
  /// Seconds since construction.
  double elapsed() const;

 private:
  CandidateRecord run_one(const Point& p);
  void fast_and_slow(CandidateRecord& r, const Network& net, const Point& hw_point);
  void account(const CandidateRecord& r);

  const RunConfig& config_;
  const Problem& problem_;
  SearchSpace& space_;
  HardwareTarget& target_;
  AccuracyEstimator& estimator_;
  Store* store_;
  std::vector<CandidateRecord> replay_;
  Listener listener_;
  std::map<std::string, CandidateRecord> cache_;
  std::mt19937_64 redraw_rng_;
  /// Per Problem::objective_names entry after accuracy: true if the metric is maximised.
  std::vector<bool> maximise_;
  std::int64_t next_seq_ = 0;
  RunStats stats_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace coex::core
