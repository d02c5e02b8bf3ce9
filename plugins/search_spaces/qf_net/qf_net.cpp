// Search space `qf_net`: QuantumFlow networks (Jiang et al., Nature Communications 2021). A point
// picks the input resolution, the network kind (QF-hNet: a U-LYR first, then P-LYRs; QF-pNet:
// P-LYRs on pixel probabilities), the number of layers, the neurons of each hidden layer and
// whether an N-LYR follows each layer. The last layer has one neuron per class of the task (its
// `labels` subset). README.md lists the options.
#include <algorithm>

#include "coex/error.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"

namespace coex::plugins::qf_net {

namespace {
bool power_of_two(std::int64_t v) { return v >= 2 && (v & (v - 1)) == 0; }

}  // namespace

class QfNet final : public SearchSpace {
 public:
  QfNet(const Options& o, const PluginContext& ctx)
      : resolutions_(o.get_int_list("resolutions")),
        depths_(o.get_int_list("depths")),
        neurons_(o.get_int_list("neurons")),
        kinds_(o.get_string_list("kinds")),
        norms_(o.get_string("norm")),
        classes_(ctx.task.classes) {
    require_choices(resolutions_, "resolutions");
    require_choices(depths_, "depths");
    require_choices(neurons_, "neurons");
    require_choices(kinds_, "kinds");
    for (auto r : resolutions_)
      if (!power_of_two(r))
        throw ConfigError("option 'resolutions': " + std::to_string(r) +
                          " is not a power of two; r x r pixels must be 2^k amplitudes");
    for (auto n : neurons_)
      if (!power_of_two(n))
        throw ConfigError("option 'neurons': " + std::to_string(n) +
                          " is not a power of two >= 2; a P-LYR reads 2^q inputs");
    if (ctx.task.input.c != 1)
      throw ConfigError("search space 'qf_net' needs a 1-channel task; the task input is " +
                        ctx.task.input.to_string());
    std::vector<Dimension> dims;
    if (resolutions_.size() > 1)
      dims.push_back(Dimension::categorical_of("resolution", resolutions_));
    if (kinds_.size() > 1) dims.push_back(Dimension::categorical("kind", kinds_));
    if (depths_.size() > 1) dims.push_back(Dimension::categorical_of("depth", depths_));
    const auto max_depth = *std::max_element(depths_.begin(), depths_.end());
    for (std::int64_t l = 1; l < max_depth; ++l)
      dims.push_back(Dimension::categorical_of("L" + std::to_string(l) + "_neurons", neurons_));
    if (norms_ == "searched")
      for (std::int64_t l = 1; l <= max_depth; ++l)
        dims.push_back(Dimension::categorical("L" + std::to_string(l) + "_norm", {"no", "yes"}));
    space_ = Space(std::move(dims));
  }

  static OptionSchema schema() {
    OptionSchema s;
    s.add_int_list("resolutions", {4, 8},
                   "Choices of the input side r (Fashion-MNIST downsampled to r x r; U-LYR reads "
                   "k = log2(r^2) qubits)",
                   2, 64, "px");
    s.add_string_list("kinds", {"hnet", "pnet"},
                      "Choices of the network kind: hnet (U-LYR first, then P-LYRs) or pnet "
                      "(P-LYRs on pixel probabilities)",
                      {"hnet", "pnet"});
    s.add_int_list("depths", {2},
                   "Choices of the number of quantum layers (the last one has a "
                   "neuron per class)",
                   1, 6, "layers");
    s.add_int_list("neurons", {2, 4, 8, 16},
                   "Choices of the neurons of each hidden layer (powers of two: a P-LYR reads 2^q "
                   "inputs)",
                   2, 4096, "neurons");
    s.add_string("norm", "searched",
                 "N-LYR after each layer: searched (a yes/no per layer), all, or none",
                 {"searched", "all", "none"});
    return s;
  }

  const Space& space() const override { return space_; }

  Network decode(const Point& p) const override {
    const auto d = design(p);
    Network net;
    int x = net.add_input({1, d.resolution, d.resolution});
    x = net.add_flatten(x);
    for (std::size_t l = 0; l < d.neurons.size(); ++l) {
      x = (l == 0 && d.hnet) ? net.add_qf_u(x, d.neurons[l]) : net.add_qf_p(x, d.neurons[l]);
      if (d.norm[l]) x = net.add_qf_n(x);
    }
    return net;
  }

  std::string describe(const Point& p) const override {
    const auto d = design(p);
    std::string s = (d.hnet ? "QF-hNet " : "QF-pNet ") + std::to_string(d.resolution) + "x" +
                    std::to_string(d.resolution) + ": " +
                    std::to_string(d.resolution * d.resolution);
    for (std::size_t l = 0; l < d.neurons.size(); ++l) {
      s += "-" + std::string(l == 0 && d.hnet ? "u" : "p") + std::to_string(d.neurons[l]);
      if (d.norm[l]) s += "n";
    }
    return s;
  }

 private:
  struct Design {
    std::int64_t resolution = 4;
    bool hnet = true;
    std::vector<std::int64_t> neurons;
    std::vector<bool> norm;
  };

  Design design(const Point& p) const {
    space_.check(p);
    std::size_t i = 0;
    auto pick = [&](const std::vector<std::int64_t>& v) {
      return v.size() > 1 ? v[static_cast<std::size_t>(p[i++])] : v[0];
    };
    Design d;
    d.resolution = pick(resolutions_);
    d.hnet = (kinds_.size() > 1 ? kinds_[static_cast<std::size_t>(p[i++])] : kinds_[0]) == "hnet";
    const auto depth = pick(depths_);
    const auto max_depth = *std::max_element(depths_.begin(), depths_.end());
    for (std::int64_t l = 1; l < max_depth; ++l) {
      const auto n = neurons_[static_cast<std::size_t>(p[i++])];
      if (l < depth) d.neurons.push_back(n);
    }
    d.neurons.push_back(classes_);
    for (std::int64_t l = 1; l <= max_depth; ++l) {
      const bool yes = norms_ == "all" || (norms_ == "searched" && p[i++] == 1);
      if (l <= depth) d.norm.push_back(yes);
    }
    return d;
  }

  std::vector<std::int64_t> resolutions_, depths_, neurons_;
  std::vector<std::string> kinds_;
  std::string norms_;
  std::int64_t classes_;
  Space space_;
};

}  // namespace coex::plugins::qf_net

COEX_PLUGIN(coex::plugins::qf_net::QfNet, "qf_net", "0.1.0",
            "QuantumFlow networks: input resolution, QF-hNet or QF-pNet, layers, neurons per "
            "layer, N-LYR per layer; the last layer has a neuron per class")
