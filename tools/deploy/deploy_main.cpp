// coex-deploy: run by `coex deploy RUN --candidate SEQ|best [--out DIR]`. Writes what a user
// takes to the device (README.md): model.onnx with the trained weights, hardware.json (the
// design in the target's own terms), circuit.qasm for QuantumFlow networks, deploy.json (metrics,
// test accuracy, preprocessing, provenance) and reference/ (the first test images and LibTorch's
// logits, for checking a runtime). Everything goes into a temporary folder renamed at the end.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "circuit.hpp"
#include "coex/core/explorer.hpp"
#include "coex/core/registry.hpp"
#include "coex/error.hpp"
#include "coex/io.hpp"
#include "coex/tools/tool_args.hpp"
#include "final_run.hpp"
#include "onnx.hpp"
#include "qasm.hpp"
#include "torch_params.hpp"

#ifndef COEX_VERSION_TEXT
#define COEX_VERSION_TEXT "unknown"
#endif

namespace {

namespace fs = std::filesystem;
namespace tb = coex::torch_bridge;
using nlohmann::json;
using namespace coex::deploy;

struct Args {
  std::string run_dir, candidate = "best", out, weights;
  std::vector<std::string> plugin_paths;
  bool allow_unsafe = false;
  std::int64_t reference_images = 1000;
};

[[noreturn]] void usage_error(const std::string& msg) {
  throw coex::UserError("coex deploy: " + msg +
                        ". Usage: coex deploy RUN_DIR [--candidate SEQ|best] [--out DIR] "
                        "[--weights TRAIN_DIR] [--reference-images N]");
}

Args parse(int argc, char** argv) {
  Args a;
  coex::tools::ToolArgs args(argc, argv, usage_error);
  while (args.next()) {
    const std::string& k = args.key();
    if (k == "--candidate")
      a.candidate = args.value();
    else if (k == "--out")
      a.out = args.value();
    else if (k == "--weights")
      a.weights = args.value();
    else if (k == "--reference-images")
      a.reference_images = static_cast<std::int64_t>(args.number(1, 1e6));
    else if (k == "--plugin-path")
      a.plugin_paths.push_back(args.value());
    else if (k == "--allow-unsafe-plugins")
      a.allow_unsafe = true;
    else if (!k.empty() && k[0] != '-' && a.run_dir.empty())
      a.run_dir = k;
    else
      args.fail("unknown argument '" + k + "'");
  }
  if (a.run_dir.empty()) usage_error("missing RUN_DIR");
  return a;
}

void write_bytes(const fs::path& file, const void* data, std::size_t size) {
  std::ofstream out(file, std::ios::binary);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) throw coex::UserError("cannot write " + file.string() + ". Fix: free disk space");
}

void write_tensor(const fs::path& file, const torch::Tensor& t) {
  const auto c = t.contiguous();
  write_bytes(file, c.data_ptr(), static_cast<std::size_t>(c.numel()) * c.element_size());
}

json dims_of(const torch::Tensor& t) { return json(t.sizes().vec()); }

