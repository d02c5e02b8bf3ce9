#include "coex/core/explorer.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <set>

#include <spdlog/sinks/basic_file_sink.h>

#include "coex/core/calibration.hpp"
#include "coex/core/export.hpp"
#include "coex/core/pareto.hpp"
#include "coex/core/report.hpp"
#include "coex/core/slow_queue.hpp"
#include "coex/core/store.hpp"
#include "coex/error.hpp"
#include "coex/io.hpp"
#include "coex/log.hpp"

namespace coex::core {

namespace fs = std::filesystem;

namespace {

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t x = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct Validated {
  const PluginManifest* manifest;
  Options options;
};

Validated validate(const PluginSelection& sel, PluginKind kind, const PluginRegistry& registry) {
  const PluginManifest* m = nullptr;
  try {
    m = &registry.find(sel.plugin, kind);
  } catch (const PluginError& e) {
    throw PluginError(sel.where + ": " + e.what());
  }
  Options o = validate_options(sel.plugin, m->schema, sel.options,
                               [&](const std::string& key) { return sel.where_of(key); });
  return {m, std::move(o)};
}

template <class T>
std::shared_ptr<T> create(const PluginRegistry& registry, const Validated& v,
                          const PluginContext& ctx, const PluginSelection& sel) {
  try {
    return registry.create_as<T>(*v.manifest, v.options, ctx);
  } catch (const ConfigError& e) {
    throw ConfigError(sel.where + ": " + e.what());
  } catch (const PluginError& e) {
    // A constructor's complaint crosses the ABI as text. When it quotes one of the options the
    // config gave ('name'), point at that option's line; else at the plugin's section.
    const std::string msg = e.what();
    std::string where = sel.where;
    if (sel.options.is_object())
      for (auto it = sel.options.begin(); it != sel.options.end(); ++it)
        if (msg.find("'" + it.key() + "'") != std::string::npos) {
          where = sel.where_of(it.key());
          break;
        }
    throw PluginError(where + ": " + msg);
  }
}

/// Creates the hardware target of `c` and applies its calibration profile, if one is named.
std::shared_ptr<HardwareTarget> create_target(const RunConfig& c, const PluginRegistry& registry,
                                              const Validated& h, const PluginContext& ctx,
                                              bool apply) {
  auto target = create<HardwareTarget>(registry, h, ctx, c.hardware);
  if (apply && h.options.has(kProfileOption)) {
    const std::string file = h.options.get_string(kProfileOption);
    if (!file.empty()) {
      const std::string where = c.hardware.where_of(kProfileOption) + ": option 'profile'";
      Profile profile = read_profile(file, where);
      apply_profile(*target, c.hardware.plugin, profile, where);
      target = with_residual(std::move(target), std::move(profile.residual));
    }
  }
  return target;
}

/// Creates the estimator of `c`: estimators may sample the search space and create a source
/// estimator of their own.
std::shared_ptr<AccuracyEstimator> create_estimator(const RunConfig& c,
                                                    const PluginRegistry& registry,
                                                    const Validated& e, const PluginContext& ctx,
                                                    SearchSpace& space) {
  PluginContext ectx = ctx;
  ectx.search_space = &space;
  ectx.make_estimator = [&registry, ctx](const std::string& name, const nlohmann::json& options,
                                         const std::string& where) {
    PluginSelection sel;
    sel.plugin = name;
    sel.options = options;
    sel.where = where;
    const Validated v = validate(sel, PluginKind::kAccuracyEstimator, registry);
    return create<AccuracyEstimator>(registry, v, ctx, sel);
  };
  return create<AccuracyEstimator>(registry, e, ectx, c.estimator);
}

}  // namespace

nlohmann::json plugin_versions(const RunConfig& c, const PluginRegistry& registry) {
  nlohmann::json v = nlohmann::json::object();
  const std::pair<const PluginSelection*, PluginKind> sels[] = {
      {&c.search_space, PluginKind::kSearchSpace},
      {&c.hardware, PluginKind::kHardwareTarget},
      {&c.controller, PluginKind::kController},
      {&c.estimator, PluginKind::kAccuracyEstimator}};
  for (const auto& [sel, kind] : sels) v[sel->plugin] = registry.find(sel->plugin, kind).version;
  return v;
}

std::shared_ptr<HardwareTarget> create_hardware_target(const RunConfig& c,
                                                       const PluginRegistry& registry,
                                                       const PluginContext& ctx,
                                                       bool apply_profile) {
  const Validated h = validate(c.hardware, PluginKind::kHardwareTarget, registry);
  return create_target(c, registry, h, ctx, apply_profile);
}

PluginContext plugin_context(const RunConfig& c, const fs::path& run_dir) {
  PluginContext ctx;
  ctx.task = c.task;
  ctx.run_dir = fs::absolute(run_dir).string();
  ctx.seed = derive_seed(c.seed, 2);
  return ctx;
}

RunPlugins create_plugins(const RunConfig& c, const PluginRegistry& registry,
                          const PluginContext& ctx) {
  // Validate all four first: a typo in the last section is reported before any plugin loads.
  const Validated s = validate(c.search_space, PluginKind::kSearchSpace, registry);
  const Validated h = validate(c.hardware, PluginKind::kHardwareTarget, registry);
  const Validated k = validate(c.controller, PluginKind::kController, registry);
  const Validated e = validate(c.estimator, PluginKind::kAccuracyEstimator, registry);
  RunPlugins p;
  p.space = create<SearchSpace>(registry, s, ctx, c.search_space);
  p.target = create_target(c, registry, h, ctx, /*apply=*/true);
  p.estimator = create_estimator(c, registry, e, ctx, *p.space);
  p.controller = create<Controller>(registry, k, ctx, c.controller);
  p.concurrent = s.manifest->concurrent && h.manifest->concurrent && e.manifest->concurrent;

  // Every metric named by specs, reward and objectives must exist somewhere.
  std::set<std::string> known{"accuracy", "params", "macs"};
  for (const auto& m : p.target->metrics()) known.insert(m.name);
  std::vector<std::string> known_list(known.begin(), known.end());
  auto check_metric = [&](const std::string& name, const std::string& where) {
    if (known.count(name)) return;
    std::string msg = c.file.string() + ": " + where + " names metric '" + name +
                      "', which hardware target '" + c.hardware.plugin + "' does not report.";
    if (auto d = did_you_mean(name, known_list)) msg += " Did you mean '" + *d + "'?";
    msg += " Known metrics:";
    for (const auto& k2 : known_list) msg += " " + k2;
    throw ConfigError(msg);
  };
  for (const auto& s2 : c.specs.items()) check_metric(s2.metric, "[specs]");
  for (const auto& t : c.reward.terms) check_metric(t.metric, "[[reward.terms]]");
  for (const auto& o : c.objectives) check_metric(o, "[objectives]");
  if (c.hardware_mode == HardwareMode::kSearched && p.target->design_space().empty())
    throw ConfigError(c.hardware.where +
                      ": hardware.mode = \"searched\" needs a target with a "
                      "design space; '" +
                      c.hardware.plugin + "' has none. Use mode = \"tuned\"");
  return p;
}

std::shared_ptr<SearchSpace> create_search_space(const RunConfig& c, const PluginRegistry& registry,
                                                 const PluginContext& ctx) {
  const Validated s = validate(c.search_space, PluginKind::kSearchSpace, registry);
  return create<SearchSpace>(registry, s, ctx, c.search_space);
}

SlowLevelPlugins create_slow_level(const RunConfig& c, const PluginRegistry& registry,
                                   const PluginContext& ctx) {
  const Validated s = validate(c.search_space, PluginKind::kSearchSpace, registry);
  const Validated e = validate(c.estimator, PluginKind::kAccuracyEstimator, registry);
  SlowLevelPlugins p;
  p.space = create<SearchSpace>(registry, s, ctx, c.search_space);
  p.estimator = create_estimator(c, registry, e, ctx, *p.space);
  return p;
}

Problem make_problem(const RunConfig& c, const RunPlugins& p) {
  Problem pr;
  pr.network_dims = p.space->space().size();
  pr.space = c.hardware_mode == HardwareMode::kSearched
                 ? Space::concat(p.space->space(), p.target->design_space())
                 : p.space->space();
  pr.specs = c.specs;
  pr.objective_names.push_back("accuracy");
  for (const auto& o : c.objectives) pr.objective_names.push_back(o);
  pr.seed = derive_seed(c.seed, 1);
  pr.max_candidates = c.budget.candidates;
  return pr;
}

namespace {

/// The run directory's lock: `<run>/coex.lock`, held with flock(2) while the run lasts, holding
/// the pid of its run. A second run on the directory is refused naming that pid; the kernel drops
/// the lock when the process ends in any way (SIGKILL included), so a resume never finds a stale
/// lock.
class RunLock {
 public:
  explicit RunLock(const fs::path& dir) {
    const fs::path file = dir / "coex.lock";
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw UserError("cannot open " + file.string() + ": " + std::strerror(errno) +
                      ". Fix: check that the run directory is writable");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      char buf[32] = {};
      const auto n = ::pread(fd_, buf, sizeof buf - 1, 0);
      ::close(fd_);
      const std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "unknown";
      throw UserError("run directory " + dir.string() + " is in use by another coex run (pid " +
                      pid.substr(0, pid.find_first_of("\n ")) +
                      "). Fix: wait for it to end, or use --out NEW_DIR");
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 ||
        ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
      logger()->warn("cannot write the pid into {}: {}", file.string(), std::strerror(errno));
  }
  ~RunLock() { ::close(fd_); }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

RunResult run(const RunConfig& c, const RunOptions& opt) {
  const auto t_start = std::chrono::steady_clock::now();
  RunResult res;
  res.run_dir = c.output_dir;
  StorageUrl url = opt.storage ? *opt.storage : StorageUrl::of_run_dir(res.run_dir);
  if (url.postgres() && url.run.empty()) url.run = c.name;
  if (!url.postgres() && fs::exists(url.file) && !opt.resume)
    throw UserError("run directory " + res.run_dir.string() +
                    " already holds a run. Fix: pass --resume to continue it, or --out NEW_DIR");
  // Plugins first: a broken config or plugin leaves no run directory behind.
  PluginRegistry registry(
      default_plugin_dirs(opt.plugin_paths, c.plugin_paths),
      opt.allow_unsafe_plugins ? PluginTrust::kAllowUnsafe : PluginTrust::kStrict);
  const PluginContext ctx = plugin_context(c, res.run_dir);
  RunPlugins plugins = create_plugins(c, registry, ctx);
  Problem problem = make_problem(c, plugins);

  // A shared store is reached, and its run claimed, before anything is written here: an
  // unreachable server, a refused login or a second leader leave no run directory behind.
  std::unique_ptr<Store> store_ptr;
  if (url.postgres()) {
    store_ptr = open_store(url, Store::Access::kWrite, c.name);
    // One leader per run: the second is refused before it reads or writes anything.
    store_ptr->lock_leader();
    if (store_ptr->meta("fingerprint") && !opt.resume)
      throw UserError(store_ptr->where() + " already holds run '" + url.run +
                      "'. Fix: pass --resume to continue it, or give another ?run=NAME");
  }
  std::error_code ec;
  fs::create_directories(res.run_dir, ec);
  if (ec)
    throw UserError("cannot create run directory " + res.run_dir.string() + ": " + ec.message());

  const RunLock lock(res.run_dir);
  auto file_sink =
      std::make_shared<spdlog::sinks::basic_file_sink_mt>((res.run_dir / "coex.log").string());
  logger()->sinks().push_back(file_sink);
  struct SinkGuard {
    std::shared_ptr<spdlog::sinks::sink> s;
    ~SinkGuard() {
      auto& v = logger()->sinks();
      v.erase(std::remove(v.begin(), v.end(), s), v.end());
    }
  } guard{file_sink};

  if (!store_ptr) store_ptr = open_store(url, Store::Access::kWrite, c.name);
  Store& store = *store_ptr;
  if (url.file != res.run_dir / "coex.db")
    write_file_atomic(res.run_dir / "storage.url", url.shareable() + "\n");
  std::vector<CandidateRecord> replay;
  if (auto fp = store.meta("fingerprint")) {
    if (*fp != c.fingerprint)
      throw UserError("run directory " + res.run_dir.string() +
                      " holds a run of another configuration (fingerprint " + *fp + ", this one " +
                      c.fingerprint +
                      "). Only [budget] may change on resume. Fix: use --out NEW_DIR");
    replay = store.load_all();
    // The budget (and plugin versions) may have changed since the run began.
    store.set_meta("report_context", report_context(c, registry, *plugins.target).dump());
    logger()->info("resuming: {} candidates in the store", replay.size());
  } else {
    store.set_meta({{"fingerprint", c.fingerprint},
                    {"name", c.name},
                    {"seed", std::to_string(c.seed)},
                    {"report_context", report_context(c, registry, *plugins.target).dump()}});
  }
  if (store.shared())
    // What a worker needs to join: the config (it loads the same plugins) and where it came
    // from (relative plugin_paths), the plugin versions to check against its own.
    store.set_meta({{"config", c.resolved_toml},
                    {"config_file", fs::absolute(c.file).string()},
                    {"plugin_versions", plugin_versions(c, registry).dump()},
                    {"leader", worker_id()},
                    {"state", "running"}});
  write_file_atomic(res.run_dir / "config.resolved.toml", c.resolved_toml);

  res.setup_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  // report.html while the run lasts ([output] report_every), from what the store has committed.
  // A report that cannot be written is a warning: the run and its store go on.
  auto refresh_report = [&res](const HardwareTarget* target) {
    try {
      write_report(res.run_dir, {}, target);
    } catch (const std::exception& e) {
      logger()->warn("cannot write {}: {}", (res.run_dir / "report.html").string(), e.what());
    }
  };
  auto last_report = std::chrono::steady_clock::now();
  std::uint64_t reported_at = 0;
  auto listener = [&](const CandidateRecord& r, const RunStats& s) {
    if (opt.listener) opt.listener(r, s);
    if (s.candidates <= s.replayed) return;  // replaying a resumed run's store
    const auto now = std::chrono::steady_clock::now();
    const bool due =
        (c.report_every.candidates && s.candidates - reported_at >= c.report_every.candidates) ||
        (c.report_every.seconds > 0 &&
         std::chrono::duration<double>(now - last_report).count() >= c.report_every.seconds);
    if (!due) return;
    refresh_report(nullptr);
    reported_at = s.candidates;
    last_report = std::chrono::steady_clock::now();
  };
  CoreEvaluator evaluator(c, problem, *plugins.space, *plugins.target, *plugins.estimator, &store,
                          std::move(replay), listener);
  // A shared store queues the slow level for workers; a training-free estimator is cheaper to
  // run here than to queue.
  if (store.shared() && !plugins.estimator->training_free()) {
    evaluator.set_queue(opt.local_worker, opt.lease_seconds, worker_id());
    release_dead_local_claims(store);  // e.g. this run's previous leader, killed
  }
  evaluator.set_workers(
      parallel_workers(opt.workers, plugins.concurrent, plugins.estimator->training_free(), c));
  res.workers = evaluator.workers();
  logger()->info("run '{}': {} network dims, {} hardware dims, mode {}", c.name,
                 problem.network_dims, problem.space.size() - problem.network_dims,
                 c.hardware_mode == HardwareMode::kTuned ? "tuned" : "searched");
  try {
    plugins.controller->search(problem, evaluator);
  } catch (const BudgetExhausted&) {
    // A controller may signal the end this way; the budget is the normal end of a run.
  }
  if (store.shared()) store.set_meta("state", "finished");  // workers leave
  res.stats = evaluator.stats();
  res.seconds = evaluator.elapsed();
  res.records = store.load_all();
  res.pareto = pareto_of(res.records);
  res.objective_names = problem.objective_names;
  write_file_atomic(res.run_dir / "candidates.csv", to_csv(res.records, res.pareto));
  write_file_atomic(res.run_dir / "candidates.json", to_json_text(res.records, res.pareto));
  refresh_report(plugins.target.get());
  return res;
}

}  // namespace coex::core
