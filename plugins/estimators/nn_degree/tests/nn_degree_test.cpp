// nn_degree: NN-Mass and NN-Degree computed from
// the IR (the NN-Mass/NN-Degree fixtures in the nn_degree README, computed from its formulas, and
// hand-built networks), the least-squares predictor, and the nn_degree estimator (fit in a run,
// save, reuse).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "coex/testing/checks.hpp"
#include "predictor.hpp"
#include "topology.hpp"

using namespace coex;
using namespace coex::nn_degree;
namespace fs = std::filesystem;

namespace {

/// dense_cells point: (d_0, tc_0, d_1, tc_1, d_2, tc_2, wm index).
Network dense(const std::vector<double>& p, std::int64_t max_skip = 199) {
  auto s = coex::testing::load<SearchSpace>(
      {"dense_cells", {{"width_multipliers", {1, 2, 3}}, {"skips_max", max_skip}}});
  return s->decode(p);
}

}  // namespace

TEST(NnDegree, ReferenceFixturesFromTheIr) {
  // README fixtures: wm=2, d=(4,4,4), tc=(40,80,125): NN-Mass 621.33, NN-Degree 340.5.
  Topology t = analyse(dense({4, 40, 4, 80, 4, 125, 1}));
  ASSERT_EQ(t.cells.size(), 3u);
  EXPECT_DOUBLE_EQ(t.cells[0].width, 32);
  EXPECT_EQ(t.cells[0].skips, 72);
  EXPECT_EQ(t.cells[0].pool, 96);
  EXPECT_EQ(t.cells[2].skips, 250);
  EXPECT_EQ(t.cells[2].pool, 384);
  EXPECT_NEAR(t.nn_mass(), 96 + 192 + 250.0 / 384 * 128 * 4, 1e-9);  // 621.333
  EXPECT_NEAR(t.nn_mass(), 621.33, 0.005);
  EXPECT_DOUBLE_EQ(t.nn_degree(), 340.5);
  // wm=1, d=(6,6,6), tc=(20,40,80): NN-Mass 319.2, NN-Degree 200.667.
  t = analyse(dense({6, 20, 6, 40, 6, 80, 0}));
  EXPECT_NEAR(t.nn_mass(), 319.2, 1e-9);
  EXPECT_NEAR(t.nn_degree(), 112 + 532.0 / 6, 1e-9);  // 200.667
  // The variants: in_out doubles; boundary drops one layer of regular edges per cell.
  EXPECT_NEAR(t.nn_degree(DegreeVariant::kInOut), 2 * t.nn_degree(), 1e-9);
  EXPECT_NEAR(t.nn_degree(DegreeVariant::kBoundary), (16 + 32 + 64) * 5.0 / 6 + 532.0 / 6, 1e-9);
}

TEST(NnDegree, HandBuiltNetworks) {
  // Plain chain of three 4-channel convs: one cell, no skips.
  Network a;
  int x = a.add_input({1, 8, 8});
  x = a.add_conv2d(x, 4, 3, 1, 1);
  x = a.add_activation(a.add_batch_norm(x), Activation::kRelu);
  x = a.add_conv2d(x, 4, 3, 1, 1);
  a.add_conv2d(x, 4, 3, 1, 1);
  Topology t = analyse(a);
  ASSERT_EQ(t.cells.size(), 1u);
  EXPECT_EQ(t.cells[0].depth, 3);
  EXPECT_EQ(t.cells[0].skips, 0);
  EXPECT_EQ(t.cells[0].pool, 4);  // layer 2 could have drawn from layer 0's 4 channels
  EXPECT_DOUBLE_EQ(t.nn_mass(), 0);
  EXPECT_DOUBLE_EQ(t.nn_degree(), 4);

  // DenseNet-style: layer 2 takes layer 1 plus channels 0 and 2 of layer 0.
  // t = 2, P = 4: NN-Mass = 2/4 * 4 * 3 = 6; NN-Degree = 4 + 2/3.
  Network b;
  x = b.add_input({1, 8, 8});
  const int c0 = b.add_conv2d(x, 4, 3, 1, 1);
  const int c1 = b.add_conv2d(c0, 4, 3, 1, 1);
  const int cat = b.add_concat({c1, b.add_channel_select(c0, {0, 2})});
  b.add_conv2d(b.add_batch_norm(cat), 4, 3, 1, 1);
  t = analyse(b);
  EXPECT_EQ(t.cells[0].skips, 2);
  EXPECT_DOUBLE_EQ(t.nn_mass(), 6);
  EXPECT_DOUBLE_EQ(t.nn_degree(), 4 + 2.0 / 3);

  // ResNet-style: layer 2 takes layer 1 + layer 0 (add): every channel brings one skip link,
  // t = 4, P = 4: NN-Mass = 12; NN-Degree = 4 + 4/3.
  Network c;
  x = c.add_input({1, 8, 8});
  const int r0 = c.add_conv2d(x, 4, 3, 1, 1);
  const int r1 = c.add_conv2d(c.add_activation(r0, Activation::kRelu), 4, 3, 1, 1);
  c.add_conv2d(c.add_add({r1, r0}), 4, 3, 1, 1);
  t = analyse(c);
  EXPECT_EQ(t.cells[0].skips, 4);
  EXPECT_DOUBLE_EQ(t.nn_mass(), 12);
  EXPECT_DOUBLE_EQ(t.nn_degree(), 4 + 4.0 / 3);

  // A stride-2 conv starts a new cell; its input from the previous cell is a regular edge.
  Network d;
  x = d.add_input({1, 8, 8});
  x = d.add_conv2d(x, 4, 3, 1, 1);
  x = d.add_conv2d(x, 8, 3, 2, 1);
  x = d.add_conv2d(x, 8, 3, 1, 1);
  d.add_linear(d.add_flatten(x), 10);
  t = analyse(d);
  ASSERT_EQ(t.cells.size(), 2u);
  EXPECT_EQ(t.cells[1].depth, 2);
  EXPECT_EQ(t.cells[1].pool, 0);
  EXPECT_DOUBLE_EQ(t.nn_degree(), 4 + 8);
}

