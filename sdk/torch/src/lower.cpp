#include "coex/torch/lower.hpp"

#include "coex/error.hpp"
#include "coex/torch/mult_free.hpp"
#include "coex/torch/qf_layers.hpp"

namespace coex::torch_bridge {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

IrModuleImpl::IrModuleImpl(const Network& net) : net_(net) {
  const auto& nodes = net_.nodes();
  modules_.resize(nodes.size());
  // A tensor is flat ([B, F]) after flatten, linear and global pooling.
  std::vector<bool> flat(nodes.size(), false);
  for (const auto& n : nodes) {
    const auto i = static_cast<std::size_t>(n.id);
    const Shape in = net_.input_shape(n);
    const bool in_flat = !n.inputs.empty() && flat[static_cast<std::size_t>(n.inputs[0])];
    const std::string name = "n" + std::to_string(n.id);
    switch (n.op) {
      case OpKind::kConv2d: {
        if (in_flat)
          throw Error("coex_torch: conv2d on a flat tensor (node " + std::to_string(n.id) + ")");
        auto m = nn::Conv2d(nn::Conv2dOptions(in.c, n.out_channels, n.kernel)
                                .stride(n.stride)
                                .padding(n.padding)
                                .groups(n.groups)
                                .bias(n.bias));
        register_module(name, m);
        modules_[i] = nn::AnyModule(m);
        break;
      }
      case OpKind::kShiftConv2d:
      case OpKind::kAdderConv2d: {
        if (in_flat)
          throw Error("coex_torch: " + std::string(op_name(n.op)) + " on a flat tensor (node " +
                      std::to_string(n.id) + ")");
        if (n.op == OpKind::kShiftConv2d) {
          auto m = ShiftConv2d(in.c, n.out_channels, n.kernel, n.stride, n.padding, n.groups);
          register_module(name, m);
          modules_[i] = nn::AnyModule(m);
        } else {
          auto m = AdderConv2d(in.c, n.out_channels, n.kernel, n.stride, n.padding, n.groups);
          register_module(name, m);
          modules_[i] = nn::AnyModule(m);
        }
        break;
      }
      case OpKind::kLinear: {
        auto m = nn::Linear(nn::LinearOptions(in.c, n.out_channels).bias(n.bias));
        register_module(name, m);
        modules_[i] = nn::AnyModule(m);
        flat[i] = true;
        break;
      }
      case OpKind::kBatchNorm: {
        // eps 1e-3 as Keras; momentum 0.1 (torch) rather than Keras 0.01: with the short
        // trainings of NAS, running statistics must converge within a few dozen steps.
        if (in_flat) {
          auto m = nn::BatchNorm1d(nn::BatchNormOptions(in.c).momentum(0.1).eps(1e-3));
          register_module(name, m);
          modules_[i] = nn::AnyModule(m);
        } else {
          auto m = nn::BatchNorm2d(nn::BatchNormOptions(in.c).momentum(0.1).eps(1e-3));
          register_module(name, m);
          modules_[i] = nn::AnyModule(m);
        }
        flat[i] = in_flat;
        break;
      }
      case OpKind::kQfU:
      case OpKind::kQfP:
      case OpKind::kQfN: {
        if (!in_flat && (in.h != 1 || in.w != 1))
          throw Error("coex_torch: " + std::string(op_name(n.op)) + " on a non-flat tensor (node " +
                      std::to_string(n.id) + ")");
        if (n.op == OpKind::kQfU) {
          auto m = QfULayer(in.c, n.out_channels);
          register_module(name, m);
          modules_[i] = nn::AnyModule(m);
        } else if (n.op == OpKind::kQfP) {
          auto m = QfPLayer(in.c, n.out_channels);
          register_module(name, m);
          modules_[i] = nn::AnyModule(m);
        } else {
          auto m = QfNLayer(in.c);
          register_module(name, m);
          modules_[i] = nn::AnyModule(m);
        }
        flat[i] = true;
        break;
      }
      case OpKind::kFlatten:
      case OpKind::kGlobalAvgPool:
        flat[i] = true;
        break;
      default:
        flat[i] = in_flat;
        break;
    }
  }
}

torch::Tensor IrModuleImpl::forward(torch::Tensor x) {
  const auto& nodes = net_.nodes();
  std::vector<torch::Tensor> out(nodes.size());
  auto in = [&](const Node& n, std::size_t k = 0) -> torch::Tensor& {
    return out[static_cast<std::size_t>(n.inputs[k])];
  };
  for (const auto& n : nodes) {
    const auto i = static_cast<std::size_t>(n.id);
    switch (n.op) {
      case OpKind::kInput:
        out[i] = x;
        break;
      case OpKind::kConv2d:
      case OpKind::kShiftConv2d:
      case OpKind::kAdderConv2d:
      case OpKind::kLinear:
      case OpKind::kBatchNorm:
      case OpKind::kQfU:
      case OpKind::kQfP:
      case OpKind::kQfN:
        out[i] = modules_[i].forward(in(n));
        break;
      case OpKind::kActivation:
        switch (n.activation) {
          case Activation::kRelu:
            out[i] = torch::relu(in(n));
            break;
          case Activation::kRelu6:
            out[i] = torch::clamp(in(n), 0, 6);
            break;
          case Activation::kSigmoid:
            out[i] = torch::sigmoid(in(n));
            break;
          case Activation::kTanh:
            out[i] = torch::tanh(in(n));
            break;
          case Activation::kIdentity:
            out[i] = in(n);
            break;
        }
        break;
      case OpKind::kMaxPool:
        out[i] = F::max_pool2d(
            in(n), F::MaxPool2dFuncOptions(n.kernel).stride(n.stride).padding(n.padding));
        break;
      case OpKind::kAvgPool:
        out[i] = F::avg_pool2d(
            in(n), F::AvgPool2dFuncOptions(n.kernel).stride(n.stride).padding(n.padding));
        break;
      case OpKind::kGlobalAvgPool:
        out[i] = in(n).mean({2, 3});
        break;
      case OpKind::kAdd: {
        torch::Tensor s = in(n, 0);
        for (std::size_t k = 1; k < n.inputs.size(); ++k) s = s + in(n, k);
        out[i] = s;
        break;
      }
      case OpKind::kConcat: {
        std::vector<torch::Tensor> parts;
        for (std::size_t k = 0; k < n.inputs.size(); ++k) parts.push_back(in(n, k));
        out[i] = torch::cat(parts, 1);
        break;
      }
      case OpKind::kFlatten:
        out[i] = in(n).flatten(1);
        break;
      case OpKind::kZero:
        out[i] = torch::zeros_like(in(n));
        break;
      case OpKind::kChannelSelect:
        out[i] = in(n).index_select(1, torch::tensor(n.channels, torch::kLong));
        break;
    }
  }
  return out.back();
}

IrModule lower(const Network& net) { return IrModule(net); }

bool reads_unit_range(const Network& net) {
  for (const auto& n : net.nodes())
    if (n.op == OpKind::kQfU || n.op == OpKind::kQfP || n.op == OpKind::kQfN) return true;
  return false;
}

}  // namespace coex::torch_bridge
