#include <gtest/gtest.h>

#include "coex/error.hpp"
#include "coex/metrics.hpp"
#include "coex/options.hpp"

using namespace coex;
using json = nlohmann::json;

TEST(Options, ChecksTypesRangesChoices) {
  OptionSchema s;
  s.add_int("epochs", 1, "", 1, 10)
      .add_real("lr", 0.1, "", 0, 1)
      .add_string("opt", "adam", "", {"adam", "sgd"});
  s.add_int_list("k", {1, 3}, "", 1, 7).add_bool("b", true, "");
  EXPECT_FALSE(check_option_value(*s.find("epochs"), 3));
  EXPECT_NE(check_option_value(*s.find("epochs"), 11)->find("above the maximum 10"),
            std::string::npos);
  EXPECT_NE(check_option_value(*s.find("epochs"), 1.5)->find("expected an integer"),
            std::string::npos);
  EXPECT_FALSE(check_option_value(*s.find("lr"), 1)) << "an integer is a number";
  EXPECT_NE(check_option_value(*s.find("opt"), "adma")->find("did you mean 'adam'"),
            std::string::npos);
  EXPECT_NE(check_option_value(*s.find("k"), json::array({1, 9}))->find("element 1"),
            std::string::npos);
  EXPECT_TRUE(check_option_value(*s.find("b"), "yes"));
  EXPECT_THROW(s.add_int("epochs", 1, ""), Error) << "declared twice";
  EXPECT_THROW(OptionSchema().add_int("x", 0, "", 1, 5), Error) << "default out of range";
}

TEST(Options, SchemaJsonRoundTrip) {
  OptionSchema s;
  s.add_real("clock", 100, "clock", 1, 1000, "MHz")
      .add_string_list("pool", {"a"}, "pool")
      .add_table_list("boards", "b");
  const OptionSchema t = OptionSchema::from_json(s.to_json());
  ASSERT_EQ(t.specs().size(), 3u);
  EXPECT_EQ(t.find("clock")->unit, "MHz");
  EXPECT_EQ(*t.find("clock")->max, 1000);
  EXPECT_EQ(t.find("boards")->type, OptionSpec::Type::kTableList);
}

TEST(Options, DidYouMean) {
  EXPECT_EQ(did_you_mean("epoch", {"epochs", "batch", "lr"}), "epochs");
  EXPECT_EQ(did_you_mean("zzzzzz", {"epochs", "batch"}), std::nullopt);
}

TEST(Specs, ParseHoldViolation) {
  const Spec s = Spec::parse("throughput_fps >= 500");
  EXPECT_EQ(s.metric, "throughput_fps");
  EXPECT_TRUE(s.holds(500));
  EXPECT_FALSE(s.holds(499));
  EXPECT_DOUBLE_EQ(s.violation(250), 0.5);
  EXPECT_THROW(Spec::parse("latency < 3"), ConfigError);
  Specs specs({Spec::parse("latency_ms <= 10"), s});
  Metrics m;
  m.set("latency_ms", 12);
  m.set("throughput_fps", 600);
  ASSERT_TRUE(specs.violation(m));
  EXPECT_NE(specs.violation(m)->find("latency_ms = 12 violates latency_ms <= 10"),
            std::string::npos);
  EXPECT_DOUBLE_EQ(specs.total_violation(m), 0.2);
  m.set("latency_ms", 9);
  EXPECT_FALSE(specs.violation(m));
}
