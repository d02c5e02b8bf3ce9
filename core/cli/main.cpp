// The `coex` command line: run, validate, plugins, compare, calibrate, export, report, train,
// deploy, worker, new-plugin (and `manifest`, used by the build), one file per subcommand
// (command.hpp). Exit codes: 0 ok, 2 bad input (config, options, plugin, dataset), 1 internal
// failure.
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include <spdlog/sinks/stdout_color_sinks.h>

#include "coex/error.hpp"
#include "coex/log.hpp"
#include "command.hpp"

int main(int argc, char** argv) {
  // A write past the file size limit fails with EFBIG instead of killing coex, so a run that
  // hits it stops with a message (as on a full disk) and can be resumed.
  std::signal(SIGXFSZ, SIG_IGN);
  auto console = spdlog::stderr_color_mt("coex");
  console->set_pattern("%^%l%$: %v");
  console->set_level(spdlog::level::warn);
  coex::set_logger(console);

  CLI::App app{"coex: hardware/software co-exploration neural architecture search"};
  app.require_subcommand(1);
  coex::cli::GlobalOptions global;
  app.add_option("--plugin-path", global.plugin_paths, "Extra folder(s) to search for plugins")
      ->take_all();
  app.add_flag("--allow-unsafe-plugins", global.allow_unsafe_plugins,
               "Load plugin libraries and manifests even when others could have written them "
               "(group- or world-writable, or owned by another user)");
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Log at info level");

  namespace cli = coex::cli;
  const std::vector<cli::Command> commands{
      cli::add_run(app, global),     cli::add_validate(app, global),  cli::add_plugins(app, global),
      cli::add_compare(app, global), cli::add_calibrate(app, global), cli::add_export(app),
      cli::add_report(app, global),  cli::add_train(app, global),     cli::add_deploy(app, global),
      cli::add_worker(app, global),  cli::add_new_plugin(app),        cli::add_manifest(app)};

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (verbose) console->set_level(spdlog::level::info);

  try {
    for (const auto& c : commands)
      if (*c.app) return c.run();
  } catch (const coex::UserError& e) {
    std::fprintf(stderr, "%scoex: error: %s\n", ::isatty(2) ? "\n" : "", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "coex: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
