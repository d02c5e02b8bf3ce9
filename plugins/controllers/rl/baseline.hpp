// The REINFORCE baseline of coex (README.md, "Baseline": the original fed the newest reward into
// its own baseline): a bias-corrected exponential moving average of *past* rewards, the newest
// weighted most. Torch-free.
#pragma once

namespace coex::plugins::rl {

class EmaBaseline {
 public:
  explicit EmaBaseline(double beta) : beta_(beta) {}
  /// Advantage of `reward` against the baseline of the rewards before it (0 for the first),
  /// then folds `reward` into the baseline.
  double advantage_and_update(double reward);
  /// Current baseline b_t (0 before any reward).
  double value() const;
  int steps() const { return t_; }

 private:
  double beta_;
  double m_ = 0;
  double beta_pow_ = 1;
  int t_ = 0;
};

}  // namespace coex::plugins::rl
