// Rewards (the co-exploration papers: Jiang et al., IEEE TCAD 2020; HotNAS, CODES+ISSS 2020):
// `weighted` (HotNAS normalised, alpha-weighted) and `constrained` (accuracy if the specs hold,
// else the penalty).
#pragma once

#include "coex/core/config.hpp"
#include "coex/metrics.hpp"

namespace coex::core {

/// Maps `value` to [-1, 1] between `bad` (-> -1) and `good` (-> +1); past `good` it is 1; past
/// `bad` it continues linearly below -1 (monotone), or with `compat_jump` uses the original
/// HotNAS shape (bad - value for a minimised metric, a jump just past `bad`).
double normalised_score(double value, double bad, double good, bool compat_jump);

/// Accuracy term: 1 above hi, -1 below lo, linear in between.
double accuracy_score(double accuracy, double lo, double hi);

/// The reward of an evaluated candidate. `specs_hold`: hardware and accuracy specs all hold.
double reward_of(const RewardConfig& cfg, double accuracy, const Metrics& metrics, bool specs_hold);

}  // namespace coex::core
