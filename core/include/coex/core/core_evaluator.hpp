// The core's Evaluator: the two-level loop (docs/architecture.md). For each point: decode; fast
// level (hardware tune or evaluate, prune on infeasibility or violated specs, never training); slow
// level (accuracy estimate) for survivors; reward; commit to the store at once.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "coex/core/candidate.hpp"
#include "coex/core/config.hpp"
#include "coex/evaluator.hpp"
#include "coex/plugin.hpp"

namespace coex::core {

class Store;
class LeaseKeeper;
struct SlowResult;

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
  ~CoreEvaluator() override;

  /// Evaluates `batch` in order. With workers() > 1, the candidates' work (decode, fast and slow
  /// level) runs on that many threads while the calling thread commits finished candidates in
  /// batch order: the store, the cache, the budget and the listener see exactly what the
  /// sequential loop gives, so results do not depend on the thread count.
  std::vector<Outcome> evaluate(const std::vector<Point>& batch) override;
  bool done() const override;
  std::uint64_t remaining_candidates() const override;

  /// Threads for a batch's candidates (default 1). Only for plugins whose work calls may run
  /// concurrently (COEX_PLUGIN_CONCURRENT) and a training-free estimator; hardware redraws
  /// (searched mode) use one random stream, so they keep one thread. See parallel_workers().
  void set_workers(unsigned n) { workers_ = n < 1 ? 1 : n; }
  unsigned workers() const { return workers_; }

  /// Sends the slow level through the store's queue (a shared store, Store::shared()): each
  /// batch's survivors of the fast level are queued at once, then committed in sequence as
  /// workers record their results. With `local_worker`, this process also claims queued
  /// candidates while it waits. `worker`: this process's name in the queue (worker_id()).
  void set_queue(bool local_worker, double lease_seconds, std::string worker);

  const RunStats& stats() const { return stats_; }
  /// Seconds since construction.
  double elapsed() const;

 private:
  /// One candidate in progress: its record and network.
  struct Work {
    CandidateRecord r;
    Network net;
    std::chrono::steady_clock::time_point t0;
    bool invalid = false;  ///< decoded to no network; `r` is complete
  };
  /// describe, decode, hash and summary (thread-safe for concurrent plugins).
  Work begin(const Point& p, std::int64_t seq) const;
  /// IR JSON, fast and slow level (thread-safe for concurrent plugins, without redraws).
  void finish(Work& w);
  CandidateRecord run_one(const Point& p);
  /// Key of `r`'s network (and design, in searched mode) in the cache.
  std::string cache_key(const CandidateRecord& r) const;
  /// The cache's record for `r`'s network as `r`'s candidate, if the network was seen.
  std::optional<CandidateRecord> cached(const CandidateRecord& r, double fast_seconds) const;
  /// A candidate computed without the cache, made what the sequential loop gives: the cached
  /// record if its network was seen by an earlier candidate, else `r`, now cached.
  CandidateRecord settle(CandidateRecord r);
  std::vector<Outcome> evaluate_parallel(const std::vector<Point>& batch);
  std::vector<Outcome> evaluate_queued(const std::vector<Point>& batch);
  /// The queue's result for `job` (claiming and evaluating queued candidates meanwhile when
  /// this process is a local worker).
  SlowResult wait_for(const struct SlowJob& job);
  void fast_and_slow(CandidateRecord& r, const Network& net);
  /// The fast level: hardware tune or evaluate (the design part of `r.point` in searched mode),
  /// pruning. True if `r` survives and needs the slow level (its metrics are then the hardware's).
  bool fast_level(CandidateRecord& r, const Network& net);
  /// The hardware design part of `r.point` (empty in tuned mode).
  Point hardware_part(const CandidateRecord& r) const;
  /// Completes a survivor `r` with the slow level's `result`: status, accuracy, reward,
  /// objectives.
  void apply_slow(CandidateRecord& r, const SlowResult& result);
  EstimateContext estimate_context(const CandidateRecord& r) const;
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
  unsigned workers_ = 1;
  bool queued_ = false, local_worker_ = true;
  double lease_seconds_ = 60;
  std::string worker_;
  std::unique_ptr<LeaseKeeper> keeper_;  ///< the local worker's heartbeat
  RunStats stats_;
  std::chrono::steady_clock::time_point start_;
};

/// Threads a run may evaluate candidates on: `requested` (0 = one per core) when every plugin's
/// work calls may run concurrently, the estimator is training-free and hardware redraws are off
/// (tuned mode, or redraws = 0); else 1.
unsigned parallel_workers(unsigned requested, bool plugins_concurrent, bool training_free,
                          const RunConfig& config);

}  // namespace coex::core
