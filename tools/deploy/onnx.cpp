#include "onnx.hpp"

#include <cmath>
#include <cstring>

#include "coex/error.hpp"

namespace coex::deploy {

namespace {

// --- protobuf wire format: varints, and length-delimited fields (wire types 0, 2, 5) ----------

class Proto {
 public:
  void varint_field(int field, std::uint64_t v) {
    key(field, 0);
    varint(v);
  }
  void int_field(int field, std::int64_t v) { varint_field(field, static_cast<std::uint64_t>(v)); }
  void float_field(int field, float v) {
    key(field, 5);
    char b[4];
    std::memcpy(b, &v, 4);  // little-endian on every platform coex builds on
    out_.append(b, 4);
  }
  void bytes_field(int field, const std::string& v) {
    key(field, 2);
    varint(v.size());
    out_ += v;
  }
  void message_field(int field, const Proto& m) { bytes_field(field, m.out_); }
  /// A packed repeated int64 field.
  void packed_ints(int field, const std::vector<std::int64_t>& v) {
    Proto p;
    for (auto x : v) p.varint(static_cast<std::uint64_t>(x));
    bytes_field(field, p.out_);
  }
  const std::string& bytes() const { return out_; }

 private:
  void key(int field, int wire) { varint((static_cast<std::uint64_t>(field) << 3) | wire); }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    out_ += static_cast<char>(v);
  }
  std::string out_;
};

// ONNX enum values (onnx.proto).
constexpr int kFloat = 1, kInt64 = 7;
constexpr int kAttrFloat = 1, kAttrInt = 2, kAttrInts = 7;

struct Attribute {
  std::string name;
  int type = kAttrInt;
  std::int64_t i = 0;
  float f = 0;
  std::vector<std::int64_t> ints;
};

Attribute attr_i(const std::string& name, std::int64_t v) { return {name, kAttrInt, v, 0, {}}; }
Attribute attr_f(const std::string& name, float v) { return {name, kAttrFloat, 0, v, {}}; }
Attribute attr_ints(const std::string& name, std::vector<std::int64_t> v) {
  return {name, kAttrInts, 0, 0, std::move(v)};
}

Proto tensor_proto(const std::string& name, const std::vector<std::int64_t>& dims, int type,
                   const std::string& raw) {
  Proto t;
  t.packed_ints(1, dims);  // dims
  t.int_field(2, type);    // data_type
  t.bytes_field(8, name);  // name
  t.bytes_field(9, raw);   // raw_data (little-endian)
  return t;
}

// --- the graph under construction ------------------------------------------------------------

class Graph {
 public:
  /// Adds node `op` and returns its (first) output name.
  std::string node(const std::string& op, const std::vector<std::string>& inputs,
                   const std::vector<Attribute>& attrs = {}, const std::string& out = "") {
    const std::string o = out.empty() ? fresh(op) : out;
    Proto n;
    for (const auto& i : inputs) n.bytes_field(1, i);
    n.bytes_field(2, o);
    n.bytes_field(3, o);  // node name = its output
    n.bytes_field(4, op);
    for (const auto& a : attrs) {
      Proto p;
      p.bytes_field(1, a.name);
      if (a.type == kAttrFloat) p.float_field(2, a.f);
      if (a.type == kAttrInt) p.int_field(3, a.i);
      if (a.type == kAttrInts) p.packed_ints(8, a.ints);
      p.int_field(20, a.type);
      n.message_field(5, p);
    }
    graph_.message_field(1, n);
    return o;
  }
  std::string floats(const std::string& hint, const std::vector<std::int64_t>& dims,
                     const std::vector<float>& v) {
    std::string raw(v.size() * 4, '\0');
    if (!v.empty()) std::memcpy(raw.data(), v.data(), raw.size());
    const std::string name = fresh(hint);
    graph_.message_field(5, tensor_proto(name, dims, kFloat, raw));
    return name;
  }
  std::string scalar(float v) { return floats("c", {}, {v}); }
  std::string ints(const std::string& hint, const std::vector<std::int64_t>& v) {
    std::string raw(v.size() * 8, '\0');
    if (!v.empty()) std::memcpy(raw.data(), v.data(), raw.size());
    const std::string name = fresh(hint);
    graph_.message_field(5, tensor_proto(name, {static_cast<std::int64_t>(v.size())}, kInt64, raw));
    return name;
  }
  /// A graph input or output: float32 with dims, a negative dim symbolic ("batch").
  void value_info(int field, const std::string& name, const std::vector<std::int64_t>& dims) {
    Proto shape;
    for (auto d : dims) {
      Proto dim;
      if (d < 0)
        dim.bytes_field(2, "batch");  // dim_param
      else
        dim.int_field(1, d);  // dim_value
      shape.message_field(1, dim);
    }
    Proto tensor;
    tensor.int_field(1, kFloat);  // elem_type
    tensor.message_field(2, shape);
    Proto type;
    type.message_field(1, tensor);  // tensor_type
    Proto vi;
    vi.bytes_field(1, name);
    vi.message_field(2, type);
    graph_.message_field(field, vi);
  }
  Proto& proto() { return graph_; }

