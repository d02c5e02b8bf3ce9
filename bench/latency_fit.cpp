// bench/latency_fit: how well calibrated hardware targets predict measured latencies of devices
// they were not built for, against two baselines fitted on the same measurements.
//
//   build/bin/coex_latency_fit [--data FILE.csv] [--configs DIR] [--draws 5] [--fit 10,50,300]
//                              [--columns a,b,...] [--json OUT]
//
// For every latency column of FILE.csv (an `arch` column of NAS-Bench-201 cell strings, then
// one column per device, milliseconds), every N and every seeded draw: fit the target's
// coefficients on N networks with coex::fit_coefficients (the fit `coex calibrate` runs), predict
// every other network, and report Kendall tau, Spearman rho, the share within +-10 % and the
// MAPE; next to (a) the executed graph's MACs times a scale fitted on the same N (rank = MACs
// alone) and (b) a least-squares regression on the one-hot operation of every edge (per-edge
// operation counts) fitted on the same N (minimum-norm when N < features). Columns named
// `<gpu>_<batch>_ms` with a device the GPU config defines use DIR/gpu.toml with that device and
// batch; every other column uses DIR/cpu.toml (the CPU model, eager, one thread).
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coex/calibration.hpp"
#include "coex/core/calibration.hpp"
#include "coex/core/config.hpp"
#include "coex/core/explorer.hpp"
#include "coex/core/registry.hpp"
#include "coex/csv.hpp"
#include "coex/error.hpp"
#include "coex/stats.hpp"
#include "coex/tools/tool_args.hpp"

namespace fs = std::filesystem;
using namespace coex;
using namespace coex::core;

