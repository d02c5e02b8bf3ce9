#include "coex/network.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <sstream>

#include <nlohmann/json.hpp>

#include "coex/error.hpp"

namespace coex {

namespace {

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct Hasher {
  std::uint64_t h = 0x636f6578ULL;  // "coex"
  void add(std::uint64_t v) { h = splitmix(h ^ splitmix(v)); }
};

std::string with_commas(std::int64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > (v < 0 ? 1 : 0); i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

constexpr OpKind kAllOps[] = {OpKind::kInput,         OpKind::kConv2d,        OpKind::kLinear,
                              OpKind::kBatchNorm,     OpKind::kActivation,    OpKind::kMaxPool,
                              OpKind::kAvgPool,       OpKind::kGlobalAvgPool, OpKind::kAdd,
                              OpKind::kConcat,        OpKind::kFlatten,       OpKind::kZero,
                              OpKind::kChannelSelect, OpKind::kQfU,           OpKind::kQfP,
                              OpKind::kQfN,           OpKind::kShiftConv2d,   OpKind::kAdderConv2d};
constexpr Activation kAllActs[] = {Activation::kRelu, Activation::kRelu6, Activation::kSigmoid,
                                   Activation::kTanh, Activation::kIdentity};

}  // namespace

std::string Shape::to_string() const {
  return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

const char* op_name(OpKind op) {
  switch (op) {
    case OpKind::kInput:
      return "input";
    case OpKind::kConv2d:
      return "conv2d";
    case OpKind::kLinear:
      return "linear";
    case OpKind::kBatchNorm:
      return "batch_norm";
    case OpKind::kActivation:
      return "activation";
    case OpKind::kMaxPool:
      return "max_pool";
    case OpKind::kAvgPool:
      return "avg_pool";
    case OpKind::kGlobalAvgPool:
      return "global_avg_pool";
    case OpKind::kAdd:
      return "add";
    case OpKind::kConcat:
      return "concat";
    case OpKind::kFlatten:
      return "flatten";
    case OpKind::kZero:
      return "zero";
    case OpKind::kChannelSelect:
      return "channel_select";
    case OpKind::kQfU:
      return "qf_u";
    case OpKind::kQfP:
      return "qf_p";
    case OpKind::kQfN:
      return "qf_n";
    case OpKind::kShiftConv2d:
      return "shift_conv2d";
    case OpKind::kAdderConv2d:
      return "adder_conv2d";
  }
  return "?";
}

bool is_conv(OpKind op) {
  return op == OpKind::kConv2d || op == OpKind::kShiftConv2d || op == OpKind::kAdderConv2d;
}

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::kRelu:
      return "relu";
    case Activation::kRelu6:
      return "relu6";
    case Activation::kSigmoid:
      return "sigmoid";
    case Activation::kTanh:
      return "tanh";
    case Activation::kIdentity:
      return "identity";
  }
  return "?";
}

const Node& Network::checked(int id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= nodes_.size())
    throw Error("network: node " + std::to_string(id) + " does not exist");
  return nodes_[static_cast<std::size_t>(id)];
}

int Network::push(Node n) {
  n.id = static_cast<int>(nodes_.size());
  nodes_.push_back(std::move(n));
  return nodes_.back().id;
}

int Network::add_input(Shape shape) {
  if (!nodes_.empty()) throw Error("network: the input must be the first node");
  if (shape.c <= 0 || shape.h <= 0 || shape.w <= 0)
    throw InvalidCandidate("input shape " + shape.to_string() + " is not positive");
  Node n;
  n.op = OpKind::kInput;
  n.shape = shape;
  return push(std::move(n));
}

int Network::add_conv2d(int input, std::int64_t out_channels, int kernel, int stride, int padding,
                        int groups, bool bias) {
  return add_convolution(OpKind::kConv2d, input, out_channels, kernel, stride, padding, groups,
                         bias);
}

