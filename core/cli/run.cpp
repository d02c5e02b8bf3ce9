// `coex run CONFIG`: a co-exploration, with progress on the terminal and a summary at the end.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "coex/core/config.hpp"
#include "coex/core/explorer.hpp"
#include "coex/log.hpp"
#include "command.hpp"
#include "format.hpp"

namespace coex::cli {

using namespace coex::core;

namespace {

/// Progress on a terminal (one rewritten line) or plain log lines otherwise.
class Progress {
 public:
  Progress(const RunConfig& c, bool tty)
      : c_(c), tty_(tty), start_(std::chrono::steady_clock::now()) {}

  void operator()(const CandidateRecord& r, const RunStats& s) {
    const double el =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    // On a terminal the line is redrawn at most 20 times a second (a training-free search
    // finishes hundreds of candidates in that time); finish() draws the last state.
    if (tty_ && el - drawn_at_ < 0.05 && s.candidates != c_.budget.candidates) {
      pending_ = s;
      return;
    }
    drawn_at_ = el;
    pending_.reset();
    std::string eta = "?";
    const std::uint64_t fresh = s.candidates - s.replayed;
    if (c_.budget.candidates && fresh > 0)
      eta = fmt_duration(
          el / static_cast<double>(fresh) *
          static_cast<double>(c_.budget.candidates - std::min(c_.budget.candidates, s.candidates)));
    std::ostringstream line;
    line << "[" << s.candidates;
    if (c_.budget.candidates) line << "/" << c_.budget.candidates;
    line << "] pruned " << s.pruned << "  trained " << s.trainings << "  best "
         << (s.best_reward ? fmt(*s.best_reward) : "-") << " (acc "
         << (s.best_accuracy ? fmt(*s.best_accuracy) : "-") << ")  ETA " << eta;
    if (tty_) {
      std::fprintf(stderr, "\r%-100s", line.str().c_str());
      std::fflush(stderr);
    } else {
      std::ostringstream what;
      what << status_name(r.outcome.status);
      if (r.outcome.accuracy) what << " acc=" << fmt(*r.outcome.accuracy);
      what << " reward=" << fmt(r.outcome.reward);
      if (r.outcome.cached) what << " (cached)";
      if (!r.outcome.reason.empty() && r.outcome.status != CandidateStatus::kEvaluated)
        what << " [" << r.outcome.reason << "]";
      std::fprintf(stderr, "%s  #%lld %s\n", line.str().c_str(), static_cast<long long>(r.seq),
                   what.str().c_str());
    }
  }
  void finish() {
    if (!tty_) return;
    if (pending_) {  // the terminal line shows only the stats
      drawn_at_ = -1;
      const RunStats s = *pending_;
      (*this)(CandidateRecord{}, s);
    }
    std::fprintf(stderr, "\n");
  }

