#include "coex/core/core_evaluator.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>

#include "coex/core/reward.hpp"
#include "coex/core/slow_queue.hpp"
#include "coex/core/store.hpp"
#include "coex/error.hpp"
#include "coex/log.hpp"

namespace coex::core {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

CoreEvaluator::CoreEvaluator(const RunConfig& config, const Problem& problem, SearchSpace& space,
                             HardwareTarget& target, AccuracyEstimator& estimator, Store* store,
                             std::vector<CandidateRecord> replay, Listener listener)
    : config_(config),
      problem_(problem),
      space_(space),
      target_(target),
      estimator_(estimator),
      store_(store),
      replay_(std::move(replay)),
      listener_(std::move(listener)),
      redraw_rng_(config.seed ^ 0x68772d7265647261ULL),
      start_(std::chrono::steady_clock::now()) {
  const auto infos = target_.metrics();
  for (std::size_t i = 1; i < problem_.objective_names.size(); ++i) {
    bool max = false;
    for (const auto& info : infos)
      if (info.name == problem_.objective_names[i]) max = info.direction == Direction::kMaximize;
    maximise_.push_back(max);
  }
}

CoreEvaluator::~CoreEvaluator() = default;

void CoreEvaluator::set_queue(bool local_worker, double lease_seconds, std::string worker) {
  if (!store_ || !store_->shared()) throw Error("CoreEvaluator::set_queue needs a shared store");
  queued_ = true;
  local_worker_ = local_worker;
  lease_seconds_ = lease_seconds;
  worker_ = std::move(worker);
}

double CoreEvaluator::elapsed() const { return seconds_since(start_); }

bool CoreEvaluator::done() const {
  const auto& b = config_.budget;
  if (b.candidates && stats_.candidates >= b.candidates) return true;
  if (b.trainings && stats_.trainings >= b.trainings) return true;
  if (b.seconds > 0 && elapsed() >= b.seconds) return true;
  return false;
}

std::uint64_t CoreEvaluator::remaining_candidates() const {
  if (!config_.budget.candidates) return std::numeric_limits<std::uint64_t>::max();
  return config_.budget.candidates > stats_.candidates
             ? config_.budget.candidates - stats_.candidates
             : 0;
}

std::vector<Outcome> CoreEvaluator::evaluate(const std::vector<Point>& batch) {
  // Replayed candidates (a resumed run) go through the sequential loop.
  if (queued_ && static_cast<std::size_t>(next_seq_) >= replay_.size())
    return evaluate_queued(batch);
  if (workers_ > 1 && batch.size() > 1 && static_cast<std::size_t>(next_seq_) >= replay_.size())
    return evaluate_parallel(batch);
  std::vector<Outcome> out;
  for (const Point& p : batch) {
    if (done()) break;
    problem_.space.check(p);
    const auto seq = next_seq_;
    if (static_cast<std::size_t>(seq) < replay_.size()) {
      CandidateRecord r = replay_[static_cast<std::size_t>(seq)];
      if (r.key() != Space::key(p))
        throw UserError(
            "the run directory holds a different run: candidate #" + std::to_string(seq) +
            " there is " + r.key() + ", but the controller now proposes " + Space::key(p) +
            " (the config, seed or a plugin changed). Fix: run with a new --out directory");
      ++next_seq_;
      ++stats_.replayed;
      if (!r.network_hash.empty() && r.outcome.status != CandidateStatus::kInvalid) {
        std::string key = r.network_hash;
        if (config_.hardware_mode == HardwareMode::kSearched)
          key += "|" + Space::key(r.hardware_point);
        cache_.emplace(key, r);
      }
      account(r);
      out.push_back(r.outcome);
      continue;
    }
    CandidateRecord r = run_one(p);
    if (store_) store_->commit(r);
    ++next_seq_;
    account(r);
    out.push_back(r.outcome);
  }
  return out;
}

void CoreEvaluator::account(const CandidateRecord& r) {
  ++stats_.candidates;
  switch (r.outcome.status) {
    case CandidateStatus::kInvalid:
      ++stats_.invalid;
      break;
    case CandidateStatus::kPruned:
      ++stats_.pruned;
      break;
    case CandidateStatus::kEvaluated:
      ++stats_.evaluated;
      break;
    case CandidateStatus::kFailed:
      ++stats_.failed;
      break;
  }
  if (r.trained) ++stats_.trainings;
  if (r.outcome.cached) ++stats_.cached;
  stats_.fast_seconds += r.fast_seconds;
  stats_.slow_seconds += r.slow_seconds;
  if (r.outcome.status == CandidateStatus::kEvaluated) {
    if (!stats_.best_reward || r.outcome.reward > *stats_.best_reward)
      stats_.best_reward = r.outcome.reward;
    if (r.outcome.accuracy &&
        (!stats_.best_accuracy || *r.outcome.accuracy > *stats_.best_accuracy))
      stats_.best_accuracy = r.outcome.accuracy;
  }
  if (listener_) listener_(r, stats_);
}

CoreEvaluator::Work CoreEvaluator::begin(const Point& p, std::int64_t seq) const {
  Work w;
  w.t0 = std::chrono::steady_clock::now();
  CandidateRecord& r = w.r;
  r.seq = seq;
  r.point = p;
  const Point net_point(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(problem_.network_dims));
  r.description = space_.describe(net_point);
  try {
    w.net = space_.decode(net_point);
  } catch (const InvalidCandidate& e) {
    r.outcome.status = CandidateStatus::kInvalid;
    r.outcome.reason = e.what();
    r.outcome.reward = config_.reward.penalty;
    r.fast_seconds = seconds_since(w.t0);
    w.invalid = true;
    return w;
  }
  r.network_hash = w.net.hash_hex();
  r.network_summary = w.net.summary();
  return w;
}

void CoreEvaluator::finish(Work& w) {
  CandidateRecord& r = w.r;
  r.network_json = w.net.to_json_text();
  fast_and_slow(r, w.net);
  r.fast_seconds = seconds_since(w.t0) - r.slow_seconds;
}

Point CoreEvaluator::hardware_part(const CandidateRecord& r) const {
  return Point(r.point.begin() + static_cast<std::ptrdiff_t>(problem_.network_dims), r.point.end());
}

std::string CoreEvaluator::cache_key(const CandidateRecord& r) const {
  std::string key = r.network_hash;
  if (config_.hardware_mode == HardwareMode::kSearched) key += "|" + Space::key(hardware_part(r));
  return key;
}

std::optional<CandidateRecord> CoreEvaluator::cached(const CandidateRecord& r,
                                                     double fast_seconds) const {
  auto it = cache_.find(cache_key(r));
  if (it == cache_.end()) return std::nullopt;
  // Same network (and design): the same outcome, without re-running either level.
  CandidateRecord c = it->second;
  c.seq = r.seq;
  c.point = r.point;
  c.description = r.description;
  c.outcome.cached = true;
  c.trained = false;
  c.fast_seconds = fast_seconds;
  c.slow_seconds = 0;
  return c;
}

CandidateRecord CoreEvaluator::run_one(const Point& p) {
  Work w = begin(p, next_seq_);
  if (w.invalid) return w.r;
  if (auto c = cached(w.r, seconds_since(w.t0))) return *c;
  finish(w);
  if (w.r.outcome.status != CandidateStatus::kFailed) cache_.emplace(cache_key(w.r), w.r);
  return w.r;
}

CandidateRecord CoreEvaluator::settle(CandidateRecord r) {
  if (r.network_hash.empty()) return r;  // invalid: no network to cache
  if (auto c = cached(r, r.fast_seconds)) return *c;
  if (r.outcome.status != CandidateStatus::kFailed) cache_.emplace(cache_key(r), r);
  return r;
}

std::vector<Outcome> CoreEvaluator::evaluate_parallel(const std::vector<Point>& batch) {
  // Candidates to run: the batch up to the budget and up to the first point outside the space
  // (whose error is raised after the points before it are committed, as the sequential loop).
  std::size_t n = std::min<std::uint64_t>(batch.size(), remaining_candidates());
  std::optional<std::size_t> bad;
  for (std::size_t i = 0; i < n && !bad; ++i) {
    try {
      problem_.space.check(batch[i]);
    } catch (const Error&) {
      bad = i;
    }
  }
  if (bad) n = *bad;
  struct Slot {
    CandidateRecord r;
    std::exception_ptr error;
    std::atomic<bool> ready{false};
  };
  std::vector<Slot> slots(n);
  std::atomic<std::size_t> next{0};
  const std::int64_t seq0 = next_seq_;
  // Takes the next candidate and runs it; false when none is left.
  auto work_one = [&]() {
    const std::size_t i = next.fetch_add(1);
    if (i >= n) return false;
    try {
      Work w = begin(batch[i], seq0 + static_cast<std::int64_t>(i));
      if (!w.invalid) finish(w);
      slots[i].r = std::move(w.r);
    } catch (...) {
      slots[i].error = std::current_exception();
    }
    slots[i].ready.store(true, std::memory_order_release);
    return true;
  };
  std::atomic<bool> stop{false};
  std::vector<std::thread> helpers;
  const unsigned extra = static_cast<unsigned>(std::min<std::size_t>(workers_ - 1, n));
  for (unsigned t = 0; t < extra; ++t)
    helpers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed) && work_one()) {
      }
    });
  struct Join {
    std::vector<std::thread>& threads;
    std::atomic<bool>& stop;
    ~Join() {
      stop.store(true);
      for (auto& t : threads) t.join();
    }
  } join{helpers, stop};
  // This thread commits in batch order, running candidates itself while the next one is not
  // ready.
  std::vector<Outcome> out;
  for (std::size_t i = 0; i < n; ++i) {
    while (!slots[i].ready.load(std::memory_order_acquire))
      if (!work_one()) std::this_thread::yield();
    if (done()) break;
    if (slots[i].error) std::rethrow_exception(slots[i].error);
    CandidateRecord r = settle(std::move(slots[i].r));
    if (store_) store_->commit(r);
    ++next_seq_;
    account(r);
    out.push_back(r.outcome);
  }
  if (bad && out.size() == *bad && !done()) problem_.space.check(batch[*bad]);
  return out;
}

