// A seeded training and evaluation loop over a lowered network.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "coex/torch/dataset.hpp"
#include "coex/torch/lower.hpp"

namespace coex::torch_bridge {

struct TrainOptions {
  int epochs = 1;
  std::int64_t batch = 64;
  std::string optimizer = "adam";  ///< "adam" or "sgd"
  double lr = 1e-3;
  /// Epochs (0-based counts of finished epochs) at which the learning rate is multiplied by
  /// lr_gamma (MultiStepLR); empty = constant.
  std::vector<int> lr_milestones;
  double lr_gamma = 0.1;
  double momentum = 0.9;  ///< sgd only
  double weight_decay = 0;
  /// After training, re-estimate every batch norm's running statistics as the plain average over
  /// this many training images (train mode, no gradients; 0 = off). Adder layers' outputs are
  /// large and move fast under SGD, so the exponential running averages lag the final weights.
  std::int64_t bn_recalibration_images = 0;
  int threads = 0;         ///< intra-op threads (0 = leave as is)
  std::uint64_t seed = 0;  ///< initialisation and shuffling
};

struct TrainResult {
  double accuracy = 0;    ///< on the evaluation set
  double final_loss = 0;  ///< mean training loss of the last epoch
  double train_seconds = 0;
  double images_per_second = 0;  ///< training throughput
};

/// The optimiser `options` names ("adam" or "sgd", with lr, momentum and weight_decay) over
/// `model`'s parameters. Throws coex::ConfigError for another name.
COEX_API std::unique_ptr<torch::optim::Optimizer> make_optimizer(IrModule& model,
                                                                 const TrainOptions& options);

/// What one epoch did.
struct EpochStats {
  double mean_loss = 0;      ///< mean cross-entropy over the epoch's batches
  std::int64_t batches = 0;  ///< optimiser steps taken
};

/// Batches of `order`: ceil(N / batch), less a last batch of one image (batch norm needs two).
COEX_API std::int64_t batches_per_epoch(std::int64_t images, std::int64_t batch);

/// One epoch of mini-batch training of `model` (train mode) with `opt` on `train`, in the order
/// `order` (a permutation of 0..N-1; a last batch of one image is skipped). Before batch k of the
/// epoch, when `lr` is set, every parameter group's learning rate is set to lr(k). `progress`,
/// when set, is called after each batch with the images done so far in this epoch.
COEX_API EpochStats train_epoch(IrModule& model, torch::optim::Optimizer& opt, const Dataset& train,
                                const std::vector<std::int64_t>& order, std::int64_t batch,
                                const std::function<double(std::int64_t)>& lr = {},
                                const std::function<void(std::int64_t)>& progress = {});

/// Resets the running statistics of every batch norm in `model` and re-estimates them as the
/// average over the first `images` images of `data` in batches of `batch` (train mode, no
/// gradients); leaves the model in eval mode. No effect on a model without batch norm.
COEX_API void recalibrate_batch_norm(IrModule& model, const Dataset& data, std::int64_t images,
                                     std::int64_t batch);

/// Top-1 accuracy of `model` on `data` (eval mode, no grad).
COEX_API double evaluate_accuracy(IrModule& model, const Dataset& data, std::int64_t batch = 256);

/// Trains `model` on `train` (cross-entropy), then measures accuracy on `eval`. Deterministic for
/// a given seed and thread count.
COEX_API TrainResult train_and_evaluate(IrModule& model, const Dataset& train, const Dataset& eval,
                                        const TrainOptions& options);

}  // namespace coex::torch_bridge
