// Fair comparison of controllers: the statistics of `coex compare` over finished runs (one run
// per controller x seed, all on the same problem and budget). The process orchestration lives in
// the CLI (core/cli/compare.cpp); this part is pure and unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coex/core/candidate.hpp"
#include "coex/metrics.hpp"
#include "coex/stats.hpp"

namespace coex::core {

/// The candidates of one finished run, in the order they were proposed.
struct RunTrace {
  std::string controller;
  std::uint64_t seed = 0;
  std::vector<CandidateRecord> records;
};

/// Median and interquartile range of a sample (NaN when empty).
struct Spread {
  double median = 0, q1 = 0, q3 = 0;
  static Spread of(const std::vector<double>& sample);
};

struct ControllerSummary {
  std::string controller;
  std::size_t runs = 0;
  /// Best reward reached after each of ComparisonSetup::steps candidates, over seeds.
  std::vector<Spread> curve;
  /// Final best reward of each run (seed order): the sample the rank tests use.
  std::vector<double> final_best;
  /// Normalised hypervolume of each run's Pareto front (specs met), in [0, 1].
  std::vector<double> hypervolume;
  /// Runs with at least one evaluated candidate meeting every spec.
  std::size_t met_specs = 0;
  /// Candidates each run needed to reach the target reward (runs that never did are absent).
  std::vector<double> to_target;
};

struct PairTest {
  std::string a, b;
  MannWhitney test;  ///< on final best reward, a against b
};

struct ComparisonSetup {
  /// Budget steps (candidate counts) of the anytime curves, ascending.
  std::vector<std::uint64_t> steps;
  /// Reward a run must reach for "evaluations to target"; default: the median final best reward
  /// over all runs.
  std::optional<double> target;
  /// Names of the objectives in Outcome::objectives (accuracy first).
  std::vector<std::string> objective_names;
  /// The run's specs: they give the hypervolume's reference point.
  Specs specs;
};

struct Comparison {
  std::vector<ControllerSummary> controllers;
  std::vector<PairTest> pairs;
  std::vector<std::uint64_t> steps;
  double target = 0;
  /// Hypervolume reference and ideal points in objective space (all maximised).
  std::vector<double> hv_reference, hv_ideal;
};

/// The default budget steps: 10 even steps of `budget` (every candidate if budget <= 10).
std::vector<std::uint64_t> default_steps(std::uint64_t budget);

/// Reference point of the hypervolume: per objective, the spec's bound if a spec names it
/// (`m >= b` gives b, `m <= b` gives -b, the objective being the negated metric), else the
/// worst value among the fronts; accuracy's is 0 unless an accuracy spec exists. The ideal
/// point is the best value among the fronts; hypervolumes are divided by the box they span.
Comparison compare(const std::vector<RunTrace>& runs, const ComparisonSetup& setup);

/// The terminal table: one row per controller, then the pairwise p-values.
std::string comparison_table(const Comparison& c);
/// CSV: one row per controller (summary columns).
std::string comparison_csv(const Comparison& c);
/// CSV: controller, step, median, q1, q3 (the anytime curves).
std::string curves_csv(const Comparison& c);
/// CSV: controller_a, controller_b, u, p, method.
std::string pairs_csv(const Comparison& c);

}  // namespace coex::core
