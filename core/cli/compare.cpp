#include "compare.hpp"

#include <cmath>
#include <limits>
#include <memory>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include "coex/core/compare.hpp"
#include "coex/core/config.hpp"
#include "coex/core/explorer.hpp"
#include "coex/core/export.hpp"
#include "coex/core/registry.hpp"
#include "coex/core/report.hpp"
#include "coex/core/store.hpp"
#include "coex/error.hpp"
#include "coex/io.hpp"
#include "command.hpp"
#include "spawn.hpp"

namespace coex::cli {
namespace fs = std::filesystem;
using namespace coex::core;

namespace {

struct Job {
  std::string controller;
  std::uint64_t seed = 0;
  fs::path dir;
  std::vector<std::string> argv;
};

std::string last_error_line(const fs::path& log) {
  std::ifstream in(log);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find("error") != std::string::npos) last = line;
  return last;
}

/// Starts a comparison run in its own folder, logging to compare.log there.
pid_t start_job(const Job& j) {
  std::error_code ec;
  fs::create_directories(j.dir, ec);
  if (ec) throw UserError("cannot create " + j.dir.string() + ": " + ec.message());
  return spawn(j.argv, (j.dir / "compare.log").string());
}

}  // namespace

int compare(const CompareArgs& a) {
  if (a.controllers.empty()) throw UserError("--controllers: give at least one controller");
  if (a.seeds == 0) throw UserError("--seeds must be at least 1");
  if (a.jobs == 0) throw UserError("--jobs must be at least 1");
  const RunConfig base = load_config(a.config, a.sets);
  if (!base.budget.candidates)
    throw UserError(a.config +
                    ": coex compare needs [budget] candidates (the same candidate budget for "
                    "every controller); set it or pass --set budget.candidates=N");
  // Every controller must exist before any run starts.
  const PluginRegistry reg(
      default_plugin_dirs(a.plugin_paths, base.plugin_paths),
      a.allow_unsafe_plugins ? PluginTrust::kAllowUnsafe : PluginTrust::kStrict);
  std::set<std::string> seen;
  for (const auto& c : a.controllers) {
    if (!seen.insert(c).second) throw UserError("--controllers: '" + c + "' is listed twice");
    const PluginManifest* m = reg.find_any(c);
    if (!m || m->kind != PluginKind::kController) {
      std::vector<std::string> names;
      for (const auto& p : reg.plugins())
        if (p.kind == PluginKind::kController) names.push_back(p.name);
      std::string msg = "--controllers: unknown controller '" + c + "'. Known:";
      for (const auto& n : names) msg += " " + n;
      if (auto d = did_you_mean(c, names)) msg += ". Did you mean '" + *d + "'?";
      throw UserError(msg);
    }
  }
  const fs::path out =
      a.out.empty() ? fs::path(base.output_dir.string() + "-compare") : fs::path(a.out);
  const fs::path exe = self_exe();
  std::optional<StorageUrl> storage;
  if (!a.storage.empty()) {
    storage = StorageUrl::parse(a.storage);
    if (!storage->postgres())
      throw UserError(
          "--storage: coex compare keeps each run's SQLite store in its folder; give "
          "a postgresql:// URL to keep them in a database, or leave --storage out");
    if (storage->run.empty()) storage->run = base.name;
  }

  std::vector<Job> jobs;
  for (const auto& c : a.controllers)
    for (std::uint64_t s = 0; s < a.seeds; ++s) {
      Job j;
      j.controller = c;
      j.seed = base.seed + s;
      j.dir = out / c / ("seed-" + std::to_string(j.seed));
      j.argv = {exe.string(), "run", a.config, "--out", j.dir.string(), "--resume"};
      // Parallel runs share the cores: each evaluates its candidates on one thread.
      if (a.jobs > 1) j.argv.insert(j.argv.end(), {"--workers", "1"});
      for (const auto& p : a.plugin_paths) j.argv.insert(j.argv.begin() + 1, {"--plugin-path", p});
      if (a.allow_unsafe_plugins) j.argv.insert(j.argv.begin() + 1, "--allow-unsafe-plugins");
      if (storage) {
        StorageUrl u = *storage;
        u.run += "-" + c + "-seed-" + std::to_string(j.seed);
        j.argv.insert(j.argv.end(), {"--storage", u.shareable()});
      }
      for (const auto& s2 : a.sets) j.argv.insert(j.argv.end(), {"--set", s2});
      j.argv.insert(j.argv.end(), {"--set", "seed=" + std::to_string(j.seed)});
      if (c != base.controller.plugin)
        // The config's controller options belong to its controller; the others run on defaults.
        j.argv.insert(j.argv.end(), {"--set", "controller.plugin=\"" + c + "\"", "--set",
                                     "controller.options={}"});
      jobs.push_back(std::move(j));
    }

  std::size_t done = 0, next = 0;
  for (const auto& j : jobs) done += fs::exists(j.dir / "compare.done");
  std::printf(
      "coex compare: %zu controllers x %llu seeds = %zu runs in %s (%zu already done), "
      "%u at once\n",
      a.controllers.size(), static_cast<unsigned long long>(a.seeds), jobs.size(),
      out.string().c_str(), done, a.jobs);
  std::fflush(stdout);
  std::map<pid_t, std::pair<std::size_t, std::chrono::steady_clock::time_point>> running;
  std::string failure;
  std::size_t finished = done;
  while (true) {
    while (failure.empty() && running.size() < a.jobs && next < jobs.size()) {
      const Job& j = jobs[next];
      if (fs::exists(j.dir / "compare.done")) {
        ++next;
        continue;
      }
      running.emplace(start_job(j), std::pair(next, std::chrono::steady_clock::now()));
      ++next;
    }
    if (running.empty()) break;
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) break;
    auto it = running.find(pid);
    if (it == running.end()) continue;
    const Job& j = jobs[it->second.first];
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.second).count();
    running.erase(it);
    const fs::path log = j.dir / "compare.log";
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      std::ofstream(j.dir / "compare.done") << "ok\n";
      ++finished;
      std::printf("  [%zu/%zu] %s seed %llu done in %.1f s\n", finished, jobs.size(),
                  j.controller.c_str(), static_cast<unsigned long long>(j.seed), secs);
      std::fflush(stdout);
    } else if (failure.empty()) {
      const std::string why = WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                                : "signal " + std::to_string(WTERMSIG(status));
      failure = "run " + j.controller + " seed " + std::to_string(j.seed) + " failed (" + why +
                "): " + last_error_line(log) + " [full log: " + log.string() +
                "]. Fix it and rerun the same command: finished runs are kept, interrupted ones "
                "resume";
    }
  }
  if (!failure.empty()) throw UserError(failure);

  std::vector<RunTrace> traces;
  for (const auto& j : jobs) {
    traces.push_back({j.controller, j.seed, open_run_store(j.dir)->load_all()});
  }
  ComparisonSetup setup;
  setup.steps = default_steps(base.budget.candidates);
  setup.target = a.target;
  setup.objective_names.push_back("accuracy");
  for (const auto& o : base.objectives) setup.objective_names.push_back(o);
  setup.specs = base.specs;
  const Comparison c = core::compare(traces, setup);
  std::printf("\n%s", comparison_table(c).c_str());
  write_file_atomic(out / "compare.csv", comparison_csv(c));
  write_file_atomic(out / "compare_curves.csv", curves_csv(c));
  write_file_atomic(out / "compare_pvalues.csv", pairs_csv(c));
  write_file_atomic(out / "compare.json", comparison_json(c, setup, traces).dump(1) + "\n");
  const fs::path report = write_report(out);
  std::printf(
      "\nResults: %s/compare.csv, compare_curves.csv, compare_pvalues.csv, compare.json\n"
      "Report: %s\n",
      out.string().c_str(), report.string().c_str());
  return 0;
}

