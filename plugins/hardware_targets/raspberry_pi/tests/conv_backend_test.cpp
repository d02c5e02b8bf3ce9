// raspberry_pi: the model's convolution kernel rule is LibTorch's own (needs LibTorch).
#include <gtest/gtest.h>

#include <ATen/native/ConvUtils.h>
#include <torch/torch.h>

#include "cpu_model.hpp"

using namespace coex;

TEST(CpuModel, ConvBackendRuleIsLibTorchsOwnChoice) {
  // The raspberry_pi latency model's convolution kinds follow the kernel LibTorch selects
  // (oneDNN or native im2col + GEMM) at batch 1 on one thread; checked against LibTorch itself.
  if (!at::hasMKLDNN()) GTEST_SKIP() << "this LibTorch build has no oneDNN";
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  int dnn = 0, native = 0;
  for (int h : {28, 14, 7, 4})
    for (int k : {1, 3, 5})
      for (int s : {1, 2})
        for (int cin : {1, 3, 16, 24, 64, 144})
          for (int cout : {4, 16, 64})
            for (bool depthwise : {false, true}) {
              if (depthwise && cin != cout) continue;
              const int groups = depthwise ? cin : 1;
              const auto x = torch::empty({1, cin, h, h});
              const auto w = torch::empty({cout, cin / groups, k, k});
              const bool torch_dnn = at::native::select_conv_backend(
                                         x, w, c10::nullopt, {s, s}, {k / 2, k / 2}, {1, 1}, false,
                                         {0, 0}, groups) == at::native::ConvBackend::Mkldnn;
              const bool model_dnn = coex::cpu_model::conv_backend(cin, h, h, k, s, groups) ==
                                     coex::cpu_model::ConvBackend::kOneDnn;
              EXPECT_EQ(model_dnn, torch_dnn) << cin << "->" << cout << " k" << k << " s" << s
                                              << " " << h << "x" << h << " groups " << groups;
              (torch_dnn ? dnn : native) += 1;
            }
  torch::set_num_threads(threads);
  EXPECT_GT(dnn, 50);  // both kernels occur on the grid
  EXPECT_GT(native, 50);
}