 private:
  std::string fresh(const std::string& hint) { return hint + "_" + std::to_string(next_++); }
  Proto graph_;
  int next_ = 0;
};

std::string node_name(const Node& n) {
  return "node " + std::to_string(n.id) + " (" + op_name(n.op) + ")";
}

const FloatTensor& weight(const Weights& w, const Node& n, const std::string& what,
                          std::int64_t expected) {
  const std::string key = "n" + std::to_string(n.id) + "." + what;
  const auto it = w.find(key);
  if (it == w.end())
    throw UserError("ONNX export: " + node_name(n) + " needs the trained tensor '" + key +
                    "', which the weights do not have. Fix: retrain with coex train");
  if (static_cast<std::int64_t>(it->second.values.size()) != expected)
    throw UserError("ONNX export: trained tensor '" + key + "' has " +
                    std::to_string(it->second.values.size()) + " values, " + node_name(n) +
                    " needs " + std::to_string(expected) +
                    ". The weights belong to another network. Fix: retrain with coex train");
  return it->second;
}

std::vector<float> sign_of(const std::vector<float>& v) {
  std::vector<float> s(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) s[i] = v[i] >= 0 ? 1.0f : -1.0f;
  return s;
}

/// [rows, cols] -> [cols, rows]
std::vector<float> transpose(const std::vector<float>& v, std::int64_t rows, std::int64_t cols) {
  std::vector<float> t(v.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      t[static_cast<std::size_t>(c * rows + r)] = v[static_cast<std::size_t>(r * cols + c)];
  return t;
}

/// DeepShift-Q's weight rounding (coex/torch/mult_free.hpp): sign * 2^round(log2(clamp(|w|))).
float power_of_two(float w) {
  const double a = std::min(1.0, std::max(std::ldexp(1.0, -31), std::fabs(double{w})));
  const double p = std::nearbyint(std::log2(a));
  return static_cast<float>((w >= 0 ? 1.0 : -1.0) * std::ldexp(1.0, static_cast<int>(p)));
}

}  // namespace

std::string export_onnx(const Network& net, const Weights& w, const OnnxOptions& o) {
  Graph g;
  const auto& nodes = net.nodes();
  std::vector<std::string> name(nodes.size());
  std::vector<bool> flat(nodes.size(), false);
  for (const auto& n : nodes) {
    const auto i = static_cast<std::size_t>(n.id);
    const Shape in = n.inputs.empty() ? n.shape : net.input_shape(n);
    const bool in_flat = !n.inputs.empty() && flat[static_cast<std::size_t>(n.inputs[0])];
    auto x = [&](std::size_t k = 0) { return name[static_cast<std::size_t>(n.inputs.at(k))]; };
    auto need_spatial = [&] {
      if (in_flat)
        throw UserError("ONNX export: " + node_name(n) +
                        " applies to a flattened tensor, which it cannot express");
    };
    const std::int64_t cin = in.c, cout = n.out_channels;
    const std::int64_t k = n.kernel;
    const std::vector<std::int64_t> pads{n.padding, n.padding, n.padding, n.padding};
    std::string y;
    switch (n.op) {
      case OpKind::kInput:
        y = "input";
        g.value_info(11, y, {-1, n.shape.c, n.shape.h, n.shape.w});
        break;
      case OpKind::kConv2d:
      case OpKind::kShiftConv2d: {
        need_spatial();
        const std::int64_t numel = cout * (cin / n.groups) * k * k;
        std::vector<float> wv = weight(w, n, "weight", numel).values;
        std::string xin = x();
        if (n.op == OpKind::kShiftConv2d) {
          // fixed16(x) = clip(round(x * 256) / 256, -128, 128 - 2^-8); Round is half to even,
          // as torch::round.
          const std::string scaled = g.node("Mul", {xin, g.scalar(256.0f)});
          const std::string rounded = g.node("Round", {scaled});
          const std::string fixed = g.node("Div", {rounded, g.scalar(256.0f)});
          xin = g.node("Clip", {fixed, g.scalar(-128.0f), g.scalar(128.0f - 1.0f / 256.0f)});
          for (auto& v : wv) v = power_of_two(v);
        }
        std::vector<std::string> ins{xin, g.floats("W", {cout, cin / n.groups, k, k}, wv)};
        if (n.op == OpKind::kConv2d && n.bias)
          ins.push_back(g.floats("B", {cout}, weight(w, n, "bias", cout).values));
        y = g.node("Conv", ins,
                   {attr_ints("kernel_shape", {k, k}), attr_ints("strides", {n.stride, n.stride}),
                    attr_ints("pads", pads), attr_i("group", n.groups)});
        break;
      }
      case OpKind::kAdderConv2d: {
        // y[b, m] = -sum_{c, p, q} |xpad[b, c, p + s i, q + s j] - w[m, c, p, q]|, per group:
        // per kernel offset (p, q), the strided window [B, C, Ho, Wo] reshaped to
        // [B, G, Cg, 1, Ho, Wo] minus the offset's weights [1, G, Cg, Mg, 1, 1], Abs, ReduceSum
        // over Cg; the k^2 partial sums added (Sum) and negated.
        need_spatial();
        const std::int64_t G = n.groups, Cg = cin / G, Mg = cout / G;
        const std::int64_t Ho = n.shape.h, Wo = n.shape.w, s = n.stride;
        const auto& wv = weight(w, n, "weight", cout * Cg * k * k).values;
        std::string xp = x();
        if (n.padding > 0)
          xp = g.node(
              "Pad",
              {xp, g.ints("pads", {0, 0, n.padding, n.padding, 0, 0, n.padding, n.padding})});
        const std::string shape6 = g.ints("shape", {-1, G, Cg, 1, Ho, Wo});
        const std::string axes_c = g.ints("axes", {2});
        std::vector<std::string> partial;
        for (std::int64_t p = 0; p < k; ++p)
          for (std::int64_t q = 0; q < k; ++q) {
            const std::string win =
                g.node("Slice", {xp, g.ints("starts", {p, q}),
                                 g.ints("ends", {p + (Ho - 1) * s + 1, q + (Wo - 1) * s + 1}),
                                 g.ints("axes", {2, 3}), g.ints("steps", {s, s})});
            std::vector<float> wpq(static_cast<std::size_t>(G * Cg * Mg));
            for (std::int64_t gg = 0; gg < G; ++gg)
              for (std::int64_t c = 0; c < Cg; ++c)
                for (std::int64_t m = 0; m < Mg; ++m)
                  wpq[static_cast<std::size_t>((gg * Cg + c) * Mg + m)] =
                      wv[static_cast<std::size_t>((((gg * Mg + m) * Cg + c) * k + p) * k + q)];
            const std::string d = g.node("Sub", {g.node("Reshape", {win, shape6}),
                                                 g.floats("Wpq", {1, G, Cg, Mg, 1, 1}, wpq)});
            partial.push_back(
                g.node("ReduceSum", {g.node("Abs", {d}), axes_c}, {attr_i("keepdims", 0)}));
          }
        const std::string total = partial.size() == 1 ? partial[0] : g.node("Sum", partial);
        y = g.node("Reshape", {g.node("Neg", {total}), g.ints("shape", {-1, cout, Ho, Wo})});
        break;
      }
      case OpKind::kLinear: {
        if (!in_flat && (in.h != 1 || in.w != 1))
          throw UserError("ONNX export: " + node_name(n) + " applies to a " + in.to_string() +
                          " tensor; it needs a flat one (flatten or global pooling first)");
        std::string xin = in_flat ? x() : g.node("Flatten", {x()}, {attr_i("axis", 1)});
        std::vector<std::string> ins{
            xin, g.floats("W", {cout, cin}, weight(w, n, "weight", cout * cin).values)};
        if (n.bias) ins.push_back(g.floats("B", {cout}, weight(w, n, "bias", cout).values));
        y = g.node("Gemm", ins, {attr_i("transB", 1)});
        flat[i] = true;
        break;
      }
      case OpKind::kBatchNorm: {
        // eps 1e-3 as the lowering (coex/torch/lower.hpp); inference statistics.
        const std::int64_t c = in.c;
        y = g.node("BatchNormalization",
                   {x(), g.floats("scale", {c}, weight(w, n, "weight", c).values),
                    g.floats("bias", {c}, weight(w, n, "bias", c).values),
                    g.floats("mean", {c}, weight(w, n, "running_mean", c).values),
                    g.floats("var", {c}, weight(w, n, "running_var", c).values)},
                   {attr_f("epsilon", 1e-3f)});
        flat[i] = in_flat;
        break;
      }
      case OpKind::kActivation:
        switch (n.activation) {
          case Activation::kRelu:
            y = g.node("Relu", {x()});
            break;
          case Activation::kRelu6:
            y = g.node("Clip", {x(), g.scalar(0.0f), g.scalar(6.0f)});
            break;
          case Activation::kSigmoid:
            y = g.node("Sigmoid", {x()});
            break;
          case Activation::kTanh:
            y = g.node("Tanh", {x()});
            break;
          case Activation::kIdentity:
            y = g.node("Identity", {x()});
            break;
        }
        flat[i] = in_flat;
        break;
      case OpKind::kMaxPool:
      case OpKind::kAvgPool: {
        need_spatial();
        std::vector<Attribute> a{attr_ints("kernel_shape", {k, k}),
                                 attr_ints("strides", {n.stride, n.stride}),
                                 attr_ints("pads", pads)};
        // torch's avg_pool2d counts the zero padding (count_include_pad = true).
        if (n.op == OpKind::kAvgPool) a.push_back(attr_i("count_include_pad", 1));
        y = g.node(n.op == OpKind::kMaxPool ? "MaxPool" : "AveragePool", {x()}, a);
        break;
      }
      case OpKind::kGlobalAvgPool:
        need_spatial();
        y = g.node("ReduceMean", {x()}, {attr_ints("axes", {2, 3}), attr_i("keepdims", 0)});
        flat[i] = true;
        break;
      case OpKind::kAdd: {
        std::vector<std::string> ins;
        for (std::size_t j = 0; j < n.inputs.size(); ++j) ins.push_back(x(j));
        y = ins.size() == 1 ? g.node("Identity", ins) : g.node("Sum", ins);
        flat[i] = in_flat;
        break;
      }
      case OpKind::kConcat: {
        std::vector<std::string> ins;
        for (std::size_t j = 0; j < n.inputs.size(); ++j) ins.push_back(x(j));
        y = g.node("Concat", ins, {attr_i("axis", 1)});
        flat[i] = in_flat;
        break;
      }
      case OpKind::kFlatten:
        y = g.node("Flatten", {x()}, {attr_i("axis", 1)});
        flat[i] = true;
        break;
      case OpKind::kZero:
        // zeros_like: a constant of the input's (dynamic) shape.
        y = g.node("ConstantOfShape", {g.node("Shape", {x()})});
        flat[i] = in_flat;
        break;
      case OpKind::kChannelSelect:
        y = g.node("Gather", {x(), g.ints("channels", n.channels)}, {attr_i("axis", 1)});
        flat[i] = in_flat;
        break;
      case OpKind::kQfU: {
        // amp = x / |x| (uniform 1/sqrt(n) for an all-zero x); y = (amp . sign(W)^T)^2 / n.
        const std::int64_t m = in.elements(), neurons = cout;
        const std::string xf = in_flat ? x() : g.node("Flatten", {x()}, {attr_i("axis", 1)});
        const std::string norm =
            g.node("ReduceL2", {xf}, {attr_ints("axes", {1}), attr_i("keepdims", 1)});
        const std::string amp = g.node(
            "Where", {g.node("Greater", {norm, g.scalar(0.0f)}),
                      g.node("Div", {xf, g.node("Max", {norm, g.scalar(1e-30f)})}),
                      g.scalar(static_cast<float>(1.0 / std::sqrt(static_cast<double>(m))))});
        const auto b = sign_of(weight(w, n, "weight", neurons * m).values);
        const std::string s =
            g.node("MatMul", {amp, g.floats("signs", {m, neurons}, transpose(b, neurons, m))});
        y = g.node("Div", {g.node("Mul", {s, s}), g.scalar(static_cast<float>(m))});
        flat[i] = true;
        break;
      }
      case OpKind::kQfP: {
        // e = 2p - 1; y = (m - |e|^2 + (e . sign(W)^T)^2) / m^2.
        const std::int64_t m = in.elements(), neurons = cout;
        const std::string xf = in_flat ? x() : g.node("Flatten", {x()}, {attr_i("axis", 1)});
        const std::string e = g.node("Sub", {g.node("Mul", {g.scalar(2.0f), xf}), g.scalar(1.0f)});
        const auto b = sign_of(weight(w, n, "weight", neurons * m).values);
        const std::string s =
            g.node("MatMul", {e, g.floats("signs", {m, neurons}, transpose(b, neurons, m))});
        const std::string ee = g.node("ReduceSum", {g.node("Mul", {e, e}), g.ints("axes", {1})},
                                      {attr_i("keepdims", 1)});
        const std::string num = g.node(
            "Add", {g.node("Sub", {g.scalar(static_cast<float>(m)), ee}), g.node("Mul", {s, s})});
        y = g.node("Div", {num, g.scalar(static_cast<float>(m * m))});
        flat[i] = true;
        break;
      }
      case OpKind::kQfN: {
        // Inference: per feature, lift (running mean <= 0.5): x + f (1 - x), else f x; times
        // the individual factor g (coex/torch/qf_layers.hpp).
        const std::int64_t c = in.elements();
        const auto& rm = weight(w, n, "running_mean", c).values;
        const auto& rf = weight(w, n, "running_factor", c).values;
        std::vector<float> lift(static_cast<std::size_t>(c)), f(lift.size()), gi(lift.size());
        for (std::size_t j = 0; j < lift.size(); ++j) {
          const bool l = rm[j] <= 0.5f;
          const float mc = std::min(1.0f - 1e-6f, std::max(1e-6f, rm[j]));
          lift[j] = l ? 1.0f : 0.0f;
          f[j] = l ? (0.5f - mc) / (1.0f - mc) : 0.5f / mc;
          gi[j] = std::min(1.0f, rf[j]);
        }
        const std::string xf = in_flat ? x() : g.node("Flatten", {x()}, {attr_i("axis", 1)});
        const std::string fv = g.floats("f", {c}, f);
        const std::string lifted =
            g.node("Add", {xf, g.node("Mul", {fv, g.node("Sub", {g.scalar(1.0f), xf})})});
        const std::string scaled = g.node("Mul", {fv, xf});
        const std::string cond = g.node("Greater", {g.floats("lift", {c}, lift), g.scalar(0.5f)});
        y = g.node("Mul", {g.node("Where", {cond, lifted, scaled}), g.floats("g", {c}, gi)});
        flat[i] = true;
        break;
      }
    }
    name[i] = y;
  }
  // The output under its public name.
  const Node& out = nodes.back();
  g.node("Identity", {name.back()}, {}, "logits");
  if (flat.back())
    g.value_info(12, "logits", {-1, out.shape.elements()});
  else
    g.value_info(12, "logits", {-1, out.shape.c, out.shape.h, out.shape.w});
  g.proto().bytes_field(2, o.graph_name);
  if (!o.doc.empty()) g.proto().bytes_field(10, o.doc);

  Proto model;
  model.int_field(1, kOnnxIrVersion);
  model.bytes_field(2, "coex");
  model.bytes_field(3, o.producer_version);
  model.message_field(7, g.proto());
  Proto opset;
  opset.bytes_field(1, "");
  opset.int_field(2, kOnnxOpset);
  model.message_field(8, opset);
  for (const auto& [key, value] : o.metadata) {
    Proto kv;
    kv.bytes_field(1, key);
    kv.bytes_field(2, value);
    model.message_field(14, kv);
  }
  return model.bytes();
}

}  // namespace coex::deploy
