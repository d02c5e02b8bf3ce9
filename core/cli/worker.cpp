// `coex worker --storage URL [--run NAME] [--threads N] [--lease-seconds S]`: evaluates the slow
// level of a run led by `coex run CONFIG --storage URL` on another process or machine
// (docs/distributed.md).
#include <cstdio>
#include <memory>

#include "coex/core/slow_queue.hpp"
#include "command.hpp"

namespace coex::cli {

Command add_worker(CLI::App& app, const GlobalOptions& global) {
  struct Args {
    std::string storage, run, work_dir;
    unsigned threads = 1;
    double lease = 60;
    std::uint64_t max_jobs = 0;
  };
  auto a = std::make_shared<Args>();
  auto* w = app.add_subcommand(
      "worker",
      "Evaluate queued candidates of a run whose leader is `coex run CONFIG --storage URL` "
      "(start it before or after the leader; it ends when the run does)");
  w->add_option("--storage", a->storage,
                "The run's shared store: postgresql://USER@HOST:PORT/DATABASE?run=NAME "
                "(password from PGPASSWORD or ~/.pgpass)")
      ->required();
  w->add_option("--run", a->run, "The run's name, when the URL has no ?run=");
  w->add_option("--threads", a->threads,
                "Candidates evaluated at once (each with its own estimator; the estimator's own "
                "thread count is its `threads` option)")
      ->default_val(1)
      ->check(CLI::Range(1u, 256u));
  w->add_option("--lease-seconds", a->lease,
                "A claim's lease, renewed every third of it while the candidate is evaluated; a "
                "worker that dies loses its candidate to the next claimer after at most this long")
      ->default_val(60)
      ->check(CLI::Range(1.0, 86400.0));
  w->add_option("--work-dir", a->work_dir,
                "Folder the plugins may write into (default: a temporary one, removed at the end)");
  w->add_option("--max-candidates", a->max_jobs,
                "Leave after evaluating this many candidates (0 = when the run ends)")
      ->default_val(0);
  return {w, [a, &global] {
            core::WorkerOptions o;
            o.storage = core::StorageUrl::parse(a->storage);
            o.run = a->run;
            o.threads = a->threads;
            o.lease_seconds = a->lease;
            o.plugin_paths = global.plugin_paths;
            o.allow_unsafe_plugins = global.allow_unsafe_plugins;
            o.work_dir = a->work_dir;
            o.max_jobs = a->max_jobs;
            core::run_worker(o);
            return 0;
          }};
}

}  // namespace coex::cli
