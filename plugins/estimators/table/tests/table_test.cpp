// The table estimator: lookup by description, percent scaling, and clear errors.
#include <gtest/gtest.h>

#include "coex/error.hpp"
#include "test_support.hpp"

using namespace coex;
using coex::test::TempDir;
using coex::test::write_text;

TEST(TableEstimator, LooksUpByDescription) {
  TempDir d;
  write_text(d / "t.csv",
             "arch,accuracy,other\n"
             "\"|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|\",93.76,x\n"
             "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,10.0,y\n");
  auto t = test::load_plugin<AccuracyEstimator>(
      "table", {{"file", (d / "t.csv").string()}, {"percent", true}});
  EXPECT_TRUE(t->training_free());
  const Network n;
  EXPECT_DOUBLE_EQ(
      t->estimate(n, {"|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|", {}})
          .accuracy,
      0.9376);
  EXPECT_DOUBLE_EQ(t->estimate(n, {"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", {}}).accuracy,
                   0.10);
  try {
    t->estimate(n, {"|avg_pool_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|", {}});
    FAIL() << "a missing key must be an error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("no row for '|avg_pool_3x3~0|"), std::string::npos)
        << e.what();
  }
}

TEST(TableEstimator, BadTablesAreClearErrors) {
  TempDir d;
  auto error = [&](const std::string& text, nlohmann::json opts = nlohmann::json::object()) {
    write_text(d / "t.csv", text);
    opts["file"] = (d / "t.csv").string();
    try {
      test::load_plugin<AccuracyEstimator>("table", opts);
    } catch (const PluginError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error("key,acc\na,0.5\n").find("no column 'arch'. Columns: key acc"),
            std::string::npos);
  EXPECT_NE(error("arch,accuracy\na,93.1\n").find("t.csv:2: accuracy 93.1 is outside [0, 1]"),
            std::string::npos);
  EXPECT_NE(error("arch,accuracy\na,0.5\na,0.6\n").find("t.csv:3: key 'a' appears twice"),
            std::string::npos);
  EXPECT_NE(error("arch,accuracy\na,zero\n").find("accuracy 'zero' is not a number"),
            std::string::npos);
  try {
    test::load_plugin<AccuracyEstimator>("table", {});
    FAIL() << "'file' is required";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("needs option 'file'"), std::string::npos) << e.what();
  }
}
