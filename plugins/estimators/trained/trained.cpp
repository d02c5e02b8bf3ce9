// Estimator `trained`: trains the decoded network on the task's dataset (MNIST, Fashion-MNIST,
// CIFAR-10/100 or an image folder) with LibTorch and returns its accuracy on a held-out
// validation split (the slow level).
#include <chrono>
#include <map>
#include <utility>

#include "coex/error.hpp"
#include "coex/log.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"
#include "coex/torch/dataset.hpp"
#include "coex/torch/lower.hpp"
#include "coex/torch/train.hpp"

namespace coex::plugins::trained {

namespace tb = coex::torch_bridge;

class Trained final : public AccuracyEstimator {
 public:
  Trained(const Options& o, const PluginContext& ctx) : task_(ctx.task) {
    const int channels = tb::dataset_channels(task_.dataset);
    if (!channels)
      throw ConfigError(
          "estimator 'trained' trains on a dataset (mnist, fashion_mnist, cifar10, "
          "cifar100, image_folder), not \"" +
          task_.dataset + "\"");
    if (task_.input.c != channels || task_.input.h != task_.input.w)
      throw ConfigError("estimator 'trained': " + task_.dataset + " images have " +
                        std::to_string(channels) + " channel(s) and are square; task input is " +
                        task_.input.to_string());
    split_.train_size = o.get_int("train_size");
    split_.validation_size = o.get_int("validation_size");
    split_.labels = task_.labels;
    split_.split_seed = static_cast<std::uint64_t>(o.get_int("split_seed"));
    train_.epochs = static_cast<int>(o.get_int("epochs"));
    train_.batch = o.get_int("batch");
    train_.optimizer = o.get_string("optimizer");
    train_.lr = o.get_real("lr");
    for (auto m : o.get_int_list("lr_milestones"))
      train_.lr_milestones.push_back(static_cast<int>(m));
    train_.lr_gamma = o.get_real("lr_gamma");
    train_.momentum = o.get_real("momentum");
    train_.weight_decay = o.get_real("weight_decay");
    train_.threads = static_cast<int>(o.get_int("threads"));
    train_.bn_recalibration_images = o.get_int("bn_recalibration_images");
    seed_ = o.get_int("seed") >= 0 ? static_cast<std::uint64_t>(o.get_int("seed")) : ctx.seed;
    // Load now: a missing dataset or a subset too small for the sizes is reported before the
    // run starts.
    splits_for(task_.input.h, false);
  }

  static OptionSchema schema() {
    OptionSchema s;
    s.add_int("train_size", 6000,
              "Training images drawn from the dataset's training images (60,000 for the MNISTs, "
              "50,000 for CIFAR; train_size + validation_size must not exceed them)",
              64, 10000000, "images");
    s.add_int("validation_size", 2000,
              "Validation images (disjoint from training) for the accuracy", 100, 10000000,
              "images");
    s.add_int("split_seed", 0, "Seed of the train/validation split (fixed across networks)", 0,
              1LL << 40);
    s.add_int("epochs", 1, "Training epochs", 1, 1000, "epochs");
    s.add_int("batch", 64, "Mini-batch size", 2, 4096, "images");
    s.add_string("optimizer", "adam", "Optimiser", {"adam", "sgd"});
    s.add_real("lr", 1e-3, "Learning rate", 1e-6, 10);
    s.add_int_list("lr_milestones", {},
                   "Epochs after which the learning rate is multiplied by lr_gamma (MultiStepLR; "
                   "empty = constant)",
                   1, 1000, "epochs");
    s.add_real("lr_gamma", 0.1, "Learning-rate factor at each milestone", 1e-6, 1);
    s.add_real("momentum", 0.9, "SGD momentum", 0, 0.999);
    s.add_real("weight_decay", 0, "L2 weight decay", 0, 1);
    s.add_int("bn_recalibration_images", 0,
              "After training, re-estimate batch-norm statistics as the average over this many "
              "training images (0 = off; advised for adder layers, whose outputs drift faster "
              "than the running averages follow)",
              0, 59000, "images");
    s.add_int("threads", 2, "LibTorch intra-op threads (0 = LibTorch's default)", 0, 256,
              "threads");
    s.add_int("seed", -1,
              "Seed of initialisation and shuffling (-1 = derived from the run seed); "
              "each network is seeded with this and its structural hash",
              -1, 1LL << 40);
    return s;
  }

  bool training_free() const override { return false; }

  Estimate estimate(const Network& net, const EstimateContext&) override {
    tb::TrainOptions t = train_;
    t.seed = seed_ ^ net.hash();
    torch::manual_seed(t.seed);
    const Shape in = net.node(0).shape;
    if (in.c != task_.input.c || in.h != in.w)
      throw InvalidCandidate("estimator 'trained': network input " + in.to_string() +
                             " is not a square image of the dataset's " +
                             std::to_string(task_.input.c) + " channel(s)");
    const auto& data = splits_for(in.h, tb::reads_unit_range(net));
    auto model = tb::lower(net);
    const auto r = tb::train_and_evaluate(model, data.train, data.validation, t);
    Estimate e;
    e.accuracy = r.accuracy;
    e.seconds = r.train_seconds;
    e.extras.set("loss", r.final_loss);
    e.extras.set("train_images_per_s", r.images_per_second);
    logger()->info("trained {}: accuracy {:.4f}, loss {:.4f}, {:.1f} s", net.hash_hex(), r.accuracy,
                   r.final_loss, r.train_seconds);
    return e;
  }

 private:
  Task task_;
  tb::SplitOptions split_;
  tb::TrainOptions train_;
  std::uint64_t seed_ = 0;
  // Splits per (side, pixels in [0, 1]): a search space may choose the input resolution, and
  // networks with quantum layers read unscaled pixels.
  const tb::Splits& splits_for(std::int64_t side, bool unit_range) {
    const auto key = std::make_pair(side, unit_range);
    auto it = splits_.find(key);
    if (it != splits_.end()) return it->second;
    tb::SplitOptions o = split_;
    o.resize = static_cast<int>(side);  // the native side is left as it is
    o.unit_range = unit_range;
    return splits_.emplace(key, tb::load_dataset(task_.dataset, task_.data_dir, o)).first->second;
  }

  std::map<std::pair<std::int64_t, bool>, tb::Splits> splits_;
};

}  // namespace coex::plugins::trained

COEX_PLUGIN(
    coex::plugins::trained::Trained, "trained", "0.1.0",
    "Trains the network on the task's dataset with LibTorch; accuracy on a held-out validation "
    "split")
