// Measurement files, profiles and the held-out split of `coex calibrate` (core/calibration):
// each bad file is one ConfigError naming file:line and the fix.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "coex/core/calibration.hpp"
#include "coex/error.hpp"
#include "coex/testing/checks.hpp"
#include "test_support.hpp"

using namespace coex;
using namespace coex::core;
using coex::test::TempDir;
namespace fs = std::filesystem;

namespace {

const char* kA =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|none~1|nor_conv_1x1~2|";
const char* kB = "|avg_pool_3x3~0|+|none~0|skip_connect~1|+|nor_conv_1x1~0|none~1|none~2|";

std::string expect_error(const fs::path& file, const std::string& key, const std::string& lat,
                         const SearchSpace* space) {
  try {
    read_measurements(file, key, lat, space);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted " << file;
  return "";
}

}  // namespace

TEST(CalibrationMeasurements, ReadsDescriptionsAndIrFiles) {
  auto space = coex::testing::load<SearchSpace>({"nb201"});
  TempDir d;
  const Network net = space->decode(space->parse(kB));
  coex::test::write_text(d / "b.json", net.to_json_text());
  const auto f = d / "m.csv";
  coex::test::write_text(f, std::string("arch,other,ms\n\"") + kA + "\",x,2.5\nb.json,y,1.25\n" +
                                "\"" + kA + "\",z,2.5\n");
  const Measurements m = read_measurements(f, "arch", "ms", space.get());
  ASSERT_EQ(m.keys.size(), 2u);  // the repeated row with the same value counts once
  EXPECT_EQ(m.latency_ms, (std::vector<double>{2.5, 1.25}));
  EXPECT_EQ(m.lines, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(m.networks[0].macs(), space->decode(space->parse(kA)).macs());
  EXPECT_EQ(m.networks[1].macs(), net.macs());
}

TEST(CalibrationMeasurements, EachBadFileIsOneMessageWithFileLineAndFix) {
  auto space = coex::testing::load<SearchSpace>({"nb201"});
  TempDir d;
  const std::string a = std::string("\"") + kA + "\"";
  struct Case {
    std::string text, key, want1, want2;
  };
  const std::vector<Case> cases = {
      {"arch,latency\n" + a + ",1\n", "ms", "m.csv:1: no column 'ms'", "--latency-column"},
      {"name,ms\n" + a + ",1\n", "ms", "m.csv:1: no column 'arch'", "--key-column"},
      {"arch,ms\n\"|bogus~0|\",1\n", "ms", "m.csv:2: column 'arch': '|bogus~0|' is not a network",
       "Fix:"},
      {"arch,ms\n" + a + ",fast\n", "ms", "m.csv:2: column 'ms' holds 'fast', not a number",
       "Fix:"},
      {"arch,ms\n" + a + ",0\n", "ms", "m.csv:2: column 'ms' holds 0; a latency must be > 0",
       "Fix:"},
      {"arch,ms\n" + a + ",-3\n", "ms", "must be > 0", "m.csv:2"},
      {"arch,ms\n" + a + ",1\n" + a + ",2\n", "ms", "m.csv:3: the network", "measured at line 2"},
      {"arch,ms\n", "ms", "m.csv:2: no measurements", "Fix:"},
      {"arch,ms\n" + a + ",1,extra\n", "ms", "m.csv:2: 3 fields, the header has 2", "Fix:"},
      {"arch,ms\nmissing.json,1\n", "ms", "m.csv:2", "cannot be read"},
  };
  for (const auto& c : cases) {
    const auto f = d / "m.csv";
    coex::test::write_text(f, c.text);
    const std::string msg = expect_error(f, "arch", c.key, space.get());
    EXPECT_NE(msg.find(c.want1), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.want2), std::string::npos) << msg;
  }
  const std::string missing = expect_error(d / "none.csv", "arch", "ms", space.get());
  EXPECT_NE(missing.find("none.csv' cannot be read"), std::string::npos) << missing;
}

TEST(CalibrationSplit, IsSeededDisjointAndComplete) {
  const auto [a, b] = split_rows(100, 30, 7);
  EXPECT_EQ(a.size(), 30u);
  EXPECT_EQ(b.size(), 70u);
  std::vector<bool> seen(100, false);
  for (auto i : a) seen[i] = true;
  for (auto i : b) {
    EXPECT_FALSE(seen[i]);
    seen[i] = true;
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), true), 100);
  EXPECT_EQ(split_rows(100, 30, 7).first, a);
  EXPECT_NE(split_rows(100, 30, 8).first, a);
  EXPECT_THROW(split_rows(10, 11, 0), UserError);
  EXPECT_THROW(split_rows(10, 0, 0), UserError);
}

