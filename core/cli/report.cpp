// `coex report DIR [--out FILE]`: the self-contained HTML report of a run or a comparison.
#include <cstdio>
#include <memory>

#include "coex/core/config.hpp"
#include "coex/core/explorer.hpp"
#include "coex/core/report.hpp"
#include "coex/core/store.hpp"
#include "coex/error.hpp"
#include "coex/io.hpp"
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
  struct Args {
    std::string dir, out, storage;
  };
  auto a = std::make_shared<Args>();
  auto* rep = app.add_subcommand(
      "report",
      "Write the self-contained HTML report of a run or a comparison (a run in progress: what it "
      "has committed so far)");
  rep->add_option("DIR", a->dir, "Run directory (coex run --out) or comparison (coex compare)");
  rep->add_option("--out", a->out, "HTML file to write (default: DIR/report.html)");
  rep->add_option("--storage", a->storage,
                  "Read the run from this store instead of a directory (postgresql://USER@HOST:"
                  "PORT/DATABASE?run=NAME); needs --out");
  return {rep, [a, &global] {
            if (!a->storage.empty()) {
              if (a->out.empty())
                throw UserError("coex report --storage needs --out FILE (where to write)");
              const auto url = StorageUrl::parse(a->storage);
              const auto store = open_store(url, Store::Access::kRead);
              write_file_atomic(a->out, run_report_html(*store, url.run, nullptr));
              std::printf("%s\n", a->out.c_str());
              return 0;
            }
            if (a->dir.empty())
              throw UserError(
                  "coex report: give a run or comparison directory, or --storage URL "
                  "--out FILE");
            const fs::path dir = a->dir;
            std::shared_ptr<HardwareTarget> target;
            if (report_kind(dir) == ReportKind::kRun) target = run_target(dir, global);
            const fs::path out = write_report(dir, a->out, target.get());
            std::printf("%s\n", out.c_str());
            return 0;
          }};
}

}  // namespace coex::cli
