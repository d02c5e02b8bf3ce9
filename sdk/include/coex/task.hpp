// The learning task a run is about: which dataset, its input shape and class count. Search
// spaces take the input shape and the number of classes from here; estimators the dataset.
#pragma once

#include <cstdint>
#include <string>

#include "coex/export.hpp"
#include "coex/network.hpp"

namespace coex {

struct COEX_API Task {
  /// Dataset name, e.g. "fashion_mnist", or "none" for a task given only by its shapes.
  std::string dataset = "fashion_mnist";
  /// Folder that holds the dataset's files.
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  /// Per-sample input shape after any resize, e.g. {1, 28, 28}.
  Shape input{1, 28, 28};
  int classes = 10;
};

/// What every plugin is told at creation (besides its options).
struct COEX_API PluginContext {
  Task task;
  /// The run's directory (where a plugin may keep files such as a fitted predictor); may be
  /// empty when a plugin is created outside a run (tests, `coex plugins`).
  std::string run_dir;
  /// The run's seed; plugins derive their own streams from it.
  std::uint64_t seed = 0;
};

}  // namespace coex