int Network::add_shift_conv2d(int input, std::int64_t out_channels, int kernel, int stride,
                              int padding, int groups) {
  return add_convolution(OpKind::kShiftConv2d, input, out_channels, kernel, stride, padding, groups,
                         false);
}

int Network::add_adder_conv2d(int input, std::int64_t out_channels, int kernel, int stride,
                              int padding, int groups) {
  return add_convolution(OpKind::kAdderConv2d, input, out_channels, kernel, stride, padding, groups,
                         false);
}

int Network::add_convolution(OpKind op, int input, std::int64_t out_channels, int kernel,
                             int stride, int padding, int groups, bool bias) {
  const std::string name = op_name(op);
  const Shape in = checked(input).shape;
  if (out_channels <= 0 || kernel <= 0 || stride <= 0 || padding < 0 || groups <= 0)
    throw InvalidCandidate(name + ": non-positive channels, kernel, stride or groups");
  if (in.c % groups != 0 || out_channels % groups != 0)
    throw InvalidCandidate(name + ": channels " + std::to_string(in.c) + "->" +
                           std::to_string(out_channels) + " not divisible by groups " +
                           std::to_string(groups));
  const std::int64_t ph = in.h + 2 * padding, pw = in.w + 2 * padding;
  if (ph < kernel || pw < kernel)
    throw InvalidCandidate(name + ": kernel " + std::to_string(kernel) + " is larger than the " +
                           "padded input " + in.to_string());
  Node n;
  n.op = op;
  n.inputs = {input};
  n.out_channels = out_channels;
  n.kernel = kernel;
  n.stride = stride;
  n.padding = padding;
  n.groups = groups;
  n.bias = bias;
  n.shape = {out_channels, (ph - kernel) / stride + 1, (pw - kernel) / stride + 1};
  return push(std::move(n));
}

int Network::add_conv2d_same(int input, std::int64_t out_channels, int kernel, int stride,
                             bool bias) {
  if (kernel % 2 == 0) throw InvalidCandidate("conv2d 'same' padding needs an odd kernel");
  return add_conv2d(input, out_channels, kernel, stride, kernel / 2, 1, bias);
}

int Network::add_linear(int input, std::int64_t out_features, bool bias) {
  const Shape in = checked(input).shape;
  if (in.h != 1 || in.w != 1)
    throw InvalidCandidate("linear: input " + in.to_string() + " is not flat");
  if (out_features <= 0) throw InvalidCandidate("linear: non-positive output features");
  Node n;
  n.op = OpKind::kLinear;
  n.inputs = {input};
  n.out_channels = out_features;
  n.bias = bias;
  n.shape = {out_features, 1, 1};
  return push(std::move(n));
}

int Network::add_batch_norm(int input) {
  Node n;
  n.op = OpKind::kBatchNorm;
  n.inputs = {input};
  n.shape = checked(input).shape;
  return push(std::move(n));
}

int Network::add_activation(int input, Activation a) {
  Node n;
  n.op = OpKind::kActivation;
  n.inputs = {input};
  n.activation = a;
  n.shape = checked(input).shape;
  return push(std::move(n));
}

static Node pool_node(OpKind op, const Shape& in, int input, int kernel, int stride, int padding) {
  if (kernel <= 0 || stride <= 0 || padding < 0 || 2 * padding > kernel)
    throw InvalidCandidate("pool: bad kernel/stride/padding");
  const std::int64_t ph = in.h + 2 * padding, pw = in.w + 2 * padding;
  if (ph < kernel || pw < kernel)
    throw InvalidCandidate("pool: kernel " + std::to_string(kernel) + " larger than input " +
                           in.to_string());
  Node n;
  n.op = op;
  n.inputs = {input};
  n.kernel = kernel;
  n.stride = stride;
  n.padding = padding;
  n.shape = {in.c, (ph - kernel) / stride + 1, (pw - kernel) / stride + 1};
  return n;
}