TEST(CalibrationProfile, RoundTripsAndIsAppliedOrRefusedByName) {
  TempDir d;
  auto target = coex::testing::load<HardwareTarget>({"imc"});
  Profile p;
  p.target = "imc";
  p.coefficients = {{"compute_scale", 2.0}, {"per_image_us", 50.0}};
  write_profile(d / "p.json", p);
  const Profile back = read_profile(d / "p.json", "option 'profile'");
  EXPECT_EQ(back.coefficients, p.coefficients);
  apply_profile(*target, "imc", back, "here");
  const auto cs = target->coefficients();
  EXPECT_EQ(cs[0].value, 2.0);
  EXPECT_EQ(cs[1].value, 1.0);  // not in the profile: its default
  EXPECT_EQ(cs[3].value, 50.0);

  auto refused = [&](Profile q, const std::string& name, const std::string& want) {
    auto t = coex::testing::load<HardwareTarget>({name});
    try {
      apply_profile(*t, name, q, "cfg.toml:7");
      ADD_FAILURE() << "accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("cfg.toml:7"), std::string::npos) << e.what();
    }
  };
  refused(p, "gpu", "fitted for hardware target 'imc', not 'gpu'");
  Profile typo = p;
  typo.coefficients = {{"compute_scal", 2.0}};
  refused(typo, "imc", "did you mean 'compute_scale'?");
  Profile out = p;
  out.coefficients = {{"compute_scale", -1.0}};
  refused(out, "imc", "outside its bounds");
  Profile q = p;
  q.target = "quantum_circuit";
  refused(q, "quantum_circuit", "declares no calibration coefficients");
  coex::test::write_text(d / "bad.json", "{\"format\": \"something else\"}");
  EXPECT_THROW(read_profile(d / "bad.json", "x"), ConfigError);
  EXPECT_THROW(read_profile(d / "none.json", "x"), ConfigError);
}

TEST(CalibrationMeasurements, WhereSelectsTheRowsOfOneDeployment) {
  auto space = coex::testing::load<SearchSpace>({"nb201"});
  TempDir d;
  const auto f = d / "m.csv";
  const std::string a = std::string("\"") + kA + "\"", b = std::string("\"") + kB + "\"";
  coex::test::write_text(f, "arch,batch,ms\n" + a + ",1,2\n" + a + ",256,40\n" + b + ",256,30\n");
  const Measurements m = read_measurements(f, "arch", "ms", space.get(), {{"batch", "256"}});
  EXPECT_EQ(m.latency_ms, (std::vector<double>{40, 30}));
  EXPECT_EQ(m.lines, (std::vector<std::size_t>{3, 4}));
  // Without the filter, one network has two latencies: refused.
  EXPECT_THROW(read_measurements(f, "arch", "ms", space.get()), ConfigError);
  try {
    read_measurements(f, "arch", "ms", space.get(), {{"precision", "fp32"}});
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no column 'precision'"), std::string::npos) << e.what();
  }
}

TEST(CalibrationResidual, LearnsWhatTheAnalyticalModelMissesAndOnlyThen) {
  // 400 nb201 networks; "measured" = a MACs-proportional analytical model plus 0.2 ms per 3x3
  // convolution on 32x32x32 inputs (a kernel the analytical model gets wrong).
  Task cifar;
  cifar.dataset = "none";
  cifar.input = {3, 32, 32};
  auto space = coex::testing::load<SearchSpace>({"nb201", {}, cifar});
  std::mt19937_64 rng(2);
  std::vector<Network> nets;
  for (int i = 0; i < 400; ++i) nets.push_back(space->decode(space->space().sample(rng)));
  std::vector<const Network*> ptrs;
  std::vector<double> pred, meas, plain;
  const std::string slow = "conv2d k3 s1 g1 16x32x32->16";
  for (const auto& n : nets) {
    double extra = 0;
    for (const auto& node : n.nodes())
      if (node.op != OpKind::kInput && kernel_signature(n, node) == slow) extra += 0.2;
    ptrs.push_back(&n);
    pred.push_back(1.0 + static_cast<double>(n.macs()) / 1e8);
    meas.push_back(pred.back() + extra);
    plain.push_back(pred.back());
  }
  nlohmann::json report;
  const ResidualModel r = fit_residual(ptrs, pred, meas, 1, report);
  ASSERT_FALSE(r.empty()) << report.dump();
  EXPECT_TRUE(report.at("chosen").get<bool>());
  for (std::size_t i = 0; i < nets.size(); i += 37)
    EXPECT_NEAR(pred[i] + r.correction_ms(nets[i]), meas[i], 0.02 * meas[i]);
  // Nothing to learn: not chosen. Too few rows: not tried.
  EXPECT_TRUE(fit_residual(ptrs, pred, plain, 1, report).empty());
  EXPECT_FALSE(report.at("chosen").get<bool>());
  const std::vector<const Network*> few(ptrs.begin(), ptrs.begin() + 100);
  EXPECT_TRUE(fit_residual(few, {pred.begin(), pred.begin() + 100},
                           {meas.begin(), meas.begin() + 100}, 1, report)
                  .empty());

  // In a profile it round-trips, and a target wrapped with it reports the corrected latency.
  TempDir d;
  Profile p;
  p.target = "imc";
  p.residual = r;
  write_profile(d / "p.json", p);
  const Profile back = read_profile(d / "p.json", "x");
  EXPECT_EQ(back.residual.ms_per_kernel, r.ms_per_kernel);
  auto imc = coex::testing::load<HardwareTarget>({"imc"});
  auto wrapped = with_residual(imc, back.residual);
  const Point design = first_design(imc->design_space());
  const double before = imc->evaluate(nets[0], design).metrics.get("latency_ms");
  EXPECT_NEAR(wrapped->evaluate(nets[0], design).metrics.get("latency_ms"),
              before + r.correction_ms(nets[0]), 1e-12);
}
