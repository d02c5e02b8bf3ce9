// libcoex_torch: lowering agrees with the IR, the Fashion-MNIST loader, and a short training run.
#include <gtest/gtest.h>

#include <ATen/native/ConvUtils.h>

#include <algorithm>

#include "circuit.hpp"
#include "coex/error.hpp"
#include "coex/torch/dataset.hpp"
#include "coex/torch/lower.hpp"
#include "coex/torch/mult_free.hpp"
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

// --- Multiplication-free layers (NASA, issue 6 groundwork) ---

namespace {
// Naive zero-padded convolution-shaped sum: out[b, m, i, j] = sum f(x, w) over c, p, q, with c
// over output m's group of input channels.
template <class Fn>
torch::Tensor naive_window(const torch::Tensor& x, const torch::Tensor& w, int stride, int pad,
                           Fn f, std::int64_t groups = 1) {
  const auto B = x.size(0), H = x.size(2), W = x.size(3);
  const auto M = w.size(0), k = w.size(2), Cg = w.size(1), Mg = M / groups;
  const auto Ho = (H + 2 * pad - k) / stride + 1, Wo = (W + 2 * pad - k) / stride + 1;
  auto out = torch::zeros({B, M, Ho, Wo}, torch::kFloat64);
  const auto xd = x.detach().to(torch::kFloat64).contiguous();
  const auto wd = w.detach().to(torch::kFloat64).contiguous();
  auto xa = xd.accessor<double, 4>();
  auto wa = wd.accessor<double, 4>();
  auto oa = out.accessor<double, 4>();
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t m = 0; m < M; ++m)
      for (std::int64_t i = 0; i < Ho; ++i)
        for (std::int64_t j = 0; j < Wo; ++j) {
          double s = 0;
          for (std::int64_t c = 0; c < Cg; ++c)
            for (std::int64_t p = 0; p < k; ++p)
              for (std::int64_t q = 0; q < k; ++q) {
                const auto r = i * stride + p - pad, t = j * stride + q - pad;
                const auto ci = m / Mg * Cg + c;
                const double v = (r < 0 || r >= H || t < 0 || t >= W) ? 0.0 : xa[b][ci][r][t];
                s += f(v, wa[m][c][p][q]);
              }
          oa[b][m][i][j] = s;
        }
  return out;
}
}  // namespace

TEST(MultFree, ShiftWeightsArePowersOfTwoAndForwardEqualsANaiveConvolution) {
  torch::manual_seed(6);
  const auto w = torch::tensor({0.3, -0.7, 0.75, 0.0, -1e-12, 3.0}, torch::kFloat64);
  const auto q = tb::round_to_power_of_two(w);
  const std::vector<double> expect{0.25, -0.5, 1.0, std::ldexp(1.0, -31), -std::ldexp(1.0, -31),
                                   1.0};
  for (std::size_t i = 0; i < expect.size(); ++i)
    EXPECT_DOUBLE_EQ(q[static_cast<std::int64_t>(i)].item<double>(), expect[i]) << i;
  EXPECT_DOUBLE_EQ(tb::round_to_fixed16(torch::tensor({0.123456}, torch::kFloat64)).item<double>(),
                   32.0 / 256);  // 0.123456 * 256 = 31.6 -> 32
  for (int stride : {1, 2}) {
    tb::ShiftConv2d s(3, 4, 3, stride, 1);
    const auto x = torch::randn({2, 3, 5, 5});
    const auto y = s->forward(x).to(torch::kFloat64);
    const auto ref = naive_window(tb::round_to_fixed16(x), tb::round_to_power_of_two(s->weight),
                                  stride, 1, [](double a, double b) { return a * b; });
    EXPECT_TRUE(torch::allclose(y, ref, 1e-5, 1e-5)) << "stride " << stride;
  }
}