int Network::add_max_pool(int input, int kernel, int stride, int padding) {
  return push(pool_node(OpKind::kMaxPool, checked(input).shape, input, kernel, stride, padding));
}

int Network::add_avg_pool(int input, int kernel, int stride, int padding) {
  return push(pool_node(OpKind::kAvgPool, checked(input).shape, input, kernel, stride, padding));
}

int Network::add_global_avg_pool(int input) {
  Node n;
  n.op = OpKind::kGlobalAvgPool;
  n.inputs = {input};
  n.shape = {checked(input).shape.c, 1, 1};
  return push(std::move(n));
}

int Network::add_add(const std::vector<int>& inputs) {
  if (inputs.size() < 2) throw InvalidCandidate("add: needs at least two inputs");
  const Shape s = checked(inputs[0]).shape;
  for (int i : inputs)
    if (!(checked(i).shape == s))
      throw InvalidCandidate("add: input shapes differ (" + s.to_string() + " vs " +
                             checked(i).shape.to_string() + ")");
  Node n;
  n.op = OpKind::kAdd;
  n.inputs = inputs;
  n.shape = s;
  return push(std::move(n));
}

int Network::add_concat(const std::vector<int>& inputs) {
  if (inputs.size() < 2) throw InvalidCandidate("concat: needs at least two inputs");
  Shape s = checked(inputs[0]).shape;
  s.c = 0;
  for (int i : inputs) {
    const Shape& t = checked(i).shape;
    if (t.h != s.h || t.w != s.w)
      throw InvalidCandidate("concat: spatial sizes differ (" +
                             checked(inputs[0]).shape.to_string() + " vs " + t.to_string() + ")");
    s.c += t.c;
  }
  Node n;
  n.op = OpKind::kConcat;
  n.inputs = inputs;
  n.shape = s;
  return push(std::move(n));
}

int Network::add_flatten(int input) {
  Node n;
  n.op = OpKind::kFlatten;
  n.inputs = {input};
  n.shape = {checked(input).shape.elements(), 1, 1};
  return push(std::move(n));
}

int Network::add_zero(int input) {
  Node n;
  n.op = OpKind::kZero;
  n.inputs = {input};
  n.shape = checked(input).shape;
  return push(std::move(n));
}

int Network::add_channel_select(int input, const std::vector<std::int64_t>& channels) {
  const Shape in = checked(input).shape;
  if (channels.empty()) throw InvalidCandidate("channel_select: no channels");
  for (auto c : channels)
    if (c < 0 || c >= in.c)
      throw InvalidCandidate("channel_select: channel " + std::to_string(c) + " of a " +
                             std::to_string(in.c) + "-channel input");
  Node n;
  n.op = OpKind::kChannelSelect;
  n.inputs = {input};
  n.channels = channels;
  n.shape = {static_cast<std::int64_t>(channels.size()), in.h, in.w};
  return push(std::move(n));
}

static bool power_of_two(std::int64_t v) { return v >= 2 && (v & (v - 1)) == 0; }

static Node qf_node(OpKind op, const Shape& in, int input, std::int64_t neurons) {
  const char* name = op == OpKind::kQfU ? "qf_u" : "qf_p";
  if (in.h != 1 || in.w != 1)
    throw InvalidCandidate(std::string(name) + ": input " + in.to_string() + " is not flat");
  if (!power_of_two(in.c))
    throw InvalidCandidate(std::string(name) + ": input of " + std::to_string(in.c) +
                           " features; a quantum layer needs a power of two >= 2");
  if (neurons <= 0) throw InvalidCandidate(std::string(name) + ": non-positive neuron count");
  Node n;
  n.op = op;
  n.inputs = {input};
  n.out_channels = neurons;
  n.shape = {neurons, 1, 1};
  return n;
}

int Network::add_qf_u(int input, std::int64_t neurons) {
  return push(qf_node(OpKind::kQfU, checked(input).shape, input, neurons));
}