 private:
  const RunConfig& c_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  double drawn_at_ = -1;             ///< seconds since start_ of the last redraw
  std::optional<RunStats> pending_;  ///< stats not yet drawn
};

void print_summary(const RunResult& res) {
  const auto& s = res.stats;
  const std::string threads =
      res.workers > 1 ? ", candidates on " + std::to_string(res.workers) + " threads" : "";
  std::printf(
      "\nRun %s: %llu candidates in %s (the search%s; plugin loading and preparation "
      "before it took %s)\n",
      res.run_dir.string().c_str(), static_cast<unsigned long long>(s.candidates),
      fmt_duration(res.seconds).c_str(), threads.c_str(), fmt_duration(res.setup_seconds).c_str());
  std::printf("  pruned by the fast level: %llu   invalid: %llu   evaluated: %llu   failed: %llu\n",
              static_cast<unsigned long long>(s.pruned), static_cast<unsigned long long>(s.invalid),
              static_cast<unsigned long long>(s.evaluated),
              static_cast<unsigned long long>(s.failed));
  std::printf("  trainings: %llu   cache hits: %llu   replayed from store: %llu\n",
              static_cast<unsigned long long>(s.trainings),
              static_cast<unsigned long long>(s.cached),
              static_cast<unsigned long long>(s.replayed));
  std::printf("  time in fast level: %s   in slow level: %s\n",
              fmt_duration(s.fast_seconds).c_str(), fmt_duration(s.slow_seconds).c_str());

  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < res.records.size(); ++i)
    if (res.records[i].outcome.status == CandidateStatus::kEvaluated &&
        !res.records[i].outcome.cached)
      order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return res.records[a].outcome.reward > res.records[b].outcome.reward;
  });
  auto row = [&](std::size_t i) {
    const auto& r = res.records[i];
    std::printf("  %5lld  %8s  %8s", static_cast<long long>(r.seq), fmt(r.outcome.reward).c_str(),
                r.outcome.accuracy ? fmt(*r.outcome.accuracy).c_str() : "-");
    for (std::size_t k = 1; k < res.objective_names.size(); ++k) {
      auto v = r.outcome.metrics.find(res.objective_names[k]);
      std::printf("  %14s", v ? fmt(*v, 5).c_str() : "-");
    }
    std::printf("  %s\n", r.network_summary.c_str());
  };
  auto header = [&] {
    std::printf("  %5s  %8s  %8s", "seq", "reward", "accuracy");
    for (std::size_t k = 1; k < res.objective_names.size(); ++k)
      std::printf("  %14s", res.objective_names[k].c_str());
    std::printf("  network\n");
  };
  std::printf("\nBest candidates (by reward):\n");
  header();
  for (std::size_t k = 0; k < order.size() && k < 5; ++k) row(order[k]);
  if (order.empty()) std::printf("  (none evaluated)\n");
  std::printf("\nPareto front (accuracy");
  for (std::size_t k = 1; k < res.objective_names.size(); ++k)
    std::printf(" vs %s", res.objective_names[k].c_str());
  std::printf(", specs met): %zu candidates\n", res.pareto.size());
  if (!res.pareto.empty()) {
    header();
    for (std::size_t i : res.pareto) row(i);
  }
  if (!order.empty()) {
    const auto& b = res.records[order[0]];
    std::printf("\nBest: #%lld %s\n  hardware: %s\n", static_cast<long long>(b.seq),
                b.description.c_str(), b.hardware_summary.c_str());
  }
  std::printf("\nResults: %s/candidates.csv, candidates.json, coex.db\n",
              res.run_dir.string().c_str());
}

}  // namespace

Command add_run(CLI::App& app, const GlobalOptions& global) {
  struct Args {
    std::string config, out;
    std::vector<std::string> sets;
    bool resume = false;
    unsigned workers = 0;
    std::string storage;
    bool no_local_worker = false;
    double lease = 60;
  };
  auto a = std::make_shared<Args>();
  auto* run = app.add_subcommand("run", "Run a co-exploration from a config file");
  run->add_option("CONFIG", a->config, "Config file (TOML)")->required();
  run->add_option("--set", a->sets, "Override a config key: key.path=value (TOML value)");
  run->add_option("--out", a->out, "Run directory (default: the config's output.dir)");
  run->add_flag("--resume", a->resume, "Continue the run in --out (or start it if new)");
  run->add_option("--workers", a->workers,
                  "Threads that evaluate a controller's batch of candidates (0 = one per core). "
                  "Used when the search space, hardware target and estimator are all declared "
                  "concurrent and the estimator is training-free; results are the same for any "
                  "value")
      ->default_val(0);
  run->add_option("--storage", a->storage,
                  "Where the run's store is: sqlite:///PATH (default: coex.db in --out) or "
                  "postgresql://USER@HOST:PORT/DATABASE?run=NAME, which makes this run the leader "
                  "of `coex worker` processes (password from PGPASSWORD or ~/.pgpass)");
  run->add_flag("--no-local-worker", a->no_local_worker,
                "With a PostgreSQL store: only plan and commit; workers evaluate every candidate");
  run->add_option("--lease-seconds", a->lease,
                  "With a PostgreSQL store: the lease of this process's own claims (see coex "
                  "worker)")
      ->default_val(60)
      ->check(CLI::Range(1.0, 86400.0));
  return {run, [a, &global] {
            RunConfig c = load_config(a->config, a->sets);
            if (!a->out.empty()) c.output_dir = a->out;
            Progress progress(c, ::isatty(2) != 0);
            RunOptions o;
            o.plugin_paths = global.plugin_paths;
            o.resume = a->resume;
            o.workers = a->workers;
            o.allow_unsafe_plugins = global.allow_unsafe_plugins;
            if (!a->storage.empty()) o.storage = StorageUrl::parse(a->storage);
            o.local_worker = !a->no_local_worker;
            o.lease_seconds = a->lease;
            o.listener = [&](const CandidateRecord& r, const RunStats& s) { progress(r, s); };
            RunResult res = core::run(c, o);
            progress.finish();
            print_summary(res);
            return 0;
          }};
}

}  // namespace coex::cli
