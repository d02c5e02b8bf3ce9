// The Explorer: turns a RunConfig into a finished run. Validates every plugin's options before
// creating any, prepares the run directory (store, resolved config, log), resumes from the store
// when asked, runs the controller against the CoreEvaluator and writes the exports.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coex/core/candidate.hpp"
#include "coex/core/config.hpp"
#include "coex/core/core_evaluator.hpp"
#include "coex/core/registry.hpp"
#include "coex/core/store.hpp"
#include "coex/plugin.hpp"

namespace coex::core {

/// The four plugins of a run, created and ready.
struct RunPlugins {
  std::shared_ptr<SearchSpace> space;
  std::shared_ptr<HardwareTarget> target;
  std::shared_ptr<Controller> controller;
  std::shared_ptr<AccuracyEstimator> estimator;
  /// Search space, hardware target and estimator all declare COEX_PLUGIN_CONCURRENT.
  bool concurrent = false;
};

/// The context run() gives the plugins of `config` for a run in `run_dir`: the task, the run
/// directory and the plugin seed derived from the config's seed. A tool that re-creates a run's
/// plugins (to re-evaluate chosen candidates) uses it to get the same estimator seeds.
PluginContext plugin_context(const RunConfig& config, const std::filesystem::path& run_dir);

/// Validates the options of all four plugins against their manifests (no plugin code runs),
/// then creates them. Throws ConfigError / PluginError.
RunPlugins create_plugins(const RunConfig& config, const PluginRegistry& registry,
                          const PluginContext& context);

/// Validates and creates only the search space of `config` (a tool that samples its networks).
/// Throws ConfigError / PluginError as create_plugins.
std::shared_ptr<SearchSpace> create_search_space(const RunConfig& config,
                                                 const PluginRegistry& registry,
                                                 const PluginContext& context);

/// Validates and creates only the hardware target of `config`; with `apply_profile`, applies the
/// calibration profile its options name (as create_plugins does). Throws as create_plugins.
std::shared_ptr<HardwareTarget> create_hardware_target(const RunConfig& config,
                                                       const PluginRegistry& registry,
                                                       const PluginContext& context,
                                                       bool apply_profile);

/// The versions of `config`'s four plugins in `registry`, {"name": "version"} (a leader stores
/// them; a worker refuses to join with other versions). Throws PluginError if one is missing.
nlohmann::json plugin_versions(const RunConfig& config, const PluginRegistry& registry);

/// What a worker needs of a run's plugins (the estimator, and the search space it may sample).
struct SlowLevelPlugins {
  std::shared_ptr<SearchSpace> space;
  std::shared_ptr<AccuracyEstimator> estimator;
};

/// Validates and creates the search space and estimator of `config` (a worker: no hardware
/// target, no controller). Throws as create_plugins.
SlowLevelPlugins create_slow_level(const RunConfig& config, const PluginRegistry& registry,
                                   const PluginContext& context);

/// The Problem the controller solves for this config and these plugins.
Problem make_problem(const RunConfig& config, const RunPlugins& plugins);

struct RunOptions {
  std::vector<std::string> plugin_paths;  ///< --plugin-path
  /// Continue the run in an existing run directory (also fine on a new one).
  bool resume = false;
  /// Threads for a controller's batch (0 = one per core); see parallel_workers(). Results are
  /// the same for any value.
  unsigned workers = 0;
  /// --allow-unsafe-plugins: load plugin files others could have written (see PluginTrust).
  bool allow_unsafe_plugins = false;
  /// --storage: where the store is (empty: sqlite in the run directory). A PostgreSQL store makes
  /// this run a leader that queues its slow level for workers (docs/distributed.md).
  std::optional<StorageUrl> storage;
  /// --no-local-worker: the leader only plans and commits; workers evaluate.
  bool local_worker = true;
  /// --lease-seconds of the leader's own claims.
  double lease_seconds = 60;
  CoreEvaluator::Listener listener;
};

struct RunResult {
  std::filesystem::path run_dir;
  RunStats stats;
  std::vector<CandidateRecord> records;  ///< every candidate of the run (incl. earlier sessions)
  std::vector<std::size_t> pareto;       ///< indices into records
  double seconds = 0;        ///< the search (controller + evaluator), from the store's opening
  double setup_seconds = 0;  ///< before it: loading and creating plugins (e.g. a predictor fit)
  unsigned workers = 1;      ///< threads that evaluated candidates
  std::vector<std::string> objective_names;
};

/// Runs `config`. Throws UserError subclasses for bad input (exit 2), other errors for internal
/// failures; candidates already evaluated are in the store either way.
RunResult run(const RunConfig& config, const RunOptions& options);

}  // namespace coex::core