int Network::add_qf_p(int input, std::int64_t neurons) {
  return push(qf_node(OpKind::kQfP, checked(input).shape, input, neurons));
}

int Network::add_qf_n(int input) {
  const Shape in = checked(input).shape;
  if (in.h != 1 || in.w != 1)
    throw InvalidCandidate("qf_n: input " + in.to_string() + " is not flat");
  Node n;
  n.op = OpKind::kQfN;
  n.inputs = {input};
  n.shape = in;
  return push(std::move(n));
}

const Node& Network::output() const {
  if (nodes_.empty()) throw Error("network is empty");
  return nodes_.back();
}

const Shape& Network::input_shape(const Node& n) const {
  if (n.inputs.empty()) return n.shape;
  return checked(n.inputs[0]).shape;
}

std::int64_t Network::macs(const Node& n) const {
  if (is_conv(n.op)) {
    const Shape& in = input_shape(n);
    return n.shape.elements() * (in.c / n.groups) * n.kernel * n.kernel;
  }
  if (n.op == OpKind::kLinear || n.op == OpKind::kQfU || n.op == OpKind::kQfP)
    return input_shape(n).c * n.out_channels;
  return 0;
}

std::int64_t Network::trainable_params(const Node& n) const {
  switch (n.op) {
    case OpKind::kConv2d:
    case OpKind::kShiftConv2d:
    case OpKind::kAdderConv2d:
      return n.kernel * n.kernel * (input_shape(n).c / n.groups) * n.out_channels +
             (n.bias ? n.out_channels : 0);
    case OpKind::kLinear:
      return input_shape(n).c * n.out_channels + (n.bias ? n.out_channels : 0);
    case OpKind::kBatchNorm:
      return 2 * n.shape.c;
    case OpKind::kQfU:
    case OpKind::kQfP:
      return input_shape(n).c * n.out_channels;
    case OpKind::kQfN:
      return n.shape.c;
    default:
      return 0;
  }
}

std::int64_t Network::params(const Node& n) const {
  if (n.op == OpKind::kBatchNorm) return 4 * n.shape.c;
  if (n.op == OpKind::kQfN) return 3 * n.shape.c;
  return trainable_params(n);
}

std::int64_t Network::macs() const {
  std::int64_t t = 0;
  for (const auto& n : nodes_) t += macs(n);
  return t;
}
std::int64_t Network::params() const {
  std::int64_t t = 0;
  for (const auto& n : nodes_) t += params(n);
  return t;
}
std::int64_t Network::trainable_params() const {
  std::int64_t t = 0;
  for (const auto& n : nodes_) t += trainable_params(n);
  return t;
}

std::int64_t Network::activation_bytes(const Node& n, int bytes_per_element) const {
  return n.shape.elements() * bytes_per_element;
}

std::int64_t Network::peak_activation_bytes(int bytes_per_element) const {
  std::int64_t m = 0;
  for (const auto& n : nodes_) m = std::max(m, activation_bytes(n, bytes_per_element));
  return m;
}

std::uint64_t Network::hash() const {
  if (nodes_.empty()) return 0;
  std::vector<std::uint64_t> h(nodes_.size());
  for (const auto& n : nodes_) {
    Hasher x;
    x.add(static_cast<std::uint64_t>(n.op));
    x.add(static_cast<std::uint64_t>(n.out_channels));
    x.add(static_cast<std::uint64_t>(n.kernel));
    x.add(static_cast<std::uint64_t>(n.stride));
    x.add(static_cast<std::uint64_t>(n.padding));
    x.add(static_cast<std::uint64_t>(n.groups));
    x.add(n.bias ? 1 : 0);
    x.add(static_cast<std::uint64_t>(n.activation));
    x.add(static_cast<std::uint64_t>(n.shape.c));
    x.add(static_cast<std::uint64_t>(n.shape.h));
    x.add(static_cast<std::uint64_t>(n.shape.w));
    if (n.op == OpKind::kChannelSelect)
      for (auto c : n.channels) x.add(static_cast<std::uint64_t>(c));
    x.add(n.inputs.size());
    if (n.op == OpKind::kAdd) {  // commutative: inputs in hash order
      std::vector<std::uint64_t> in;
      for (int i : n.inputs) in.push_back(h[static_cast<std::size_t>(i)]);
      std::sort(in.begin(), in.end());
      for (auto v : in) x.add(v);
    } else {
      for (int i : n.inputs) x.add(h[static_cast<std::size_t>(i)]);
    }
    h[static_cast<std::size_t>(n.id)] = x.h;
  }
  return h.back();
}

