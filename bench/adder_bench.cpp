// Adder-convolution training throughput against a convolution of the same shape (issue 6
// benchmark): forward + backward + SGD step per second on one batch, for AdderConv2d (L1 cdist
// forward, AdderNet backward), ShiftConv2d (power-of-two weights, straight-through) and
// torch::nn::Conv2d, in one run. Usage: coex_adder_bench [threads]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "coex/torch/mult_free.hpp"

namespace tb = coex::torch_bridge;

namespace {
template <class M>
double steps_per_second(M& module, const torch::Tensor& x, int steps) {
  torch::optim::SGD opt(module->parameters(), torch::optim::SGDOptions(0.01));
  auto step = [&] {
    opt.zero_grad();
    module->forward(x).pow(2).mean().backward();
    opt.step();
  };
  step();  // warm-up
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  return steps / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
  torch::set_num_threads(argc > 1 ? std::atoi(argv[1]) : 2);
  torch::manual_seed(0);
  std::printf("%-34s %10s %10s %10s %10s\n", "shape (batch, C->M, HxW, k)", "conv/s", "shift/s",
              "adder/s", "adder/conv");
  struct Shape {
    int b, c, m, hw, k, groups;
  };
  // The first three: plain layers; the last two: an MBConv cell's expansion (1x1, 24 -> 144) and
  // depthwise layer (144 groups) at 8x8, as in configs/nasa_hybrid.toml.
  for (const Shape s :
       {Shape{64, 16, 16, 14, 3, 1}, Shape{32, 32, 32, 8, 3, 1}, Shape{64, 16, 32, 7, 1, 1},
        Shape{64, 24, 144, 8, 1, 1}, Shape{64, 144, 144, 8, 3, 144}}) {
    const auto x = torch::randn({s.b, s.c, s.hw, s.hw});
    torch::nn::Conv2d conv(
        torch::nn::Conv2dOptions(s.c, s.m, s.k).padding(s.k / 2).groups(s.groups).bias(false));
    tb::ShiftConv2d shift(s.c, s.m, s.k, 1, s.k / 2, s.groups);
    tb::AdderConv2d adder(s.c, s.m, s.k, 1, s.k / 2, s.groups);
    const double c = steps_per_second(conv, x, 40), sh = steps_per_second(shift, x, 40),
                 a = steps_per_second(adder, x, 10);
    char name[64];
    std::snprintf(name, sizeof name, "%d, %d->%d, %dx%d, %d%s", s.b, s.c, s.m, s.hw, s.hw, s.k,
                  s.groups > 1 ? " dw" : "");
    std::printf("%-34s %10.1f %10.1f %10.1f %10.3f\n", name, c, sh, a, a / c);
  }
  return 0;
}
