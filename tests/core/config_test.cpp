#include <gtest/gtest.h>

#include "coex/core/config.hpp"
#include "coex/error.hpp"
#include "test_support.hpp"

using namespace coex;
using namespace coex::core;
using coex::test::TempDir;
using coex::test::write_text;

namespace {
const char* kValid = R"(name = "t"
seed = 3
[task]
dataset = "fashion_mnist"
resize = 32
[search_space]
plugin = "chain_cnn"
[search_space.options]
depths = [4]
[hardware]
plugin = "fpga_cluster"
mode = "searched"
redraws = 5
[controller]
plugin = "random"
[estimator]
plugin = "trained"
[specs]
constraints = ["throughput_fps >= 500", "latency_ms <= 20"]
[reward]
kind = "weighted"
accuracy_window = [0.5, 0.9]
[[reward.terms]]
metric = "throughput_fps"
bad = 500
good = 1000
[budget]
candidates = 12
)";

std::string error_of(const std::string& text, std::vector<std::string> sets = {}) {
  TempDir d;
  write_text(d / "c.toml", text);
  try {
    load_config(d / "c.toml", sets);
  } catch (const ConfigError& e) {
    std::string msg = e.what();
    const std::string prefix = (d / "c.toml").string();
    if (msg.rfind(prefix, 0) == 0) msg = "c.toml" + msg.substr(prefix.size());
    return msg;
  }
  return "";
}
}  // namespace

TEST(Config, ParsesEverySection) {
  TempDir d;
  write_text(d / "c.toml", kValid);
  const RunConfig c = load_config(d / "c.toml", {});
  EXPECT_EQ(c.name, "t");
  EXPECT_EQ(c.seed, 3u);
  EXPECT_EQ(c.task.input, (Shape{1, 32, 32}));
  EXPECT_EQ(c.search_space.plugin, "chain_cnn");
  EXPECT_EQ(c.search_space.options["depths"], nlohmann::json::array({4}));
  EXPECT_NE(c.search_space.where_of("depths").find("c.toml:9:"), std::string::npos);
  EXPECT_EQ(c.hardware_mode, HardwareMode::kSearched);
  EXPECT_EQ(c.hardware_redraws, 5);
  ASSERT_EQ(c.specs.items().size(), 2u);
  EXPECT_EQ(c.reward.terms.at(0).metric, "throughput_fps");
  EXPECT_EQ(c.objectives, std::vector<std::string>{"throughput_fps"});
  EXPECT_EQ(c.budget.candidates, 12u);
  EXPECT_EQ(c.output_dir, "runs/t");
}

