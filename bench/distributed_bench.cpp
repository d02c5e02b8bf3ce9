// A leader and workers through PostgreSQL (docs/distributed.md), on a temporary local server
// (tests/support/postgres.hpp), in one run:
//  1. the speed-up of a training-dominated search with 2 workers against 1 (one LibTorch thread
//     each, leader --no-local-worker), as a ratio of wall-clock times;
//  2. the queue's overhead per candidate on loopback, from claim to commit (claim, lease keeper
//     hold/release, result, the leader's read of it and its commit), against the single-machine
//     path's cost per candidate (one SQLite commit).
// Usage: coex_distributed_bench [CANDIDATES (default 48)] [BATCH (default 16)]
//                               [OVERHEAD_ROUNDS (default 500)]
// The speed-up is bounded by the controller's batch: RL proposes BATCH children and needs their
// rewards before the next batch; the fast level prunes some, and the batch ends with its longest
// training (2 workers on a batch of 3 trainings of equal length: 1.5x).
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "coex/core/slow_queue.hpp"
#include "coex/core/store.hpp"
#include "postgres.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using clk = std::chrono::steady_clock;

double since(clk::time_point t) { return std::chrono::duration<double>(clk::now() - t).count(); }

pid_t spawn_sh(const std::string& cmd) {
  std::vector<std::string> a{"/bin/sh", "-c", cmd};
  std::vector<char*> argv;
  for (auto& s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv.data(), environ);
  return pid;
}

int wait_pid(pid_t pid) {
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/// Seconds for the search with `workers` worker processes.
double search_seconds(const coex::test::PostgresServer& pg, const fs::path& tmp, int workers,
                      int candidates, int batch) {
  const std::string run = "bench" + std::to_string(workers);
  const std::string sets = " --set budget.candidates=" + std::to_string(candidates) +
                           " --set controller.options.children=" + std::to_string(batch) +
                           " --set estimator.options.threads=1"
                           " --set estimator.options.train_size=6000";
  std::vector<pid_t> pids;
  for (int w = 0; w < workers; ++w)
    pids.push_back(spawn_sh(std::string("exec '") + COEX_BENCH_BIN + "' worker --storage '" +
                            pg.url(run) + "' > '" + (tmp / (run + "-w.log")).string() + "' 2>&1"));
  const auto t0 = clk::now();
  const pid_t leader = spawn_sh(
      std::string("exec '") + COEX_BENCH_BIN + "' run '" + COEX_BENCH_SOURCE_DIR +
      "/configs/quickstart.toml' --out '" + (tmp / run).string() + "' --storage '" + pg.url(run) +
      "' --no-local-worker" + sets + " > '" + (tmp / (run + ".log")).string() + "' 2>&1");
  if (wait_pid(leader) != 0) {
    std::fprintf(stderr, "leader failed, see %s\n", (tmp / (run + ".log")).c_str());
    std::exit(1);
  }
  const double s = since(t0);
  for (pid_t p : pids) wait_pid(p);
  return s;
}

coex::core::CandidateRecord record(std::int64_t seq, const std::string& network) {
  coex::core::CandidateRecord r;
  r.seq = seq;
  r.point = {1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1};
  r.description = "depth 6: [3,24,1][3,16,2][5,8,1][1,16,2][1,8,1][1,24,2]";
  r.network_hash = "8ada7aca7f511580";
  r.network_json = network;
  r.hardware_summary = "3 FPGAs";
  r.hardware_detail = nlohmann::json::object();
  r.outcome.status = coex::CandidateStatus::kEvaluated;
  r.outcome.accuracy = 0.81;
  r.outcome.reward = -0.4;
  r.outcome.metrics.set("throughput_fps", 10629.25);
  r.outcome.objectives = {0.81, 10629.25};
  r.trained = true;
  return r;
}

struct Stats {
  double mean_ms, median_ms, p95_ms;
};
Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  return {mean * 1e3, v[v.size() / 2] * 1e3, v[v.size() * 95 / 100] * 1e3};
}

}  // namespace

int main(int argc, char** argv) {
  const int candidates = argc > 1 ? std::atoi(argv[1]) : 48;
  const int batch = argc > 2 ? std::atoi(argv[2]) : 16;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 500;
  coex::test::PostgresServer pg;
  ::setenv("PGPASSWORD", pg.password().c_str(), 1);
  char tmpl[] = "/tmp/coex-dist-bench-XXXXXX";
  const fs::path tmp = ::mkdtemp(tmpl);

  // ---- 1. speed-up ----
  std::printf(
      "search: quickstart, %d candidates, RL batches of %d, 6,000 training images, one "
      "thread per worker, leader --no-local-worker\n",
      candidates, batch);
  const double one = search_seconds(pg, tmp, 1, candidates, batch);
  std::printf("  1 worker : %.1f s\n", one);
  const double two = search_seconds(pg, tmp, 2, candidates, batch);
  std::printf("  2 workers: %.1f s\n", two);
  std::printf("  speed-up 2 vs 1 workers: %.2fx\n", one / two);

  // ---- 2. claim-to-commit overhead ----
  using coex::core::Store;
  const std::string network(12000, 'n');  // a typical IR's size (quickstart: 4-13 KB)
  auto leader = coex::core::open_store(coex::core::StorageUrl::parse(pg.url("overhead")),
                                       Store::Access::kWrite);
  auto worker = leader->reconnect();
  coex::core::LeaseKeeper keeper(*worker, 60);
  std::vector<double> per;
  for (int i = 0; i < rounds; ++i) {
    coex::core::SlowJob job;
    job.seq = i;
    job.network_hash = "8ada7aca7f511580";
    job.description = "d";
    job.point = {1, 2, 3};
    job.network_json = network;
    leader->enqueue(job);
    const auto t0 = clk::now();
    const auto claimed = worker->claim("bench:1", 60);
    keeper.hold(*claimed);
    coex::core::SlowResult res;
    res.accuracy = 0.81;
    res.extras.set("loss", 0.5);
    res.worker = "bench:1";
    keeper.release();
    worker->complete(*claimed, res);
    const auto got = leader->result(i, job.network_hash);
    leader->commit(record(i, network));
    per.push_back(since(t0));
    if (!got) return 1;
  }
  const Stats q = stats(per);
  std::vector<double> sqlite_per;
  {
    coex::core::SqliteStore s(tmp / "baseline.db");
    for (int i = 0; i < rounds; ++i) {
      const auto t0 = clk::now();
      s.commit(record(i, network));
      sqlite_per.push_back(since(t0));
    }
  }
  const Stats b = stats(sqlite_per);
  std::printf("queue overhead per candidate on loopback (%d candidates, 12 KB IR):\n", rounds);
  std::printf("  PostgreSQL claim -> commit: mean %.2f ms, median %.2f ms, p95 %.2f ms\n",
              q.mean_ms, q.median_ms, q.p95_ms);
  std::printf("  SQLite commit (one machine): mean %.3f ms, median %.3f ms, p95 %.3f ms\n",
              b.mean_ms, b.median_ms, b.p95_ms);
  std::printf("  ratio (mean): %.1fx the single-machine commit\n", q.mean_ms / b.mean_ms);
  fs::remove_all(tmp);
  return 0;
}
