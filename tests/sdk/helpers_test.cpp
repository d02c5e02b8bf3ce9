// SDK helpers plugins use instead of the core's internals: table-list entry fields
// (validate_fields, schema JSON), "preset or custom" pools, CSV fields and lines, atomic writes,
// the relative-error non-negative fit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "coex/csv.hpp"
#include "coex/fit.hpp"
#include "coex/io.hpp"
#include "coex/options.hpp"

using namespace coex;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::vector<OptionSpec> board_fields() {
  OptionSchema f;
  f.add_required("name", OptionSpec::Type::kString, "Name");
  f.add_required("dsp", OptionSpec::Type::kInt, "DSP slices", 1, 1e6);
  f.add_real("clock_mhz", 100, "Clock", 1, 2000, "MHz");
  f.add_optional_real("idle_w", "Idle power; default: derived", 0, 1e4, "W");
  return f.specs();
}

std::string error_of(const json& entry) {
  try {
    validate_fields(board_fields(), entry, "entry 0 of option 'boards'",
                    [](const std::string& k) { return "c.toml:" + (k.empty() ? "entry" : k); });
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(OptionFields, EntriesAreCheckedAndCompleted) {
  const json ok = validate_fields(board_fields(), {{"name", "b"}, {"dsp", 5}}, "entry",
                                  [](const std::string&) { return "here"; });
  EXPECT_EQ(ok.at("clock_mhz").get<double>(), 100);  // default filled in
  EXPECT_FALSE(ok.contains("idle_w"));               // optional without default stays absent
  EXPECT_EQ(ok.at("dsp").get<int>(), 5);
  EXPECT_EQ(error_of({{"name", "b"}, {"dsps", 5}}),
            "c.toml:dsps: unknown field 'dsps' in entry 0 of option 'boards'. Did you mean "
            "'dsp'?");
  EXPECT_EQ(error_of({{"name", "b"}}),
            "c.toml:entry: entry 0 of option 'boards' needs field 'dsp' (DSP slices).");
  EXPECT_NE(error_of({{"name", "b"}, {"dsp", 5}, {"clock_mhz", 5000}})
                .find("c.toml:clock_mhz: field 'clock_mhz' of entry 0 of option 'boards': 5000 is "
                      "above the maximum 2000 (unit: MHz)"),
            std::string::npos);
  EXPECT_NE(error_of({{"name", "b"}, {"dsp", 2.5}}).find("expected an integer"), std::string::npos);
  EXPECT_NE(error_of(json::array()).find("must be a table"), std::string::npos);
}

TEST(OptionFields, SurviveTheManifestJson) {
  OptionSchema s;
  s.add_table_list("boards", "Custom boards", board_fields());
  const OptionSchema back = OptionSchema::from_json(s.to_json());
  ASSERT_EQ(back.specs().size(), 1u);
  const auto& fields = back.specs()[0].fields;
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_TRUE(fields[0].required());
  EXPECT_EQ(fields[1].max, 1e6);
  EXPECT_EQ(fields[2].unit, "MHz");
  EXPECT_TRUE(fields[3].optional);
  EXPECT_FALSE(fields[3].required());
  EXPECT_EQ(back.to_json(), s.to_json());
}

TEST(ResolvePool, CustomEntriesFirstThenPresetsWithSuggestions) {
  struct Dev {
    std::string name;
    int size;
  };
  const std::vector<Dev> presets{{"alpha", 1}, {"beta", 2}};
  const std::vector<Dev> custom{{"beta", 20}, {"gamma", 30}};
  const auto name = [](const Dev& d) { return d.name; };
  const auto pool = resolve_pool({"gamma", "beta", "alpha", "beta"}, presets, custom, name, "pool",
                                 "dev", "devs");
  ASSERT_EQ(pool.size(), 4u);
  EXPECT_EQ(pool[0].size, 30);
  EXPECT_EQ(pool[1].size, 20);  // the custom entry replaces the preset of its name
  EXPECT_EQ(pool[2].size, 1);
  EXPECT_EQ(pool[3].size, 20);
  try {
    resolve_pool({"alpah"}, presets, custom, name, "pool", "dev", "devs");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "option 'pool': unknown dev 'alpah'. Known: alpha beta beta gamma. Did you mean "
                 "'alpha'? Define custom devs in [[...options.devs]]");
  }
  EXPECT_THROW(resolve_pool({}, presets, custom, name, "pool", "dev", "devs"), ConfigError);
}

TEST(Csv, FieldsRoundTripThroughLines) {
  const std::vector<std::string> fields{"plain", "a,b", "say \"hi\"", "", "line\rbreak"};
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + csv_field(fields[i]);
  EXPECT_EQ(line, "plain,\"a,b\",\"say \"\"hi\"\"\",,\"line\rbreak\"");
  EXPECT_EQ(split_csv_line(line), fields);
  EXPECT_EQ(split_csv_line("x,y\r"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(split_csv_line(""), (std::vector<std::string>{""}));
}

TEST(WriteFileAtomic, ReplacesWholeAndFailsCleanly) {
  const fs::path dir = fs::temp_directory_path() / ("coex_atomic_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  write_file_atomic(dir / "f.txt", "first");
  write_file_atomic(dir / "f.txt", "second");
  std::ifstream in(dir / "f.txt");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "second");
  EXPECT_THROW(write_file_atomic(dir / "missing" / "f.txt", "x"), Error);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u) << "a temporary file was left behind";
  fs::remove_all(dir);
}

TEST(FitRelativeNnls, RecoversNonNegativeCoefficientsAndSaysHowManyRowsItNeeds) {
  // y = 2 a + 0 b + 0.5 c, exactly; column b is all zero and is not an unknown.
  std::vector<std::vector<double>> rows{{1, 0, 4}, {3, 0, 1}, {2, 0, 10}, {5, 0, 2}};
  std::vector<double> y;
  for (const auto& r : rows) y.push_back(2 * r[0] + 0.5 * r[2]);
  const auto x = fit_relative_nnls(rows, y);
  ASSERT_EQ(x.size(), 3u);
  EXPECT_NEAR(x[0], 2, 1e-9);
  EXPECT_EQ(x[1], 0);
  EXPECT_NEAR(x[2], 0.5, 1e-9);
  // A coefficient that would be negative is held at 0.
  const auto nn = nnls({{1, 1}, {1, 2}, {1, 3}}, {3, 2, 1});
  EXPECT_GE(nn[1], 0);
  try {
    fit_relative_nnls({{1, 2}}, {1});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("measure at least 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(fit_relative_nnls({{1, 2}, {2, 1}}, {1, 0}), Error);
}
