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

// AdderNet's adaptive gradient scaling of a layer's weight gradient: eta sqrt(numel) / |g| * g.
torch::Tensor adaptive_scaled(const torch::Tensor& g, double eta) {
  const auto norm = g.norm();
  if (!(norm.item<double>() > 0)) return g;
  return g * (eta * std::sqrt(static_cast<double>(g.numel())) / norm);
}

// Per group g: y[g, n, m] = -sum_k |x[g, n, k] - w[g, m, k]| on unfolded patches, with AdderNet's
// backward. x [G, N, K], w [G, M, K].
struct AdderFunction : public torch::autograd::Function<AdderFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
                               bool exact, double eta) {
    ctx->save_for_backward({x, w});
    ctx->saved_data["exact"] = exact;
    ctx->saved_data["eta"] = eta;
    if (w.size(1) == 1) return -(x - w).abs().sum(2, /*keepdim=*/true);  // one output per group
    return -torch::cdist(x, w, 1.0);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& w = saved[1];
    const bool exact = ctx->saved_data["exact"].toBool();
    const double eta = ctx->saved_data["eta"].toDouble();
    const auto g = grads[0].contiguous();  // [G, N, M]
    const std::int64_t G = x.size(0), N = x.size(1), M = w.size(1), K = w.size(2);
    auto gx = torch::zeros_like(x);
    auto gw = torch::zeros_like(w);
    // sum_n g (x - w)
    if (!exact) gw = torch::bmm(g.transpose(1, 2), x) - w * g.sum(1).unsqueeze(2);
    if (M == 1) {
      // One output per group: the difference tensor is no larger than x.
      const auto d = x - w;  // [G, N, K]
      gx = g * (exact ? -torch::sign(d) : torch::clamp(-d, -1.0, 1.0));
      if (exact) gw = (g * torch::sign(d)).sum(1, /*keepdim=*/true);
    } else {
      // Chunks of at most 2^18 elements (1 MB) of the [G, n, M, K] difference tensor:
      // cache-resident temporaries made the backward 3x faster than 2^24-element chunks.
      const std::int64_t chunk =
          std::max<std::int64_t>(1, (std::int64_t{1} << 18) / std::max<std::int64_t>(1, G * M * K));
      for (std::int64_t n0 = 0; n0 < N; n0 += chunk) {
        const auto n1 = std::min(N, n0 + chunk), n = n1 - n0;
        const auto gc = g.slice(1, n0, n1);                                     // [G, n, M]
        const auto d = x.slice(1, n0, n1).unsqueeze(2) - w.unsqueeze(1);        // [G, n, M, K]
        const auto dx = exact ? -torch::sign(d) : torch::clamp(-d, -1.0, 1.0);  // d y / d x
        gx.slice(1, n0, n1).copy_(
            torch::bmm(gc.reshape({G * n, 1, M}), dx.reshape({G * n, M, K})).reshape({G, n, K}));
        if (exact) gw += torch::einsum("gnm,gnmk->gmk", {gc, torch::sign(d)});
      }
    }
    if (!exact) gw = adaptive_scaled(gw, eta);
    return {gx, gw, torch::Tensor(), torch::Tensor()};
  }
};

