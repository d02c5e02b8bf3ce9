#include "torch_params.hpp"

#include "coex/error.hpp"
#include "coex/torch/qf_layers.hpp"

namespace coex::qf {

NetworkParams params_from_model(const Network& net, torch_bridge::IrModule& model) {
  NetworkParams p;
  const auto children = model->named_children();
  for (const auto& n : net.nodes()) {
    if (n.op != OpKind::kQfU && n.op != OpKind::kQfP && n.op != OpKind::kQfN) continue;
    const std::string id = "n" + std::to_string(n.id);
    if (!children.contains(id))
      throw Error("circuit parameters: the model has no module " + id + " for node " +
                  std::to_string(n.id) + "; was it lowered from this network?");
    const auto& child = children[id];
    LayerParams lp;
    if (n.op == OpKind::kQfN) {
      const auto* layer = child->as<torch_bridge::QfNLayerImpl>();
      if (!layer) throw Error("circuit parameters: module " + id + " is not an N-LYR");
      const auto lifts = layer->lifts().to(torch::kCPU);
      const auto f = layer->batch_factor().to(torch::kCPU);
      const auto g = layer->individual_factor().to(torch::kCPU);
      for (std::int64_t i = 0; i < f.size(0); ++i) {
        double t1 = 0, t0 = 0;
        norm_map(lifts[i].item<bool>(), f[i].item<double>(), g[i].item<double>(), t1, t0);
        lp.t1.push_back(t1);
        lp.t0.push_back(t0);
      }
    } else {
      const auto w = child->named_parameters(false)["weight"].detach().to(torch::kCPU).contiguous();
      const auto acc = w.accessor<float, 2>();
      for (std::int64_t j = 0; j < w.size(0); ++j) {
        std::vector<int> row;
        for (std::int64_t i = 0; i < w.size(1); ++i) row.push_back(acc[j][i] >= 0 ? 1 : -1);
        lp.weights.push_back(std::move(row));
      }
    }
    p.emplace(n.id, std::move(lp));
  }
  return p;
}

}  // namespace coex::qf
