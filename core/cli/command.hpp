// The subcommands of `coex`, one file each. A subcommand adds itself (its options and help) to
// the command line and returns what runs it when chosen; main() dispatches and turns errors into
// exit codes (0 ok, 2 bad input, 1 internal failure).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "coex/core/registry.hpp"

namespace coex::cli {

/// Options every subcommand sees (given before the subcommand).
struct GlobalOptions {
  std::vector<std::string> plugin_paths;  ///< --plugin-path
  bool allow_unsafe_plugins = false;      ///< --allow-unsafe-plugins
  /// The registry's trust policy these options ask for.
  core::PluginTrust trust() const {
    return allow_unsafe_plugins ? core::PluginTrust::kAllowUnsafe : core::PluginTrust::kStrict;
  }
};

/// A registered subcommand: its CLI11 app (true when chosen) and its body. The body returns the
/// exit code; it throws coex::UserError for bad input.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_run(CLI::App& app, const GlobalOptions& global);        // run.cpp
Command add_validate(CLI::App& app, const GlobalOptions& global);   // validate.cpp
Command add_plugins(CLI::App& app, const GlobalOptions& global);    // plugins.cpp
Command add_manifest(CLI::App& app);                                // plugins.cpp
Command add_compare(CLI::App& app, const GlobalOptions& global);    // compare.cpp
Command add_calibrate(CLI::App& app, const GlobalOptions& global);  // calibrate.cpp
Command add_export(CLI::App& app);                                  // export.cpp
Command add_report(CLI::App& app, const GlobalOptions& global);     // report.cpp
Command add_new_plugin(CLI::App& app);                              // new_plugin.cpp
Command add_train(CLI::App& app, const GlobalOptions& global);      // train_deploy.cpp
Command add_deploy(CLI::App& app, const GlobalOptions& global);     // train_deploy.cpp
Command add_worker(CLI::App& app, const GlobalOptions& global);     // worker.cpp

}  // namespace coex::cli
