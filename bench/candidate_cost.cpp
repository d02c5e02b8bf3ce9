// Where a candidate's time goes outside training (issue 4: a training-free search must finish in
// well under a second): samples N points of the config's search space and times each step the
// core runs per candidate, in the core's order: describe, decode, hash + summary, IR JSON, the
// target's fast level (tune, or evaluate of a sampled design), the estimator, and the store's
// commit of the record. Usage:
//   coex_candidate_cost CONFIG [--set key=value]... [N=300]
// Prints microseconds per candidate for each step. The estimator is the config's; point a
// predictor-based one at a saved predictor (--set estimator.options.predictor=FILE) to keep its
// one-time fit out of the loop.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "coex/core/config.hpp"
#include "coex/core/explorer.hpp"
#include "coex/core/store.hpp"
#include "coex/error.hpp"

using namespace coex;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) try {
  if (argc < 2) throw UserError("usage: coex_candidate_cost CONFIG [--set key=value]... [N]");
  std::vector<std::string> sets;
  std::size_t n = 300;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--set" && i + 1 < argc)
      sets.push_back(argv[++i]);
    else
      n = std::stoul(a);
  }
  const core::RunConfig c = core::load_config(argv[1], sets);
  core::PluginRegistry registry(core::default_plugin_dirs({}, c.plugin_paths));
  const auto dir = std::filesystem::temp_directory_path() / "coex_candidate_cost";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto plugins = core::create_plugins(c, registry, core::plugin_context(c, dir));
  core::SqliteStore store(dir / "coex.db");

  std::mt19937_64 rng(c.seed);
  std::vector<Point> points;
  for (std::size_t i = 0; i < n; ++i) points.push_back(plugins.space->space().sample(rng));
  const bool searched = c.hardware_mode == core::HardwareMode::kSearched;

  enum Step { kDescribe, kDecode, kHash, kJson, kFast, kEstimate, kCommit, kSteps };
  const char* names[kSteps] = {"describe",      "decode",   "hash + summary", "IR JSON",
                               "target (fast)", "estimate", "store commit"};
  double t[kSteps] = {};
  std::size_t json_bytes = 0, nodes = 0, estimated = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    auto lap = [&, last = Clock::now()](Step s) mutable {
      const auto now = Clock::now();
      t[s] += std::chrono::duration<double>(now - last).count();
      last = now;
    };
    core::CandidateRecord r;
    r.seq = static_cast<std::int64_t>(i);
    r.point = points[i];
    r.description = plugins.space->describe(points[i]);
    lap(kDescribe);
    Network net;
    try {
      net = plugins.space->decode(points[i]);
    } catch (const InvalidCandidate&) {
      continue;
    }
    lap(kDecode);
    r.network_hash = net.hash_hex();
    r.network_summary = net.summary();
    lap(kHash);
    r.network_json = net.to_json_text();
    json_bytes += r.network_json.size();
    nodes += net.size();
    lap(kJson);
    const HardwareResult hw =
        searched ? plugins.target->evaluate(net, plugins.target->design_space().sample(rng))
                 : plugins.target->tune(net, c.specs);
    lap(kFast);
    if (hw.feasible) {
      r.outcome.accuracy = plugins.estimator->estimate(net, {r.description, points[i]}).accuracy;
      ++estimated;
    }
    lap(kEstimate);
    r.outcome.metrics = hw.metrics;
    r.hardware_detail = hw.detail;
    store.commit(r);
    lap(kCommit);
  }
  double total = 0;
  for (double x : t) total += x;
  std::printf("%zu candidates of %s (%zu estimated), %.0f nodes and %.1f KB of IR JSON each\n", n,
              c.search_space.plugin.c_str(), estimated, double(nodes) / n,
              double(json_bytes) / n / 1024);
  for (int s = 0; s < kSteps; ++s)
    std::printf("  %-15s %8.1f us/candidate  %5.1f%%\n", names[s], t[s] / n * 1e6,
                100 * t[s] / total);
  std::printf("  %-15s %8.1f us/candidate  (%.1f ms for all)\n", "total", total / n * 1e6,
              total * 1e3);
  std::filesystem::remove_all(dir);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "coex_candidate_cost: %s\n", e.what());
  return 2;
}