std::vector<Outcome> CoreEvaluator::evaluate_queued(const std::vector<Point>& batch) {
  // Plan: the fast level of every candidate in order, as the sequential loop would run it (the
  // cache, the training budget), queueing each survivor at once so that workers start while the
  // leader is still planning.
  struct Pending {
    CandidateRecord r;
    enum class Kind { kDone, kQueued, kCopy } kind = Kind::kDone;
    SlowJob job;
    Network net;  ///< kCopy: for the fast level, if the first one fails
  };
  std::vector<Pending> plan;
  std::map<std::string, std::size_t> queued_keys;  // cache key -> first queued in this batch
  std::uint64_t trainings = stats_.trainings;
  const std::uint64_t room = remaining_candidates();
  std::exception_ptr stop;  // raised after the candidates before it are committed
  for (std::size_t i = 0; i < batch.size() && plan.size() < room && !stop; ++i) {
    if (config_.budget.trainings && trainings >= config_.budget.trainings) break;
    try {
      problem_.space.check(batch[i]);
      Work w = begin(batch[i], next_seq_ + static_cast<std::int64_t>(i));
      Pending p;
      if (w.invalid) {
        p.r = std::move(w.r);
      } else if (auto c = cached(w.r, seconds_since(w.t0))) {
        p.r = std::move(*c);
      } else {
        const std::string key = cache_key(w.r);
        p.job.seq = w.r.seq;
        p.job.network_hash = w.r.network_hash;
        p.job.description = w.r.description;
        p.job.point = estimate_context(w.r).point;
        p.job.network_json = w.net.to_json_text();
        if (auto it = queued_keys.find(key); it != queued_keys.end()) {
          p.kind = Pending::Kind::kCopy;  // settled from the first one when it is committed
          p.r = std::move(w.r);
          p.r.fast_seconds = seconds_since(w.t0);
          p.net = std::move(w.net);
        } else {
          w.r.network_json = p.job.network_json;
          const bool slow = fast_level(w.r, w.net);
          w.r.fast_seconds = seconds_since(w.t0);
          p.r = std::move(w.r);
          if (slow) {
            p.kind = Pending::Kind::kQueued;
            store_->enqueue(p.job);
            queued_keys.emplace(key, plan.size());
            ++trainings;
          } else if (p.r.outcome.status != CandidateStatus::kFailed) {
            cache_.emplace(key, p.r);
          }
        }
      }
      plan.push_back(std::move(p));
    } catch (...) {
      stop = std::current_exception();
    }
  }
  // Commit in sequence as the results arrive.
  std::vector<Outcome> out;
  for (auto& p : plan) {
    if (done()) break;
    CandidateRecord r;
    if (p.kind == Pending::Kind::kDone) {
      r = std::move(p.r);
    } else if (auto c =
                   p.kind == Pending::Kind::kCopy ? cached(p.r, p.r.fast_seconds) : std::nullopt) {
      r = std::move(*c);
    } else {
      // A copy whose first one failed (and so is not cached) runs itself, as it would in
      // sequence.
      bool slow = true;
      if (p.kind == Pending::Kind::kCopy) {
        p.r.network_json = p.job.network_json;
        slow = fast_level(p.r, p.net);
        if (slow) store_->enqueue(p.job);
      }
      r = std::move(p.r);
      if (slow) apply_slow(r, wait_for(p.job));
      r = settle(std::move(r));
    }
    store_->commit(r);
    ++next_seq_;
    account(r);
    out.push_back(r.outcome);
  }
  if (stop && out.size() == plan.size() && !done()) std::rethrow_exception(stop);
  return out;
}

