#include "coex/core/slow_queue.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "coex/core/config.hpp"
#include "coex/core/explorer.hpp"
#include "coex/error.hpp"
#include "coex/io.hpp"
#include "coex/log.hpp"

namespace coex::core {

namespace fs = std::filesystem;

std::string worker_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
  return std::string(host) + ":" + std::to_string(::getpid());
}

std::size_t release_dead_local_claims(Store& store) {
  const std::string me = worker_id();
  const std::string host = me.substr(0, me.rfind(':') + 1);
  std::size_t n = 0;
  for (const auto& w : store.claimers()) {
    if (w.rfind(host, 0) != 0) continue;
    char* end = nullptr;
    const long pid = std::strtol(w.c_str() + host.size(), &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)
      continue;  // alive (or not ours to know)
    logger()->warn("{} holds claims but is gone: its candidates are queued again", w);
    store.release_all(w);
    ++n;
  }
  return n;
}

SlowResult run_estimator(AccuracyEstimator& estimator, const Network& net,
                         const EstimateContext& context) {
  SlowResult r;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    const Estimate e = estimator.estimate(net, context);
    r.accuracy = e.accuracy;
    r.extras = e.extras;
  } catch (const UserError&) {
    throw;  // bad input (e.g. a missing dataset) ends the run with a clear message
  } catch (const std::exception& e) {
    r.failed = true;
    r.reason = e.what();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// ---- LeaseKeeper ----

LeaseKeeper::LeaseKeeper(const Store& store, double lease_seconds)
    : conn_(store.reconnect()), lease_(lease_seconds), thread_([this] { loop(); }) {}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard<std::mutex> lk(m_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void LeaseKeeper::hold(const SlowJob& job) {
  std::lock_guard<std::mutex> lk(m_);
  job_ = job;
  lost_ = false;
  cv_.notify_all();
}

bool LeaseKeeper::release() {
  std::lock_guard<std::mutex> lk(m_);
  job_.reset();
  return !lost_;
}

void LeaseKeeper::loop() {
  const auto period = std::chrono::duration<double>(lease_ / 3);
  std::unique_lock<std::mutex> lk(m_);
  while (!stop_) {
    if (!job_) {
      cv_.wait(lk, [&] { return stop_ || job_.has_value(); });
      continue;
    }
    // Renew a third of a lease after the claim (or the last renewal), unless released.
    const std::int64_t seq = job_->seq, token = job_->token;
    if (cv_.wait_for(lk, period, [&] { return stop_ || !job_ || job_->token != token; })) continue;
    const SlowJob job = *job_;
    lk.unlock();
    bool kept = false;
    try {
      kept = conn_->renew(job, lease_);
    } catch (const std::exception& e) {
      logger()->warn("cannot renew the lease of candidate {}: {}", seq, e.what());
      kept = true;  // a passing failure: the next renewal may succeed before the lease ends
    }
    lk.lock();
    if (!kept && job_ && job_->token == token) {
      lost_ = true;
      logger()->warn("lost the lease of candidate {} (it ran out; another worker may have it)",
                     seq);
    }
  }
}

std::optional<std::int64_t> work_one(Store& store, LeaseKeeper& keeper,
                                     AccuracyEstimator& estimator, const std::string& worker,
                                     double lease_seconds) {
  const std::optional<SlowJob> job = store.claim(worker, lease_seconds);
  if (!job) return std::nullopt;
  logger()->info("{} claimed candidate {} (claim {})", worker, job->seq, job->token);
  keeper.hold(*job);
  SlowResult res;
  try {
    const Network net = Network::from_json(nlohmann::json::parse(job->network_json));
    res = run_estimator(estimator, net, EstimateContext{job->description, job->point});
  } catch (const UserError&) {
    keeper.release();
    store.release(*job);
    throw;
  } catch (const std::exception& e) {
    // An IR this process cannot read (the leader's coex is another version): a failure of this
    // worker, not of the candidate.
    keeper.release();
    store.release(*job);
    throw UserError("worker " + worker + " cannot read candidate " + std::to_string(job->seq) +
                    "'s network: " + e.what() +
                    ". Fix: run the same coex version on the leader and the workers");
  }
  res.worker = worker;
  keeper.release();
  if (!store.complete(*job, res))
    logger()->warn(
        "candidate {}: the lease ran out before the result was recorded; another worker "
        "evaluates it (raise --lease-seconds if evaluations outlast heartbeats)",
        job->seq);
  return job->seq;
}

// ---- coex worker ----

namespace {

/// The run's config as stored by its leader, waiting for the leader when the worker came first.
RunConfig wait_for_run(Store& store, const std::string& run) {
  bool said = false;
  while (true) {
    const auto text = store.meta("config");
    const auto origin = store.meta("config_file");
    if (text && origin) return load_config_text(*text, *origin);
    if (!said) {
      std::fprintf(stderr, "coex worker: waiting for run '%s' in %s to start\n", run.c_str(),
                   store.where().c_str());
      said = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

/// This host's plugins for the run, checked against the leader's versions. Throws UserError.
SlowLevelPlugins load_plugins(const RunConfig& c, const Store& store, const WorkerOptions& o,
                              const fs::path& work_dir) {
  const std::string fix =
      ". Fix: install the run's plugins here (the same versions as on the leader; `coex plugins` "
      "lists them) or pass --plugin-path";
  try {
    PluginRegistry registry(
        default_plugin_dirs(o.plugin_paths, c.plugin_paths),
        o.allow_unsafe_plugins ? PluginTrust::kAllowUnsafe : PluginTrust::kStrict);
    const nlohmann::json mine = plugin_versions(c, registry);
    if (const auto stored = store.meta("plugin_versions")) {
      const nlohmann::json leader = nlohmann::json::parse(*stored);
      for (auto it = leader.begin(); it != leader.end(); ++it)
        if (mine.value(it.key(), "") != it.value().get<std::string>())
          throw UserError("plugin '" + it.key() + "' is version " + mine.value(it.key(), "?") +
                          " here but " + it.value().get<std::string>() +
                          " on the run's leader: results would differ" + fix);
    }
    return create_slow_level(c, registry, plugin_context(c, work_dir));
  } catch (const UserError& e) {
    const std::string msg = e.what();
    if (msg.find("Fix:") != std::string::npos) throw;
    throw UserError("this worker cannot load the run's plugins: " + msg + fix);
  }
}

/// SIGTERM or SIGINT (a cancelled Slurm step, a deleted pod, Ctrl-C) gives this worker's claims
/// back at once, then ends the process (exit 128 + signal), instead of leaving them to their
/// leases. The signals are blocked in every thread (set before any is created) and taken by one
/// thread with its own connection.
class ReleaseOnSignal {
 public:
  ReleaseOnSignal() {
    sigemptyset(&set_);
    for (int s : {SIGTERM, SIGINT, SIGUSR2}) sigaddset(&set_, s);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  /// From now on a signal releases `me`'s claims in `store`'s run and removes `work_dir`.
  void arm(const Store& store, const std::string& me, const fs::path& work_dir) {
    thread_ = std::thread([this, conn = store.reconnect(), me, work_dir] {
      int sig = 0;
      if (sigwait(&set_, &sig) != 0 || sig == SIGUSR2) return;  // SIGUSR2: the worker ended
      try {
        conn->release_all(me);
        std::fprintf(stderr, "coex worker %s: signal %d: its candidates are queued again\n",
                     me.c_str(), sig);
      } catch (const std::exception& e) {
        std::fprintf(stderr,
                     "coex worker %s: signal %d: cannot give its candidates back (%s); "
                     "their leases will\n",
                     me.c_str(), sig, e.what());
      }
      std::error_code ec;
      fs::remove_all(work_dir, ec);
      std::_Exit(128 + sig);
    });
  }
  ~ReleaseOnSignal() {
    if (thread_.joinable()) {
      pthread_kill(thread_.native_handle(), SIGUSR2);
      thread_.join();
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  ReleaseOnSignal(const ReleaseOnSignal&) = delete;
  ReleaseOnSignal& operator=(const ReleaseOnSignal&) = delete;

 private:
  sigset_t set_{}, old_{};
  std::thread thread_;
};

}  // namespace

std::uint64_t run_worker(const WorkerOptions& o) {
  ReleaseOnSignal on_signal;  // first: every thread made below inherits the blocked signals
  if (!(o.lease_seconds >= 1))
    throw UserError("--lease-seconds " + std::to_string(o.lease_seconds) +
                    " is too short. Fix: give 1 second or more (default 60)");
  // Refused before anything is opened (an SQLite URL would create a file).
  if (!o.storage.postgres())
    throw UserError("coex worker needs a shared store, not " + o.storage.display +
                    ". Fix: give --storage postgresql://USER@HOST:PORT/DATABASE?run=NAME (the "
                    "leader's)");
  std::unique_ptr<Store> store = open_store(o.storage, Store::Access::kWrite, o.run);
  const std::string run = o.storage.run.empty() ? o.run : o.storage.run;
  const std::string me = worker_id();
  fs::path work_dir = o.work_dir;
  if (work_dir.empty())
    work_dir =
        fs::temp_directory_path() / ("coex-worker-" + run + "-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::create_directories(work_dir, ec);
  if (ec)
    throw UserError("cannot create the worker's folder " + work_dir.string() + ": " + ec.message() +
                    ". Fix: pass --work-dir DIR on a writable disk");
  on_signal.arm(*store, me, work_dir);
  const RunConfig c = wait_for_run(*store, run);
  // Plugins per thread (an estimator serves one thread unless it says otherwise), all loaded
  // before anything is claimed.
  const unsigned threads = std::max(1u, o.threads);
  std::vector<SlowLevelPlugins> plugins;
  for (unsigned t = 0; t < threads; ++t) plugins.push_back(load_plugins(c, *store, o, work_dir));
  release_dead_local_claims(*store);
  std::fprintf(stderr, "coex worker %s: serving run '%s' in %s with %u thread(s)\n", me.c_str(),
               run.c_str(), store->where().c_str(), threads);

  std::atomic<std::uint64_t> jobs{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_m;
  auto serve = [&](unsigned t) {
    try {
      std::unique_ptr<Store> conn = t == 0 ? nullptr : store->reconnect();
      Store& s = t == 0 ? *store : *conn;
      LeaseKeeper keeper(s, o.lease_seconds);
      Backoff backoff(std::chrono::milliseconds(200));
      while (!failed) {
        if (o.max_jobs && jobs.load() >= o.max_jobs) return;
        if (const auto seq = work_one(s, keeper, *plugins[t].estimator, me, o.lease_seconds)) {
          ++jobs;
          std::fprintf(stderr, "coex worker %s: candidate %lld done\n", me.c_str(),
                       static_cast<long long>(*seq));
          backoff.reset();
          continue;
        }
        // A finished run needs nothing more (a time budget may leave candidates queued that
        // the leader will never commit).
        if (s.meta("state").value_or("") == "finished") return;
        backoff.wait();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lk(error_m);
      if (!error) error = std::current_exception();
      failed = true;
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(serve, t);
  serve(0);
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
  std::fprintf(stderr, "coex worker %s: run '%s' finished; %llu candidate(s) evaluated here\n",
               me.c_str(), run.c_str(), static_cast<unsigned long long>(jobs.load()));
  fs::remove_all(work_dir, ec);
  return jobs.load();
}

}  // namespace coex::core
