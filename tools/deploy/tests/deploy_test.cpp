// coex train and coex deploy, checked by someone else's code: the ONNX project's checker
// (python3-onnx), ONNX Runtime (onnxruntime-node) and the npm quantum-circuit simulator
// (tools/deploy/check, installed by scripts/setup-deps.sh).
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "../../../tests/support/test_support.hpp"
#include "coex/error.hpp"
#include "coex/torch/lower.hpp"
#include "final_run.hpp"
#include "onnx.hpp"

namespace coex::test {
namespace {

using nlohmann::json;

const fs::path kCheck = fs::path(COEX_DEPLOY_CHECK_DIR);

/// Runs a checker and parses the JSON line it prints last.
json checker(const std::string& cmd, int* exit_code = nullptr) {
  const CommandResult r = run_command(cmd);
  if (exit_code) *exit_code = r.exit_code;
  const auto start = r.output.rfind("\n{");
  const std::string last = r.output.substr(start == std::string::npos ? 0 : start + 1);
  json j = json::parse(last, nullptr, false);
  if (j.is_discarded()) ADD_FAILURE() << cmd << " printed no JSON:\n" << r.output;
  return j;
}

json onnx_checker(const fs::path& model) {
  return checker("/usr/bin/python3 '" + (kCheck / "check_onnx.py").string() + "' '" +
                 model.string() + "'");
}

json onnx_runtime(const fs::path& dir, const std::string& bounds = "") {
  return checker("node '" + (kCheck / "check_onnx.mjs").string() + "' '" + dir.string() + "' " +
                 bounds);
}

void write_floats(const fs::path& f, const torch::Tensor& t) {
  const auto c = t.contiguous();
  std::ofstream out(f, std::ios::binary);
  out.write(static_cast<const char*>(c.data_ptr()),
            static_cast<std::streamsize>(c.numel() * c.element_size()));
}

/// Exports `net` with the weights of a lowered (untrained, batch norm statistics drawn) model,
/// writes a folder check_onnx.mjs reads, and returns what ONNX Runtime says.
json export_and_run(const Network& net, const fs::path& dir, bool unit_inputs) {
  torch::manual_seed(11);
  auto model = torch_bridge::lower(net);
  {
    torch::NoGradGuard g;
    for (auto& b : model->named_buffers(true)) {
      if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
      if (b.key().find("running_mean") != std::string::npos) b.value().uniform_(-0.5, 0.5);
      if (b.key().find("running_factor") != std::string::npos) b.value().uniform_(0.3, 1.2);
    }
    for (auto& p : model->named_parameters(true))
      if (p.key().find("scale") != std::string::npos) p.value().uniform_(0.5, 1.5);
  }
  model->eval();
  const Shape in = net.node(0).shape;
  const auto x =
      unit_inputs ? torch::rand({64, in.c, in.h, in.w}) : torch::randn({64, in.c, in.h, in.w});
  const auto logits = model->forward(x).detach();
  const deploy::Weights w = deploy::trained_weights(model);
  fs::create_directories(dir / "reference");
  const std::string bytes = deploy::export_onnx(net, w, {});
  write_text(dir / "model.onnx", bytes);
  write_floats(dir / "reference/inputs.f32", x);
  write_floats(dir / "reference/logits.f32", logits);
  write_text(
      dir / "deploy.json",
      json{{"reference",
            {{"inputs", {{"file", "reference/inputs.f32"}, {"shape", x.sizes().vec()}}},
             {"logits", {{"file", "reference/logits.f32"}, {"shape", logits.sizes().vec()}}}}}}
          .dump());
  EXPECT_TRUE(onnx_checker(dir / "model.onnx").value("ok", false))
      << run_command("/usr/bin/python3 " + (kCheck / "check_onnx.py").string() + " " +
                     (dir / "model.onnx").string())
             .output;
  return onnx_runtime(dir, "--min-agreement 1 --max-diff 1e-4");
}

// Every classical op of the IR, with strides, padding and groups, in one network: ONNX Runtime
// gives LibTorch's logits.
TEST(OnnxExport, EveryClassicalOpRunsUnderOnnxRuntimeAsUnderLibTorch) {
  TempDir tmp;
  Network n;
  const int x = n.add_input({3, 12, 12});
  const int c1 = n.add_conv2d(x, 8, 3, 1, 1, 1, true);
  const int b1 = n.add_batch_norm(c1);
  const int r1 = n.add_activation(b1, Activation::kRelu6);
  const int s1 = n.add_shift_conv2d(r1, 8, 3, 2, 1, 2);  // grouped, strided
  const int a1 = n.add_adder_conv2d(r1, 8, 3, 2, 1);
  const int ab = n.add_batch_norm(a1);
  const int sum = n.add_add({s1, ab});
  const int t = n.add_activation(sum, Activation::kTanh);
  const int dw = n.add_adder_conv2d(t, 8, 3, 1, 1, 8);  // depthwise adder
  const int bn2 = n.add_batch_norm(dw);
  const int sg = n.add_activation(bn2, Activation::kSigmoid);
  const int sel = n.add_channel_select(t, {0, 2, 5});
  const int z = n.add_zero(sel);
  const int cat = n.add_concat({sg, sel, z});
  const int mp = n.add_max_pool(cat, 3, 2, 1);
  const int ap = n.add_avg_pool(mp, 2, 1, 1);
  const int r2 = n.add_activation(ap, Activation::kRelu);
  const int g = n.add_global_avg_pool(r2);
  const int l1 = n.add_linear(g, 16);
  const int b3 = n.add_batch_norm(l1);
  const int r3 = n.add_activation(b3, Activation::kRelu);
  n.add_linear(r3, 10);
  const json r = export_and_run(n, tmp / "classical", false);
  EXPECT_TRUE(r.value("ok", false)) << r.dump();
  EXPECT_EQ(r.value("images", 0), 64);
  EXPECT_EQ(r.value("argmax_agreement", 0.0), 1.0) << r.dump();
  EXPECT_LE(r.value("max_abs_logit_diff", 1.0), 1e-4) << r.dump();
}

// The QuantumFlow layers' inference forms (U-LYR amplitudes, P-LYR, N-LYR) as standard ops.
TEST(OnnxExport, QuantumFlowLayersRunUnderOnnxRuntimeAsUnderLibTorch) {
  TempDir tmp;
  Network n;
  const int x = n.add_input({1, 4, 4});
  const int f = n.add_flatten(x);
  const int u = n.add_qf_u(f, 4);
  const int nn = n.add_qf_n(u);
  const int p = n.add_qf_p(nn, 2);
  n.add_qf_n(p);
  const json r = export_and_run(n, tmp / "qf", true);
  EXPECT_TRUE(r.value("ok", false)) << r.dump();
  EXPECT_LE(r.value("max_abs_logit_diff", 1.0), 1e-6) << r.dump();
}

// The checker is not a rubber stamp: a model whose logits were changed fails it.
TEST(OnnxExport, TheRuntimeCheckFailsOnWrongReferenceLogits) {
  TempDir tmp;
  Network n;
  const int x = n.add_input({1, 6, 6});
  const int c = n.add_conv2d(x, 4, 3, 1, 0);
  const int g = n.add_global_avg_pool(c);
  n.add_linear(g, 3);
  export_and_run(n, tmp / "m", false);
  // Shift one logit of image 5 by 1e-3.
  std::fstream f(tmp / "m/reference/logits.f32", std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(5 * 3 * 4);
  float v = 0;
  f.read(reinterpret_cast<char*>(&v), 4);
  v += 1e-3f;
  f.seekp(5 * 3 * 4);
  f.write(reinterpret_cast<const char*>(&v), 4);
  f.close();
  int rc = 0;
  const json r = checker(
      "node '" + (kCheck / "check_onnx.mjs").string() + "' '" + (tmp / "m").string() + "'", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_FALSE(r.value("ok", true));
  EXPECT_NEAR(r.value("max_abs_logit_diff", 0.0), 1e-3, 1e-5);
}

// What the exporter cannot express, and weights that do not fit, stop it with the node named.
TEST(OnnxExport, AnInexpressibleOpOrForeignWeightsAreRefusedNamingTheNode) {
  Network n;
  const int x = n.add_input({1, 4, 4});
  const int f = n.add_flatten(x);
  n.add_conv2d(f, 2, 1, 1, 0);  // a valid IR shape, but a convolution of a flattened tensor
  deploy::Weights w;
  w["n2.weight"] = {{2, 16, 1, 1}, std::vector<float>(32, 0.5f)};
  w["n2.bias"] = {{2}, {0.f, 0.f}};
  try {
    deploy::export_onnx(n, w, {});
    ADD_FAILURE() << "exported a convolution of a flattened tensor";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("node 2 (conv2d)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cannot express"), std::string::npos) << e.what();
  }

  Network m;
  const int y = m.add_input({1, 4, 4});
  const int g = m.add_global_avg_pool(y);
  m.add_linear(g, 3);
  deploy::Weights wrong;
  wrong["n2.weight"] = {{3, 2}, std::vector<float>(6, 0.1f)};  // a linear of 2 inputs, not 1
  wrong["n2.bias"] = {{3}, {0.f, 0.f, 0.f}};
  try {
    deploy::export_onnx(m, wrong, {});
    ADD_FAILURE() << "exported weights of another network";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("'n2.weight' has 6 values"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("belong to another network"), std::string::npos)
        << e.what();
  }
}

// --- end to end on real runs --------------------------------------------------------------------

const char* kChainConfig = R"(name = "deploy_chain"
seed = 3
[task]
dataset = "fashion_mnist"
[search_space]
plugin = "chain_cnn"
[search_space.options]
depths = [4]
kernels = [3, 5]
filters = [8, 16]
stride = "predictable"
stride_every = 2
[hardware]
plugin = "fpga_cluster"
mode = "tuned"
[hardware.options]
pool = ["zcu102", "ultra96", "pynq_z1"]
[controller]
plugin = "random"
[estimator]
plugin = "trained"
[estimator.options]
train_size = 600
validation_size = 200
epochs = 1
threads = 1
[specs]
constraints = ["throughput_fps >= 5000"]
[train]
train_size = 4000
batch = 64
lr = 0.05
threads = 1
[budget]
candidates = 4
)";

/// One search run shared by the tests of this suite (created on first use).
const fs::path& chain_run() {
  static TempDir dir;
  static const fs::path run = [] {
    write_text(dir / "chain.toml", kChainConfig);
    const auto r = run_coex("run '" + (dir / "chain.toml").string() + "' --out '" +
                            (dir / "run").string() + "'");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return dir / "run";
  }();
  return run;
}

std::int64_t seq_with_status(const fs::path& run, const std::string& status) {
  const auto r = run_coex("export '" + run.string() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const json all = json::parse(read_text(run / "candidates.json"));
  for (const auto& c : all)
    if (c.value("status", "") == status) return c.value("seq", std::int64_t{-1});
  return -1;
}

TEST(TrainDeploy, TheBestCandidateIsTrainedDeployedAndAgreesUnderOnnxRuntime) {
  const fs::path& run = chain_run();
  TempDir out;
  const auto t = run_coex("train '" + run.string() + "' --candidate best --epochs 2 --out '" +
                          (out / "train").string() + "'");
  ASSERT_EQ(t.exit_code, 0) << t.output;
  EXPECT_NE(t.output.find("epoch 2/2"), std::string::npos) << t.output;
  EXPECT_NE(t.output.find("ETA"), std::string::npos) << t.output;
  const json tj = json::parse(read_text(out / "train/train.json"));
  EXPECT_EQ(tj["test_images"], 10000);
  EXPECT_EQ(tj["train_images"], 4000);
  EXPECT_EQ(tj["epochs"].size(), 2u);
  EXPECT_GT(tj.value("test_accuracy", 0.0), 0.5) << tj.dump(2);  // 10 classes: chance is 0.1
  EXPECT_FALSE(fs::exists(out / "train/checkpoint.pt"));

  const auto d = run_coex("deploy '" + run.string() + "' --weights '" + (out / "train").string() +
                          "' --out '" + (out / "dep").string() + "'");
  ASSERT_EQ(d.exit_code, 0) << d.output;
  for (const char* f : {"model.onnx", "hardware.json", "deploy.json", "reference/inputs.f32",
                        "reference/logits.f32", "reference/labels.i64"})
    EXPECT_TRUE(fs::exists(out / "dep" / f)) << f;
  EXPECT_FALSE(fs::exists(out / "dep/circuit.qasm"));
  const json dj = json::parse(read_text(out / "dep/deploy.json"));
  EXPECT_EQ(dj["test_accuracy"], tj["test_accuracy"]);
  EXPECT_EQ(dj["model"]["opset"], 13);
  EXPECT_EQ(dj["reference"]["images"], 1000);
  EXPECT_EQ(dj["provenance"]["seed"], 3);
  EXPECT_FALSE(dj["provenance"]["config_fingerprint"].get<std::string>().empty());
  EXPECT_FALSE(dj["provenance"]["plugins"].empty());
  const json hw = json::parse(read_text(out / "dep/hardware.json"));
  EXPECT_EQ(hw["target"], "fpga_cluster");
  // Tuned mode: the target chose the design; its own account lists the pipeline's stages.
  ASSERT_TRUE(hw["detail"].contains("stages")) << hw.dump(2);
  for (const auto& st : hw["detail"]["stages"]) {
    EXPECT_TRUE(st.contains("board")) << st.dump();
    EXPECT_TRUE(st.contains("layers")) << st.dump();
    EXPECT_TRUE(st.contains("tiling")) << st.dump();
  }

  const json chk = onnx_checker(out / "dep/model.onnx");
  EXPECT_TRUE(chk.value("ok", false)) << chk.dump();
  const json ort = onnx_runtime(out / "dep");
  EXPECT_TRUE(ort.value("ok", false)) << ort.dump();
  EXPECT_EQ(ort.value("images", 0), 1000);
  EXPECT_GE(ort.value("argmax_agreement", 0.0), 0.999) << ort.dump();
  EXPECT_LE(ort.value("max_abs_logit_diff", 1.0), 1e-4) << ort.dump();
  std::printf(
      "[ figures  ] test accuracy %.4f; ONNX Runtime: argmax agreement %.4f, largest "
      "logit difference %.3g\n",
      tj.value("test_accuracy", 0.0), ort.value("argmax_agreement", 0.0),
      ort.value("max_abs_logit_diff", 0.0));

  // The same command again: nothing to redo.
  const auto again = run_coex("train '" + run.string() + "' --candidate best --epochs 2 --out '" +
                              (out / "train").string() + "'");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("already trained"), std::string::npos) << again.output;
}

TEST(TrainDeploy, ASigkilledTrainingContinuesToTheSameResult) {
  const fs::path& run = chain_run();
  TempDir out;
  const std::string base = "train '" + run.string() + "' --candidate best --epochs 3 --out '";
  const auto whole = run_coex(base + (out / "whole").string() + "'");
  ASSERT_EQ(whole.exit_code, 0) << whole.output;

  // The same training, killed once its first checkpoint is on disk, then started again.
  const fs::path killed = out / "killed";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl(COEX_TEST_BIN, COEX_TEST_BIN, "train", run.c_str(), "--candidate", "best", "--epochs",
            "3", "--out", killed.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool checkpointed = false;
  for (int i = 0; i < 6000 && !checkpointed; ++i) {
    checkpointed = fs::exists(killed / "checkpoint.pt");
    if (!checkpointed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);  // coex train became coex-train (exec): this is the training process
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(checkpointed) << "no checkpoint after the first epoch";
  EXPECT_FALSE(fs::exists(killed / "train.json")) << "killed after it finished: make it longer";

  const auto resumed = run_coex(base + killed.string() + "'");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming from the checkpoint after epoch"), std::string::npos)
      << resumed.output;
  const json a = json::parse(read_text(out / "whole/train.json"));
  const json b = json::parse(read_text(killed / "train.json"));
  EXPECT_EQ(a["test_accuracy"], b["test_accuracy"]);
  EXPECT_EQ(a["final_loss"], b["final_loss"]);
  for (std::size_t e = 0; e < 3; ++e) EXPECT_EQ(a["epochs"][e]["loss"], b["epochs"][e]["loss"]);
}

TEST(TrainDeploy, BadInputStopsWithExitCode2AndWritesNothing) {
  const fs::path& run = chain_run();
  TempDir out;
  auto expect_refused = [&](const std::string& args, const std::string& says) {
    const auto r = run_coex(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(says), std::string::npos) << args << "\n" << r.output;
    EXPECT_EQ(r.output.find("internal error"), std::string::npos) << r.output;
  };
  const std::string R = "'" + run.string() + "'";
  expect_refused("train " + R + " --candidate 999 --out '" + (out / "a").string() + "'",
                 "has no candidate 999");
  expect_refused("train " + R + " --candidate x7 --out '" + (out / "a").string() + "'",
                 "expected 'best' or a candidate's seq");
  const std::int64_t pruned = seq_with_status(run, "pruned");
  if (pruned >= 0)
    expect_refused("train " + R + " --candidate " + std::to_string(pruned) + " --out '" +
                       (out / "a").string() + "'",
                   "was pruned");
  expect_refused("train '" + (out / "nowhere").string() + "'", "is not a run directory");
  expect_refused("train " + R + " --set train.lr=50 --out '" + (out / "a").string() + "'",
                 "out of range");
  expect_refused("train " + R + " --set budget.candidates=9", "only [train] keys");
  expect_refused("deploy " + R + " --weights '" + (out / "none").string() + "' --out '" +
                     (out / "d").string() + "'",
                 "has no trained weights");
  EXPECT_FALSE(fs::exists(out / "a"));
  EXPECT_FALSE(fs::exists(out / "d"));

  // A run whose hardware target is not installed here.
  TempDir copy;
  fs::copy(run, copy / "run", fs::copy_options::recursive);
  std::string cfg = read_text(copy / "run/config.resolved.toml");
  const auto at = cfg.find("fpga_cluster");
  ASSERT_NE(at, std::string::npos);
  cfg.replace(at, 12, "asic_of_mars");
  write_text(copy / "run/config.resolved.toml", cfg);
  fs::create_directories(copy / "w");
  const auto t = run_coex("train '" + run.string() + "' --candidate best --epochs 1 --out '" +
                          (copy / "w").string() + "'");
  ASSERT_EQ(t.exit_code, 0) << t.output;
  expect_refused("deploy '" + (copy / "run").string() + "' --weights '" + (copy / "w").string() +
                     "' --out '" + (copy / "d").string() + "'",
                 "asic_of_mars");
  EXPECT_FALSE(fs::exists(copy / "d"));
}

const char* kQuantumConfig = R"(name = "deploy_qf"
seed = 1
[task]
dataset = "fashion_mnist"
labels = [3, 6]
[search_space]
plugin = "qf_net"
[search_space.options]
kinds = ["hnet"]
resolutions = [4]
depths = [2]
neurons = [2]
norm = "searched"
[hardware]
plugin = "quantum_circuit"
mode = "tuned"
[hardware.options]
device = "ibm_falcon"
tune_objective = "gate_cost"
[controller]
plugin = "random"
[estimator]
plugin = "trained"
[estimator.options]
train_size = 500
validation_size = 200
epochs = 1
batch = 32
lr = 0.01
threads = 1
[specs]
constraints = ["qubits <= 27"]
[train]
optimizer = "adam"
lr = 0.01
batch = 32
train_size = 2000
threads = 1
[budget]
candidates = 4
)";

TEST(TrainDeploy, AQuantumFlowCircuitIsReadAndSimulatedByAnIndependentParser) {
  TempDir dir;
  write_text(dir / "qf.toml", kQuantumConfig);
  const auto r =
      run_coex("run '" + (dir / "qf.toml").string() + "' --out '" + (dir / "run").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto t = run_coex("train '" + (dir / "run").string() + "' --epochs 1");
  ASSERT_EQ(t.exit_code, 0) << t.output;
  const auto d =
      run_coex("deploy '" + (dir / "run").string() + "' --out '" + (dir / "dep").string() + "'");
  ASSERT_EQ(d.exit_code, 0) << d.output;
  ASSERT_TRUE(fs::exists(dir / "dep/circuit.qasm")) << d.output;
  const std::string qasm = read_text(dir / "dep/circuit.qasm");
  EXPECT_NE(qasm.find("OPENQASM 2.0;"), std::string::npos);
  EXPECT_NE(qasm.find("measure"), std::string::npos);
  const json dj = json::parse(read_text(dir / "dep/deploy.json"));
  // coex's circuit computes what the trained network computes (classes' probabilities).
  const auto p = dj["circuit"]["probabilities"];
  const auto l = dj["circuit"]["libtorch_outputs"];
  ASSERT_EQ(p.size(), l.size());
  for (std::size_t i = 0; i < p.size(); ++i)
    EXPECT_NEAR(p[i].get<double>(), l[i].get<double>(), 1e-5);
  const json q = checker("node '" + (kCheck / "check_qasm.mjs").string() + "' '" +
                         (dir / "dep").string() + "'");
  EXPECT_TRUE(q.value("ok", false)) << q.dump();
  EXPECT_LE(q.value("max_abs_diff", 1.0), 1e-9) << q.dump();
  const json ort = onnx_runtime(dir / "dep");
  EXPECT_TRUE(ort.value("ok", false)) << ort.dump();
  std::printf(
      "[ figures  ] QuantumFlow: %d qubits, quantum-circuit vs coex %.3g; ONNX Runtime "
      "agreement %.4f, largest difference %.3g\n",
      q.value("qubits", 0), q.value("max_abs_diff", 0.0), ort.value("argmax_agreement", 0.0),
      ort.value("max_abs_logit_diff", 0.0));
}

}  // namespace
}  // namespace coex::test
