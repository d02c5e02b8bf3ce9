// `coex train` and `coex deploy`: the final training of a chosen candidate and its export to the
// device (tools/deploy/README.md). Both run on LibTorch, which the core does not link: the
// command line checks its arguments and becomes the tool installed beside it (coex-train,
// coex-deploy) by exec, so that a signal sent to `coex train` (a SIGKILL included) reaches the
// process that trains.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>

#include "coex/error.hpp"
#include "command.hpp"
#include "spawn.hpp"

namespace coex::cli {

namespace fs = std::filesystem;

namespace {

struct Args {
  std::string run_dir;
  std::string candidate = "best";
  std::optional<int> epochs;
  std::string out;
  std::string weights;
  std::vector<std::string> sets;
  std::optional<int> reference_images;
};

int run_tool(const std::string& name, const std::vector<std::string>& args) {
  const fs::path tool = self_exe().parent_path() / ("coex-" + name);
  if (!fs::exists(tool))
    throw UserError("coex " + name + " needs LibTorch, and this coex was built without it (" +
                    tool.string() + " is missing). Fix: build with -DCOEX_WITH_TORCH=ON " +
                    "(scripts/coex.sh does)");
  std::vector<std::string> argv{tool.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  std::fflush(nullptr);
  ::execv(c_argv[0], c_argv.data());
  throw Error("cannot start " + tool.string() + ": " + std::strerror(errno));
}

void common_options(CLI::App* cmd, Args& a) {
  cmd->add_option("RUN_DIR", a.run_dir, "Run directory (the --out of coex run)")->required();
  cmd->add_option("--candidate", a.candidate,
                  "The candidate: its seq (candidates.csv), or 'best' (the evaluated candidate of "
                  "highest reward)")
      ->capture_default_str();
}

}  // namespace

Command add_train(CLI::App& app, const GlobalOptions&) {
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "train",
      "Retrain a candidate from scratch on the whole training split ([train] schedule: SGD with "
      "momentum and cosine decay by default), checkpointing every epoch; report its accuracy on "
      "the test split and save its weights");
  common_options(cmd, *a);
  cmd->add_option("--epochs", a->epochs, "Epochs (default: [train] epochs, 10)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--out", a->out,
                  "Folder of the weights and checkpoints (default RUN_DIR/final/SEQ)");
  cmd->add_option("--set", a->sets, "Override a [train] key: train.KEY=VALUE (e.g. train.lr=0.1)");
  return {cmd, [a] {
            std::vector<std::string> args{a->run_dir, "--candidate", a->candidate};
            if (a->epochs) args.insert(args.end(), {"--epochs", std::to_string(*a->epochs)});
            if (!a->out.empty()) args.insert(args.end(), {"--out", a->out});
            for (const auto& s : a->sets) {
              if (s.rfind("train.", 0) != 0)
                throw UserError("coex train --set '" + s +
                                "': only [train] keys may change after the search (train.KEY="
                                "VALUE)");
              args.insert(args.end(), {"--set", s});
            }
            return run_tool("train", args);
          }};
}

Command add_deploy(CLI::App& app, const GlobalOptions& global) {
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "deploy",
      "Export a trained candidate: model.onnx, hardware.json, circuit.qasm (QuantumFlow), "
      "deploy.json and reference outputs, written to a temporary folder renamed at the end");
  common_options(cmd, *a);
  cmd->add_option("--out", a->out, "Folder to write (default RUN_DIR/deploy-SEQ)");
  cmd->add_option("--weights", a->weights,
                  "Folder of the candidate's coex train output (default RUN_DIR/final/SEQ)");
  cmd->add_option("--reference-images", a->reference_images,
                  "Test images whose LibTorch logits go into reference/ (default 1000)")
      ->check(CLI::Range(1, 1000000));
  return {cmd, [a, &global] {
            std::vector<std::string> args{a->run_dir, "--candidate", a->candidate};
            if (!a->out.empty()) args.insert(args.end(), {"--out", a->out});
            if (!a->weights.empty()) args.insert(args.end(), {"--weights", a->weights});
            if (a->reference_images)
              args.insert(args.end(), {"--reference-images", std::to_string(*a->reference_images)});
            for (const auto& p : global.plugin_paths) args.insert(args.end(), {"--plugin-path", p});
            if (global.allow_unsafe_plugins) args.push_back("--allow-unsafe-plugins");
            return run_tool("deploy", args);
          }};
}

}  // namespace coex::cli
