// The learning task a run is about: which dataset, its input shape and class count. Search
// spaces take the input shape and the number of classes from here; estimators the dataset.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "coex/network.hpp"
#include "coex/visibility.hpp"

namespace coex {

class SearchSpace;
class AccuracyEstimator;

struct COEX_API Task {
  /// Dataset name, e.g. "fashion_mnist", or "none" for a task given only by its shapes.
  std::string dataset = "fashion_mnist";
  /// Folder that holds the dataset's files.
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  /// Per-sample input shape after any resize, e.g. {1, 28, 28}.
  Shape input{1, 28, 28};
  int classes = 10;
  /// Class subset: the dataset labels kept, in the order that relabels them 0..K-1 (K = classes).
  /// Empty = every class of the dataset, unrelabelled.
  std::vector<int> labels = {};
};

/// What every plugin is told at creation (besides its options).
struct COEX_API PluginContext {
  Task task;
  /// The run's directory (where a plugin may keep files such as a fitted predictor); may be
  /// empty when a plugin is created outside a run (tests, `coex plugins`).
  std::string run_dir;
  /// The run's seed; plugins derive their own streams from it.
  std::uint64_t seed = 0;
  /// True when the host only checks a config (`coex validate`): check the options and create
  /// what must be created, but skip expensive preparation (such as fitting a predictor).
  bool validate_only = false;
  /// Estimators only: the run's search space (created before them, alive as long as the run),
  /// for estimators that sample networks of their own (e.g. to fit a predictor). Null outside a
  /// run.
  const SearchSpace* search_space = nullptr;
  /// Estimators only: creates another estimator by name, its options validated against its
  /// schema exactly like a config section (ConfigError / PluginError naming `where` otherwise).
  /// Empty outside a run; call it from the constructor only.
  std::function<std::shared_ptr<AccuracyEstimator>(
      const std::string& name, const nlohmann::json& options, const std::string& where)>
      make_estimator;
};

}  // namespace coex
