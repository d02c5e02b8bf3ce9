// Lowering of the Network IR to a runnable LibTorch module. Only torch plugins include this.
#pragma once

#include <torch/torch.h>

#include "coex/network.hpp"
#include "coex/visibility.hpp"

namespace coex::torch_bridge {

/// A torch module that runs a coex::Network node by node in topological order. Parameters are
/// registered per node ("n3.weight", ...). BatchNorm uses momentum 0.1 and eps 1e-3.
class IrModuleImpl : public torch::nn::Module {
 public:
  /// Throws coex::Error for an op this bridge cannot lower.
  COEX_API explicit IrModuleImpl(const Network& net);
  /// `x`: [batch, C, H, W] matching the network's input shape. Returns the output node's tensor
  /// ([batch, features] for a linear head).
  COEX_API torch::Tensor forward(torch::Tensor x);

 private:
  Network net_;
  std::vector<torch::nn::AnyModule> modules_;  ///< per node; empty for parameter-free ops
};
TORCH_MODULE(IrModule);

/// Convenience: lowers `net`.
COEX_API IrModule lower(const Network& net);

/// True when `net` expects pixels in [0, 1] rather than standardised: a network with QuantumFlow
/// layers reads them as probabilities (P-LYR) or amplitudes (U-LYR).
COEX_API bool reads_unit_range(const Network& net);

}  // namespace coex::torch_bridge
