// `coex export RUN | --storage URL`: candidates.csv and candidates.json of a run, from its store.
#include <cstdio>
#include <memory>

#include "coex/core/export.hpp"
#include "coex/core/store.hpp"
#include "coex/error.hpp"
#include "command.hpp"

namespace coex::cli {

Command add_export(CLI::App& app) {
  struct Args {
    std::string run, out, storage;
  };
  auto a = std::make_shared<Args>();
  auto* exp = app.add_subcommand("export", "Write candidates.csv and candidates.json of a run");
  exp->add_option("RUN", a->run, "Run directory");
  exp->add_option("--out", a->out, "Folder for the exports (default: the run directory)");
  exp->add_option("--storage", a->storage,
                  "Read the run from this store instead (postgresql://USER@HOST:PORT/DATABASE"
                  "?run=NAME or sqlite:///PATH); needs --out");
  return {exp, [a] {
            std::vector<std::filesystem::path> files;
            if (!a->storage.empty()) {
              if (a->out.empty())
                throw UserError("coex export --storage needs --out DIR (where to write)");
              files = core::export_store(*core::open_store(core::StorageUrl::parse(a->storage),
                                                           core::Store::Access::kRead),
                                         a->out);
            } else {
              if (a->run.empty())
                throw UserError("coex export: give the run directory, or --storage URL --out DIR");
              files = core::export_run(a->run, a->out);
            }
            for (const auto& f : files) std::printf("%s\n", f.c_str());
            return 0;
          }};
}

}  // namespace coex::cli
