// `coex export RUN`: candidates.csv and candidates.json of a run, from its store.
#include <cstdio>
#include <memory>

#include "coex/core/export.hpp"
#include "command.hpp"

namespace coex::cli {

Command add_export(CLI::App& app) {
  auto dirs = std::make_shared<std::pair<std::string, std::string>>();
  auto* exp = app.add_subcommand("export", "Write candidates.csv and candidates.json of a run");
  exp->add_option("RUN", dirs->first, "Run directory")->required();
  exp->add_option("--out", dirs->second, "Folder for the exports (default: the run directory)");
  return {exp, [dirs] {
            for (const auto& f : core::export_run(dirs->first, dirs->second))
              std::printf("%s\n", f.c_str());
            return 0;
          }};
}

}  // namespace coex::cli
