// coex::testing conformance suites. A plugin author instantiates the suite of their plugin's kind
// in one line, in exactly one source file of a test binary:
//
//   #include "coex/testing/conformance.hpp"
//   COEX_HARDWARE_TARGET_CONFORMANCE(MyTarget, {"my_target", {{"rows", 8}}});
//
// The second argument is a coex::testing::PluginUnderTest {name, options JSON, task}. To test
// several option sets, write one instantiation per set, each with its own Name.
#pragma once

#include "coex/testing/checks.hpp"

// Suites live in the global namespace: INSTANTIATE_TEST_SUITE_P pastes their names.
using coex::AccuracyEstimator;
using coex::Controller;
using coex::HardwareTarget;
using coex::SearchSpace;

class CoexSearchSpaceConformance : public ::testing::TestWithParam<coex::testing::PluginUnderTest> {
};
class CoexHardwareTargetConformance
    : public ::testing::TestWithParam<coex::testing::PluginUnderTest> {};
class CoexControllerConformance : public ::testing::TestWithParam<coex::testing::PluginUnderTest> {
};
class CoexEstimatorConformance : public ::testing::TestWithParam<coex::testing::PluginUnderTest> {};
// A test binary instantiates only the suites of its plugins' kinds.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CoexSearchSpaceConformance);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CoexHardwareTargetConformance);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CoexControllerConformance);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CoexEstimatorConformance);

TEST_P(CoexSearchSpaceConformance, OptionsAreDocumented) {
  EXPECT_TRUE(coex::testing::check_schema_documented(GetParam().name));
}
TEST_P(CoexSearchSpaceConformance, DecodeAndDescribeAreDeterministicRoundTrips) {
  auto a = coex::testing::load<SearchSpace>(GetParam());
  auto b = coex::testing::load<SearchSpace>(GetParam());
  EXPECT_TRUE(coex::testing::check_search_space(*a, *b));
}

TEST_P(CoexSearchSpaceConformance, DescriptionsParseBackToTheirNetworks) {
  auto s = coex::testing::load<SearchSpace>(GetParam());
  if (!coex::testing::parses_descriptions(*s)) GTEST_SKIP() << "descriptions are not parsable";
  EXPECT_TRUE(coex::testing::check_search_space_parse(*s));
}

TEST_P(CoexSearchSpaceConformance, ConcurrentCallsMatchSerialOnesIfDeclared) {
  if (!coex::testing::declared_concurrent(GetParam())) GTEST_SKIP() << "not declared concurrent";
  auto s = coex::testing::load<SearchSpace>(GetParam());
  EXPECT_TRUE(coex::testing::check_search_space_concurrent(*s));
}

TEST_P(CoexHardwareTargetConformance, OptionsAreDocumented) {
  EXPECT_TRUE(coex::testing::check_schema_documented(GetParam().name));
}
TEST_P(CoexHardwareTargetConformance, MetricsAreHonestAndFeasibilityConsistent) {
  auto t = coex::testing::load<HardwareTarget>(GetParam());
  EXPECT_TRUE(coex::testing::check_hardware_honest(*t, coex::testing::networks_for(GetParam())));
}
TEST_P(CoexHardwareTargetConformance, TuneIsNoWorseThanSampledDesigns) {
  auto t = coex::testing::load<HardwareTarget>(GetParam());
  EXPECT_TRUE(
      coex::testing::check_tune_no_worse_than_sampled(*t, coex::testing::networks_for(GetParam())));
}

TEST_P(CoexHardwareTargetConformance, CalibrationFitsItsOwnModel) {
  auto t = coex::testing::load<HardwareTarget>(GetParam());
  if (t->coefficients().empty()) GTEST_SKIP() << "declares no calibration coefficients";
  EXPECT_TRUE(coex::testing::check_calibration(*t, coex::testing::networks_for(GetParam(), 16)));
}

TEST_P(CoexHardwareTargetConformance, BreakdownIsAWellFormedAccountOfEvaluate) {
  auto t = coex::testing::load<HardwareTarget>(GetParam());
  EXPECT_TRUE(coex::testing::check_breakdown(*t, coex::testing::networks_for(GetParam())));
}

TEST_P(CoexHardwareTargetConformance, ConcurrentCallsMatchSerialOnesIfDeclared) {
  if (!coex::testing::declared_concurrent(GetParam())) GTEST_SKIP() << "not declared concurrent";
  auto t = coex::testing::load<HardwareTarget>(GetParam());
  EXPECT_TRUE(
      coex::testing::check_hardware_concurrent(*t, coex::testing::networks_for(GetParam())));
}

TEST_P(CoexControllerConformance, OptionsAreDocumented) {
  EXPECT_TRUE(coex::testing::check_schema_documented(GetParam().name));
}
TEST_P(CoexControllerConformance, RespectsTheBudget) {
  auto c = coex::testing::load<Controller>(GetParam());
  EXPECT_TRUE(coex::testing::check_controller_budget(*c));
}
TEST_P(CoexControllerConformance, IsDeterministicUnderASeed) {
  auto a = coex::testing::load<Controller>(GetParam());
  auto b = coex::testing::load<Controller>(GetParam());
  EXPECT_TRUE(coex::testing::check_controller_deterministic(*a, *b));
}

TEST_P(CoexEstimatorConformance, OptionsAreDocumented) {
  EXPECT_TRUE(coex::testing::check_schema_documented(GetParam().name));
}
TEST_P(CoexEstimatorConformance, DeterministicAndInRange) {
  auto e = coex::testing::load<AccuracyEstimator>(GetParam());
  EXPECT_TRUE(
      coex::testing::check_estimator(*e, coex::testing::described_networks_for(GetParam(), 2)));
}

TEST_P(CoexEstimatorConformance, ConcurrentCallsMatchSerialOnesIfDeclared) {
  if (!coex::testing::declared_concurrent(GetParam())) GTEST_SKIP() << "not declared concurrent";
  auto e = coex::testing::load<AccuracyEstimator>(GetParam());
  EXPECT_TRUE(coex::testing::check_estimator_concurrent(
      *e, coex::testing::described_networks_for(GetParam(), 4)));
}

#define COEX_SEARCH_SPACE_CONFORMANCE(Name, ...)             \
  INSTANTIATE_TEST_SUITE_P(Name, CoexSearchSpaceConformance, \
                           ::testing::Values(::coex::testing::PluginUnderTest __VA_ARGS__))
#define COEX_HARDWARE_TARGET_CONFORMANCE(Name, ...)             \
  INSTANTIATE_TEST_SUITE_P(Name, CoexHardwareTargetConformance, \
                           ::testing::Values(::coex::testing::PluginUnderTest __VA_ARGS__))
#define COEX_CONTROLLER_CONFORMANCE(Name, ...)              \
  INSTANTIATE_TEST_SUITE_P(Name, CoexControllerConformance, \
                           ::testing::Values(::coex::testing::PluginUnderTest __VA_ARGS__))
#define COEX_ESTIMATOR_CONFORMANCE(Name, ...)              \
  INSTANTIATE_TEST_SUITE_P(Name, CoexEstimatorConformance, \
                           ::testing::Values(::coex::testing::PluginUnderTest __VA_ARGS__))
