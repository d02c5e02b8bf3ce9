#include "pipeline_planner.hpp"

#include <algorithm>
#include <limits>

#include "coex/error.hpp"

namespace coex::plugins::fpga_cluster {

PipelinePlanner::PipelinePlanner(std::vector<LayerShape> layers, std::vector<Board> pool,
                                 std::vector<Tiling> tilings, PlannerOptions options)
    : layers_(std::move(layers)),
      pool_(std::move(pool)),
      tilings_(std::move(tilings)),
      opt_(options) {
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
      if (!why)
        fitting_[b].push_back(static_cast<int>(t));
      else if (misfit_[b].empty())
        misfit_[b] = *why;
    }
  }
  // Stage tables depend only on the board, not on its position in an order: build each once
  // (boards with the same name share one).
  tables_.resize(pool_.size());
  for (std::size_t b = 0; b < pool_.size(); ++b) {
    std::size_t same = b;
    for (std::size_t q = 0; q < b && same == b; ++q)
      if (pool_[q].name == pool_[b].name) same = q;
    tables_[b] = same == b ? stage_table(static_cast<int>(b), fitting_[b]) : tables_[same];
  }
}

PipelinePlanner::StageTable PipelinePlanner::stage_table(int board,
                                                         const std::vector<int>& tilings) const {
  const int L = static_cast<int>(layers_.size());
  StageTable tab(static_cast<std::size_t>((L + 1) * (L + 1)),
                 Cell{std::numeric_limits<double>::infinity(), -1});
  const double hz = pool_[static_cast<std::size_t>(board)].clock_mhz * 1e6;
  for (int t : tilings) {
    const double* pre = &prefix_[static_cast<std::size_t>(t) * static_cast<std::size_t>(L + 1)];
    for (int i = 0; i < L; ++i) {
      Cell* row = &tab[static_cast<std::size_t>(i) * static_cast<std::size_t>(L + 1)];
      for (int j = i + 1; j <= L; ++j) {
        const double v = (pre[j] - pre[i]) / hz;
        if (v < row[j].s) row[j] = {v, t};
      }
    }
  }
  return tab;
}

const char* PipelinePlanner::bottleneck(const Stage& s) const {
  double worst = -1;
  const char* label = "";
  for (int l = s.first; l <= s.last; ++l) {
    const auto c =
        layer_cycles(layers_[static_cast<std::size_t>(l)], s.tiling, opt_.bits, opt_.input_halo);
    if (c.cycles > worst) {
      worst = c.cycles;
      label = c.bottleneck;
    }
  }
  return label;
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

  // Stage table per position: the board's cached one, or one over the allowed tilings.
  std::vector<StageTable> own;
  std::vector<const StageTable*> best(static_cast<std::size_t>(M));
  own.reserve(static_cast<std::size_t>(M));
  for (int m = 0; m < M; ++m) {
    const int b = order[static_cast<std::size_t>(m)];
    if (!allowed.empty() && !allowed[static_cast<std::size_t>(b)].empty()) {
      own.push_back(stage_table(b, allowed[static_cast<std::size_t>(b)]));
      best[static_cast<std::size_t>(m)] = &own.back();
    } else {
      best[static_cast<std::size_t>(m)] = &tables_[static_cast<std::size_t>(b)];
    }
  }
  auto idx = [L](int i, int j) {
    return static_cast<std::size_t>(i) * static_cast<std::size_t>(L + 1) +
           static_cast<std::size_t>(j);
  };

  auto stage_cost = [&](int m, int i, int j) {
    const double comp = (*best[static_cast<std::size_t>(m)])[idx(i, j)].s;
    const double xfer = j < L ? transfer_seconds(j - 1) : 0.0;
    return opt_.separate_transfer ? std::max(comp, xfer) : comp + xfer;
  };

  // D[m][j]: min over partitions of layers 0..j-1 into m stages (boards order[0..m-1]) of the
  // slowest stage.
  std::vector<std::vector<double>> D(static_cast<std::size_t>(M + 1),
                                     std::vector<double>(static_cast<std::size_t>(L + 1), kInf));
  std::vector<std::vector<int>> arg(static_cast<std::size_t>(M + 1),
                                    std::vector<int>(static_cast<std::size_t>(L + 1), -1));
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
      const Cell& c = (*best[static_cast<std::size_t>(k - 1)])[idx(i, j)];
      Stage s;
      s.first = i;
      s.last = j - 1;
      s.board = order[static_cast<std::size_t>(k - 1)];
      s.tiling = tilings_[static_cast<std::size_t>(c.t)];
      s.compute_s = c.s;
      s.transfer_s = j < L ? transfer_seconds(j - 1) : 0.0;
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
