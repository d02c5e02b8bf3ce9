#include "topology.hpp"

#include <algorithm>
#include <map>

#include "coex/error.hpp"

namespace coex::nn_degree {

const char* variant_name(DegreeVariant v) {
  switch (v) {
    case DegreeVariant::kOut:
      return "out";
    case DegreeVariant::kInOut:
      return "in_out";
    case DegreeVariant::kBoundary:
      return "boundary";
  }
  return "?";
}

DegreeVariant variant_from_name(const std::string& n) {
  for (auto v : {DegreeVariant::kOut, DegreeVariant::kInOut, DegreeVariant::kBoundary})
    if (n == variant_name(v)) return v;
  throw ConfigError("unknown NN-Degree variant '" + n + "' (known: out, in_out, boundary)");
}

double Topology::nn_mass() const {
  double m = 0;
  for (const auto& c : cells)
    if (c.pool > 0)
      m += static_cast<double>(c.skips) / static_cast<double>(c.pool) * c.width * c.depth;
  return m;
}

double Topology::nn_degree(DegreeVariant v) const {
  double g = 0;
  for (const auto& c : cells) {
    if (c.depth == 0) continue;
    const double d = c.depth, t = static_cast<double>(c.skips);
    switch (v) {
      case DegreeVariant::kOut:
        g += c.width + t / d;
        break;
      case DegreeVariant::kInOut:
        g += 2 * (c.width + t / d);
        break;
      case DegreeVariant::kBoundary:
        g += c.width * (d - 1) / d + t / d;
        break;
    }
  }
  return g;
}

Topology analyse(const Network& net) {
  // Per node and channel: the conv ids the channel comes from (-1: the image).
  using Sources = std::vector<std::vector<int>>;
  std::vector<Sources> src(net.size());
  struct Layer {
    int id;
    std::int64_t channels;
    std::int64_t h, w;
    int predecessor;  // conv id, -1 for the image
    std::int64_t skips;
  };
  std::vector<Layer> layers;
  for (std::size_t i = 0; i < net.size(); ++i) {
    const Node& n = net.node(static_cast<int>(i));
    auto in = [&](std::size_t k) -> const Sources& {
      return src[static_cast<std::size_t>(n.inputs.at(k))];
    };
    switch (n.op) {
      case OpKind::kInput:
        src[i].assign(static_cast<std::size_t>(n.shape.c), std::vector<int>{-1});
        break;
      case OpKind::kConv2d: {
        const Sources& s = in(0);
        int pred = -1;
        for (const auto& ch : s)
          for (int id : ch) pred = std::max(pred, id);
        std::int64_t skips = 0;
        for (const auto& ch : s)
          for (int id : ch) skips += id != pred;
        layers.push_back({n.id, n.out_channels, n.shape.h, n.shape.w, pred, skips});
        src[i].assign(static_cast<std::size_t>(n.out_channels), std::vector<int>{n.id});
        break;
      }
      case OpKind::kBatchNorm:
      case OpKind::kActivation:
      case OpKind::kMaxPool:
      case OpKind::kAvgPool:
        src[i] = in(0);
        break;
      case OpKind::kConcat:
        for (std::size_t k = 0; k < n.inputs.size(); ++k)
          src[i].insert(src[i].end(), in(k).begin(), in(k).end());
        break;
      case OpKind::kChannelSelect:
        for (auto c : n.channels) src[i].push_back(in(0).at(static_cast<std::size_t>(c)));
        break;
      case OpKind::kAdd: {
        src[i] = in(0);
        for (std::size_t k = 1; k < n.inputs.size(); ++k)
          for (std::size_t c = 0; c < src[i].size() && c < in(k).size(); ++c)
            for (int id : in(k)[c])
              if (std::find(src[i][c].begin(), src[i][c].end(), id) == src[i][c].end())
                src[i][c].push_back(id);
        break;
      }
      case OpKind::kZero:
        src[i].assign(static_cast<std::size_t>(n.shape.c), std::vector<int>{});
        break;
      case OpKind::kLinear:
      case OpKind::kGlobalAvgPool:
      case OpKind::kFlatten:
        // The head: channels lose their identity; nothing downstream is a conv cell.
        src[i].assign(static_cast<std::size_t>(n.shape.c), std::vector<int>{});
        break;
    }
  }
  Topology t;
  std::map<int, std::size_t> cell_of;  // conv id -> cell index
  std::vector<std::vector<const Layer*>> members;
  for (const auto& l : layers) {
    const bool same =
        !members.empty() && members.back().back()->h == l.h && members.back().back()->w == l.w;
    if (!same) members.emplace_back();
    members.back().push_back(&l);
    cell_of[l.id] = members.size() - 1;
  }
  for (const auto& cell : members) {
    CellTopology c;
    c.depth = static_cast<int>(cell.size());
    double wsum = 0;
    std::int64_t earlier = 0;  // channels of the cell's layers so far
    for (std::size_t k = 0; k < cell.size(); ++k) {
      const Layer& l = *cell[k];
      wsum += static_cast<double>(l.channels);
      c.skips += l.skips;
      // Candidate pool: earlier layers of the cell except the predecessor.
      std::int64_t pred_in_cell = 0;
      if (l.predecessor >= 0 && cell_of.count(l.predecessor) &&
          cell_of[l.predecessor] == cell_of[l.id])
        pred_in_cell = net.node(l.predecessor).out_channels;
      c.pool += earlier - pred_in_cell;
      earlier += l.channels;
    }
    c.width = wsum / c.depth;
    t.cells.push_back(c);
  }
  return t;
}

}  // namespace coex::nn_degree
