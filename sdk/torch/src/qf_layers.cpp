#include "coex/torch/qf_layers.hpp"

#include <cmath>

namespace coex::torch_bridge {

torch::Tensor binarize_ste(const torch::Tensor& w) {
  const auto b = torch::where(w >= 0, torch::ones_like(w), -torch::ones_like(w));
  return w + (b - w).detach();
}

namespace {
torch::Tensor uniform_weight(std::int64_t neurons, std::int64_t inputs) {
  const double bound = std::sqrt(1.5 / static_cast<double>(inputs + neurons));
  return torch::empty({neurons, inputs}).uniform_(-bound, bound);
}
}  // namespace

QfULayerImpl::QfULayerImpl(std::int64_t inputs, std::int64_t neurons)
    : weight(register_parameter("weight", uniform_weight(neurons, inputs))) {}

torch::Tensor QfULayerImpl::forward(const torch::Tensor& x) {
  const auto n = static_cast<double>(x.size(1));
  const auto norm = x.norm(2, 1, /*keepdim=*/true);
  // An all-zero input has no amplitude encoding; it is taken as the uniform state.
  const auto amp =
      torch::where(norm > 0, x / norm.clamp_min(1e-30), torch::full_like(x, 1.0 / std::sqrt(n)));
  const auto s = torch::matmul(amp, binarize_ste(weight).t());
  return s * s / n;
}

QfPLayerImpl::QfPLayerImpl(std::int64_t inputs, std::int64_t neurons)
    : weight(register_parameter("weight", uniform_weight(neurons, inputs))) {}

torch::Tensor QfPLayerImpl::forward(const torch::Tensor& p) {
  const auto m = static_cast<double>(p.size(1));
  const auto e = 2 * p - 1;
  const auto s = torch::matmul(e, binarize_ste(weight).t());
  return (m - (e * e).sum(1, /*keepdim=*/true) + s * s) / (m * m);
}

QfNLayerImpl::QfNLayerImpl(std::int64_t features)
    : scale(register_parameter("scale", torch::ones({features}))),
      running_mean(register_buffer("running_mean", torch::full({features}, 0.5))),
      running_factor(register_buffer("running_factor", torch::ones({features}))) {}

namespace {
// Batch-adjust factor for a mean m (per feature) and whether it lifts.
torch::Tensor batch_factor_of(const torch::Tensor& m, const torch::Tensor& lift) {
  const auto mc = m.clamp(1e-6, 1 - 1e-6);
  return torch::where(lift, (0.5 - mc) / (1 - mc), 0.5 / mc);
}
torch::Tensor apply_batch(const torch::Tensor& x, const torch::Tensor& f,
                          const torch::Tensor& lift) {
  return torch::where(lift, x + f * (1 - x), f * x);
}
}  // namespace

torch::Tensor QfNLayerImpl::forward(const torch::Tensor& x) {
  if (!is_training()) {
    const auto lift = running_mean <= 0.5;
    const auto x1 = apply_batch(x, batch_factor_of(running_mean, lift), lift);
    return x1 * running_factor.clamp_max(1.0);
  }
  const auto b = x.size(0);
  const auto m = x.mean(0);
  const auto lift = m <= 0.5;
  const auto f = batch_factor_of(m, lift);
  const auto x1 = apply_batch(x, f, lift);
  const auto others =
      (x1.sum(0, /*keepdim=*/true) - x1) / static_cast<double>(std::max<std::int64_t>(b - 1, 1));
  const auto g = (0.5 / others.clamp_min(1e-6) / (torch::relu(scale) + 1)).clamp_max(1.0);
  {
    torch::NoGradGuard no_grad;
    // Exponential averages with weight 0.1 on the new batch (the original weighs it 0.9, which
    // leaves the inference branch and factors to the last, possibly tiny, batch).
    running_mean.mul_(0.9).add_(0.1 * m.detach());
    running_factor.mul_(0.9).add_(0.1 * g.detach().mean(0));
  }
  return x1 * g;
}

torch::Tensor QfNLayerImpl::lifts() const { return running_mean <= 0.5; }

torch::Tensor QfNLayerImpl::batch_factor() const {
  return batch_factor_of(running_mean, lifts()).to(torch::kFloat64);
}

torch::Tensor QfNLayerImpl::individual_factor() const {
  return running_factor.clamp_max(1.0).to(torch::kFloat64);
}

}  // namespace coex::torch_bridge