TEST(Predictor, RecoversKnownCoefficientsAndHasZeroLooErrorOnExactData) {
  std::vector<Sample> s;
  for (int i = 0; i < 25; ++i) {
    const double g = 20 + 13.0 * i, macs = 1e6 * (1 + (i * 7) % 11);
    s.push_back({g, macs, 0.2 + 0.1 * std::log(g) - 0.01 * std::log(macs), ""});
  }
  const auto theta = fit(Model::kLogDegreeLogFlops, s);
  ASSERT_EQ(theta.size(), 3u);
  EXPECT_NEAR(theta[0], 0.2, 1e-10);
  EXPECT_NEAR(theta[1], 0.1, 1e-10);
  EXPECT_NEAR(theta[2], -0.01, 1e-10);
  EXPECT_NEAR(loo_rmse(Model::kLogDegreeLogFlops, s), 0, 1e-10);
  EXPECT_GT(loo_rmse(Model::kLogDegree, s), 1e-4);  // the wrong form has an error
  // Too few samples, or features that do not vary, are errors.
  EXPECT_THROW(fit(Model::kLogDegreeLogFlops, {s[0], s[1]}), Error);
  EXPECT_THROW(fit(Model::kLogDegree, {s[0], s[0], s[0]}), Error);
}

namespace {

/// A source estimator whose accuracy is an exact function of NN-Degree (out variant).
class DegreeOracle : public AccuracyEstimator {
 public:
  bool training_free() const override { return true; }
  Estimate estimate(const Network& net, const EstimateContext&) override {
    ++calls;
    Estimate e;
    e.accuracy = 0.1 + 0.12 * std::log(analyse(net).nn_degree());
    return e;
  }
  int calls = 0;
};

}  // namespace

TEST(NnDegreeEstimator, FitsInARunSavesAndIsReused) {
  const fs::path dir = fs::temp_directory_path() / ("coex_nn_degree_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto space = coex::testing::load<SearchSpace>(
      {"dense_cells", {{"depth_max", 6}, {"skips_max", 40}, {"base_width", 4}}});
  auto oracle = std::make_shared<DegreeOracle>();
  PluginContext ctx;
  ctx.seed = 9;
  ctx.run_dir = dir.string();
  ctx.search_space = space.get();
  std::string asked;
  ctx.make_estimator = [&](const std::string& name, const nlohmann::json&, const std::string&) {
    asked = name;
    return oracle;
  };
  auto e = coex::testing::load<AccuracyEstimator>(
      {"nn_degree", {{"samples", 12}, {"holdout", 6}, {"candidates", 60}}}, ctx);
  EXPECT_EQ(asked, "trained");
  EXPECT_EQ(oracle->calls, 18);  // K + H networks, each measured once
  ASSERT_TRUE(fs::exists(dir / "nn_degree_predictor.json"));
  const auto j = nlohmann::json::parse(std::ifstream(dir / "nn_degree_predictor.json"));
  // The oracle is exactly A = 0.1 + 0.12 ln g (out): leave-one-out picks that form.
  EXPECT_EQ(j["model"], "log_degree");
  EXPECT_EQ(j["variant"], "out");
  EXPECT_NEAR(j["theta"][0].get<double>(), 0.1, 1e-9);
  EXPECT_NEAR(j["theta"][1].get<double>(), 0.12, 1e-9);
  EXPECT_DOUBLE_EQ(j["heldout_kendall_tau"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["heldout_spearman_rho"].get<double>(), 1.0);
  EXPECT_EQ(j["samples"].size(), 12u);
  EXPECT_EQ(j["heldout"].size(), 6u);

  // Reuse: a second estimator loads the file and predicts the same, with no source estimator.
  auto reused = coex::testing::load<AccuracyEstimator>(
      {"nn_degree", {{"predictor", (dir / "nn_degree_predictor.json").string()}}});
  const Network n = space->decode({4, 10, 5, 20, 3, 30, 0});
  EXPECT_DOUBLE_EQ(reused->estimate(n).accuracy, e->estimate(n).accuracy);
  EXPECT_NEAR(reused->estimate(n).accuracy, 0.1 + 0.12 * std::log(analyse(n).nn_degree()), 1e-9);
  EXPECT_TRUE(reused->training_free());
  fs::remove_all(dir);
}

TEST(NnDegreeEstimator, ClearErrorsWithoutAPredictor) {
  try {
    coex::testing::load<AccuracyEstimator>({"nn_degree", {{"predictor", "/nonexistent.json"}}});
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read '/nonexistent.json'"), std::string::npos);
  }
  try {
    coex::testing::load<AccuracyEstimator>({"nn_degree", {}});
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("give option 'predictor'"), std::string::npos);
  }
}
