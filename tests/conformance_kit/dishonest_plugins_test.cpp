// The conformance kit catches deliberately dishonest plugins (tests/fixtures/dishonest).
#include <gtest/gtest.h>

#include "coex/testing/checks.hpp"

using namespace coex;

TEST(ConformanceKit, CatchesATuneWorseThanASampledDesign) {
  auto lazy = coex::testing::load<HardwareTarget>({"lazy_target"});
  const auto nets = coex::testing::reference_networks(Task{});
  EXPECT_TRUE(coex::testing::check_hardware_honest(*lazy, nets)) << "its metrics are honest";
  const auto r = coex::testing::check_tune_no_worse_than_sampled(*lazy, nets);
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("tune() gives throughput_fps"), std::string::npos)
      << r.message();
}

TEST(ConformanceKit, CatchesAControllerThatIgnoresTheSeed) {
  auto a = coex::testing::load<Controller>({"moody_controller"});
  auto b = coex::testing::load<Controller>({"moody_controller"});
  EXPECT_TRUE(coex::testing::check_controller_budget(*a)) << "it does respect the budget";
  const auto r = coex::testing::check_controller_deterministic(*a, *b);
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("same seed, different candidate"), std::string::npos)
      << r.message();
}

namespace {

/// A chain of `width` channels per layer, 1 to 4 layers: its description is the space's own, and
/// its parse is wrong by one in the last coordinate (unless told to be honest).
class OffByOneSpace final : public SearchSpace {
 public:
  explicit OffByOneSpace(bool honest) : honest_(honest) {}
  const Space& space() const override { return space_; }
  Network decode(const Point& p) const override {
    Network n;
    int x = n.add_input({1, 8, 8});
    for (int l = 0; l < static_cast<int>(p[0]); ++l) x = n.add_conv2d_same(x, 4 + 4 * p[1], 3, 1);
    n.add_linear(n.add_flatten(x), 10);
    return n;
  }
  Point parse(const std::string& d) const override {
    Point p = space_.parse(d);
    if (!honest_) p[1] = p[1] == 0 ? 1 : 0;
    return p;
  }

 private:
  bool honest_;
  Space space_{{Dimension::integer("layers", 1, 4), Dimension::integer("width", 0, 3)}};
};

}  // namespace

TEST(ConformanceKit, CatchesAParseThatDoesNotInvertDescribe) {
  EXPECT_TRUE(coex::testing::check_search_space_parse(OffByOneSpace(true)));
  const auto r = coex::testing::check_search_space_parse(OffByOneSpace(false));
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("describes as"), std::string::npos) << r.message();
}

namespace {

/// One coefficient, `ms_per_mmac`: latency = ms_per_mmac x MMACs + 0.01 ms. Dishonest in one of
/// two ways when asked: its latency model disagrees with evaluate() by 10 %, or set_coefficients()
/// is ignored by evaluate().
class ScaledTarget final : public HardwareTarget {
 public:
  enum class Lie { kNone, kModel, kIgnoresSet, kBreakdown };
  explicit ScaledTarget(Lie lie) : lie_(lie) {}
  const Space& design_space() const override { return space_; }
  std::vector<MetricInfo> metrics() const override {
    return {{"latency_ms", "ms", Direction::kMinimize, "latency"}};
  }
  HardwareResult evaluate(const Network& net, const Point&) const override {
    HardwareResult r;
    r.feasible = true;
    const double c = lie_ == Lie::kIgnoresSet ? 0.5 : ms_per_mmac_;
    r.metrics.set("latency_ms", latency(net, c));
    return r;
  }
  std::vector<Coefficient> coefficients() const override {
    return {{"ms_per_mmac", "ms/MMAC", "time per million MACs", ms_per_mmac_, 1e-4, 1e4, 1, true}};
  }
  LatencyModel latency_model(const Network& net, const Point&) const override {
    const double lie = lie_ == Lie::kModel ? 1.1 : 1.0;
    const double mmacs = static_cast<double>(net.macs()) / 1e6;
    return [mmacs, lie](const std::vector<double>& v) { return lie * (v[0] * mmacs + 0.01); };
  }
  void set_coefficients(const std::vector<double>& v) override { ms_per_mmac_ = v.at(0); }
  /// Two parts, "compute" and "overhead": honest, or (kBreakdown) a compute part twice the whole.
  Breakdown breakdown(const Network& net, const HardwareResult&) const override {
    Breakdown b;
    b.part_kind = "layer";
    b.add_column("latency_ms", "ms", "time");
    const double compute = ms_per_mmac_ * static_cast<double>(net.macs()) / 1e6;
    b.add_part("compute", "", {lie_ == Lie::kBreakdown ? 2 * (compute + 0.01) : compute});
    b.add_part("overhead", "", {0.01});
    return b;
  }

 private:
  static double latency(const Network& net, double c) {
    return c * static_cast<double>(net.macs()) / 1e6 + 0.01;
  }
  Lie lie_;
  double ms_per_mmac_ = 0.5;
  Space space_;
};

}  // namespace

TEST(ConformanceKit, CatchesALatencyModelThatDisagreesWithEvaluate) {
  const auto nets = coex::testing::reference_networks(Task{});
  ScaledTarget honest(ScaledTarget::Lie::kNone);
  EXPECT_TRUE(coex::testing::check_calibration(honest, nets));
  ScaledTarget model(ScaledTarget::Lie::kModel);
  const auto r = coex::testing::check_calibration(model, nets);
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("latency_model() at the coefficients in use"),
            std::string::npos)
      << r.message();
  ScaledTarget deaf(ScaledTarget::Lie::kIgnoresSet);
  const auto r2 = coex::testing::check_calibration(deaf, nets);
  EXPECT_FALSE(r2);
  EXPECT_NE(std::string(r2.message()).find("after set_coefficients()"), std::string::npos)
      << r2.message();
}

TEST(ConformanceKit, CatchesABreakdownPartSlowerThanTheWhole) {
  const auto nets = coex::testing::reference_networks(Task{});
  ScaledTarget honest(ScaledTarget::Lie::kNone);
  EXPECT_TRUE(coex::testing::check_breakdown(honest, nets));
  ScaledTarget liar(ScaledTarget::Lie::kBreakdown);
  const auto r = coex::testing::check_breakdown(liar, nets);
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("more than the whole network's latency_ms"),
            std::string::npos)
      << r.message();
}
