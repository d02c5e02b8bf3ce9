#include "pipeline_planner.hpp"

#include <algorithm>
#include <limits>

#include "coex/error.hpp"

namespace coex::plugins::fpga_cluster {

PipelinePlanner::PipelinePlanner(std::vector<LayerShape> layers, std::vector<Board> pool,
                                 std::vector<Tiling> tilings, PlannerOptions options)
    : layers_(std::move(layers)), pool_(std::move(pool)), tilings_(std::move(tilings)), opt_(options) {
  if (layers_.empty()) throw Error("fpga_cluster: the network has no conv or linear layer");
  if (pool_.empty()) throw Error("fpga_cluster: the FPGA pool is empty");
  const std::size_t L = layers_.size(), T = tilings_.size();
  cyc_.resize(T * L);
  prefix_.assign(T * (L + 1), 0.0);
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t l = 0; l < L; ++l) {
      cyc_[t * L + l] = layer_cycles(layers_[l], tilings_[t], opt_.bits, opt_.input_halo).cycles;
      prefix_[t * (L + 1) + l + 1] = prefix_[t * (L + 1) + l] + cyc_[t * L + l];
    }
  fitting_.resize(pool_.size());
  misfit_.resize(pool_.size());
  for (std::size_t b = 0; b < pool_.size(); ++b) {
    for (std::size_t t = 0; t < T; ++t) {
      auto why = misfit(tilings_[t], pool_[b], opt_.bits, opt_.bram_check);
      if (!why) fitting_[b].push_back(static_cast<int>(t));
      else if (misfit_[b].empty()) misfit_[b] = *why;
    }
  }
}

double PipelinePlanner::transfer_seconds(int l) const {
  const double bits = static_cast<double>(layers_[static_cast<std::size_t>(l)].out_elements) *
                      static_cast<double>(layers_[static_cast<std::size_t>(l)].b) * opt_.bits;
  return bits / (opt_.link_gbps * 1e9);
}

std::vector<Pipeline> PipelinePlanner::plan(const std::vector<int>& order,
                                            const std::vector<std::vector<int>>& allowed) const {
  const int L = static_cast<int>(layers_.size());
  const int M = static_cast<int>(order.size());
  constexpr double kInf = std::numeric_limits<double>::infinity();

  // best[m][i][j]: fastest compute time of layers i..j-1 on board order[m] and its tiling.
  // Indexed per stage position because each position may have its own board.
  struct Cell {
    double s = kInf;
    int t = -1;
  };
  auto idx = [L](int i, int j) { return static_cast<std::size_t>(i) * static_cast<std::size_t>(L + 1) + static_cast<std::size_t>(j); };
  std::vector<std::vector<Cell>> best(static_cast<std::size_t>(M), std::vector<Cell>(static_cast<std::size_t>((L + 1) * (L + 1))));
  for (int m = 0; m < M; ++m) {
    const int b = order[static_cast<std::size_t>(m)];
    const auto& cand = !allowed.empty() && !allowed[static_cast<std::size_t>(b)].empty()
                           ? allowed[static_cast<std::size_t>(b)]
                           : fitting_[static_cast<std::size_t>(b)];
    // Identical boards at earlier positions share the table.
    int same = -1;
    for (int q = 0; q < m && same < 0; ++q)
      if (order[static_cast<std::size_t>(q)] == b) same = q;
    if (same >= 0) {
      best[static_cast<std::size_t>(m)] = best[static_cast<std::size_t>(same)];
      continue;
    }
    const double hz = pool_[static_cast<std::size_t>(b)].clock_mhz * 1e6;
    auto& tab = best[static_cast<std::size_t>(m)];
    for (int t : cand) {
      const double* pre = &prefix_[static_cast<std::size_t>(t) * static_cast<std::size_t>(L + 1)];
      for (int i = 0; i < L; ++i)
        for (int j = i + 1; j <= L; ++j) {
          const double s = (pre[j] - pre[i]) / hz;
          Cell& c = tab[idx(i, j)];
          if (s < c.s) c = {s, t};
        }
    }
  }

  auto stage_cost = [&](int m, int i, int j) {
    const double comp = best[static_cast<std::size_t>(m)][idx(i, j)].s;
    const double xfer = j < L ? transfer_seconds(j - 1) : 0.0;
    return opt_.separate_transfer ? std::max(comp, xfer) : comp + xfer;
  };

  // D[m][j]: min over partitions of layers 0..j-1 into m stages (boards order[0..m-1]) of the
  // slowest stage.
  std::vector<std::vector<double>> D(static_cast<std::size_t>(M + 1), std::vector<double>(static_cast<std::size_t>(L + 1), kInf));
  std::vector<std::vector<int>> arg(static_cast<std::size_t>(M + 1), std::vector<int>(static_cast<std::size_t>(L + 1), -1));
  D[0][0] = 0;
  for (int m = 1; m <= M; ++m)
    for (int j = m; j <= L; ++j)
      for (int i = m - 1; i < j; ++i) {
        const double prev = D[static_cast<std::size_t>(m - 1)][static_cast<std::size_t>(i)];
        if (prev == kInf) continue;
        const double v = std::max(prev, stage_cost(m - 1, i, j));
        if (v < D[static_cast<std::size_t>(m)][static_cast<std::size_t>(j)]) {
          D[static_cast<std::size_t>(m)][static_cast<std::size_t>(j)] = v;
          arg[static_cast<std::size_t>(m)][static_cast<std::size_t>(j)] = i;
        }
      }

  std::vector<Pipeline> out(static_cast<std::size_t>(M));
  for (int m = 1; m <= M; ++m) {
    if (D[static_cast<std::size_t>(m)][static_cast<std::size_t>(L)] == kInf) continue;
    Pipeline p;
    int j = L;
    for (int k = m; k >= 1; --k) {
      const int i = arg[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)];
      const Cell& c = best[static_cast<std::size_t>(k - 1)][idx(i, j)];
      Stage s;
      s.first = i;
      s.last = j - 1;
      s.board = order[static_cast<std::size_t>(k - 1)];
      s.tiling = tilings_[static_cast<std::size_t>(c.t)];
      s.compute_s = c.s;
      s.transfer_s = j < L ? transfer_seconds(j - 1) : 0.0;
      // Bottleneck of the stage's slowest layer.
      double worst = -1;
      for (int l = i; l < j; ++l) {
        const auto lc = layer_cycles(layers_[static_cast<std::size_t>(l)], s.tiling, opt_.bits, opt_.input_halo);
        if (lc.cycles > worst) {
          worst = lc.cycles;
          s.bottleneck = lc.bottleneck;
        }
      }
      p.stages.push_back(s);
      j = i;
    }
    std::reverse(p.stages.begin(), p.stages.end());
    p.max_stage_s = D[static_cast<std::size_t>(m)][static_cast<std::size_t>(L)];
    for (const auto& s : p.stages) p.latency_s += s.compute_s + s.transfer_s;
    out[static_cast<std::size_t>(m - 1)] = std::move(p);
  }
  return out;
}

}  // namespace coex::plugins::fpga_cluster