std::string Network::hash_hex() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash()));
  return buf;
}

std::string Network::summary() const {
  int conv = 0, shift = 0, adder = 0, linear = 0, quantum = 0;
  for (const auto& n : nodes_) {
    conv += n.op == OpKind::kConv2d;
    shift += n.op == OpKind::kShiftConv2d;
    adder += n.op == OpKind::kAdderConv2d;
    linear += n.op == OpKind::kLinear;
    quantum += n.op == OpKind::kQfU || n.op == OpKind::kQfP || n.op == OpKind::kQfN;
  }
  // snprintf, not a stream: the core summarises every candidate of a search.
  char buf[256];
  int len = std::snprintf(buf, sizeof buf, "%d conv, ", conv);
  auto count = [&](const char* what, int v, bool always) {
    if (v || always)
      len +=
          std::snprintf(buf + len, sizeof buf - static_cast<std::size_t>(len), "%d %s, ", v, what);
  };
  count("shift", shift, false);
  count("adder", adder, false);
  count("linear", linear, true);
  count("quantum", quantum, false);
  std::snprintf(buf + len, sizeof buf - static_cast<std::size_t>(len), "%s params, %.1f MMAC",
                with_commas(params()).c_str(), static_cast<double>(macs()) / 1e6);
  return buf;
}

namespace {

/// Appends to a buffer sized in advance by the caller (no bounds checks, no reallocation): the
/// IR writer below knows an upper bound of every node's text.
struct TextWriter {
  char* p;
  template <std::size_t N>
  void lit(const char (&s)[N]) {
    std::memcpy(p, s, N - 1);
    p += N - 1;
  }
  void str(const char* s) {
    const std::size_t n = std::strlen(s);
    std::memcpy(p, s, n);
    p += n;
  }
  void num(std::int64_t v) { p = std::to_chars(p, p + 20, v).ptr; }
  void ch(char c) { *p++ = c; }
};

constexpr std::size_t kMaxNumber = 20;  // digits and sign of an int64

}  // namespace