Command add_compare(CLI::App& app, const GlobalOptions& global) {
  struct Args {
    CompareArgs compare;
    std::string controllers;
    double target = std::numeric_limits<double>::quiet_NaN();
  };
  auto a = std::make_shared<Args>();
  auto* cmp = app.add_subcommand(
      "compare", "Run every controller x seed on the same problem and compare them statistically");
  cmp->add_option("CONFIG", a->compare.config, "Config file (TOML)")->required();
  cmp->add_option("--controllers", a->controllers, "Comma-separated controllers, e.g. rl,random")
      ->required();
  cmp->add_option("--seeds", a->compare.seeds, "Seeds per controller (config seed, seed+1, ...)")
      ->default_val(10);
  cmp->add_option("--jobs", a->compare.jobs, "Runs at once (separate processes)")->default_val(1);
  cmp->add_option("--out", a->compare.out, "Comparison folder (default: <output.dir>-compare)");
  cmp->add_option("--target", a->target,
                  "Reward for 'evaluations to target' (default: median final best reward)");
  cmp->add_option("--set", a->compare.sets, "Override a config key in every run: key.path=value");
  cmp->add_option("--storage", a->compare.storage,
                  "Keep every run in this PostgreSQL database (postgresql://USER@HOST:PORT/"
                  "DATABASE?run=NAME; runs NAME-CONTROLLER-seed-S; password from PGPASSWORD or "
                  "~/.pgpass)");
  return {cmp, [a, &global] {
            std::stringstream ss(a->controllers);
            for (std::string c; std::getline(ss, c, ',');)
              if (!c.empty()) a->compare.controllers.push_back(c);
            if (!std::isnan(a->target)) a->compare.target = a->target;
            a->compare.plugin_paths = global.plugin_paths;
            a->compare.allow_unsafe_plugins = global.allow_unsafe_plugins;
            return compare(a->compare);
          }};
}

}  // namespace coex::cli
