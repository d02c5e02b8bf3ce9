// ONNX export of a trained coex::Network (tools/deploy/README.md, "model.onnx"): every IR op as
// standard ONNX operators of opset 13, serialised by a small protobuf writer of our own (the
// model is a handful of message types; no protobuf library is needed to write it).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "coex/network.hpp"

namespace coex::deploy {

/// A float32 tensor in row-major order.
struct FloatTensor {
  std::vector<std::int64_t> dims;
  std::vector<float> values;
};

/// What the exporter needs of a trained model: its parameters and buffers by the names LibTorch's
/// lowering gives them ("n3.weight", "n3.bias", "n3.running_mean", ...; see coex/torch/lower.hpp).
using Weights = std::map<std::string, FloatTensor>;

struct OnnxOptions {
  std::string graph_name = "coex";
  std::string producer_version;  ///< coex's version
  std::string doc;               ///< the graph's doc_string (what the model is, its input)
  /// Extra model metadata (metadata_props), e.g. the preprocessing.
  std::vector<std::pair<std::string, std::string>> metadata;
};

/// The opset the exporter writes (ai.onnx) and the IR version that goes with it.
constexpr std::int64_t kOnnxOpset = 13;
constexpr std::int64_t kOnnxIrVersion = 7;

/// The serialised ModelProto of `net` with `weights`: input "input" [batch, C, H, W] (float32,
/// batch symbolic), output "logits" [batch, classes]. Shift convolutions become a rounding of the
/// input to 16-bit fixed point (Mul, Round, Div, Clip) and a Conv with power-of-two weights; adder
/// convolutions one Slice / Sub / Abs / ReduceSum per kernel offset, summed and negated; the
/// QuantumFlow layers their inference forms (README.md gives each subgraph). Throws
/// coex::UserError naming the node for an op or a layout the exporter cannot express, and when a
/// weight the op needs is missing or of the wrong size.
std::string export_onnx(const Network& net, const Weights& weights, const OnnxOptions& options);

}  // namespace coex::deploy
