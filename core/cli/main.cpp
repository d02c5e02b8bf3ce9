// The `coex` command line: run, validate, compare, plugins, export (and `manifest`, used by the
// build). Exit codes: 0 ok, 2 bad input (config, options, plugin, dataset), 1 internal failure.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <CLI/CLI.hpp>

#include "coex/core/config.hpp"
#include "coex/core/explorer.hpp"
#include "coex/core/export.hpp"
#include "coex/core/registry.hpp"
#include "coex/error.hpp"
#include "coex/log.hpp"
#include "coex/plugin_entry.hpp"
#include "compare.hpp"
#include "new_plugin.hpp"

namespace fs = std::filesystem;
using namespace coex;
using namespace coex::core;

namespace {

std::string fmt_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  char buf[32];
  const long t = std::lround(s);
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else if (s >= 1)
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  else
    std::snprintf(buf, sizeof buf, "%.1fms", s * 1e3);
  return buf;
}

std::string fmt(double v, int prec = 4) {
  if (!std::isfinite(v)) return "-";
  std::ostringstream os;
  os.precision(prec);
  os << v;
  return os.str();
}

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

int cmd_plugins(const std::vector<std::string>& paths, const std::string& show) {
  PluginRegistry reg(default_plugin_dirs(paths, {}));
  if (show.empty()) {
    std::printf("%-16s %-16s %-8s %s\n", "KIND", "NAME", "VERSION", "SUMMARY");
    auto list = reg.plugins();
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
      return std::pair(static_cast<int>(a.kind), a.name) <
             std::pair(static_cast<int>(b.kind), b.name);
    });
    for (const auto& m : list)
      std::printf("%-16s %-16s %-8s %s\n", kind_name(m.kind), m.name.c_str(), m.version.c_str(),
                  m.summary.c_str());
    return 0;
  }
  const PluginManifest* m = reg.find_any(show);
  if (!m) {
    std::vector<std::string> names;
    for (const auto& p : reg.plugins()) names.push_back(p.name);
    std::string msg = "unknown plugin '" + show + "'. Known:";
    for (const auto& n : names) msg += " " + n;
    if (auto d = did_you_mean(show, names)) msg += ". Did you mean '" + *d + "'?";
    throw PluginError(msg);
  }
  std::printf(
      "%s (%s) %s\n  %s\n  library: %s\n  ABI %u.%u, SDK %s, %s%s\n%s\nOptions:\n", m->name.c_str(),
      kind_name(m->kind), m->version.c_str(), m->summary.c_str(), m->library_path.string().c_str(),
      m->abi_major, m->abi_minor, m->sdk_version.c_str(), m->compiler_tag.c_str(),
      m->torch_version.empty() ? "" : (", LibTorch " + m->torch_version).c_str(),
      m->concurrent ? "  concurrent: its work calls may run on several threads at once\n" : "");
  for (const auto& o : m->schema.specs()) {
    std::string range;
    if (o.min || o.max)
      range = " in [" + (o.min ? fmt(*o.min, 10) : "-inf") + ", " +
              (o.max ? fmt(*o.max, 10) : "inf") + "]";
    if (!o.choices.empty()) {
      range = " one of {";
      for (std::size_t i = 0; i < o.choices.size(); ++i) range += (i ? ", " : "") + o.choices[i];
      range += "}";
    }
    std::printf("  %-20s %s%s%s, default %s\n      %s\n", o.name.c_str(),
                OptionSpec::type_name(o.type), o.unit.empty() ? "" : (" [" + o.unit + "]").c_str(),
                range.c_str(), o.required() ? "(required)" : o.default_value.dump().c_str(),
                o.doc.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto console = spdlog::stderr_color_mt("coex");
  console->set_pattern("%^%l%$: %v");
  console->set_level(spdlog::level::warn);
  set_logger(console);

  CLI::App app{"coex: hardware/software co-exploration neural architecture search"};
  app.require_subcommand(1);
  std::vector<std::string> plugin_paths;
  app.add_option("--plugin-path", plugin_paths, "Extra folder(s) to search for plugins")
      ->take_all();
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Log at info level");

  auto* run = app.add_subcommand("run", "Run a co-exploration from a config file");
  std::string config;
  std::vector<std::string> sets;
  std::string out;
  bool resume = false;
  run->add_option("CONFIG", config, "Config file (TOML)")->required();
  run->add_option("--set", sets, "Override a config key: key.path=value (TOML value)");
  run->add_option("--out", out, "Run directory (default: the config's output.dir)");
  run->add_flag("--resume", resume, "Continue the run in --out (or start it if new)");
  unsigned workers = 0;
  run->add_option("--workers", workers,
                  "Threads that evaluate a controller's batch of candidates (0 = one per core). "
                  "Used when the search space, hardware target and estimator are all declared "
                  "concurrent and the estimator is training-free; results are the same for any "
                  "value")
      ->default_val(0);

  auto* validate = app.add_subcommand("validate", "Check a config and its plugins without running");
  validate->add_option("CONFIG", config, "Config file (TOML)")->required();
  validate->add_option("--set", sets, "Override a config key: key.path=value");

  auto* plugins = app.add_subcommand("plugins", "List plugins (from manifests) or show one");
  std::vector<std::string> show_args;
  plugins->add_option("args", show_args, "show NAME");

  auto* cmp = app.add_subcommand(
      "compare", "Run every controller x seed on the same problem and compare them statistically");
  cli::CompareArgs cargs;
  std::string controllers_csv;
  double target = std::numeric_limits<double>::quiet_NaN();
  cmp->add_option("CONFIG", cargs.config, "Config file (TOML)")->required();
  cmp->add_option("--controllers", controllers_csv, "Comma-separated controllers, e.g. rl,random")
      ->required();
  cmp->add_option("--seeds", cargs.seeds, "Seeds per controller (config seed, seed+1, ...)")
      ->default_val(10);
  cmp->add_option("--jobs", cargs.jobs, "Runs at once (separate processes)")->default_val(1);
  cmp->add_option("--out", cargs.out, "Comparison folder (default: <output.dir>-compare)");
  cmp->add_option("--target", target,
                  "Reward for 'evaluations to target' (default: median final best reward)");
  cmp->add_option("--set", cargs.sets, "Override a config key in every run: key.path=value");

  auto* cal = app.add_subcommand(
      "calibrate", "Measure this machine and fit a hardware target's model (writes a profile)");
  std::string cal_target;
  cal->add_option("--target", cal_target, "Hardware target to calibrate, e.g. raspberry_pi")
      ->required();
  cal->allow_extras();
  cal->footer("Further options go to the target's calibration tool (see its README).");

  auto* exp = app.add_subcommand("export", "Write candidates.csv and candidates.json of a run");
  std::string run_dir, export_out;
  exp->add_option("RUN", run_dir, "Run directory")->required();
  exp->add_option("--out", export_out, "Folder for the exports (default: the run directory)");

  auto* scaffold =
      app.add_subcommand("new-plugin", "Write a buildable, testable plugin skeleton into DIR");
  std::string new_kind, new_name, new_dir;
  scaffold->add_option("--kind", new_kind, "hardware_target, search_space, controller or estimator")
      ->required();
  scaffold->add_option("--name", new_name, "Plugin name (lower_snake_case)")->required();
  scaffold->add_option("DIR", new_dir, "Folder to create")->required();

  auto* manifest = app.add_subcommand("manifest", "Write a plugin's manifest (used by the build)");
  manifest->group("");
  std::string lib, manifest_out;
  manifest->add_option("LIBRARY", lib)->required();
  manifest->add_option("OUT", manifest_out)->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (verbose) console->set_level(spdlog::level::info);

  try {
    if (*run) {
      RunConfig c = load_config(config, sets);
      if (!out.empty()) c.output_dir = out;
      Progress progress(c, ::isatty(2) != 0);
      RunOptions o;
      o.plugin_paths = plugin_paths;
      o.resume = resume;
      o.workers = workers;
      o.listener = [&](const CandidateRecord& r, const RunStats& s) { progress(r, s); };
      RunResult res = core::run(c, o);
      progress.finish();
      print_summary(res);
      return 0;
    }
    if (*validate) {
      RunConfig c = load_config(config, sets);
      PluginRegistry reg(default_plugin_dirs(plugin_paths, c.plugin_paths));
      PluginContext ctx;
      ctx.task = c.task;
      ctx.validate_only = true;
      RunPlugins p = create_plugins(c, reg, ctx);
      make_problem(c, p);  // builds the joint space: duplicate dimension names are caught here
      std::printf(
          "%s: OK\n  search space %s: %zu dimensions, %llu points\n  hardware %s (%s): %zu design "
          "dimensions\n"
          "  controller %s, estimator %s\n  specs: %zu, budget: %llu candidates\n",
          config.c_str(), c.search_space.plugin.c_str(), p.space->space().size(),
          static_cast<unsigned long long>(p.space->space().cardinality()),
          c.hardware.plugin.c_str(), c.hardware_mode == HardwareMode::kTuned ? "tuned" : "searched",
          p.target->design_space().size(), c.controller.plugin.c_str(), c.estimator.plugin.c_str(),
          c.specs.items().size(), static_cast<unsigned long long>(c.budget.candidates));
      return 0;
    }
    if (*plugins) {
      if (show_args.empty()) return cmd_plugins(plugin_paths, "");
      if (show_args.size() == 2 && show_args[0] == "show")
        return cmd_plugins(plugin_paths, show_args[1]);
      throw UserError("usage: coex plugins [show NAME]");
    }
    if (*cmp) {
      std::stringstream ss(controllers_csv);
      for (std::string c; std::getline(ss, c, ',');)
        if (!c.empty()) cargs.controllers.push_back(c);
      if (!std::isnan(target)) cargs.target = target;
      cargs.plugin_paths = plugin_paths;
      return cli::compare(cargs);
    }
    if (*cal) return cli::calibrate(cal_target, cal->remaining());
    if (*exp) {
      for (const auto& f : export_run(run_dir, export_out)) std::printf("%s\n", f.c_str());
      return 0;
    }
    if (*scaffold) {
      cli::new_plugin(new_kind, new_name, new_dir);
      std::printf(
          "wrote %s plugin '%s' in %s: build it with\n  cmake -S %s -B %s/build "
          "-DCMAKE_PREFIX_PATH=<coex prefix> && "
          "cmake --build %s/build && ctest --test-dir %s/build\n",
          new_kind.c_str(), new_name.c_str(), new_dir.c_str(), new_dir.c_str(), new_dir.c_str(),
          new_dir.c_str(), new_dir.c_str());
      return 0;
    }
    if (*manifest) {
      write_manifest(lib, manifest_out);
      return 0;
    }
  } catch (const UserError& e) {
    std::fprintf(stderr, "%scoex: error: %s\n", ::isatty(2) ? "\n" : "", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "coex: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
