// `coex report DIR [--out FILE]`: the self-contained HTML report of a run or a comparison.
#include <cstdio>
#include <memory>

#include "coex/core/config.hpp"
#include "coex/core/explorer.hpp"
#include "coex/core/report.hpp"
#include "command.hpp"

namespace coex::cli {

namespace fs = std::filesystem;
using namespace coex::core;

namespace {

/// The run's hardware target, re-created from its resolved config, for the best pair's
/// breakdown; null (with a note on stderr) when its plugins cannot be loaded here.
std::shared_ptr<HardwareTarget> run_target(const fs::path& dir, const GlobalOptions& global) {
  const fs::path config = dir / "config.resolved.toml";
  if (!fs::exists(config)) return nullptr;
  try {
    const RunConfig c = load_config(config, {});
    const PluginRegistry reg(default_plugin_dirs(global.plugin_paths, c.plugin_paths),
                             global.trust());
    PluginContext ctx = plugin_context(c, dir);
    ctx.validate_only = true;
    return create_hardware_target(c, reg, ctx, /*apply_profile=*/true);
  } catch (const std::exception& e) {
    std::fprintf(stderr,
                 "coex report: note: the run's hardware target cannot be loaded here (%s); the "
                 "report has no per-layer breakdown\n",
                 e.what());
    return nullptr;
  }
}

}  // namespace

Command add_report(CLI::App& app, const GlobalOptions& global) {
  auto a = std::make_shared<std::pair<std::string, std::string>>();
  auto* rep = app.add_subcommand(
      "report",
      "Write the self-contained HTML report of a run or a comparison (a run in progress: what it "
      "has committed so far)");
  rep->add_option("DIR", a->first, "Run directory (coex run --out) or comparison (coex compare)")
      ->required();
  rep->add_option("--out", a->second, "HTML file to write (default: DIR/report.html)");
  return {rep, [a, &global] {
            const fs::path dir = a->first;
            std::shared_ptr<HardwareTarget> target;
            if (report_kind(dir) == ReportKind::kRun) target = run_target(dir, global);
            const fs::path out = write_report(dir, a->second, target.get());
            std::printf("%s\n", out.c_str());
            return 0;
          }};
}

}  // namespace coex::cli