TEST(Config, MalformedTomlNamesLineAndColumn) {
  const std::string e = error_of("name = \"x\"\n[budget\ncandidates = 3\n");
  EXPECT_NE(e.find("c.toml:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("malformed TOML"), std::string::npos) << e;
}

TEST(Config, UnknownKeySuggests) {
  std::string text = kValid;
  text.replace(text.find("redraws"), 7, "redraw");
  const std::string e = error_of(text);
  EXPECT_EQ(e.rfind("c.toml:13:", 0), 0u) << e;
  EXPECT_NE(e.find("unknown key 'redraw' in [hardware]. Did you mean 'redraws'?"),
            std::string::npos)
      << e;
}

TEST(Config, OutOfRangeAndBadValues) {
  std::string text = kValid;
  text.replace(text.find("seed = 3"), 8, "seed = -3");
  EXPECT_EQ(error_of(text).rfind("c.toml:2:", 0), 0u) << error_of(text);
  EXPECT_NE(error_of(text).find("'seed' = -3 is out of range"), std::string::npos)
      << error_of(text);
  std::string t2 = kValid;
  t2.replace(t2.find("\"searched\""), 10, "\"search\"");
  EXPECT_NE(error_of(t2).find("hardware.mode must be"), std::string::npos);
  std::string t3 = kValid;
  t3.replace(t3.find("[0.5, 0.9]"), 10, "[50, 90]");
  EXPECT_NE(error_of(t3).find("accuracy is a fraction"), std::string::npos);
  std::string t4 = kValid;
  t4.replace(t4.find("latency_ms <= 20"), 16, "latency_ms < 20");
  EXPECT_NE(error_of(t4).find("c.toml:19:"), std::string::npos) << error_of(t4);
  std::string t5 = kValid;
  t5.replace(t5.find("[budget]\ncandidates = 12"), 24, "");
  EXPECT_NE(error_of(t5).find("no budget"), std::string::npos);
}

TEST(Config, OverridesApplyAndAreNamed) {
  TempDir d;
  write_text(d / "c.toml", kValid);
  const RunConfig c = load_config(
      d / "c.toml",
      {"budget.candidates=7", "search_space.options.depths=[2, 3]", "controller.plugin=rl"});
  EXPECT_EQ(c.budget.candidates, 7u);
  EXPECT_EQ(c.search_space.options["depths"], nlohmann::json::array({2, 3}));
  EXPECT_EQ(c.controller.plugin, "rl");
  EXPECT_EQ(c.search_space.where_of("depths"), "--set override");
  EXPECT_NE(error_of(kValid, {"budget.candidate=7"})
                .find("--set override: unknown key 'candidate' in [budget]"),
            std::string::npos)
      << error_of(kValid, {"budget.candidate=7"});
}

TEST(Config, FingerprintIgnoresBudgetAndOutput) {
  TempDir d;
  write_text(d / "c.toml", kValid);
  const auto a = load_config(d / "c.toml", {});
  const auto b = load_config(d / "c.toml", {"budget.candidates=99", "output.dir=\"x\""});
  const auto c = load_config(d / "c.toml", {"seed=4"});
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  EXPECT_NE(a.fingerprint, c.fingerprint);
}

TEST(Config, UnknownDatasetAndMissingFile) {
  std::string text = kValid;
  text.replace(text.find("\"fashion_mnist\""), 15, "\"fashion-mnist\"");
  EXPECT_NE(error_of(text).find("did you mean 'fashion_mnist'"), std::string::npos)
      << error_of(text);
  EXPECT_THROW(load_config("/nonexistent/c.toml", {}), ConfigError);
}

TEST(Config, ClassSubsetSetsLabelsAndClasses) {
  std::string text = kValid;
  text.replace(text.find("resize = 32"), 11, "resize = 4\nlabels = [3, 6, 0]");
  TempDir d;
  write_text(d / "c.toml", text);
  const RunConfig c = load_config(d / "c.toml", {});
  EXPECT_EQ(c.task.labels, (std::vector<int>{3, 6, 0}));
  EXPECT_EQ(c.task.classes, 3);
  EXPECT_EQ(c.task.input, (Shape{1, 4, 4}));
  // Repeated, out-of-range and too few labels are named with their line.
  std::string t2 = kValid;
  t2.replace(t2.find("resize = 32"), 11, "labels = [3, 3]");
  EXPECT_NE(error_of(t2).find("c.toml:5:"), std::string::npos) << error_of(t2);
  EXPECT_NE(error_of(t2).find("label 3 is listed twice"), std::string::npos) << error_of(t2);
  std::string t3 = kValid;
  t3.replace(t3.find("resize = 32"), 11, "labels = [3, 10]");
  EXPECT_NE(error_of(t3).find("'labels' entries must be integers in [0, 9]"), std::string::npos)
      << error_of(t3);
  std::string t4 = kValid;
  t4.replace(t4.find("resize = 32"), 11, "labels = [3]");
  EXPECT_NE(error_of(t4).find("must be an array of 2 to 10"), std::string::npos) << error_of(t4);
}

TEST(Config, TrainSectionHasDefaultsRangesAndStaysOutOfTheFingerprint) {
  TempDir d;
  write_text(d / "c.toml", kValid);
  const auto a = load_config(d / "c.toml", {});
  EXPECT_EQ(a.train.epochs, 10);
  EXPECT_EQ(a.train.optimizer, "sgd");
  EXPECT_EQ(a.train.schedule, "cosine");
  EXPECT_EQ(a.train.train_size, 0);
  const auto b = load_config(d / "c.toml", {"train.epochs=3", "train.optimizer=\"adam\""});
  EXPECT_EQ(b.train.epochs, 3);
  EXPECT_EQ(b.train.optimizer, "adam");
  // The final training may change after the search: the run's fingerprint does not see it.
  EXPECT_EQ(a.fingerprint, b.fingerprint);

  std::string text = kValid;
  text += "[train]\nepochs = 5\nschedule = \"cosin\"\n";
  EXPECT_EQ(error_of(text).rfind("c.toml:31:", 0), 0u) << error_of(text);
  EXPECT_NE(error_of(text).find("'schedule' = \"cosin\" is not one of: cosine constant"),
            std::string::npos)
      << error_of(text);
  EXPECT_NE(error_of(text).find("did you mean 'cosine'"), std::string::npos) << error_of(text);
  EXPECT_NE(error_of(kValid, {"train.lr=0"}).find("'lr' = 0 is out of range"), std::string::npos)
      << error_of(kValid, {"train.lr=0"});
  EXPECT_NE(error_of(kValid, {"train.epoch=3"}).find("unknown key 'epoch' in [train]"),
            std::string::npos)
      << error_of(kValid, {"train.epoch=3"});
}
