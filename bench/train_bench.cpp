// Benchmark (b), coex side: training throughput (images/s) of the `trained` estimator's loop on a
// fixed network, printed as one line "coex images_per_s=<x>" for bench/train_vs_pytorch.sh.
#include <chrono>
#include <cstdio>

#include "coex/torch/dataset.hpp"
#include "coex/torch/lower.hpp"
#include "coex/torch/train.hpp"

using namespace coex;
namespace tb = coex::torch_bridge;

int main(int argc, char** argv) {
  const std::int64_t images = argc > 1 ? std::atoll(argv[1]) : 6000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  // Keep in sync with train_pytorch.py: chain of Conv(3x3, same) -> ReLU -> BN, strides
  // 1,2,1,2,1,1.
  Network net;
  int x = net.add_input({1, 28, 28});
  const int strides[] = {1, 2, 1, 2, 1, 1};
  for (int s : strides) {
    x = net.add_conv2d_same(x, 32, 3, s);
    x = net.add_activation(x, Activation::kRelu);
    x = net.add_batch_norm(x);
  }
  x = net.add_flatten(x);
  net.add_linear(x, 10);
  tb::SplitOptions so;
  so.train_size = images;
  so.validation_size = 1000;
  const auto splits = tb::load_fashion_mnist("/usr/share/datasets/fashion-mnist", so);
  tb::TrainOptions o;
  o.epochs = 1;
  o.batch = 64;
  o.threads = threads;
  o.seed = 1;
  torch::manual_seed(1);
  auto warm = tb::lower(net);
  tb::Dataset small{splits.train.images.slice(0, 0, 256), splits.train.labels.slice(0, 0, 256)};
  tb::train_and_evaluate(warm, small, small, o);  // warm-up (allocator, thread pool)
  torch::manual_seed(1);
  auto model = tb::lower(net);
  const auto r = tb::train_and_evaluate(model, splits.train, splits.validation, o);
  std::printf("coex images_per_s=%.1f accuracy=%.4f params=%lld\n", r.images_per_second, r.accuracy,
              static_cast<long long>(net.trainable_params()));
  return 0;
}
