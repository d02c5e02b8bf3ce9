// Fashion-MNIST from the Debian package's gzipped IDX files, with deterministic
// train/validation/test splits and optional resize.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "coex/visibility.hpp"

namespace coex::torch_bridge {

/// Images [N, 1, H, W] (float; normalised to mean 0 / std 1 over the training file, or pixels in
/// [0, 1] with SplitOptions::unit_range) and labels [N] (int64).
struct Dataset {
  torch::Tensor images;
  torch::Tensor labels;
  std::int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

struct Splits {
  Dataset train;
  Dataset validation;
  Dataset test;
};

struct SplitOptions {
  /// Images taken for training / validation from the 60,000 of the training file (disjoint).
  std::int64_t train_size = 6000;
  std::int64_t validation_size = 2000;
  /// Images taken from the 10,000 of the test file (0 = all).
  std::int64_t test_size = 0;
  /// Output side (0 = native 28); bilinear, anti-aliased when shrinking (28 -> 4 averages 7x7
  /// blocks instead of sampling 16 pixels).
  int resize = 0;
  /// Class subset: the labels kept, relabelled 0..K-1 in this order; sizes then count images of
  /// these classes only. Empty = all ten classes.
  std::vector<int> labels;
  /// Pixels scaled to [0, 1] (probabilities or amplitudes for quantum layers) instead of
  /// standardised.
  bool unit_range = false;
  /// Seed of the split permutation (the split is a function of this seed only).
  std::uint64_t split_seed = 0;
};

/// Reads a gzipped IDX file (images: [N, rows, cols] uint8; labels: [N] uint8). Throws
/// coex::UserError naming the file if it is missing or malformed.
COEX_API torch::Tensor read_idx_gz(const std::string& path);

/// Loads Fashion-MNIST from `dir` (train-images-idx3-ubyte.gz, ...). Decoded files are cached in
/// the process, so repeated calls cost only the split. Throws coex::UserError if files are
/// missing (the message says which package installs them) or sizes are out of range.
COEX_API Splits load_fashion_mnist(const std::string& dir, const SplitOptions& options);

}  // namespace coex::torch_bridge
