// The datasets coex trains on, with deterministic train/validation/test splits and optional
// resize: MNIST and Fashion-MNIST (IDX files, gzipped or raw), CIFAR-10 and CIFAR-100 (their
// binary versions) and an image folder (one subfolder per class of PNG or JPEG images, decoded
// with Debian's libstb). docs/datasets.md gives the layouts and where each dataset comes from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "coex/visibility.hpp"

namespace coex::torch_bridge {

/// Images [N, C, H, W] (float; each channel normalised to mean 0 / std 1 over the training
/// images, or pixels in [0, 1] with SplitOptions::unit_range) and labels [N] (int64).
struct Dataset {
  torch::Tensor images;
  torch::Tensor labels;
  std::int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

struct Splits {
  Dataset train;
  Dataset validation;
  Dataset test;
  /// The preprocessing of every image, per channel: x = (pixel / 255 - mean) / std, then the
  /// resize (mean 0 and std 1 with SplitOptions::unit_range). What a deployed model expects.
  std::vector<double> mean, std;
};

struct SplitOptions {
  /// Images taken for training / validation from the training images (disjoint). train_size 0
  /// takes every training image not held out for validation; validation_size may be 0.
  std::int64_t train_size = 6000;
  std::int64_t validation_size = 2000;
  /// Images taken from the test images (0 = all).
  std::int64_t test_size = 0;
  /// Output side (0 = native: 28 for MNIST, 32 for CIFAR; an image folder needs one); bilinear,
  /// anti-aliased when shrinking (28 -> 4 averages 7x7 blocks instead of sampling 16 pixels).
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

/// Loads dataset `name` ("mnist", "fashion_mnist", "cifar10", "cifar100", "image_folder") from
/// `dir`. Decoded files are cached in the process, so repeated calls cost only the split. Throws
/// coex::UserError naming the file, what was expected and where the dataset comes from if a file
/// is missing or malformed, or if sizes are out of range.
COEX_API Splits load_dataset(const std::string& name, const std::string& dir,
                             const SplitOptions& options);

/// load_dataset("fashion_mnist", dir, options).
COEX_API Splits load_fashion_mnist(const std::string& dir, const SplitOptions& options);

/// Channels of dataset `name`'s images (1 for the MNISTs, 3 otherwise); 0 for an unknown name.
COEX_API int dataset_channels(const std::string& name);

}  // namespace coex::torch_bridge
