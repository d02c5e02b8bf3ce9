#include "chain_cnn.hpp"

#include <algorithm>

#include "coex/description.hpp"
#include "coex/error.hpp"
#include "coex/plugin_entry.hpp"

namespace coex::plugins::chain_cnn {

OptionSchema ChainCnn::schema() {
  OptionSchema s;
  s.add_int_list("depths", {6, 10, 14},
                 "Choices of the number of conv layers (6, 10, 14 in the paper)", 1, 64, "layers");
  s.add_int_list("kernels", {1, 3, 5, 7}, "Choices of the square kernel size (odd: 'same' padding)",
                 1, 15, "px");
  s.add_int_list("filters", {24, 36, 48, 64}, "Choices of the number of filters per layer", 1, 4096,
                 "channels");
  s.add_string("stride", "predictable",
               "fixed: stride 1 everywhere; predictable: stride 2 on every `stride_every`-th layer "
               "(1-based), 1 elsewhere; searched: a stride token per layer from `strides`",
               {"fixed", "predictable", "searched"});
  s.add_int("stride_every", 4, "Predictable stride: period of the stride-2 layers", 1, 64,
            "layers");
  s.add_int_list("strides", {1, 2}, "Searched stride: the choices", 1, 8);
  s.add_bool("bn_after_activation", true,
             "Conv -> ReLU -> BN as in the original code (false: Conv -> BN -> ReLU)");
  return s;
}

ChainCnn::ChainCnn(const Options& o, const PluginContext& ctx)
    : depths_(o.get_int_list("depths")),
      kernels_(o.get_int_list("kernels")),
      filters_(o.get_int_list("filters")),
      strides_(o.get_int_list("strides")),
      stride_every_(static_cast<int>(o.get_int("stride_every"))),
      bn_after_activation_(o.get_bool("bn_after_activation")),
      task_(ctx.task) {
  require_choices(depths_, "depths");
  require_choices(kernels_, "kernels");
  require_choices(filters_, "filters");
  require_choices(strides_, "strides");
  for (auto k : kernels_)
    if (k % 2 == 0)
      throw ConfigError("option 'kernels': " + std::to_string(k) +
                        " is even; 'same' padding needs odd kernels");
  const std::string mode = o.get_string("stride");
  stride_mode_ = mode == "fixed"      ? StrideMode::kFixed
                 : mode == "searched" ? StrideMode::kSearched
                                      : StrideMode::kPredictable;
  std::vector<Dimension> dims;
  if (depths_.size() > 1) dims.push_back(Dimension::categorical_of("depth", depths_));
  const auto max_depth = *std::max_element(depths_.begin(), depths_.end());
  for (int i = 1; i <= max_depth; ++i) {
    const std::string p = "L" + std::to_string(i) + "_";
    dims.push_back(Dimension::categorical_of(p + "kernel", kernels_));
    dims.push_back(Dimension::categorical_of(p + "filters", filters_));
    if (stride_mode_ == StrideMode::kSearched)
      dims.push_back(Dimension::categorical_of(p + "stride", strides_));
  }
  space_ = Space(std::move(dims));
}

std::vector<ChainCnn::Layer> ChainCnn::layers(const Point& p) const {
  space_.check(p);
  std::size_t i = 0;
  const auto depth = depths_.size() > 1 ? depths_[static_cast<std::size_t>(p[i++])] : depths_[0];
  std::vector<Layer> out;
  for (int l = 1; l <= depth; ++l) {
    Layer L{};
    L.kernel = static_cast<int>(kernels_[static_cast<std::size_t>(p[i++])]);
    L.filters = static_cast<int>(filters_[static_cast<std::size_t>(p[i++])]);
    switch (stride_mode_) {
      case StrideMode::kFixed:
        L.stride = 1;
        break;
      case StrideMode::kPredictable:
        L.stride = l % stride_every_ == 0 ? 2 : 1;
        break;
      case StrideMode::kSearched:
        L.stride = static_cast<int>(strides_[static_cast<std::size_t>(p[i++])]);
        break;
    }
    out.push_back(L);
  }
  return out;
}

Network ChainCnn::decode(const Point& p) const {
  Network net;
  int x = net.add_input(task_.input);
  for (const auto& L : layers(p)) {
    x = net.add_conv2d_same(x, L.filters, L.kernel, L.stride, true);
    if (bn_after_activation_) {
      x = net.add_activation(x, Activation::kRelu);
      x = net.add_batch_norm(x);
    } else {
      x = net.add_batch_norm(x);
      x = net.add_activation(x, Activation::kRelu);
    }
  }
  x = net.add_flatten(x);
  net.add_linear(x, task_.classes, true);
  return net;
}

std::string ChainCnn::describe(const Point& p) const {
  const auto ls = layers(p);
  std::string s = "depth " + std::to_string(ls.size()) + ": ";
  for (const auto& L : ls)
    s += "[" + std::to_string(L.kernel) + "," + std::to_string(L.filters) + "," +
         std::to_string(L.stride) + "]";
  return s;
}

Point ChainCnn::parse(const std::string& text) const {
  DescriptionReader in(text, [&](const std::string& why) {
    return UserError("'" + text + "' is not a chain_cnn description: " + why +
                     ". Expected 'depth D: ' then D layers '[kernel,filters,stride]'");
  });
  auto index_of = [&](const std::vector<std::int64_t>& choices, std::int64_t v,
                      const std::string& what) {
    const auto it = std::find(choices.begin(), choices.end(), v);
    if (it == choices.end())
      throw in.error(what + " " + std::to_string(v) + " is not one of the option's choices");
    return static_cast<Coordinate>(it - choices.begin());
  };
  Point p(space_.size(), 0);
  std::size_t i = 0;
  in.literal("depth ");
  const auto depth = in.integer();
  if (depths_.size() > 1)
    p[i++] = index_of(depths_, depth, "depth");
  else if (depth != depths_[0])
    throw in.error("depth " + std::to_string(depth) + " is not the configured depth " +
                   std::to_string(depths_[0]));
  in.literal(": ");
  for (int l = 1; l <= depth; ++l) {
    const std::string layer = "layer " + std::to_string(l) + ":";
    in.literal("[");
    p[i++] = index_of(kernels_, in.integer(), layer + " kernel");
    in.literal(",");
    p[i++] = index_of(filters_, in.integer(), layer + " filters");
    in.literal(",");
    const auto stride = in.integer();
    in.literal("]");
    if (stride_mode_ == StrideMode::kSearched) {
      p[i++] = index_of(strides_, stride, layer + " stride");
    } else {
      const int expected =
          stride_mode_ == StrideMode::kFixed ? 1 : (l % stride_every_ == 0 ? 2 : 1);
      if (stride != expected)
        throw in.error(layer + " stride " + std::to_string(stride) + " is not the " +
                       (stride_mode_ == StrideMode::kFixed ? "fixed" : "predictable") + " stride " +
                       std::to_string(expected));
    }
  }
  in.end("the last layer");
  return p;
}

}  // namespace coex::plugins::chain_cnn

COEX_PLUGIN(
    coex::plugins::chain_cnn::ChainCnn, "chain_cnn", "0.1.0",
    "Plain chain CNN of co-exploration NAS: per-layer kernel/filters/stride, choice of depths")
