// libcoex_torch: lowering agrees with the IR, the Fashion-MNIST loader, and a short training run.
#include <gtest/gtest.h>

#include "circuit.hpp"
#include "coex/error.hpp"
#include "coex/torch/dataset.hpp"
#include "coex/torch/lower.hpp"
#include "coex/torch/qf_layers.hpp"
#include "coex/torch/train.hpp"
#include "test_support.hpp"
#include "torch_params.hpp"

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

// --- QuantumFlow layers: the trained classical forms equal the circuits that run them. ---

namespace {
Network qf_hnet(int side, int hidden, int classes) {
  Network n;
  int x = n.add_flatten(n.add_input({1, side, side}));
  x = n.add_qf_u(x, hidden);
  x = n.add_qf_n(x);
  x = n.add_qf_p(x, classes);
  n.add_qf_n(x);
  return n;
}

}  // namespace

TEST(QfLayers, ForwardEqualsTheClosedFormsAndTheSimulatedCircuit) {
  torch::manual_seed(3);
  const Network net = qf_hnet(2, 2, 2);  // 2x2 pixels: at most 20 qubits to simulate
  auto m = tb::lower(net);
  EXPECT_TRUE(tb::reads_unit_range(net));
  EXPECT_FALSE(tb::reads_unit_range(small_net(28)));
  // A few training steps set the N-LYR running statistics (both branches possible).
  auto x = torch::rand({64, 1, 2, 2});
  m->train();
  for (int i = 0; i < 3; ++i) m->forward(x);
  m->eval();
  const auto params = qf::params_from_model(net, m);
  const auto circuit = qf::compile(net, params, {});
  ASSERT_LE(circuit.qubits, 20);
  torch::NoGradGuard no_grad;
  const auto y = m->forward(x.slice(0, 0, 4));
  for (int s = 0; s < 4; ++s) {
    std::vector<double> in;
    for (int i = 0; i < 4; ++i) in.push_back(x[s][0][i / 2][i % 2].item<float>());
    const auto classical = qf::classical_forward(net, params, in);
    const auto simulated = qf::run_exact(circuit, in);
    for (int j = 0; j < 2; ++j) {
      EXPECT_NEAR(y[s][j].item<float>(), classical[static_cast<std::size_t>(j)], 1e-5);
      EXPECT_NEAR(simulated[static_cast<std::size_t>(j)], classical[static_cast<std::size_t>(j)],
                  1e-9);
    }
  }
}

TEST(QfLayers, BinaryWeightsPassGradientsStraightThrough) {
  // U-LYR y = (b . a)^2 / n with b = sign(W): dy/dW = dy/db = 2 (b . a) a / n.
  torch::manual_seed(4);
  tb::QfULayer u(4, 1);
  auto x = torch::rand({1, 4});
  auto y = u->forward(x);
  y.sum().backward();
  const auto a = x / x.norm();
  const auto b = torch::where(u->weight >= 0, 1.0, -1.0).to(torch::kFloat32);
  const auto expect = 2 * (b * a).sum() * a / 4;
  EXPECT_TRUE(torch::allclose(u->weight.grad(), expect, 1e-5, 1e-6));
  // P-LYR y = (m - |e|^2 + (b . e)^2) / m^2: dy/dW = 2 (b . e) e / m^2.
  tb::QfPLayer p(4, 1);
  auto q = torch::rand({1, 4});
  p->forward(q).sum().backward();
  const auto e = 2 * q - 1;
  const auto bp = torch::where(p->weight >= 0, 1.0, -1.0).to(torch::kFloat32);
  EXPECT_TRUE(torch::allclose(p->weight.grad(), 2 * (bp * e).sum() * e / 16, 1e-5, 1e-6));
}

TEST(QfLayers, ClassSubsetsAndUnitRangePixels) {
  tb::SplitOptions o;
  o.labels = {3, 6};
  o.train_size = 9000;
  o.validation_size = 3000;  // all 12,000 training images of the two classes
  o.resize = 4;
  o.unit_range = true;
  const auto s = tb::load_fashion_mnist("/usr/share/datasets/fashion-mnist", o);
  EXPECT_EQ(s.test.size(), 2000);  // 1,000 test images per class
  EXPECT_EQ(s.train.images.sizes(), (std::vector<std::int64_t>{9000, 1, 4, 4}));
  EXPECT_EQ(s.train.labels.min().item<std::int64_t>(), 0);
  EXPECT_EQ(s.train.labels.max().item<std::int64_t>(), 1);
  EXPECT_EQ(
      s.train.labels.sum().item<std::int64_t>() + s.validation.labels.sum().item<std::int64_t>(),
      6000);  // relabelled: 6,000 images of class 6 became label 1
  EXPECT_GE(s.train.images.min().item<float>(), 0.f);
  EXPECT_LE(s.train.images.max().item<float>(), 1.f);
  o.train_size = 12000;
  EXPECT_THROW(tb::load_fashion_mnist("/usr/share/datasets/fashion-mnist", o), UserError);
}

TEST(QfLayers, TrainedEstimatorLearnsATwoClassSubset) {
  Task task;
  task.labels = {1, 9};  // trouser vs ankle boot
  task.classes = 2;
  auto est = test::load_plugin<AccuracyEstimator>("trained",
                                                  {{"train_size", 4000},
                                                   {"validation_size", 1000},
                                                   {"threads", 1},
                                                   {"seed", 5},
                                                   {"epochs", 2},
                                                   {"lr", 0.01},
                                                   {"batch", 32}},
                                                  task);
  const Estimate a = est->estimate(qf_hnet(4, 4, 2));
  EXPECT_GT(a.accuracy, 0.85) << "chance is 0.5";
}

TEST(TorchBridge, LearningRateMilestonesScaleTheRate) {
  // A milestone at epoch 0 with gamma 0 zeroes the rate before the first step: nothing moves;
  // with gamma 1 training moves the weights.
  Network n;
  n.add_linear(n.add_flatten(n.add_input({1, 2, 2})), 2);
  tb::Dataset d{torch::rand({16, 1, 2, 2}), torch::randint(0, 2, {16}, torch::kLong)};
  for (double gamma : {0.0, 1.0}) {
    torch::manual_seed(1);
    auto m = tb::lower(n);
    const auto before = m->parameters()[0].clone();
    tb::TrainOptions o;
    o.epochs = 2;
    o.batch = 8;
    o.lr = 0.1;
    o.lr_milestones = {0};
    o.lr_gamma = gamma;
    tb::train_and_evaluate(m, d, d, o);
    EXPECT_EQ(torch::equal(before, m->parameters()[0]), gamma == 0.0) << "gamma " << gamma;
  }
}
