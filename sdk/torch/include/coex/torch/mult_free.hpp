// Multiplication-free layers of NASA (NASA, Shi et al., ICCAD 2022; DeepShift and AdderNet) as
// LibTorch modules: shift convolution (DeepShift-Q: weights rounded to signed powers of two, 16-bit
// fixed-point activations, straight-through gradients) and adder convolution (AdderNet: y = -sum |x
// - w|, full-precision weight gradient with adaptive scaling, HardTanh input gradient). The IR's
// shift_conv2d and adder_conv2d lower to these (lower.hpp).
#pragma once

#include <torch/torch.h>

#include "coex/visibility.hpp"

namespace coex::torch_bridge {

/// Rounds to the nearest signed power of two 2^p with p in [-31, 0] (|w| clamped to [2^-31, 1]
/// first; sign(0) = +1): DeepShift-Q's 6-bit shift weights (sign + 5-bit exponent). Forward only.
COEX_API torch::Tensor round_to_power_of_two(const torch::Tensor& w);

/// Rounds to 16-bit fixed point: 8 integer bits (sign included) and 8 fraction bits, i.e. steps of
/// 2^-8 within [-128, 128 - 2^-8]. Forward only.
COEX_API torch::Tensor round_to_fixed16(const torch::Tensor& x);

/// Shift convolution: conv2d(fixed16(x), pow2(weight)) with straight-through gradients for both
/// roundings. Weight [out, in/groups, k, k], Kaiming-uniform initialised; no bias.
class ShiftConv2dImpl : public torch::nn::Module {
 public:
  COEX_API ShiftConv2dImpl(std::int64_t in, std::int64_t out, std::int64_t kernel,
                           std::int64_t stride = 1, std::int64_t padding = 0,
                           std::int64_t groups = 1);
  COEX_API torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
  std::int64_t stride, padding, groups;
};
TORCH_MODULE(ShiftConv2d);

/// Adder convolution: y[b, m, i, j] = -sum_{c, p, q} |x[b, c, i s + p - pad, j s + q - pad] -
/// w[m, c, p, q]| (zero padding; with groups, c runs over the output's group as in conv2d),
/// weight [out, in/groups, k, k] N(0, 1) initialised, no bias. Backward:
///  - AdderNet's (default): dy/dw = x - w (full precision), the layer's weight gradient rescaled
///    to eta * sqrt(numel(w)) / |g| * g (eta = 0.2), dy/dx = HardTanh(w - x);
///  - `exact_gradient`: the true gradients sign(x - w) and sign(w - x) (for checks).
/// Vectorised: the forward is one batched L1 cdist over unfolded patches (one batch entry per
/// group; a plain broadcast when a group has one output); the input gradient is computed in
/// cache-sized chunks (2^18 elements). Depthwise layers (groups = in = out) skip the patches and
/// accumulate |x - w| over the k^2 kernel offsets on strided views of the padded input.
class AdderConv2dImpl : public torch::nn::Module {
 public:
  COEX_API AdderConv2dImpl(std::int64_t in, std::int64_t out, std::int64_t kernel,
                           std::int64_t stride = 1, std::int64_t padding = 0,
                           std::int64_t groups = 1, bool exact_gradient = false, double eta = 0.2);
  COEX_API torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
  std::int64_t kernel, stride, padding, groups;
  bool exact_gradient;
  double eta;
};
TORCH_MODULE(AdderConv2d);

}  // namespace coex::torch_bridge
