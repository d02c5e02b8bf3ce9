// What `coex train` and `coex deploy` share (tools/deploy/README.md): a finished or running
// run's candidate, the data of its final training, and the files of a trained model.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coex/core/candidate.hpp"
#include "coex/core/config.hpp"
#include "coex/network.hpp"
#include "coex/torch/dataset.hpp"
#include "coex/torch/lower.hpp"
#include "onnx.hpp"

namespace coex::deploy {

/// A run's candidate, loaded from its run directory.
struct FinalRun {
  std::filesystem::path dir;
  core::RunConfig config;  ///< from DIR/config.resolved.toml, with the [train] overrides applied
  core::CandidateRecord candidate;
  Network network;
  std::string fingerprint;     ///< the run's config fingerprint
  nlohmann::json run_context;  ///< the store's "report_context" (plugins and versions)
};

/// Opens the run in `dir` (its store read-only, beside a run that may go on) and selects
/// `which` ("best" or a seq; core::select_candidate). `sets` are --set overrides of the resolved
/// config ("train.epochs=20"). Throws coex::UserError naming the directory and the fix: no run
/// there, a damaged store, an unknown or unevaluated candidate.
FinalRun open_final_run(const std::string& dir, const std::string& which,
                        const std::vector<std::string>& sets = {});

/// The default folder of candidate `seq`'s final training (RUN/final/<seq>).
std::filesystem::path default_train_dir(const FinalRun& run);

/// The splits of the final training: every training image (or [train] train_size), no
/// validation, the whole test split; at the network's input side, in [0, 1] for a network with
/// quantum layers. Throws coex::UserError for a missing or malformed dataset.
torch_bridge::Splits final_splits(const FinalRun& run);

/// A key of what determines the trained weights: run fingerprint, candidate, network and the
/// [train] settings. A checkpoint or trained model with another key belongs to something else.
std::string training_key(const FinalRun& run);

/// The trained model's files in a training folder.
inline std::filesystem::path weights_file(const std::filesystem::path& dir) {
  return dir / "model.pt";
}
inline std::filesystem::path train_json_file(const std::filesystem::path& dir) {
  return dir / "train.json";
}
/// The trained tensors of `model` (parameters and buffers) by name, float32, as the ONNX
/// exporter takes them.
Weights trained_weights(torch_bridge::IrModule& model);

/// The text of `file`. Throws coex::UserError naming it if it cannot be read.
std::string read_text(const std::filesystem::path& file);

inline std::filesystem::path checkpoint_file(const std::filesystem::path& dir) {
  return dir / "checkpoint.pt";
}

}  // namespace coex::deploy
