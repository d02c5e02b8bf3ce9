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
  // Per node and channel: the id of the set of conv ids the channel comes from (-1: the image).
  // Sets are interned, so passing a tensor through a layer copies one int per channel; almost
  // every set is a single conv, and only additions make larger ones.
  std::vector<std::vector<int>> sets;
  std::map<std::vector<int>, int> set_id;
  auto intern = [&](std::vector<int> ids) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    auto [it, fresh] = set_id.emplace(ids, static_cast<int>(sets.size()));
    if (fresh) sets.push_back(std::move(ids));
    return it->second;
  };
  const int image = intern({-1}), none = intern({});
  using Sources = std::vector<int>;
  std::vector<Sources> src(net.size());
  // Layers that pass their input's channels on unchanged (norm, activation, pooling) share its
  // Sources: owner[i] is the node whose src holds node i's.
  std::vector<std::size_t> owner(net.size());
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
    owner[i] = i;
    auto in = [&](std::size_t k) -> const Sources& {
      return src[owner[static_cast<std::size_t>(n.inputs.at(k))]];
    };
    switch (n.op) {
      case OpKind::kInput:
        src[i].assign(static_cast<std::size_t>(n.shape.c), image);
        break;
      case OpKind::kConv2d:
      case OpKind::kShiftConv2d:  // the topology is the same whatever a layer's arithmetic
      case OpKind::kAdderConv2d: {
        // Channels per source set, then the predecessor (the latest conv) and the skips.
        std::vector<std::int64_t> count(sets.size(), 0);
        for (int c : in(0)) ++count[static_cast<std::size_t>(c)];
        int pred = -1;
        for (std::size_t set = 0; set < sets.size(); ++set)
          if (count[set])
            for (int id : sets[set]) pred = std::max(pred, id);
        std::int64_t skips = 0;
        for (std::size_t set = 0; set < sets.size(); ++set)
          if (count[set])
            for (int id : sets[set]) skips += id != pred ? count[set] : 0;
        layers.push_back({n.id, n.out_channels, n.shape.h, n.shape.w, pred, skips});
        src[i].assign(static_cast<std::size_t>(n.out_channels), intern({n.id}));
        break;
      }
      case OpKind::kBatchNorm:
      case OpKind::kActivation:
      case OpKind::kMaxPool:
      case OpKind::kAvgPool:
        owner[i] = owner[static_cast<std::size_t>(n.inputs.at(0))];
        break;
      case OpKind::kConcat:
        for (std::size_t k = 0; k < n.inputs.size(); ++k)
          src[i].insert(src[i].end(), in(k).begin(), in(k).end());
        break;
      case OpKind::kChannelSelect:
        src[i].reserve(n.channels.size());
        for (auto c : n.channels) src[i].push_back(in(0).at(static_cast<std::size_t>(c)));
        break;
      case OpKind::kAdd: {
        src[i] = in(0);
        for (std::size_t k = 1; k < n.inputs.size(); ++k)
          for (std::size_t c = 0; c < src[i].size() && c < in(k).size(); ++c) {
            if (src[i][c] == in(k)[c]) continue;
            std::vector<int> u = sets[static_cast<std::size_t>(src[i][c])];
            const auto& v = sets[static_cast<std::size_t>(in(k)[c])];
            u.insert(u.end(), v.begin(), v.end());
            src[i][c] = intern(std::move(u));
          }
        break;
      }
      case OpKind::kZero:
      case OpKind::kLinear:
      case OpKind::kGlobalAvgPool:
      case OpKind::kFlatten:
      case OpKind::kQfU:
      case OpKind::kQfP:
      case OpKind::kQfN:
        // Zero has no source; at the head channels lose their identity (no conv cell follows);
        // QuantumFlow layers are dense, not conv cells.
        src[i].assign(static_cast<std::size_t>(n.shape.c), none);
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
