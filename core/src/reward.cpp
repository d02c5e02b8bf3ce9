#include "coex/core/reward.hpp"

#include <cmath>

namespace coex::core {

double normalised_score(double value, double bad, double good, bool compat_jump) {
  if (!std::isfinite(value)) return -1;
  const bool higher_better = good > bad;
  const double span = std::abs(good - bad);
  const double past_good = higher_better ? value - good : good - value;
  const double past_bad = higher_better ? bad - value : value - bad;
  if (past_good >= 0) return 1;
  if (past_bad > 0) return compat_jump ? -past_bad : -1 - past_bad / span;
  return 2 * (value - bad) / (good - bad) - 1;
}

double accuracy_score(double a, double lo, double hi) {
  if (a > hi) return 1;
  if (a < lo) return -1;
  return 2 * (a - lo) / (hi - lo) - 1;
}

double reward_of(const RewardConfig& cfg, double accuracy, const Metrics& metrics,
                 bool specs_hold) {
  if (cfg.kind == RewardConfig::Kind::kConstrained) return specs_hold ? accuracy : cfg.penalty;
  const double acc = accuracy_score(accuracy, cfg.accuracy_lo, cfg.accuracy_hi);
  if (cfg.terms.empty()) return acc;
  double hw = 0, wsum = 0;
  for (const auto& t : cfg.terms) {
    const auto v = metrics.find(t.metric);
    hw += t.weight * (v ? normalised_score(*v, t.bad, t.good, cfg.compat_jump) : -1.0);
    wsum += t.weight;
  }
  if (wsum > 0) hw /= wsum;
  return cfg.alpha * acc + (1 - cfg.alpha) * hw;
}

}  // namespace coex::core
