#include "coex/torch/mult_free.hpp"

#include <cmath>

namespace coex::torch_bridge {

namespace F = torch::nn::functional;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

torch::Tensor round_to_power_of_two(const torch::Tensor& w) {
  const auto sign = torch::where(w >= 0, torch::ones_like(w), -torch::ones_like(w));
  const auto p = torch::round(torch::log2(w.abs().clamp(std::ldexp(1.0, -31), 1.0)));
  return sign * torch::pow(2.0, p);
}

torch::Tensor round_to_fixed16(const torch::Tensor& x) {
  return (torch::round(x * 256.0) / 256.0).clamp(-128.0, 128.0 - 1.0 / 256.0);
}

namespace {
torch::Tensor ste(const torch::Tensor& x, const torch::Tensor& q) { return x + (q - x).detach(); }
}  // namespace

ShiftConv2dImpl::ShiftConv2dImpl(std::int64_t in, std::int64_t out, std::int64_t kernel,
                                 std::int64_t stride_, std::int64_t padding_, std::int64_t groups_)
    : stride(stride_), padding(padding_), groups(groups_) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in / groups * kernel * kernel));
  weight = register_parameter(
      "weight", torch::empty({out, in / groups, kernel, kernel}).uniform_(-bound, bound));
}

torch::Tensor ShiftConv2dImpl::forward(const torch::Tensor& x) {
  const auto xq = ste(x, round_to_fixed16(x));
  const auto wq = ste(weight, round_to_power_of_two(weight));
  return F::conv2d(xq, wq, F::Conv2dFuncOptions().stride(stride).padding(padding).groups(groups));
}

namespace {

// y[n, m] = -sum_k |x[n, k] - w[m, k]| on unfolded patches, with AdderNet's backward.
struct AdderFunction : public torch::autograd::Function<AdderFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
                               bool exact, double eta) {
    ctx->save_for_backward({x, w});
    ctx->saved_data["exact"] = exact;
    ctx->saved_data["eta"] = eta;
    return -torch::cdist(x, w, 1.0);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& w = saved[1];
    const bool exact = ctx->saved_data["exact"].toBool();
    const double eta = ctx->saved_data["eta"].toDouble();
    const auto g = grads[0].contiguous();  // [N, M]
    const std::int64_t N = x.size(0), M = w.size(0), K = w.size(1);
    auto gx = torch::zeros_like(x);
    auto gw = torch::zeros_like(w);
    if (!exact) gw = torch::matmul(g.t(), x) - w * g.sum(0).unsqueeze(1);  // sum_n g (x - w)
    // Chunks of at most 2^18 elements (1 MB) of the [n, M, K] difference tensor: cache-resident
    // temporaries made the backward 3x faster than 2^24-element chunks.
    const std::int64_t chunk =
        std::max<std::int64_t>(1, (std::int64_t{1} << 18) / std::max<std::int64_t>(1, M * K));
    for (std::int64_t n0 = 0; n0 < N; n0 += chunk) {
      const auto n1 = std::min(N, n0 + chunk);
      const auto gc = g.slice(0, n0, n1);                                     // [n, M]
      const auto d = x.slice(0, n0, n1).unsqueeze(1) - w.unsqueeze(0);        // x - w, [n, M, K]
      const auto dx = exact ? -torch::sign(d) : torch::clamp(-d, -1.0, 1.0);  // d y / d x
      gx.slice(0, n0, n1).copy_(torch::bmm(gc.unsqueeze(1), dx).squeeze(1));
      if (exact) gw += torch::einsum("nm,nmk->mk", {gc, torch::sign(d)});
    }
    if (!exact) {
      const auto norm = gw.norm();
      if (norm.item<double>() > 0)
        gw = gw * (eta * std::sqrt(static_cast<double>(gw.numel())) / norm);
    }
    return {gx, gw, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

AdderConv2dImpl::AdderConv2dImpl(std::int64_t in, std::int64_t out, std::int64_t kernel_,
                                 std::int64_t stride_, std::int64_t padding_, bool exact,
                                 double eta_)
    : kernel(kernel_), stride(stride_), padding(padding_), exact_gradient(exact), eta(eta_) {
  weight = register_parameter("weight", torch::randn({out, in, kernel, kernel}));
}

torch::Tensor AdderConv2dImpl::forward(const torch::Tensor& x) {
  const auto B = x.size(0);
  const auto Ho = (x.size(2) + 2 * padding - kernel) / stride + 1;
  const auto Wo = (x.size(3) + 2 * padding - kernel) / stride + 1;
  const auto cols =
      F::unfold(x, F::UnfoldFuncOptions({kernel, kernel}).padding(padding).stride(stride));
  const auto K = cols.size(1), L = cols.size(2);
  const auto patches = cols.transpose(1, 2).reshape({B * L, K});
  const auto w = weight.reshape({weight.size(0), K});
  const auto y = AdderFunction::apply(patches, w, exact_gradient, eta);  // [B L, M]
  return y.reshape({B, L, -1}).permute({0, 2, 1}).reshape({B, -1, Ho, Wo});
}

}  // namespace coex::torch_bridge
