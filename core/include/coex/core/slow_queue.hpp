// The slow level across processes (docs/distributed.md): a leader queues the candidates that
// survive the fast level in a shared store (PostgreSQL); workers, the leader's own included,
// claim them one at a time under a lease kept alive by heartbeats, run the estimator, and record
// the result in one transaction. The leader commits candidates in sequence as results arrive, so
// the store ends up exactly as a single-process run of the same config and seed.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "coex/core/store.hpp"
#include "coex/plugin.hpp"

namespace coex::core {

/// The pause between polls of the queue: 1 ms, doubled after each empty poll up to `cap`, back
/// to 1 ms after progress (a short wait when work flows, little load on the server when idle).
class Backoff {
 public:
  explicit Backoff(std::chrono::milliseconds cap) : cap_(cap) {}
  void reset() { pause_ = std::chrono::milliseconds(1); }
  void wait() {
    std::this_thread::sleep_for(pause_);
    pause_ = std::min(pause_ * 2, cap_);
  }

 private:
  std::chrono::milliseconds cap_, pause_{1};
};

/// "host:pid", naming a worker in the queue and in messages.
std::string worker_id();

/// Gives back at once the claims of processes of this host that no longer exist (a killed
/// worker or leader restarted here), instead of waiting for their leases to run out. Returns how
/// many claimers were released. Claims of other hosts wait for their leases.
std::size_t release_dead_local_claims(Store& store);

/// The one place the slow level calls an estimator (the core evaluator, workers): the estimate,
/// or `failed` with the estimator's message when it throws. coex::UserError (bad input such as
/// a missing dataset) is not a result: it propagates.
SlowResult run_estimator(AccuracyEstimator& estimator, const Network& net,
                         const EstimateContext& context);

/// Keeps the lease of the job being evaluated alive: a thread with its own connection
/// (Store::reconnect) renews it every third of the lease. One per claiming thread, reused for
/// every job.
class LeaseKeeper {
 public:
  /// `store`: the claimer's store (only reconnect() is called). `lease_seconds` > 0.
  LeaseKeeper(const Store& store, double lease_seconds);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;
  /// Renews `job`'s lease until release(). False from release() if a renewal found the lease
  /// lost (another worker may have taken the job).
  void hold(const SlowJob& job);
  bool release();

 private:
  void loop();
  std::unique_ptr<Store> conn_;
  double lease_;
  std::mutex m_;
  std::condition_variable cv_;
  std::optional<SlowJob> job_;
  bool lost_ = false, stop_ = false;
  std::thread thread_;
};

/// Claims one job of `store`'s run for `worker`, evaluates it with `estimator` and records the
/// result. Returns the job's seq, or empty when the queue had nothing to claim. On
/// coex::UserError from the estimator the job is given back before the error propagates.
std::optional<std::int64_t> work_one(Store& store, LeaseKeeper& keeper,
                                     AccuracyEstimator& estimator, const std::string& worker,
                                     double lease_seconds);

/// `coex worker`: see docs/distributed.md.
struct WorkerOptions {
  StorageUrl storage;
  std::string run;                        ///< --run (when the URL has no ?run=)
  unsigned threads = 1;                   ///< candidates evaluated at once
  double lease_seconds = 60;              ///< --lease-seconds
  std::vector<std::string> plugin_paths;  ///< --plugin-path
  bool allow_unsafe_plugins = false;
  std::filesystem::path work_dir;  ///< plugins' run_dir (default: a temporary folder)
  /// Stop after this many jobs (0 = until the run finishes); for tests and benchmarks.
  std::uint64_t max_jobs = 0;
};

/// Serves the run until its leader marks it finished. Returns the number of candidates this
/// worker evaluated. Throws coex::UserError (exit 2) before claiming anything when the store
/// cannot be reached or the run's plugins cannot be loaded here (missing, another ABI, another
/// version than the leader's).
std::uint64_t run_worker(const WorkerOptions& options);

}  // namespace coex::core
