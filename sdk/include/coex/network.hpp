// The Network IR: a framework-neutral DAG of layers decoded from a Point. One representation
// flows through everything: hardware targets read it layer by layer, coex_torch lowers it to a
// runnable module, training-free estimators read its topology.
//
// Nodes are stored in topological order (a node's inputs always precede it); the builder
// methods infer each node's output shape as it is added and throw coex::InvalidCandidate when a
// layer cannot apply (e.g. a kernel larger than its padded input). Shapes are per sample, CHW.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "coex/visibility.hpp"

namespace coex {

/// Per-sample tensor shape: channels x height x width. A flat vector of n features is {n, 1, 1}.
struct COEX_API Shape {
  std::int64_t c = 0;
  std::int64_t h = 1;
  std::int64_t w = 1;
  std::int64_t elements() const { return c * h * w; }
  bool operator==(const Shape&) const = default;
  std::string to_string() const;  ///< "3x32x32"
};

enum class OpKind {
  kInput,
  kConv2d,         ///< attrs: out_channels, kernel, stride, padding, groups, bias
  kLinear,         ///< attrs: out_channels (= out features), bias; input must be flat
  kBatchNorm,      ///< per-channel; 4 parameters per channel (2 trainable, 2 running stats)
  kActivation,     ///< attrs: activation
  kMaxPool,        ///< attrs: kernel, stride, padding
  kAvgPool,        ///< attrs: kernel, stride, padding
  kGlobalAvgPool,  ///< output {c, 1, 1}
  kAdd,            ///< elementwise sum of inputs of equal shape (commutative)
  kConcat,         ///< channel concatenation of inputs of equal h, w (ordered)
  kFlatten,        ///< {c, h, w} -> {c*h*w, 1, 1}
  kZero,           ///< zeros shaped like its input (a cell node with no incoming edge)
  kChannelSelect,  ///< attrs: channels (input channel indices in output order; JSON: "0 3 7")
  // QuantumFlow layers (QuantumFlow, Jiang et al., Nature Communications 2021). Inputs and outputs
  // are flat vectors; values between them are probabilities of a qubit being 1. Weights are binary
  // (+1/-1).
  kQfU,  ///< U-LYR, attrs: out_channels (neurons). Input n = 2^k features, amplitude-encoded
         ///< (x/|x|); y_j = (sum_i w_ji x_i)^2 / n.
  kQfP,  ///< P-LYR, attrs: out_channels (neurons). Input m = 2^q >= 2 independent probabilities p;
         ///< with e = 2p - 1: y_j = (m - |e|^2 + (w_j . e)^2) / m^2.
  kQfN,  ///< N-LYR: per feature, batch-adjust (lifts the mean to 0.5) then individual-adjust
         ///< (a trainable scale <= 1); same shape as its input.
  // Multiplication-free convolutions (NASA, Shi et al., ICCAD 2022). Attributes as kConv2d; no
  // bias.
  kShiftConv2d,  ///< DeepShift-Q: weights are signed powers of two 2^p, p in [-31, 0] (6 bits),
                 ///< activations 16-bit fixed point; each MAC is a shift and an add.
  kAdderConv2d,  ///< AdderNet: y = -sum |x - w| over the window; each MAC is a subtract, an
                 ///< absolute value and an add.
};

/// True for the convolutions (conv2d, shift_conv2d, adder_conv2d): ops with a kernel, stride,
/// padding, groups and a window-sized weight per output channel.
COEX_API bool is_conv(OpKind op);

enum class Activation { kRelu, kRelu6, kSigmoid, kTanh, kIdentity };

COEX_API const char* op_name(OpKind op);
COEX_API const char* activation_name(Activation a);

/// One layer. Attributes that do not apply to the op keep their defaults.
struct COEX_API Node {
  int id = 0;
  OpKind op = OpKind::kInput;
  std::vector<int> inputs;
  std::int64_t out_channels = 0;
  int kernel = 0;
  int stride = 1;
  int padding = 0;
  int groups = 1;
  bool bias = false;
  Activation activation = Activation::kIdentity;
  /// kChannelSelect: the input channels it passes on, in order.
  std::vector<std::int64_t> channels;
  Shape shape;  ///< inferred output shape
};

/// A DAG of Nodes with shape inference and cost accounting. Value type; cheap to copy for the
/// network sizes NAS deals with. Not thread-safe for concurrent mutation; const methods are.
class COEX_API Network {
 public:
  /// Adds the (single) input node. Throws InvalidCandidate on a non-positive shape.
  int add_input(Shape shape);
  /// 2-D convolution, square kernel. `groups == in_channels == out_channels` is depthwise.
  int add_conv2d(int input, std::int64_t out_channels, int kernel, int stride, int padding,
                 int groups = 1, bool bias = true);
  /// Convolution with "same" padding (kernel/2, odd kernels): output = ceil(input / stride).
  int add_conv2d_same(int input, std::int64_t out_channels, int kernel, int stride,
                      bool bias = true);
  /// Shift / adder convolution (no bias); shapes and errors as add_conv2d.
  int add_shift_conv2d(int input, std::int64_t out_channels, int kernel, int stride, int padding,
                       int groups = 1);
  int add_adder_conv2d(int input, std::int64_t out_channels, int kernel, int stride, int padding,
                       int groups = 1);
  int add_linear(int input, std::int64_t out_features, bool bias = true);
  int add_batch_norm(int input);
  int add_activation(int input, Activation a);
  int add_max_pool(int input, int kernel, int stride, int padding = 0);
  int add_avg_pool(int input, int kernel, int stride, int padding = 0);
  int add_global_avg_pool(int input);
  int add_add(const std::vector<int>& inputs);
  int add_concat(const std::vector<int>& inputs);
  int add_flatten(int input);
  /// A tensor of zeros with the input's shape (NAS-Bench-201's "none" reaching a node).
  int add_zero(int input);
  /// The listed channels of `input` (DenseNet-style skip links that pick some channels of an
  /// earlier layer). Throws InvalidCandidate for an empty list or an index out of range.
  int add_channel_select(int input, const std::vector<std::int64_t>& channels);
  /// QuantumFlow U-LYR / P-LYR with `neurons` outputs on a flat input whose feature count is a
  /// power of two (U: >= 2 amplitudes, k = log2 of it qubits; P: >= 2 probabilities). Throws
  /// InvalidCandidate otherwise.
  int add_qf_u(int input, std::int64_t neurons);
  int add_qf_p(int input, std::int64_t neurons);
  /// QuantumFlow N-LYR on a flat input (probabilities).
  int add_qf_n(int input);

