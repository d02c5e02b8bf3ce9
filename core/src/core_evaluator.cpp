#include "coex/core/core_evaluator.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>

#include "coex/core/reward.hpp"
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
  const Point hw_point(r.point.begin() + static_cast<std::ptrdiff_t>(problem_.network_dims),
                       r.point.end());
  r.network_json = w.net.to_json_text();
  fast_and_slow(r, w.net, hw_point);
  r.fast_seconds = seconds_since(w.t0) - r.slow_seconds;
}

std::string CoreEvaluator::cache_key(const CandidateRecord& r) const {
  std::string key = r.network_hash;
  if (config_.hardware_mode == HardwareMode::kSearched) {
    const Point hw_point(r.point.begin() + static_cast<std::ptrdiff_t>(problem_.network_dims),
                         r.point.end());
    key += "|" + Space::key(hw_point);
  }
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

void CoreEvaluator::fast_and_slow(CandidateRecord& r, const Network& net, const Point& hw_point) {
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
    return;
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
    return;
  }
  if (auto v = problem_.specs.violation(m)) {
    r.outcome.status = CandidateStatus::kPruned;
    r.outcome.reason = *v;
    r.outcome.reward = config_.reward.penalty;
    return;
  }
  // ---- slow level: accuracy ----
  const auto t1 = std::chrono::steady_clock::now();
  Estimate est;
  try {
    r.trained = true;
    est = estimator_.estimate(
        net, EstimateContext{r.description,
                             Point(r.point.begin(), r.point.begin() + static_cast<std::ptrdiff_t>(
                                                                          problem_.network_dims))});
  } catch (const UserError&) {
    throw;  // bad input (e.g. missing dataset) ends the run with a clear message
  } catch (const std::exception& e) {
    r.slow_seconds = seconds_since(t1);
    r.outcome.status = CandidateStatus::kFailed;
    r.outcome.reason = std::string("accuracy estimator failed: ") + e.what();
    r.outcome.reward = config_.reward.penalty;
    return;
  }
  r.slow_seconds = seconds_since(t1);
  r.outcome.status = CandidateStatus::kEvaluated;
  r.outcome.accuracy = est.accuracy;
  m.set("accuracy", est.accuracy);
  for (const auto& [k, v] : est.extras.items()) m.set("est_" + k, v);
  r.outcome.metrics = m;
  r.outcome.violation = problem_.specs.total_violation(m);
  const bool holds = !problem_.specs.violation(m).has_value();
  if (!holds) r.outcome.reason = *problem_.specs.violation(m);
  r.outcome.reward = reward_of(config_.reward, est.accuracy, m, holds);
  r.outcome.objectives.push_back(est.accuracy);
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