int run(const Args& a) {
  const FinalRun r = open_final_run(a.run_dir, a.candidate);
  const std::string seq = std::to_string(r.candidate.seq);
  const fs::path train_dir = a.weights.empty() ? default_train_dir(r) : fs::path(a.weights);
  if (!fs::exists(train_json_file(train_dir)) || !fs::exists(weights_file(train_dir)))
    throw coex::UserError("candidate " + seq + " has no trained weights in " + train_dir.string() +
                          ". Fix: coex train " + a.run_dir + " --candidate " + seq +
                          " first (or --weights DIR for weights trained elsewhere)");
  const json trained = json::parse(read_text(train_json_file(train_dir)), nullptr, false);
  if (trained.is_discarded() || trained.value("seq", -1) != r.candidate.seq ||
      trained.value("network_hash", "") != r.candidate.network_hash)
    throw coex::UserError(train_json_file(train_dir).string() +
                          " is not the training of candidate " + seq +
                          " of this run. Fix: coex "
                          "train " +
                          a.run_dir + " --candidate " + seq);

  // The run's plugins, loaded as the run loaded them: a run whose plugins are missing here, or
  // built for another ABI, stops before anything is written.
  const coex::core::PluginRegistry reg(
      coex::core::default_plugin_dirs(a.plugin_paths, r.config.plugin_paths),
      a.allow_unsafe ? coex::core::PluginTrust::kAllowUnsafe : coex::core::PluginTrust::kStrict);
  coex::PluginContext ctx = coex::core::plugin_context(r.config, r.dir);
  ctx.validate_only = true;
  coex::core::create_search_space(r.config, reg, ctx);
  const auto target = coex::core::create_hardware_target(r.config, reg, ctx, true);

  // The trained model and the reference images.
  // The trained model, and a float64 copy of it for the reference logits (one archive read).
  auto model = tb::lower(r.network);
  auto model64 = tb::lower(r.network);
  try {
    torch::serialize::InputArchive in;
    in.load_from(weights_file(train_dir).string());
    model->load(in);
    model64->load(in);
  } catch (const std::exception& e) {
    throw coex::UserError(weights_file(train_dir).string() + " cannot be loaded into candidate " +
                          seq + "'s network (" + e.what() + "). Fix: coex train again");
  }
  model->eval();
  torch::NoGradGuard no_grad;
  const auto splits = final_splits(r);
  const std::int64_t n_ref = std::min(a.reference_images, splits.test.size());
  const auto ref_in = splits.test.images.slice(0, 0, n_ref).contiguous();
  const auto ref_labels = splits.test.labels.slice(0, 0, n_ref).contiguous();
  // LibTorch's logits: in float64 (the same weights), the reference a float32 runtime is held
  // to; and in float32, whose distance to it is LibTorch's own rounding (deploy.json).
  model64->to(torch::kFloat64);
  model64->eval();
  std::vector<torch::Tensor> parts, parts32;
  for (std::int64_t b = 0; b < n_ref; b += 250) {
    const auto x = ref_in.slice(0, b, std::min(n_ref, b + 250));
    parts.push_back(model64->forward(x.to(torch::kFloat64)));
    parts32.push_back(model->forward(x));
  }
  const auto logits64 = torch::cat(parts, 0);
  const auto ref_logits = logits64.to(torch::kFloat32).contiguous();
  const double float32_diff =
      (torch::cat(parts32, 0).to(torch::kFloat64) - logits64).abs().max().item<double>();
  const double ref_accuracy =
      ref_logits.argmax(1).eq(ref_labels).sum().item<double>() / static_cast<double>(n_ref);

  // model.onnx
  const coex::Shape in = r.network.node(0).shape;
  const bool unit = tb::reads_unit_range(r.network);  // a QuantumFlow network
  json preprocessing = {{"pixels", "value / 255"}, {"mean", splits.mean},
                        {"std", splits.std},       {"then", "(value - mean) / std per channel"},
                        {"resize", in.h},          {"layout", "NCHW float32"}};
  if (unit) preprocessing["then"] = "none: the quantum layers read pixels in [0, 1]";
  OnnxOptions oo;
  oo.graph_name = r.config.name + "_candidate_" + seq;
  oo.producer_version = COEX_VERSION_TEXT;
  oo.doc = "coex candidate " + seq + " of run " + r.config.name + ": " + r.candidate.description +
           ". Input: " + std::to_string(in.c) + "x" + std::to_string(in.h) + "x" +
           std::to_string(in.w) + " images preprocessed as deploy.json says; output: logits.";
  oo.metadata = {{"coex.preprocessing", preprocessing.dump()},
                 {"coex.candidate", seq},
                 {"coex.run_fingerprint", r.fingerprint}};
  const std::string onnx = export_onnx(r.network, trained_weights(model), oo);

  // hardware.json: the design by the target's own dimension names, and its own account of it.
  json design = json::object();
  const coex::Space& ds = target->design_space();
  const auto& hp = r.candidate.hardware_point;
  for (std::size_t i = 0; i < ds.size() && i < hp.size(); ++i)
    design[ds[i].name] = ds[i].label(hp[i]);
  const json metrics = r.candidate.outcome.metrics.to_json();  // hardware.json and deploy.json
  const json hardware = {
      {"target", r.config.hardware.plugin},
      {"target_version",
       reg.find(r.config.hardware.plugin, coex::PluginKind::kHardwareTarget).version},
      {"mode", r.config.hardware_mode == coex::core::HardwareMode::kTuned ? "tuned" : "searched"},
      {"design", design},
      {"summary", r.candidate.hardware_summary},
      {"detail", r.candidate.hardware_detail},
      {"metrics", metrics}};

  // circuit.qasm for a QuantumFlow network: the circuit the target compiled, on test image 0.
  std::string qasm;
  json circuit = nullptr;
  if (unit) {
    coex::qf::CompileOptions co;
    const auto& d = r.candidate.hardware_detail;
    if (d.value("mapping", "") == coex::qf::mapping_name(coex::qf::Mapping::kBaseline))
      co.mapping = coex::qf::Mapping::kBaseline;
    if (d.value("ancillas", "") == coex::qf::ancillas_name(coex::qf::Ancillas::kPerNeuron))
      co.ancillas = coex::qf::Ancillas::kPerNeuron;
    const auto params = coex::qf::params_from_model(r.network, model);
    const coex::qf::Circuit c = coex::qf::compile(r.network, params, co);
    const auto img = splits.test.images[0].flatten().to(torch::kFloat64).contiguous();
    const std::vector<double> input(img.data_ptr<double>(), img.data_ptr<double>() + img.numel());
    const auto probs = coex::qf::run_exact(c, input);
    const auto res = c.resources();
    qasm = to_qasm(c, input,
                   {"coex candidate " + seq + " of run " + r.config.name + ", " +
                        coex::qf::mapping_name(co.mapping) + " mapping, " +
                        coex::qf::ancillas_name(co.ancillas) + " ancillas",
                    "input: test image 0 (" + std::to_string(input.size()) +
                        " pixels in [0, 1]); the encoding block changes with the input",
                    "outputs: c[i] = q[outputs[i]], class i's probability (deploy.json)"});
    std::vector<double> torch_out;
    {
      const auto o = model->forward(splits.test.images.slice(0, 0, 1)).to(torch::kFloat64);
      torch_out.assign(o.data_ptr<double>(), o.data_ptr<double>() + o.numel());
    }
    circuit = {{"file", "circuit.qasm"}, {"qubits", c.qubits},           {"gates", res.gates},
               {"depth", res.depth},     {"outputs", c.outputs},         {"input", "test image 0"},
               {"probabilities", probs}, {"libtorch_outputs", torch_out}};
  }

  // deploy.json
  const json deploy = {
      {"candidate",
       {{"seq", r.candidate.seq},
        {"description", r.candidate.description},
        {"network_hash", r.candidate.network_hash},
        {"network_summary", r.candidate.network_summary},
        {"reward", r.candidate.outcome.reward},
        {"search_accuracy",
         r.candidate.outcome.accuracy ? json(*r.candidate.outcome.accuracy) : json()}}},
      {"metrics", metrics},
      {"test_accuracy", trained.value("test_accuracy", 0.0)},
      {"test_images", trained.value("test_images", 0)},
      {"training", trained.value("train", json::object())},
      {"model",
       {{"file", "model.onnx"},
        {"opset", kOnnxOpset},
        {"ir_version", kOnnxIrVersion},
        {"input", {{"name", "input"}, {"shape", {"batch", in.c, in.h, in.w}}}},
        {"output", {{"name", "logits"}, {"shape", {"batch", r.network.output().shape.elements()}}}},
        {"custom_operators", json::array()},
        {"preprocessing", preprocessing}}},
      {"hardware", {{"file", "hardware.json"}, {"summary", r.candidate.hardware_summary}}},
      {"circuit", circuit},
      {"reference",
       {{"images", n_ref},
        {"inputs", {{"file", "reference/inputs.f32"}, {"shape", dims_of(ref_in)}}},
        {"labels", {{"file", "reference/labels.i64"}, {"shape", dims_of(ref_labels)}}},
        {"logits", {{"file", "reference/logits.f32"}, {"shape", dims_of(ref_logits)}}},
        {"libtorch_accuracy", ref_accuracy},
        {"libtorch_float32_max_abs_diff", float32_diff},
        {"note",
         "little-endian raw tensors; logits computed by LibTorch from model.pt in float64 "
         "(stored as float32); libtorch_float32_max_abs_diff is LibTorch's own float32 "
         "inference against them"}}},
      {"provenance",
       {{"run", fs::absolute(r.dir).string()},
        {"run_name", r.config.name},
        {"config_fingerprint", r.fingerprint},
        {"seed", r.config.seed},
        {"coex_version", COEX_VERSION_TEXT},
        {"plugins", r.run_context.value("plugins", json::array())},
        {"weights", fs::absolute(weights_file(train_dir)).string()}}}};

  // Into a temporary folder beside the destination, renamed at the end.
  fs::path out = a.out.empty() ? r.dir / ("deploy-" + seq) : fs::path(a.out);
  out = fs::absolute(out).lexically_normal();
  if (out.filename().empty()) out = out.parent_path();  // "--out dir/"
  if (fs::exists(out) && !fs::exists(out / "deploy.json"))
    throw coex::UserError(out.string() +
                          " exists and is not a coex deploy folder. Fix: --out "
                          "NEW_DIR");
  const fs::path parent = fs::absolute(out).parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  const fs::path tmp =
      parent / ("." + out.filename().string() + ".tmp-" + std::to_string(::getpid()));
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp / "reference", ec);
  if (ec) throw coex::UserError("cannot create " + tmp.string() + ": " + ec.message());
  try {
    write_bytes(tmp / "model.onnx", onnx.data(), onnx.size());
    const std::string hj = hardware.dump(2) + "\n";
    write_bytes(tmp / "hardware.json", hj.data(), hj.size());
    if (!qasm.empty()) write_bytes(tmp / "circuit.qasm", qasm.data(), qasm.size());
    write_tensor(tmp / "reference/inputs.f32", ref_in);
    write_tensor(tmp / "reference/labels.i64", ref_labels);
    write_tensor(tmp / "reference/logits.f32", ref_logits);
    const std::string dj = deploy.dump(2) + "\n";
    write_bytes(tmp / "deploy.json", dj.data(), dj.size());
    // Replace an earlier deploy of this folder: old aside, new in, old removed.
    const fs::path old =
        parent / ("." + out.filename().string() + ".old-" + std::to_string(::getpid()));
    if (fs::exists(out)) fs::rename(out, old);
    fs::rename(tmp, out);
    fs::remove_all(old, ec);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    throw coex::UserError("cannot write " + out.string() + ": " + e.what() +
                          ". Fix: free disk space or choose another --out");
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  std::printf(
      "candidate %s deployed to %s: model.onnx (opset %lld, %zu bytes), hardware.json%s, "
      "deploy.json (test accuracy %.4f)\n",
      seq.c_str(), out.c_str(), static_cast<long long>(kOnnxOpset), onnx.size(),
      qasm.empty() ? "" : ", circuit.qasm", trained.value("test_accuracy", 0.0));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return coex::tools::tool_main([&] { return run(parse(argc, argv)); });
}
