// The run configuration: a TOML file, validated completely before anything runs. Every error
// names file:line:column and the key, and says how to fix it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coex/metrics.hpp"
#include "coex/task.hpp"

namespace coex::core {

/// A plugin selection: its name, its raw option table, and where each key was written.
struct PluginSelection {
  std::string plugin;
  nlohmann::json options = nlohmann::json::object();
  /// "file:line:col" of the section and of each option key.
  std::string where;
  std::map<std::string, std::string> option_where;
  std::string where_of(const std::string& key) const;
};

/// How hardware designs are chosen (docs/architecture.md, "Hardware modes").
enum class HardwareMode { kTuned, kSearched };

/// A hardware-metric term of the weighted reward: maps `metric` to [-1, 1] between `bad` and
/// `good` (either may be the larger), beyond `bad` continues linearly below -1.
struct RewardTerm {
  std::string metric;
  double bad = 0;
  double good = 1;
  double weight = 1;
};

struct RewardConfig {
  enum class Kind { kWeighted, kConstrained };
  Kind kind = Kind::kWeighted;
  /// Reward of invalid, pruned and failed candidates.
  double penalty = -1;
  /// Weight of the accuracy term (HotNAS alpha); 1 - alpha goes to the hardware terms.
  double alpha = 0.7;
  double accuracy_lo = 0.80;
  double accuracy_hi = 0.89;
  std::vector<RewardTerm> terms;
  /// Original HotNAS shape beyond `bad` (jump, non-monotone) instead of the monotone default.
  bool compat_jump = false;
};

struct BudgetConfig {
  std::uint64_t candidates = 0;  ///< 0 = unlimited
  std::uint64_t trainings = 0;   ///< 0 = unlimited
  double seconds = 0;            ///< 0 = unlimited
};

/// When `coex run` refreshes report.html while it runs ([output] report_every): after every
/// `candidates` committed candidates, or when `seconds` have passed since the last refresh (at
/// the next commit). Both 0: only at the end.
struct ReportEvery {
  std::uint64_t candidates = 0;
  double seconds = 30;
};

/// [train]: how `coex train` retrains a chosen candidate from scratch on the whole training split
/// (docs/deploy.md). Not part of the run's fingerprint: it may change after the search.
struct FinalTraining {
  int epochs = 10;
  std::int64_t batch = 128;         ///< images per mini-batch
  std::string optimizer = "sgd";    ///< "sgd" (with momentum) or "adam"
  double lr = 0.05;                 ///< initial learning rate
  double momentum = 0.9;            ///< sgd only
  double weight_decay = 5e-4;       ///< L2 penalty
  std::string schedule = "cosine";  ///< "cosine" (to 0 at the last epoch) or "constant"
  /// Training images (0 = the dataset's whole training split).
  std::int64_t train_size = 0;
  /// After the last epoch, re-estimate batch-norm statistics over this many training images
  /// (coex/torch/train.hpp); -1 = 2,000 for a network with adder convolutions (whose outputs
  /// drift faster than the running averages follow), 0 for others.
  std::int64_t bn_recalibration_images = -1;
  int threads = 2;         ///< LibTorch intra-op threads
  std::int64_t seed = -1;  ///< initialisation and shuffling; -1 = the run's seed
  /// "file:line:col" of the [train] section, for messages ("" when absent).
  std::string where;
};

struct RunConfig {
  std::filesystem::path file;  ///< the config file as given
  std::string name;
  std::uint64_t seed = 0;
  std::vector<std::string> plugin_paths;
  Task task;
  /// Task.input before resize: the dataset's native shape.
  PluginSelection search_space;
  PluginSelection hardware;
  PluginSelection controller;
  PluginSelection estimator;
  HardwareMode hardware_mode = HardwareMode::kTuned;
  int hardware_redraws = 10;
  Specs specs;
  RewardConfig reward;
  BudgetConfig budget;
  /// Hardware metrics of the Pareto front (with accuracy). Default: the reward terms' metrics.
  std::vector<std::string> objectives;
  std::filesystem::path output_dir;
  ReportEvery report_every;
  FinalTraining train;

  /// A fingerprint of what determines the candidate sequence (everything but budget and output):
  /// a resumed run must have the same one.
  std::string fingerprint;
  /// The resolved config as TOML text (written into the run directory).
  std::string resolved_toml;
};

/// Loads and validates `file`, applying `overrides` ("key.path=value", value in TOML syntax; a
/// bare word is taken as a string). Throws ConfigError.
RunConfig load_config(const std::filesystem::path& file, const std::vector<std::string>& overrides);

/// Loads a config from its TOML `text` (a run's stored config.resolved.toml), as if read from
/// `origin` (relative plugin_paths resolve against its folder; messages name it).
RunConfig load_config_text(const std::string& text, const std::filesystem::path& origin);

/// Known datasets: native input shape and class count. Throws ConfigError for an unknown name.
Task dataset_task(const std::string& name, const std::string& where);

}  // namespace coex::core