std::string Network::to_json_text() const {
  // Written directly (no JSON tree, no per-append bounds checks): a search stores every
  // candidate's IR, and writing it dominated training-free searches. Each node's text is at most
  // a fixed part (keys, names, scalars) plus one number per input and per selected channel.
  std::size_t bound = 64 + 2 * kMaxNumber;
  for (const Node& n : nodes_)
    bound += 256 + 11 * kMaxNumber + (kMaxNumber + 1) * (n.inputs.size() + n.channels.size());
  // A per-thread scratch buffer: sizing a fresh string to the bound would clear (and free) several
  // times the text's size per call.
  thread_local std::vector<char> scratch;
  if (scratch.size() < bound) scratch.resize(bound);
  TextWriter o{scratch.data()};
  o.lit("{\"nodes\":[");
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    if (i) o.ch(',');
    o.lit("{\"id\":");
    o.num(n.id);
    o.lit(",\"op\":\"");
    o.str(op_name(n.op));
    o.lit("\",\"inputs\":[");
    for (std::size_t k = 0; k < n.inputs.size(); ++k) {
      if (k) o.ch(',');
      o.num(n.inputs[k]);
    }
    o.lit("],\"shape\":[");
    o.num(n.shape.c);
    o.ch(',');
    o.num(n.shape.h);
    o.ch(',');
    o.num(n.shape.w);
    o.ch(']');
    auto window = [&] {
      o.lit(",\"kernel\":");
      o.num(n.kernel);
      o.lit(",\"stride\":");
      o.num(n.stride);
      o.lit(",\"padding\":");
      o.num(n.padding);
    };
    auto bias = [&] {
      if (n.bias)
        o.lit(",\"bias\":true");
      else
        o.lit(",\"bias\":false");
    };
    switch (n.op) {
      case OpKind::kConv2d:
      case OpKind::kShiftConv2d:
      case OpKind::kAdderConv2d:
        o.lit(",\"out_channels\":");
        o.num(n.out_channels);
        window();
        o.lit(",\"groups\":");
        o.num(n.groups);
        bias();
        break;
      case OpKind::kLinear:
        o.lit(",\"out_channels\":");
        o.num(n.out_channels);
        bias();
        break;
      case OpKind::kQfU:
      case OpKind::kQfP:
        o.lit(",\"out_channels\":");
        o.num(n.out_channels);
        break;
      case OpKind::kActivation:
        o.lit(",\"activation\":\"");
        o.str(activation_name(n.activation));
        o.ch('"');
        break;
      case OpKind::kChannelSelect:
        // One space-separated string: a network may select thousands of channels, and a JSON
        // array of numbers costs far more to write and parse.
        o.lit(",\"channels\":\"");
        for (std::size_t k = 0; k < n.channels.size(); ++k) {
          if (k) o.ch(' ');
          o.num(n.channels[k]);
        }
        o.ch('"');
        break;
      case OpKind::kMaxPool:
      case OpKind::kAvgPool:
        window();
        break;
      default:
        break;
    }
    o.ch('}');
  }
  o.lit("],\"params\":");
  o.num(params());
  o.lit(",\"macs\":");
  o.num(macs());
  o.ch('}');
  return std::string(scratch.data(), o.p);
}

nlohmann::json Network::to_json() const { return nlohmann::json::parse(to_json_text()); }

namespace {
Network network_from_json(const nlohmann::json& j);
}  // namespace

Network Network::from_json(const nlohmann::json& j) {
  try {
    return network_from_json(j);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    // A missing key, a value of the wrong type, ...: the JSON is not a coex network.
    throw Error(std::string("not a coex network (IR JSON): ") + e.what());
  }
}

namespace {
/// An integer field of a node: a JSON integer (never a float, which nlohmann would truncate, or
/// a value beyond 64 bits).
std::int64_t int_field(const nlohmann::json& e, const char* key) {
  const auto& v = e.at(key);
  if (!v.is_number_integer() ||
      (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)))
    throw Error(std::string("network JSON: '") + key + "' must be an integer, not " + v.dump());
  return v.get<std::int64_t>();
}

/// An int field (kernel, stride, padding, groups): an integer that fits `int`.
int small_int_field(const nlohmann::json& e, const char* key) {
  const std::int64_t v = int_field(e, key);
  if (v < INT32_MIN || v > INT32_MAX)
    throw Error(std::string("network JSON: '") + key + "' is out of range: " + std::to_string(v));
  return static_cast<int>(v);
}

bool bool_field(const nlohmann::json& e, const char* key) {
  const auto& v = e.at(key);
  if (!v.is_boolean())
    throw Error(std::string("network JSON: '") + key + "' must be true or false, not " + v.dump());
  return v.get<bool>();
}

/// A list of node ids (or of a shape's sizes): JSON integers within `int` / int64 range.
std::vector<std::int64_t> int_list(const nlohmann::json& e, const char* key) {
  const auto& v = e.at(key);
  if (!v.is_array())
    throw Error(std::string("network JSON: '") + key + "' must be a list of integers");
  std::vector<std::int64_t> out;
  for (const auto& x : v) {
    nlohmann::json holder = {{key, x}};
    out.push_back(int_field(holder, key));
  }
  return out;
}

