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
