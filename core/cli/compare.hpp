// `coex compare`: every controller x seed on the same problem and budget, each run a separate `coex
// run` process with its own run directory and store, then the statistics of coex/core/compare.hpp
// as a terminal table and CSV files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace coex::cli {

struct CompareArgs {
  std::string config;
  std::vector<std::string> sets;          ///< --set overrides applied to every run
  std::vector<std::string> controllers;   ///< plugin names
  std::uint64_t seeds = 10;               ///< seeds config.seed .. config.seed + seeds - 1
  unsigned jobs = 1;                      ///< runs at once
  std::string out;                        ///< comparison folder (default: <output.dir>-compare)
  std::optional<double> target;           ///< reward for "evaluations to target"
  std::vector<std::string> plugin_paths;  ///< passed on to every run
  bool allow_unsafe_plugins = false;      ///< passed on to every run
  /// --storage: a PostgreSQL store for every run, each as run NAME-CONTROLLER-seed-S (NAME from
  /// the URL's ?run=, default the config's name); empty: SQLite in each run's folder.
  std::string storage;
};

/// Runs (or resumes) the missing runs, then prints the comparison and writes compare.csv,
/// compare_curves.csv and compare_pvalues.csv into the comparison folder. A run already
/// finished (marker file `compare.done` in its folder) is not started again; an interrupted one
/// is resumed from its store. Throws coex::UserError (exit 2) for bad input or a failed run,
/// naming the run and its log.
int compare(const CompareArgs& args);

}  // namespace coex::cli
