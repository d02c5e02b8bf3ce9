// The Pareto front of a run: which candidate records are non-dominated (the math is the SDK's,
// coex/pareto.hpp).
#pragma once

#include <cstddef>
#include <vector>

#include "coex/core/candidate.hpp"
#include "coex/pareto.hpp"

namespace coex::core {

/// Indices (into `records`) of the Pareto front over the records' objective vectors
/// (`CandidateOutcome::objectives`, all maximised) among the evaluated candidates whose specs
/// hold, one per (network, hardware design) pair, in record order.
std::vector<std::size_t> pareto_of(const std::vector<CandidateRecord>& records);

}  // namespace coex::core