namespace {

struct Args {
  std::string data = "../shared/data/nb201_latency_dev.csv";
  std::string configs = "bench/latency_fit";
  int draws = 5;
  std::vector<std::size_t> fits{10, 50, 300};
  std::vector<std::string> columns;  ///< empty: every latency column
  std::string json_out;
};

Args parse_args(int argc, char** argv) {
  Args a;
  coex::tools::ToolArgs args(argc, argv, [](const std::string& m) {
    throw UserError("coex_latency_fit: " + m +
                    ". Usage: coex_latency_fit [--data FILE.csv] [--configs DIR] [--draws N] "
                    "[--fit 10,50,300] [--columns a,b,...] [--json OUT]");
  });
  while (args.next()) {
    const std::string& k = args.key();
    if (k == "--data")
      a.data = args.value();
    else if (k == "--configs")
      a.configs = args.value();
    else if (k == "--draws")
      a.draws = static_cast<int>(args.number(1, 1000));
    else if (k == "--fit") {
      a.fits.clear();
      for (const auto& x : args.list()) a.fits.push_back(std::stoul(x));
    } else if (k == "--columns")
      a.columns = args.list();
    else if (k == "--json")
      a.json_out = args.value();
    else
      args.fail("unknown option " + k);
  }
  return a;
}

/// Mean of each quality over the draws.
struct Mean {
  double tau = 0, rho = 0, within = 0, mape = 0;
  int n = 0;
  void add(const PredictionQuality& q) {
    tau += q.kendall_tau, rho += q.spearman_rho, within += q.within_10pct, mape += q.mape, ++n;
  }
  Mean avg() const {
    Mean m = *this;
    if (n > 0) m.tau /= n, m.rho /= n, m.within /= n, m.mape /= n;
    return m;
  }
  nlohmann::json to_json() const {
    return {{"kendall_tau", tau}, {"spearman_rho", rho}, {"within_10pct", within}, {"mape", mape}};
  }
};

/// One-hot of every categorical coordinate, the value of the others, then 1.
std::vector<double> one_hot(const Space& space, const Point& p) {
  std::vector<double> f;
  for (std::size_t d = 0; d < space.size(); ++d) {
    const Dimension& dim = space[d];
    if (dim.kind == Dimension::Kind::kCategorical) {
      for (std::size_t c = 0; c < dim.choices.size(); ++c) f.push_back(p[d] == c ? 1.0 : 0.0);
    } else {
      f.push_back(p[d]);
    }
  }
  f.push_back(1.0);
  return f;
}

int run(const Args& a) {
  std::ifstream head(a.data);
  if (!head)
    throw UserError("cannot read the measurement file '" + a.data +
                    "'. Fix: --data FILE.csv with an 'arch' column and one latency column per "
                    "device (the development file is ../shared/data/nb201_latency_dev.csv)");
  std::string header_line;
  std::getline(head, header_line);
  std::vector<std::string> columns = a.columns;
  if (columns.empty())
    for (const auto& c : split_csv_line(header_line))
      if (c != "arch") columns.push_back(c);

  const fs::path gpu_config = fs::path(a.configs) / "gpu.toml";
  const fs::path cpu_config = fs::path(a.configs) / "cpu.toml";
  const std::regex gpu_column(R"(([a-z0-9]+)_([0-9]+)_ms)");
  nlohmann::json report = nlohmann::json::array();
  std::printf(
      "| device | N | coex tau | coex rho | coex ±10%% | coex MAPE | MACs rho | MACs ±10%% "
      "| per-edge rho | per-edge ±10%% | per-edge MAPE |\n|---|---|---|---|---|---|---|---|"
      "---|---|---|\n");
  std::map<std::size_t, std::vector<double>> rho_by_n;
  for (const auto& col : columns) {
    std::smatch m;
    std::vector<std::string> sets;
    fs::path config = cpu_config;
    if (std::regex_match(col, m, gpu_column)) {
      const std::string toml = [&] {
        std::ifstream in(gpu_config);
        return std::string(std::istreambuf_iterator<char>(in), {});
      }();
      if (toml.find("name = \"" + m[1].str() + "\"") != std::string::npos) {
        config = gpu_config;
        sets = {"hardware.options.pool=[\"" + m[1].str() + "\"]",
                "hardware.options.batches=[" + m[2].str() + "]"};
      }
    }
    RunConfig c = load_config(config, sets);
    PluginRegistry reg(default_plugin_dirs({}, c.plugin_paths));
    PluginContext ctx = plugin_context(c, fs::temp_directory_path());
    ctx.validate_only = true;
    auto space = create_search_space(c, reg, ctx);
    auto target = create_hardware_target(c, reg, ctx, false);
    const auto cs = target->coefficients();
    const Measurements ms = read_measurements(a.data, "arch", col, space.get());
    const std::size_t n = ms.keys.size();
    const Point design = first_design(target->design_space());
    std::vector<LatencyModel> models;
    std::vector<std::vector<double>> onehot;
    std::vector<double> macs;
    for (std::size_t i = 0; i < n; ++i) {
      models.push_back(target->latency_model(ms.networks[i], design));
      onehot.push_back(one_hot(space->space(), space->parse(ms.keys[i])));
      macs.push_back(static_cast<double>(ms.networks[i].macs()));
    }
    for (std::size_t fit_n : a.fits) {
      if (fit_n >= n) continue;
      Mean coex_q, macs_q, edge_q;
      for (int draw = 0; draw < a.draws; ++draw) {
        const auto [fit_rows, held] = split_rows(n, fit_n, static_cast<std::uint64_t>(draw));
        std::vector<LatencyModel> fm;
        std::vector<double> fy;
        for (std::size_t i : fit_rows) fm.push_back(models[i]), fy.push_back(ms.latency_ms[i]);
        const CoefficientFit f = fit_coefficients(cs, fm, fy);
        // MACs times the median ratio on the fitted rows.
        std::vector<double> ratio;
        for (std::size_t i : fit_rows) ratio.push_back(ms.latency_ms[i] / std::max(1.0, macs[i]));
        const double scale = quantile(ratio, 0.5);
        // Per-edge regression: minimum-norm least squares.
        const auto p = static_cast<Eigen::Index>(onehot[0].size());
        Eigen::MatrixXd X(static_cast<Eigen::Index>(fit_n), p);
        Eigen::VectorXd y(static_cast<Eigen::Index>(fit_n));
        for (std::size_t r = 0; r < fit_rows.size(); ++r) {
          for (Eigen::Index j = 0; j < p; ++j)
            X(static_cast<Eigen::Index>(r), j) = onehot[fit_rows[r]][static_cast<std::size_t>(j)];
          y(static_cast<Eigen::Index>(r)) = ms.latency_ms[fit_rows[r]];
        }
        const Eigen::VectorXd beta = X.completeOrthogonalDecomposition().solve(y);
        std::vector<double> measured, pc, pm, pe;
        for (std::size_t i : held) {
          measured.push_back(ms.latency_ms[i]);
          pc.push_back(models[i](f.values));
          pm.push_back(macs[i] * scale);
          double e = 0;
          for (Eigen::Index j = 0; j < p; ++j)
            e += beta(j) * onehot[i][static_cast<std::size_t>(j)];
          pe.push_back(std::max(e, 1e-9));
        }
        coex_q.add(prediction_quality(pc, measured));
        macs_q.add(prediction_quality(pm, measured));
        edge_q.add(prediction_quality(pe, measured));
      }
      const Mean cq = coex_q.avg(), mq = macs_q.avg(), eq = edge_q.avg();
      rho_by_n[fit_n].push_back(cq.rho);
      std::printf(
          "| %s (%s) | %zu | %.3f | %.3f | %.1f%% | %.1f%% | %.3f | %.1f%% | %.3f | %.1f%% "
          "| %.1f%% |\n",
          col.c_str(), c.hardware.plugin.c_str(), fit_n, cq.tau, cq.rho, 100 * cq.within,
          100 * cq.mape, mq.rho, 100 * mq.within, eq.rho, 100 * eq.within, 100 * eq.mape);
      std::fflush(stdout);
      report.push_back({{"column", col},
                        {"target", c.hardware.plugin},
                        {"fit", fit_n},
                        {"draws", a.draws},
                        {"coex", cq.to_json()},
                        {"macs", mq.to_json()},
                        {"per_edge", eq.to_json()}});
    }
  }
  for (const auto& [fit_n, rhos] : rho_by_n) {
    double s = 0;
    for (double r : rhos) s += r;
    std::printf("N = %zu: mean held-out Spearman rho over %zu devices %.3f\n", fit_n, rhos.size(),
                s / static_cast<double>(rhos.size()));
  }
  if (!a.json_out.empty()) std::ofstream(a.json_out) << report.dump(2) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return coex::tools::tool_main([&] { return run(parse_args(argc, argv)); });
}
