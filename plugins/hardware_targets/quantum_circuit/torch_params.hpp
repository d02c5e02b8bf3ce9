// The bridge from a trained LibTorch model to its circuit: the binary weights and N-LYR maps of a
// network lowered by coex_torch, as the compiler's NetworkParams.
#pragma once

#include "circuit.hpp"
#include "coex/torch/lower.hpp"

namespace coex::qf {

/// Parameters of every quantum layer of `model` (lowered from `net`): sign(weight) per neuron of
/// qf_u / qf_p (sign(0) = +1, as the training forward pass), and for qf_n the map of norm_map()
/// from the layer's inference factors. Throws coex::Error if `model` was not lowered from `net`.
NetworkParams params_from_model(const Network& net, torch_bridge::IrModule& model);

}  // namespace coex::qf
