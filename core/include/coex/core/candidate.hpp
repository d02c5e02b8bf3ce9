// The candidate record (docs/architecture.md, "Data model"): everything the store keeps about one
// proposed point.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coex/evaluator.hpp"
#include "coex/metrics.hpp"
#include "coex/space.hpp"

namespace coex::core {

struct CandidateRecord {
  /// 0-based position in the order the controller proposed candidates.
  std::int64_t seq = 0;
  /// The point as proposed (joint network+hardware point in `searched` mode).
  Point point;
  /// Human description of the network part.
  std::string description;
  std::string network_hash;     ///< empty when invalid
  std::string network_summary;  ///< "6 conv, 1 linear, 286,518 params, ..."
  std::string network_json;     ///< the IR, Network::to_json_text() (empty when invalid)
  Point hardware_point;         ///< the design chosen (tuned) or proposed (searched)
  std::string hardware_summary;
  nlohmann::json hardware_detail;
  Outcome outcome;
  /// Seconds in the fast level (decode + hardware) and the slow level (accuracy estimate).
  double fast_seconds = 0;
  double slow_seconds = 0;
  /// True if this candidate ran the (slow) estimator itself (not a cache hit).
  bool trained = false;
  /// Wall-clock seconds from the first candidate's commit to this one's (as loaded from the
  /// store: millisecond resolution, whole seconds in stores written before coex 0.2).
  double committed_s = 0;

  /// Store key of the point.
  std::string key() const { return Space::key(point); }
};

/// The best pair of a run: the evaluated candidate of highest reward, the first such, not counting
/// repeats answered from the cache (what the terminal summary and report.html call the best).
/// nullptr when no candidate was evaluated.
const CandidateRecord* best_candidate(const std::vector<CandidateRecord>& records);

/// The candidate `which` names: "best" (best_candidate) or a seq. Throws coex::UserError naming
/// `run_dir` when no such candidate exists, or when it was not evaluated (pruned, failed or an
/// invalid network: there is nothing to train), with the fix.
const CandidateRecord& select_candidate(const std::vector<CandidateRecord>& records,
                                        const std::string& which, const std::string& run_dir);

}  // namespace coex::core
