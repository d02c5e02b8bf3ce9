// `coex validate CONFIG`: the config and every plugin's options checked, plugins created with
// `validate_only`, nothing run.
#include <cstdio>
#include <memory>

#include "coex/core/config.hpp"
#include "coex/core/explorer.hpp"
#include "coex/core/registry.hpp"
#include "command.hpp"

namespace coex::cli {

using namespace coex::core;

Command add_validate(CLI::App& app, const GlobalOptions& global) {
  struct Args {
    std::string config;
    std::vector<std::string> sets;
  };
  auto a = std::make_shared<Args>();
  auto* validate = app.add_subcommand("validate", "Check a config and its plugins without running");
  validate->add_option("CONFIG", a->config, "Config file (TOML)")->required();
  validate->add_option("--set", a->sets, "Override a config key: key.path=value");
  return {validate, [a, &global] {
            RunConfig c = load_config(a->config, a->sets);
            PluginRegistry reg(default_plugin_dirs(global.plugin_paths, c.plugin_paths),
                               global.trust());
            PluginContext ctx;
            ctx.task = c.task;
            ctx.validate_only = true;
            RunPlugins p = create_plugins(c, reg, ctx);
            make_problem(c, p);  // builds the joint space: duplicate dimension names are caught
            std::printf(
                "%s: OK\n  search space %s: %zu dimensions, %llu points\n  hardware %s (%s): %zu "
                "design dimensions\n"
                "  controller %s, estimator %s\n  specs: %zu, budget: %llu candidates\n",
                a->config.c_str(), c.search_space.plugin.c_str(), p.space->space().size(),
                static_cast<unsigned long long>(p.space->space().cardinality()),
                c.hardware.plugin.c_str(),
                c.hardware_mode == HardwareMode::kTuned ? "tuned" : "searched",
                p.target->design_space().size(), c.controller.plugin.c_str(),
                c.estimator.plugin.c_str(), c.specs.items().size(),
                static_cast<unsigned long long>(c.budget.candidates));
            return 0;
          }};
}

}  // namespace coex::cli