// Depthwise (one input and one output channel per group) on a zero-padded input xp [B, C, Hp, Wp]
// with w [C, k, k]: y = -sum_{p,q} |xp[:, :, p + s i, q + s j] - w[:, p, q]|, accumulated over
// the k^2 kernel offsets on strided views, so no patch tensor is built. Same backward as above.
struct DepthwiseAdderFunction : public torch::autograd::Function<DepthwiseAdderFunction> {
  static torch::Tensor window(const torch::Tensor& xp, std::int64_t p, std::int64_t q,
                              std::int64_t s, std::int64_t ho, std::int64_t wo) {
    return xp.slice(2, p, p + (ho - 1) * s + 1, s).slice(3, q, q + (wo - 1) * s + 1, s);
  }
  static torch::Tensor tap(const torch::Tensor& w, std::int64_t p, std::int64_t q) {
    return w.select(1, p).select(1, q).view({1, -1, 1, 1});
  }

  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& xp,
                               const torch::Tensor& w, std::int64_t stride, bool exact,
                               double eta) {
    ctx->save_for_backward({xp, w});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["exact"] = exact;
    ctx->saved_data["eta"] = eta;
    const auto k = w.size(1);
    const auto ho = (xp.size(2) - k) / stride + 1, wo = (xp.size(3) - k) / stride + 1;
    auto y = torch::zeros({xp.size(0), xp.size(1), ho, wo}, xp.options());
    for (std::int64_t p = 0; p < k; ++p)
      for (std::int64_t q = 0; q < k; ++q)
        y.sub_((window(xp, p, q, stride, ho, wo) - tap(w, p, q)).abs_());
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& xp = saved[0];
    const auto& w = saved[1];
    const auto stride = ctx->saved_data["stride"].toInt();
    const bool exact = ctx->saved_data["exact"].toBool();
    const double eta = ctx->saved_data["eta"].toDouble();
    const auto g = grads[0];
    const auto k = w.size(1), ho = g.size(2), wo = g.size(3);
    auto gx = torch::zeros_like(xp);
    auto gw = torch::zeros_like(w);
    for (std::int64_t p = 0; p < k; ++p)
      for (std::int64_t q = 0; q < k; ++q) {
        const auto d = window(xp, p, q, stride, ho, wo) - tap(w, p, q);  // x - w
        const auto dx = exact ? -torch::sign(d) : torch::clamp(-d, -1.0, 1.0);
        window(gx, p, q, stride, ho, wo).add_(g * dx);
        // AdderNet: d y / d w = x - w (full precision); exact: sign(x - w).
        gw.select(1, p).select(1, q).copy_((g * (exact ? torch::sign(d) : d)).sum({0, 2, 3}));
      }
    if (!exact) gw = adaptive_scaled(gw, eta);
    return {gx, gw, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

AdderConv2dImpl::AdderConv2dImpl(std::int64_t in, std::int64_t out, std::int64_t kernel_,
                                 std::int64_t stride_, std::int64_t padding_, std::int64_t groups_,
                                 bool exact, double eta_)
    : kernel(kernel_),
      stride(stride_),
      padding(padding_),
      groups(groups_),
      exact_gradient(exact),
      eta(eta_) {
  weight = register_parameter("weight", torch::randn({out, in / groups, kernel, kernel}));
}

torch::Tensor AdderConv2dImpl::forward(const torch::Tensor& x) {
  const auto B = x.size(0), G = groups;
  if (G > 1 && G == x.size(1) && G == weight.size(0)) {
    const auto xp =
        padding > 0 ? F::pad(x, F::PadFuncOptions({padding, padding, padding, padding})) : x;
    return DepthwiseAdderFunction::apply(xp, weight.reshape({G, kernel, kernel}), stride,
                                         exact_gradient, eta);
  }
  const auto Ho = (x.size(2) + 2 * padding - kernel) / stride + 1;
  const auto Wo = (x.size(3) + 2 * padding - kernel) / stride + 1;
  const auto cols =
      F::unfold(x, F::UnfoldFuncOptions({kernel, kernel}).padding(padding).stride(stride));
  const auto L = cols.size(2), Kg = cols.size(1) / G, Mg = weight.size(0) / G;
  // [B, G Kg, L] -> [G, B L, Kg]; the unfolded rows are channel-major, so group g owns rows
  // g Kg ... (g+1) Kg - 1.
  const auto patches = cols.reshape({B, G, Kg, L}).permute({1, 0, 3, 2}).reshape({G, B * L, Kg});
  const auto w = weight.reshape({G, Mg, Kg});
  const auto y = AdderFunction::apply(patches, w, exact_gradient, eta);  // [G, B L, Mg]
  return y.reshape({G, B, L, Mg}).permute({1, 0, 3, 2}).reshape({B, G * Mg, Ho, Wo});
}

}  // namespace coex::torch_bridge
