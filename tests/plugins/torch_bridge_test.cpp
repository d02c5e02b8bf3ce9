// libcoex_torch: lowering agrees with the IR, the Fashion-MNIST loader, and a short training run.
#include <gtest/gtest.h>

#include "coex/error.hpp"
#include "coex/torch/dataset.hpp"
#include "coex/torch/lower.hpp"
#include "coex/torch/train.hpp"
#include "test_support.hpp"

using namespace coex;
namespace tb = coex::torch_bridge;

namespace {
Network small_net(int side) {
  Network n;
  int x = n.add_input({1, side, side});
  x = n.add_conv2d_same(x, 8, 3, 2);
  x = n.add_activation(x, Activation::kRelu);
  x = n.add_batch_norm(x);
  const int a = n.add_conv2d_same(x, 8, 3, 1);
  const int b = n.add_conv2d_same(x, 8, 1, 1);
  x = n.add_add({a, b});
  x = n.add_concat({x, a});
  x = n.add_max_pool(x, 2, 2);
  x = n.add_flatten(x);
  x = n.add_batch_norm(x);
  n.add_linear(x, 10);
  return n;
}
}  // namespace

TEST(TorchBridge, LoweredModuleMatchesIrShapesAndParameterCounts) {
  const Network net = small_net(28);
  auto m = tb::lower(net);
  std::int64_t trainable = 0, buffers = 0;
  for (const auto& p : m->parameters()) trainable += p.numel();
  for (const auto& b : m->buffers())
    if (b.dim() > 0) buffers += b.numel();  // running mean/var, not the scalar batch counter
  EXPECT_EQ(trainable, net.trainable_params());
  EXPECT_EQ(trainable + buffers, net.params());
  const auto y = m->forward(torch::randn({3, 1, 28, 28}));
  EXPECT_EQ(y.sizes(), (std::vector<std::int64_t>{3, 10}));
}

TEST(TorchBridge, ZeroOpLowersToZeros) {
  Network n;
  const int x = n.add_input({2, 4, 4});
  n.add_zero(n.add_conv2d_same(x, 3, 3, 1));
  auto m = tb::lower(n);
  const auto y = m->forward(torch::randn({2, 2, 4, 4}));
  EXPECT_EQ(y.sizes(), (std::vector<std::int64_t>{2, 3, 4, 4}));
  EXPECT_EQ(y.abs().sum().item<double>(), 0.0);
}

TEST(TorchBridge, FashionMnistSplitsAreDeterministicAndDisjoint) {
  tb::SplitOptions o;
  o.train_size = 500;
  o.validation_size = 200;
  o.test_size = 100;
  o.resize = 16;
  const auto a = tb::load_fashion_mnist("/usr/share/datasets/fashion-mnist", o);
  const auto b = tb::load_fashion_mnist("/usr/share/datasets/fashion-mnist", o);
  EXPECT_EQ(a.train.images.sizes(), (std::vector<std::int64_t>{500, 1, 16, 16}));
  EXPECT_EQ(a.validation.size(), 200);
  EXPECT_EQ(a.test.size(), 100);
  EXPECT_TRUE(torch::equal(a.train.images, b.train.images));
  EXPECT_TRUE(torch::equal(a.validation.labels, b.validation.labels));
  EXPECT_LE(a.train.labels.max().item<std::int64_t>(), 9);
  o.split_seed = 1;
  EXPECT_FALSE(torch::equal(
      tb::load_fashion_mnist("/usr/share/datasets/fashion-mnist", o).train.labels, a.train.labels));
  // The raw files: 60,000 training labels; IDX header checked.
  EXPECT_EQ(tb::read_idx_gz("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz").size(0),
            60000);
}

TEST(TorchBridge, MissingDatasetIsAUserErrorThatSaysHowToFix) {
  try {
    tb::load_fashion_mnist("/nonexistent/fmnist", {});
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(
        std::string(e.what()).find("/nonexistent/fmnist/train-images-idx3-ubyte.gz is missing"),
        std::string::npos);
    EXPECT_NE(std::string(e.what()).find("apt-get install dataset-fashion-mnist"),
              std::string::npos);
  }
}

TEST(TorchBridge, ShortTrainingLearnsAndTrainedEstimatorIsDeterministic) {
  Task task;
  auto est = test::load_plugin<AccuracyEstimator>(
      "trained", {{"train_size", 2000}, {"validation_size", 500}, {"threads", 1}, {"seed", 5}},
      task);
  EXPECT_FALSE(est->training_free());
  const Network net = small_net(28);
  const Estimate a = est->estimate(net);
  EXPECT_GT(a.accuracy, 0.6) << "chance is 0.1";
  EXPECT_EQ(est->estimate(net).accuracy, a.accuracy);
  EXPECT_GT(a.extras.get("train_images_per_s"), 0);
}