SlowResult CoreEvaluator::wait_for(const SlowJob& job) {
  Backoff backoff(std::chrono::milliseconds(100));
  auto last_note = std::chrono::steady_clock::now();
  while (true) {
    if (auto res = store_->result(job.seq, job.network_hash)) return *res;
    if (local_worker_) {
      if (!keeper_) keeper_ = std::make_unique<LeaseKeeper>(*store_, lease_seconds_);
      if (work_one(*store_, *keeper_, estimator_, worker_, lease_seconds_)) {
        backoff.reset();
        continue;
      }
    }
    if (seconds_since(last_note) >= 30) {
      const auto q = store_->queue_counts();
      logger()->warn(
          "waiting for workers on candidate {}: {} queued, {} being evaluated (start workers "
          "with `coex worker --storage URL`)",
          job.seq, q.queued, q.claimed);
      last_note = std::chrono::steady_clock::now();
    }
    backoff.wait();
  }
}

void CoreEvaluator::fast_and_slow(CandidateRecord& r, const Network& net) {
  if (fast_level(r, net)) apply_slow(r, run_estimator(estimator_, net, estimate_context(r)));
}

EstimateContext CoreEvaluator::estimate_context(const CandidateRecord& r) const {
  return EstimateContext{
      r.description,
      Point(r.point.begin(), r.point.begin() + static_cast<std::ptrdiff_t>(problem_.network_dims))};
}