TEST(MultFree, ShiftGradientsPassStraightThrough) {
  // The rounding has zero derivative almost everywhere; the straight-through estimator passes
  // the gradient of the quantised convolution to the float weights and inputs unchanged.
  torch::manual_seed(7);
  tb::ShiftConv2d s(2, 3, 3, 1, 1);
  auto x = torch::randn({1, 2, 4, 4}, torch::requires_grad());
  s->forward(x).pow(2).sum().backward();
  auto xq = tb::round_to_fixed16(x.detach()).requires_grad_();
  auto wq = tb::round_to_power_of_two(s->weight.detach()).requires_grad_();
  torch::nn::functional::conv2d(xq, wq, torch::nn::functional::Conv2dFuncOptions().padding(1))
      .pow(2)
      .sum()
      .backward();
  EXPECT_TRUE(torch::allclose(s->weight.grad(), wq.grad(), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(x.grad(), xq.grad(), 1e-5, 1e-6));
}

TEST(MultFree, AdderForwardEqualsANaiveL1Sum) {
  torch::manual_seed(8);
  for (int stride : {1, 2}) {
    tb::AdderConv2d a(3, 4, 3, stride, 1);
    const auto x = torch::randn({2, 3, 6, 6});
    const auto y = a->forward(x).to(torch::kFloat64);
    const auto ref =
        naive_window(x, a->weight, stride, 1, [](double u, double v) { return -std::abs(u - v); });
    EXPECT_TRUE(torch::allclose(y, ref, 1e-4, 1e-4)) << "stride " << stride;
  }
}

TEST(MultFree, GroupedAndDepthwiseLayersEqualNaiveGroupedSums) {
  // groups 2 (two outputs per group: the batched cdist path) and depthwise (one output per group:
  // the broadcast path), for both layer types.
  torch::manual_seed(12);
  for (std::int64_t groups : {2, 6}) {
    tb::AdderConv2d a(6, 6, 3, 1, 1, groups);
    tb::ShiftConv2d s(6, 6, 3, 2, 1, groups);
    const auto x = torch::randn({2, 6, 5, 5});
    const auto ya = a->forward(x).to(torch::kFloat64);
    const auto ra = naive_window(
        x, a->weight, 1, 1, [](double u, double v) { return -std::abs(u - v); }, groups);
    EXPECT_TRUE(torch::allclose(ya, ra, 1e-4, 1e-4)) << "adder, groups " << groups;
    const auto ys = s->forward(x).to(torch::kFloat64);
    const auto rs = naive_window(
        tb::round_to_fixed16(x), tb::round_to_power_of_two(s->weight), 2, 1,
        [](double u, double v) { return u * v; }, groups);
    EXPECT_TRUE(torch::allclose(ys, rs, 1e-5, 1e-5)) << "shift, groups " << groups;
  }
}

TEST(MultFree, AdderExactGradientsPassAFiniteDifferenceCheck) {
  // In double precision with no x equal to any w, -sum|x - w| is differentiable: the exact mode's
  // gradients match central differences on the dense (groups 1), batched (groups 2) and depthwise
  // (groups 4) paths.
  torch::manual_seed(9);
  for (std::int64_t groups : {1, 2, 4}) {
    tb::AdderConv2d a(4, 4, 2, 1, 0, groups, /*exact_gradient=*/true);
    a->to(torch::kFloat64);
    auto x = torch::randn({1, 4, 3, 3}, torch::kFloat64).requires_grad_();
    const auto probe = torch::randn({1, 4, 2, 2}, torch::kFloat64);
    auto loss = [&] { return (a->forward(x) * probe).sum(); };
    loss().backward();
    torch::NoGradGuard no_grad;
    const double h = 1e-6;
    for (auto* t : {&x, &a->weight}) {
      const auto grad = t->grad().clone().view({-1});
      auto flat = t->detach().view({-1});
      for (std::int64_t i = 0; i < flat.numel(); ++i) {
        const double v = flat[i].item<double>();
        flat[i] = v + h;
        const double up = loss().item<double>();
        flat[i] = v - h;
        const double down = loss().item<double>();
        flat[i] = v;
        EXPECT_NEAR(grad[i].item<double>(), (up - down) / (2 * h), 1e-6)
            << "groups " << groups << (t == &x ? " input " : " weight ") << i;
      }
    }
  }
}

TEST(MultFree, DepthwiseAdderNetGradientsEqualLoops) {
  // AdderNet backward on the depthwise path (3x3, stride 2, padding 1) against loops:
  // dX = sum g HardTanh(w - x) and dW = sum g (x - w), rescaled to eta sqrt(numel) / |dW|.
  torch::manual_seed(13);
  tb::AdderConv2d d(3, 3, 3, 2, 1, 3);
  d->to(torch::kFloat64);
  auto x = torch::randn({2, 3, 5, 5}, torch::kFloat64).requires_grad_();
  const auto probe = torch::randn({2, 3, 3, 3}, torch::kFloat64);
  (d->forward(x) * probe).sum().backward();
  const auto xp = torch::constant_pad_nd(x.detach(), {1, 1, 1, 1});
  auto gxp = torch::zeros_like(xp);
  auto gw = torch::zeros({3, 3, 3}, torch::kFloat64);
  const auto w = d->weight.detach().view({3, 3, 3});
  for (std::int64_t b = 0; b < 2; ++b)
    for (std::int64_t c = 0; c < 3; ++c)
      for (std::int64_t i = 0; i < 3; ++i)
        for (std::int64_t j = 0; j < 3; ++j)
          for (std::int64_t p = 0; p < 3; ++p)
            for (std::int64_t q = 0; q < 3; ++q) {
              const double g = probe[b][c][i][j].item<double>();
              const double diff =
                  xp[b][c][2 * i + p][2 * j + q].item<double>() - w[c][p][q].item<double>();
              gxp[b][c][2 * i + p][2 * j + q] += g * std::clamp(-diff, -1.0, 1.0);
              gw[c][p][q] += g * diff;
            }
  gw = gw * (0.2 * std::sqrt(27.0) / gw.norm());
  EXPECT_TRUE(torch::allclose(x.grad(), gxp.slice(2, 1, 6).slice(3, 1, 6), 1e-9, 1e-9));
  EXPECT_TRUE(torch::allclose(d->weight.grad().view({3, 3, 3}), gw, 1e-9, 1e-9));
}

TEST(MultFree, AdderNetGradientsAreFullPrecisionAndAdaptivelyScaled) {
  torch::manual_seed(10);
  tb::AdderConv2d a(2, 3, 3, 1, 1);
  a->to(torch::kFloat64);
  auto x = torch::randn({2, 2, 4, 4}, torch::kFloat64).requires_grad_();
  const auto probe = torch::randn({2, 3, 4, 4}, torch::kFloat64);
  (a->forward(x) * probe).sum().backward();
  // Reference on unfolded patches: dW = sum_n g (x - w), rescaled to eta sqrt(numel) / |dW|;
  // dX = sum_m g HardTanh(w - x), folded back.
  namespace F = torch::nn::functional;
  const auto cols = F::unfold(x.detach(), F::UnfoldFuncOptions({3, 3}).padding(1));
  const auto X = cols.transpose(1, 2).reshape({-1, cols.size(1)});
  const auto W = a->weight.detach().reshape({3, -1});
  const auto g = probe.reshape({2, 3, -1}).permute({0, 2, 1}).reshape({-1, 3});
  auto dW = torch::zeros_like(W);
  auto dX = torch::zeros_like(X);
  for (std::int64_t n = 0; n < X.size(0); ++n)
    for (std::int64_t m = 0; m < 3; ++m) {
      dW[m] += g[n][m] * (X[n] - W[m]);
      dX[n] += g[n][m] * torch::clamp(W[m] - X[n], -1, 1);
    }
  dW = dW * (0.2 * std::sqrt(static_cast<double>(dW.numel())) / dW.norm());
  EXPECT_TRUE(torch::allclose(a->weight.grad().reshape({3, -1}), dW, 1e-9, 1e-9));
  const auto dx = F::fold(dX.reshape({2, -1, dX.size(1)}).transpose(1, 2),
                          F::FoldFuncOptions({4, 4}, {3, 3}).padding(1));
  EXPECT_TRUE(torch::allclose(x.grad(), dx, 1e-9, 1e-9));
  EXPECT_NEAR(a->weight.grad().norm().item<double>(), 0.2 * std::sqrt(2.0 * 3 * 9), 1e-9);
}

TEST(MultFree, IrShiftAndAdderOpsLowerToTheirModules) {
  Network net;
  int x = net.add_input({1, 12, 12});
  x = net.add_conv2d(x, 8, 3, 1, 1);
  x = net.add_shift_conv2d(x, 16, 3, 2, 1);
  x = net.add_adder_conv2d(x, 16, 3, 1, 1, 16);
  x = net.add_adder_conv2d(x, 8, 1, 1, 0);
  net.add_linear(net.add_flatten(net.add_global_avg_pool(x)), 10);
  auto m = tb::lower(net);
  std::int64_t trainable = 0;
  for (const auto& p : m->parameters()) trainable += p.numel();
  EXPECT_EQ(trainable, net.trainable_params());
  int shift = 0, adder = 0;
  for (const auto& c : m->modules(false)) {
    shift += c->as<tb::ShiftConv2d>() != nullptr;
    if (auto* a = c->as<tb::AdderConv2d>()) {
      ++adder;
      EXPECT_TRUE(a->groups == 16 || a->groups == 1);
    }
  }
  EXPECT_EQ(shift, 1);
  EXPECT_EQ(adder, 2);
  const auto y = m->forward(torch::randn({2, 1, 12, 12}));
  EXPECT_EQ(y.sizes(), (std::vector<std::int64_t>{2, 10}));
}

TEST(MultFree, ASmallHybridNetworkLearnsFashionMnist) {
  // conv stem -> shift conv -> adder conv -> pool -> linear, built in the IR, lowered and trained
  // by the trainer: 14x14 pixels, 3,000 images, 4 epochs of SGD (lr 0.1, momentum 0.9, as
  // AdderNet), one thread (deterministic), batch norm recalibrated on 1,000 training images.
  // Stated accuracy: above 0.65 on 1,000 validation images (chance 0.1).
  torch::manual_seed(11);
  tb::SplitOptions so;
  so.train_size = 3000;
  so.validation_size = 1000;
  so.resize = 14;
  const auto data = tb::load_fashion_mnist("/usr/share/datasets/fashion-mnist", so);
  Network net;
  int x = net.add_input({1, 14, 14});
  x = net.add_activation(net.add_batch_norm(net.add_conv2d(x, 8, 3, 1, 1)), Activation::kRelu);
  x = net.add_activation(net.add_batch_norm(net.add_shift_conv2d(x, 16, 3, 1, 1)),
                         Activation::kRelu);
  x = net.add_activation(net.add_batch_norm(net.add_adder_conv2d(x, 16, 3, 2, 1)),
                         Activation::kRelu);
  net.add_linear(net.add_flatten(net.add_global_avg_pool(x)), 10);
  auto model = tb::lower(net);
  tb::TrainOptions o;
  o.epochs = 4;
  o.optimizer = "sgd";
  o.lr = 0.1;
  o.momentum = 0.9;
  o.threads = 1;
  o.seed = 11;
  o.bn_recalibration_images = 1000;
  const auto r = tb::train_and_evaluate(model, data.train, data.validation, o);
  std::printf("hybrid conv/shift/adder network: validation accuracy %.3f\n", r.accuracy);
  EXPECT_GT(r.accuracy, 0.65) << "chance is 0.1";
}

TEST(TorchBridge, BatchNormRecalibrationAveragesTheGivenImages) {
  // After recalibration, a batch norm's running mean and variance are the mean over batches of
  // each batch's mean and unbiased variance (cumulative average), whatever they were before.
  Network net;
  int x = net.add_input({2, 3, 3});
  net.add_batch_norm(x);
  auto m = tb::lower(net);
  tb::Dataset d;
  d.images = torch::randn({8, 2, 3, 3}) * 3 + 1;
  d.labels = torch::zeros({8}, torch::kLong);
  auto* bn = m->modules(false)[0]->as<torch::nn::BatchNorm2d>();
  ASSERT_NE(bn, nullptr);
  bn->running_mean.fill_(42);
  tb::recalibrate_batch_norm(m, d, 8, 4);
  const auto a = d.images.slice(0, 0, 4), b = d.images.slice(0, 4, 8);
  const auto mean = (a.mean({0, 2, 3}) + b.mean({0, 2, 3})) / 2;
  const auto var =
      (a.transpose(0, 1).reshape({2, -1}).var(1) + b.transpose(0, 1).reshape({2, -1}).var(1)) / 2;
  EXPECT_TRUE(torch::allclose(bn->running_mean, mean, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(bn->running_var, var, 1e-5, 1e-5));
  EXPECT_FALSE(m->is_training());
  ASSERT_TRUE(bn->options.momentum().has_value()) << "momentum restored";
  EXPECT_DOUBLE_EQ(*bn->options.momentum(), 0.1);
}
