#include "baseline.hpp"

namespace coex::plugins::rl {

double EmaBaseline::value() const { return t_ == 0 ? 0.0 : m_ / (1 - beta_pow_); }

double EmaBaseline::advantage_and_update(double reward) {
  const double adv = t_ == 0 ? 0.0 : reward - value();
  m_ = beta_ * m_ + (1 - beta_) * reward;
  beta_pow_ *= beta_;
  ++t_;
  return adv;
}

}  // namespace coex::plugins::rl
