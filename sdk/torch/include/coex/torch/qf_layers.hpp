// QuantumFlow layers (QuantumFlow, Jiang et al., Nature Communications 2021; formulas in
// plugins/hardware_targets/quantum_circuit/README.md) as LibTorch modules: the classical forms that
// equal the output probabilities of their circuits, trained with binary weights through a
// straight-through estimator. coex::Network's qf_u / qf_p / qf_n lower to these.
#pragma once

#include <torch/torch.h>

#include "coex/visibility.hpp"

namespace coex::torch_bridge {

/// sign(w) with sign(0) = +1 in the forward pass, identity gradient (straight-through).
COEX_API torch::Tensor binarize_ste(const torch::Tensor& w);

/// U-LYR: y_j = (sum_i b_ji x^_i)^2 / n with x^ = x / |x| (amplitude encoding; an all-zero input
/// encodes as uniform amplitudes), b = sign(weight). Input [B, n], n = 2^k; output [B, neurons].
/// Parameter "weight" [neurons, n], initialised U(-sqrt(1.5/(n+neurons)), +...).
class QfULayerImpl : public torch::nn::Module {
 public:
  COEX_API QfULayerImpl(std::int64_t inputs, std::int64_t neurons);
  COEX_API torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
};
TORCH_MODULE(QfULayer);

/// P-LYR: inputs are independent probabilities p (qubits); with e = 2p - 1 and b = sign(weight),
/// y_j = E[(sum_i b_ji s_i)^2] / m^2 = (m - |e|^2 + (b_j . e)^2) / m^2. Input [B, m]; output
/// [B, neurons]. Parameter "weight" [neurons, m].
class QfPLayerImpl : public torch::nn::Module {
 public:
  COEX_API QfPLayerImpl(std::int64_t inputs, std::int64_t neurons);
  COEX_API torch::Tensor forward(const torch::Tensor& p);
  torch::Tensor weight;
};
TORCH_MODULE(QfPLayer);

/// N-LYR, per feature: batch-adjust then individual-adjust, both multiplications of a
/// probability by a factor in [0, 1] (or its lift toward 1), so a circuit can run them.
///  - batch-adjust with the batch mean m: m <= 0.5: x' = x + f(1 - x), f = (0.5 - m)/(1 - m);
///    m > 0.5: x' = f x, f = 0.5/m. Buffer "running_mean" (r <- 0.9 r + 0.1 m; the original's
///    0.1 r + 0.9 m leaves inference to the last, possibly tiny, batch) chooses the branch and
///    the factor at inference.
///  - individual-adjust: x'' = g x' with g = min(1, 0.5 / mean_{others}(x') / (relu(a) + 1)),
///    the mean taken over the other samples of the batch (leave-one-out). Parameter "scale" (a,
///    initialised to 1), buffer "running_factor" (r <- 0.9 r + 0.1 mean_batch(g)) used at
///    inference, clamped to 1.
/// Training needs batches of at least 2.
class QfNLayerImpl : public torch::nn::Module {
 public:
  COEX_API explicit QfNLayerImpl(std::int64_t features);
  COEX_API torch::Tensor forward(const torch::Tensor& x);
  /// Inference factors per feature, as the circuit uses them: whether the batch-adjust lifts
  /// (mean <= 0.5), its factor, and the individual factor (all [features], double).
  COEX_API torch::Tensor lifts() const;
  COEX_API torch::Tensor batch_factor() const;
  COEX_API torch::Tensor individual_factor() const;
  torch::Tensor scale, running_mean, running_factor;
};
TORCH_MODULE(QfNLayer);

}  // namespace coex::torch_bridge
