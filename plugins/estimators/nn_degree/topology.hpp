// NN-Mass and NN-Degree of any IR network, from its topology alone (FLASH / NN-Mass; see
// README.md for the definitions and Li et al., ACM TECS 2021).
//
// The network is read as a graph of channels. Every conv2d layer's input channels are traced back
// through the ops that carry channels unchanged (batch norm, activation, pooling, concat,
// channel_select, add) to the conv layers (or the image) they come from. The latest such conv is
// the layer's predecessor: its channels are the regular edges. Every other (channel, source)
// pair is a skip link: a concatenated channel of an earlier layer (DenseNet), or an earlier
// layer's channel added in (ResNet, MobileNet-v2). Cells are the maximal runs of consecutive conv
// layers with the same output resolution.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coex/network.hpp"

namespace coex::nn_degree {

/// One cell: a run of conv layers at one resolution.
struct CellTopology {
  int depth = 0;           ///< d_c: conv layers in the cell
  double width = 0;        ///< w_c: mean output channels of those layers
  std::int64_t skips = 0;  ///< t_c: skip-link channels arriving at the cell's layers
  std::int64_t pool = 0;   ///< sum over layers of the candidate pool P (earlier layers of the
                           ///< cell, excluding the predecessor): NN-Mass's denominator
};

enum class DegreeVariant {
  kOut,       ///< g_c = w_c + t_c / d_c (FLASH's form)
  kInOut,     ///< twice that: incoming and outgoing edges
  kBoundary,  ///< g_c = w_c (d_c - 1) / d_c + t_c / d_c (no regular edges into a cell's first
              ///< layer)
};

const char* variant_name(DegreeVariant v);
/// Throws coex::ConfigError for an unknown name.
DegreeVariant variant_from_name(const std::string& name);

struct Topology {
  std::vector<CellTopology> cells;
  /// NN-Mass = sum_c rho_c w_c d_c with rho_c = t_c / P_c (0 when P_c = 0).
  double nn_mass() const;
  /// NN-Degree = sum_c g_c of the chosen variant.
  double nn_degree(DegreeVariant v = DegreeVariant::kOut) const;
};

/// Analyses `net`. A network without conv layers has no cells (degree 0).
Topology analyse(const Network& net);

}  // namespace coex::nn_degree
