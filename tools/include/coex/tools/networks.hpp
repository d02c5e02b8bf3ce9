// Networks for calibration tools to measure: generated chain CNNs, or networks sampled from the
// search space of a run config (so that a model is calibrated on the networks it will judge).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coex/network.hpp"

namespace coex::tools {

/// Generated networks: chain CNNs mixing 1x1/3x3/5x5 convolutions (some strided), batch norm,
/// ReLU, max pooling, DenseNet concatenations and residual additions, 2..10 layers of `widths`
/// channels, then global average pooling and a linear classifier of `classes` outputs, on
/// `input`. Deterministic in `seed`. Throws coex::Error if `widths` is empty.
std::vector<Network> generated_networks(std::size_t count, std::uint64_t seed, const Shape& input,
                                        int classes = 10,
                                        const std::vector<int>& widths = {4, 8, 16, 24, 32, 48, 64,
                                                                          96, 128});

/// `count` distinct networks (by hash) decoded from points sampled (seeded by `seed`) from the
/// search space of the run config `config` (with `--set` overrides `sets`), and that config's
/// task input shape.
struct SpaceNetworks {
  std::vector<Network> networks;
  Shape input;
};

/// Loads `config`, creates only its search space plugin (options validated as `coex run` does)
/// and samples it. Throws coex::UserError (exit code 2) for a bad config or plugin, or when fewer
/// than `count` distinct valid networks turn up in 100 * count samples (the message names the
/// config and says to ask for fewer networks).
SpaceNetworks sample_space_networks(const std::string& config, const std::vector<std::string>& sets,
                                    std::size_t count, std::uint64_t seed);

}  // namespace coex::tools