bool CoreEvaluator::fast_level(CandidateRecord& r, const Network& net) {
  const Point hw_point = hardware_part(r);
  // ---- fast level: hardware, no training ----
  HardwareResult hw;
  try {
    if (config_.hardware_mode == HardwareMode::kTuned) {
      hw = target_.tune(net, problem_.specs);
    } else {
      hw = target_.evaluate(net, hw_point);
      // Redraw fresh designs for this network, stopping at the first that meets the specs.
      for (int i = 0;
           i < config_.hardware_redraws && (!hw.feasible || problem_.specs.violation(hw.metrics));
           ++i) {
        Point d = target_.design_space().sample(redraw_rng_);
        HardwareResult h2 = target_.evaluate(net, d);
        if (h2.design.empty()) h2.design = d;
        hw = std::move(h2);
      }
    }
  } catch (const UserError&) {
    throw;
  } catch (const std::exception& e) {
    r.outcome.status = CandidateStatus::kFailed;
    r.outcome.reason = std::string("hardware target failed: ") + e.what();
    r.outcome.reward = config_.reward.penalty;
    return false;
  }
  if (hw.design.empty() && !hw_point.empty()) hw.design = hw_point;
  r.hardware_point = hw.design;
  r.hardware_summary = hw.summary;
  r.hardware_detail = hw.detail;
  Metrics m = hw.metrics;
  m.set("params", static_cast<double>(net.params()));
  m.set("macs", static_cast<double>(net.macs()));
  r.outcome.metrics = m;
  r.outcome.violation = problem_.specs.total_violation(m);
  if (!hw.feasible) {
    r.outcome.status = CandidateStatus::kPruned;
    r.outcome.reason = "no feasible hardware design: " + hw.reason;
    r.outcome.reward = config_.reward.penalty;
    r.outcome.violation = std::max(r.outcome.violation, 1.0);
    return false;
  }
  if (auto v = problem_.specs.violation(m)) {
    r.outcome.status = CandidateStatus::kPruned;
    r.outcome.reason = *v;
    r.outcome.reward = config_.reward.penalty;
    return false;
  }
  return true;
}

void CoreEvaluator::apply_slow(CandidateRecord& r, const SlowResult& res) {
  r.trained = true;
  r.slow_seconds = res.seconds;
  if (res.failed) {
    r.outcome.status = CandidateStatus::kFailed;
    r.outcome.reason = "accuracy estimator failed: " + res.reason;
    r.outcome.reward = config_.reward.penalty;
    return;
  }
  Metrics m = r.outcome.metrics;
  r.outcome.status = CandidateStatus::kEvaluated;
  r.outcome.accuracy = res.accuracy;
  m.set("accuracy", res.accuracy);
  for (const auto& [k, v] : res.extras.items()) m.set("est_" + k, v);
  r.outcome.metrics = m;
  r.outcome.violation = problem_.specs.total_violation(m);
  const bool holds = !problem_.specs.violation(m).has_value();
  if (!holds) r.outcome.reason = *problem_.specs.violation(m);
  r.outcome.reward = reward_of(config_.reward, res.accuracy, m, holds);
  r.outcome.objectives.push_back(res.accuracy);
  for (std::size_t i = 1; i < problem_.objective_names.size(); ++i) {
    const auto& name = problem_.objective_names[i];
    const auto v = m.find(name);
    const double x = v && std::isfinite(*v) ? *v : 0.0;
    r.outcome.objectives.push_back(maximise_[i - 1] ? x : -x);
  }
}

unsigned parallel_workers(unsigned requested, bool plugins_concurrent, bool training_free,
                          const RunConfig& config) {
  if (!plugins_concurrent || !training_free) return 1;
  if (config.hardware_mode == HardwareMode::kSearched && config.hardware_redraws > 0) return 1;
  if (requested == 0) requested = std::max(1u, std::thread::hardware_concurrency());
  return requested;
}

}  // namespace coex::core