  const std::vector<Node>& nodes() const { return nodes_; }
  const Node& node(int id) const { return nodes_.at(static_cast<std::size_t>(id)); }
  std::size_t size() const { return nodes_.size(); }
  /// The output node: the last node added. Throws coex::Error on an empty network.
  const Node& output() const;
  /// Shape of node `id`'s first input (the input shape a layer sees).
  const Shape& input_shape(const Node& n) const;

  /// Multiply-accumulates of one node for one sample (conv, linear; 0 for the others; the
  /// QuantumFlow U/P layers count their classical simulation, inputs x neurons). A shift or adder
  /// convolution counts its shift-accumulates or subtract-accumulates, one per weight use.
  std::int64_t macs(const Node& n) const;
  /// Parameters of one node, counted as Keras does: BN counts 4 per channel; a QuantumFlow
  /// N-LYR 3 per feature (its scale and two running factors).
  std::int64_t params(const Node& n) const;
  /// Trainable parameters of one node (BN: 2 per channel; N-LYR: 1 per feature).
  std::int64_t trainable_params(const Node& n) const;
  std::int64_t macs() const;
  std::int64_t params() const;
  std::int64_t trainable_params() const;
  /// Bytes of node `n`'s output activation at `bytes_per_element` (4 = fp32, 2 = 16-bit).
  std::int64_t activation_bytes(const Node& n, int bytes_per_element = 4) const;
  /// Largest single activation over the network, in bytes.
  std::int64_t peak_activation_bytes(int bytes_per_element = 4) const;

  /// Canonical 64-bit structural hash: equal for networks that compute the same function with
  /// the same layer structure regardless of node numbering (inputs of Add are unordered,
  /// Concat's are ordered). Cache key and de-duplication key.
  std::uint64_t hash() const;
  /// hash() as 16 lowercase hex digits.
  std::string hash_hex() const;
  /// "6 conv, 1 linear, 286,518 params, 41.2 MMAC" (shift, adder and quantum layers counted
  /// when present: "4 conv, 2 shift, 1 adder, 1 linear, ...")
  std::string summary() const;

  /// The IR as compact JSON text: {"nodes":[{"id","op","inputs","shape",...}],"params","macs"}
  /// (the hash is left out: it costs a pass over the network, and hash_hex() gives it). The one
  /// writer of the format; to_json() parses its output.
  std::string to_json_text() const;
  /// to_json_text() as a JSON value.
  nlohmann::json to_json() const;
  /// Rebuilds a network from to_json() output, re-running shape inference. Throws
  /// coex::InvalidCandidate for a layer that cannot apply, coex::Error for JSON that is not a
  /// network (a missing key, a value of the wrong type).
  static Network from_json(const nlohmann::json& j);

 private:
  int push(Node n);
  int add_convolution(OpKind op, int input, std::int64_t out_channels, int kernel, int stride,
                      int padding, int groups, bool bias);
  const Node& checked(int id) const;
  std::vector<Node> nodes_;
};

}  // namespace coex
