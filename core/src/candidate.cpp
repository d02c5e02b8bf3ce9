#include "coex/core/candidate.hpp"

#include <cstdlib>

#include "coex/error.hpp"

namespace coex::core {

const CandidateRecord* best_candidate(const std::vector<CandidateRecord>& records) {
  const CandidateRecord* b = nullptr;
  for (const auto& r : records)
    if (r.outcome.status == CandidateStatus::kEvaluated && !r.outcome.cached &&
        (!b || r.outcome.reward > b->outcome.reward))
      b = &r;
  return b;
}

const CandidateRecord& select_candidate(const std::vector<CandidateRecord>& records,
                                        const std::string& which, const std::string& run_dir) {
  if (which == "best") {
    if (const CandidateRecord* b = best_candidate(records)) return *b;
    throw UserError("run " + run_dir + " has no evaluated candidate (" +
                    std::to_string(records.size()) +
                    " in its store, all pruned, failed or invalid), so there is no best one. "
                    "Fix: continue the run with a larger budget (coex run CONFIG --resume)");
  }
  char* end = nullptr;
  const long long seq = std::strtoll(which.c_str(), &end, 10);
  if (which.empty() || *end != '\0' || seq < 0)
    throw UserError("--candidate '" + which +
                    "': expected 'best' or a candidate's seq (0, 1, ...)");
  if (seq >= static_cast<long long>(records.size()))
    throw UserError("run " + run_dir + " has no candidate " + which +
                    " (its store holds seq 0 to " +
                    std::to_string(static_cast<long long>(records.size()) - 1) +
                    "). Fix: pick one from candidates.csv (coex export " + run_dir +
                    ") or use --candidate best");
  const CandidateRecord& r = records[static_cast<std::size_t>(seq)];
  if (r.outcome.status != CandidateStatus::kEvaluated || r.network_json.empty()) {
    std::string msg =
        "candidate " + which + " of run " + run_dir + " was " + status_name(r.outcome.status);
    if (!r.outcome.reason.empty()) msg += " (" + r.outcome.reason + ")";
    throw UserError(msg +
                    ": only an evaluated candidate has a network that met the specs. Fix: pick an "
                    "evaluated one from candidates.csv (coex export " +
                    run_dir + ") or use --candidate best");
  }
  return r;
}

}  // namespace coex::core
