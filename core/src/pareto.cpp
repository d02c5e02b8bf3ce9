#include "coex/core/pareto.hpp"

#include <set>
#include <string>

namespace coex::core {

std::vector<std::size_t> pareto_of(const std::vector<CandidateRecord>& records) {
  std::vector<std::size_t> idx;
  std::vector<std::vector<double>> pts;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    if (r.outcome.status != CandidateStatus::kEvaluated || r.outcome.violation > 0) continue;
    if (!seen.insert(r.network_hash + "|" + Space::key(r.hardware_point)).second) continue;
    idx.push_back(i);
    pts.push_back(r.outcome.objectives);
  }
  std::vector<std::size_t> out;
  for (std::size_t k : pareto_front(pts)) out.push_back(idx[k]);
  return out;
}

}  // namespace coex::core
