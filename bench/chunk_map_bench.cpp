// Chunk accelerator mapping speed (issue 6): layers mapped per second by the mapper on the
// reference's 22-cell MBConv network (NASA, Shi et al. ICCAD 2022: stem 3x3 -> 16, stages of
// 1/4/4/4/4/4/1 cells with widths 16..352 and CIFAR strides, every cell k3_e6, 1x1 -> 1504
// header, FC), CIFAR 32x32 input, all conv and with shift/adder inner cells, under each dataflow.
// Reports the cold mapper (every layer enumerated) and the memoised one (identical depthwise
// channels map once), and the schedule's latency/energy.
#include <chrono>
#include <cstdio>
#include <vector>

#include "chunk_model.hpp"

using namespace coex;

namespace {

// The 22-cell network; cell i (0-based) uses `type(i)` for its three layers.
template <class TypeOf>
Network mbconv22(TypeOf type) {
  Network net;
  int x = net.add_input({3, 32, 32});
  x = net.add_conv2d(x, 16, 3, 1, 1);  // stem
  const int cells[] = {1, 4, 4, 4, 4, 4, 1};
  const int widths[] = {16, 24, 32, 64, 112, 184, 352};
  const int strides[] = {1, 1, 2, 2, 1, 2, 1};
  std::int64_t c = 16;
  int cell = 0;
  for (int s = 0; s < 7; ++s)
    for (int i = 0; i < cells[s]; ++i, ++cell) {
      const int stride = i == 0 ? strides[s] : 1;
      const std::int64_t mid = 6 * c;
      const OpKind t = type(cell);
      auto layer = [&](int in, std::int64_t out, int k, int st, int groups) {
        return t == OpKind::kShiftConv2d   ? net.add_shift_conv2d(in, out, k, st, k / 2, groups)
               : t == OpKind::kAdderConv2d ? net.add_adder_conv2d(in, out, k, st, k / 2, groups)
                                           : net.add_conv2d(in, out, k, st, k / 2, groups);
      };
      int y = layer(x, mid, 1, 1, 1);                       // 1x1 expand
      y = layer(y, mid, 3, stride, static_cast<int>(mid));  // 3x3 depthwise
      y = layer(y, widths[s], 1, 1, 1);                     // 1x1 project
      x = (stride == 1 && c == widths[s]) ? net.add_add({x, y}) : y;
      c = widths[s];
    }
  x = net.add_conv2d(x, 1504, 1, 1, 0);  // header
  x = net.add_flatten(net.add_global_avg_pool(x));
  net.add_linear(x, 10);
  return net;
}

void bench(const char* name, const Network& net, chunk::DataflowChoice df) {
  const auto layers = chunk::lower(net);
  std::int64_t copies = 0;
  for (const auto& l : layers) copies += l.repeat;
  const chunk::Technology tech;
  const auto f = chunk::chunk_macs(layers);
  const auto pes = chunk::split_pes(f[0], f[1], f[2], tech);
  // Cold: every distinct layer through the full enumeration on its chunk's PEs, whole buffer.
  const auto t0 = std::chrono::steady_clock::now();
  int mapped = 0;
  for (const auto& l : layers) {
    if (df.automatic) {
      chunk::Mapper once(tech);
      mapped += once.map(l, pes.of(l.chunk), tech.gb_words, df) ? 1 : 0;
    } else {
      mapped += chunk::map_layer(l, pes.of(l.chunk), tech.gb_words, tech, df.fixed) ? 1 : 0;
    }
  }
  const double cold = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // The schedule with a fresh memoised mapper, repeated.
  const int reps = 5;
  chunk::ScheduleResult r;
  const auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) {
    chunk::Mapper mapper(tech);
    r = chunk::schedule(layers, mapper, std::nullopt, 0, df);
  }
  const double warm =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count() / reps;
  std::printf(
      "%s, dataflow %s: %zu layers (%lld with depthwise channels), PEs conv %d shift %d adder "
      "%d\n",
      name, df.automatic ? "auto" : chunk::dataflow_name(df.fixed), layers.size(),
      static_cast<long long>(copies), pes.conv, pes.shift, pes.adder);
  std::printf("  cold mapper:     %d of %zu layers mapped in %.3f s = %.0f layers/s\n", mapped,
              layers.size(), cold, static_cast<double>(layers.size()) / cold);
  std::printf("  schedule (memo): %.4f s per network = %.0f layer copies/s\n", warm,
              static_cast<double>(copies) / warm);
  std::printf("  schedule: %s, latency %.3f ms, energy %.3f mJ (%.3f mJ on chip)\n",
              r.feasible ? "feasible" : r.reason.c_str(), r.latency_ns * 1e-6, r.energy_pj * 1e-9,
              r.onchip_pj * 1e-9);
}

// AlexNet's CONV1-5 on the 168-PE conv chunk: on-chip energy and latency per dataflow, relative
// to row-stationary (Eyeriss, ISCA 2016, compared these dataflows on these layers).
void alexnet() {
  const chunk::Technology tech;
  double pj[4] = {0, 0, 0, 0}, ns[4] = {0, 0, 0, 0};
  for (const auto& l : chunk::alexnet_conv_layers())
    for (chunk::Dataflow d : chunk::kDataflows) {
      const auto m = chunk::map_layer(l, 168, tech.gb_words, tech, d);
      if (!m) continue;
      pj[static_cast<int>(d)] += m->onchip_pj * static_cast<double>(l.repeat);
      ns[static_cast<int>(d)] += m->latency_ns * static_cast<double>(l.repeat);
    }
  std::printf("AlexNet CONV1-5, 168 PEs, least-EDP tilings:\n");
  for (chunk::Dataflow d : chunk::kDataflows) {
    const int i = static_cast<int>(d);
    std::printf("  %s: on-chip %.3f mJ (%.2fx rs), latency %.3f ms (%.2fx rs)\n",
                chunk::dataflow_name(d), pj[i] * 1e-9, pj[i] / pj[0], ns[i] * 1e-6, ns[i] / ns[0]);
  }
}

}  // namespace

int main() {
  alexnet();
  const Network conv = mbconv22([](int) { return OpKind::kConv2d; });
  // Hybrid: the first and last 3 cells conv (adder-free ends), the inner 16 alternate shift and
  // adder.
  const Network hybrid = mbconv22([](int i) {
    if (i < 3 || i >= 19) return OpKind::kConv2d;
    return i % 2 ? OpKind::kShiftConv2d : OpKind::kAdderConv2d;
  });
  std::vector<chunk::DataflowChoice> choices;
  for (chunk::Dataflow d : chunk::kDataflows) choices.push_back(chunk::DataflowChoice::only(d));
  choices.push_back(chunk::DataflowChoice::any());
  for (const auto& df : choices) bench("22-cell MBConv, CIFAR 32x32, all conv", conv, df);
  for (const auto& df : choices)
    bench("22-cell MBConv, CIFAR 32x32, inner cells shift/adder", hybrid, df);
  return 0;
}