Network network_from_json(const nlohmann::json& j) {
  Network net;
  for (const auto& e : j.at("nodes")) {
    const std::string op = e.at("op").get<std::string>();
    std::vector<int> in;
    for (std::int64_t id : int_list(e, "inputs")) {
      if (id < 0 || id > INT32_MAX)
        throw Error("network JSON: '" + op + "' node has input id " + std::to_string(id));
      in.push_back(static_cast<int>(id));
    }
    auto first = [&] {
      if (in.empty()) throw Error("network JSON: '" + op + "' node without input");
      return in[0];
    };
    OpKind kind = OpKind::kInput;
    bool known = false;
    for (OpKind k : kAllOps)
      if (op == op_name(k)) {
        kind = k;
        known = true;
      }
    if (!known) throw Error("network JSON: unknown op '" + op + "'");
    switch (kind) {
      case OpKind::kInput: {
        const auto s = int_list(e, "shape");
        if (s.size() != 3)
          throw Error("network JSON: an input's shape is [channels, height, width]");
        net.add_input({s[0], s[1], s[2]});
        break;
      }
      case OpKind::kConv2d:
        net.add_conv2d(first(), int_field(e, "out_channels"), small_int_field(e, "kernel"),
                       small_int_field(e, "stride"), small_int_field(e, "padding"),
                       small_int_field(e, "groups"), bool_field(e, "bias"));
        break;
      case OpKind::kLinear:
        net.add_linear(first(), int_field(e, "out_channels"), bool_field(e, "bias"));
        break;
      case OpKind::kBatchNorm:
        net.add_batch_norm(first());
        break;
      case OpKind::kActivation: {
        const auto a = e.at("activation").get<std::string>();
        Activation act = Activation::kIdentity;
        for (Activation k : kAllActs)
          if (a == activation_name(k)) act = k;
        net.add_activation(first(), act);
        break;
      }
      case OpKind::kMaxPool:
        net.add_max_pool(first(), small_int_field(e, "kernel"), small_int_field(e, "stride"),
                         small_int_field(e, "padding"));
        break;
      case OpKind::kAvgPool:
        net.add_avg_pool(first(), small_int_field(e, "kernel"), small_int_field(e, "stride"),
                         small_int_field(e, "padding"));
        break;
      case OpKind::kGlobalAvgPool:
        net.add_global_avg_pool(first());
        break;
      case OpKind::kAdd:
        net.add_add(in);
        break;
      case OpKind::kConcat:
        net.add_concat(in);
        break;
      case OpKind::kFlatten:
        net.add_flatten(first());
        break;
      case OpKind::kZero:
        net.add_zero(first());
        break;
      case OpKind::kChannelSelect: {
        std::vector<std::int64_t> ch;
        std::istringstream in(e.at("channels").get<std::string>());
        for (std::int64_t c; in >> c;) ch.push_back(c);
        net.add_channel_select(first(), ch);
        break;
      }
      case OpKind::kQfU:
        net.add_qf_u(first(), int_field(e, "out_channels"));
        break;
      case OpKind::kQfP:
        net.add_qf_p(first(), int_field(e, "out_channels"));
        break;
      case OpKind::kQfN:
        net.add_qf_n(first());
        break;
      case OpKind::kShiftConv2d:
        net.add_shift_conv2d(first(), int_field(e, "out_channels"), small_int_field(e, "kernel"),
                             small_int_field(e, "stride"), small_int_field(e, "padding"),
                             small_int_field(e, "groups"));
        break;
      case OpKind::kAdderConv2d:
        net.add_adder_conv2d(first(), int_field(e, "out_channels"), small_int_field(e, "kernel"),
                             small_int_field(e, "stride"), small_int_field(e, "padding"),
                             small_int_field(e, "groups"));
        break;
    }
  }
  return net;
}
}  // namespace

}  // namespace coex
