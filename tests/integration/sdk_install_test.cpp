// The installable SDK, end to end: install coex to a temporary prefix, build an out-of-tree
// plugin against it (examples/systolic_array, and a `coex new-plugin` scaffold), test and run it
// with the installed coex, and check that nothing of coex was rebuilt.
#include <gtest/gtest.h>

#include "coex/core/store.hpp"
#include "test_support.hpp"

using namespace coex;
using namespace coex::test;

namespace {

/// The prefix is installed once for the whole binary (the suite's tests share it).
class SdkInstall : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    prefix_ = new TempDir();
    const auto r = run_command("cmake --install '" + std::string(COEX_TEST_BUILD_DIR) +
                               "' --prefix '" + prefix_->path().string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() {
    delete prefix_;
    prefix_ = nullptr;
  }
  static fs::path prefix() { return prefix_->path(); }
  static std::string coex_bin() { return (prefix() / "bin" / "coex").string(); }
  static std::string digest(const fs::path& p) {
    return run_command("sha256sum '" + p.string() + "' | cut -d' ' -f1").output;
  }
  /// Configures and builds `src` into `build` against the installed prefix, then runs its tests.
  static void build_and_test(const fs::path& src, const fs::path& build) {
    const auto cfg = run_command("cmake -S '" + src.string() + "' -B '" + build.string() +
                                 "' -G Ninja -DCMAKE_PREFIX_PATH='" + prefix().string() + "'");
    ASSERT_EQ(cfg.exit_code, 0) << cfg.output;
    const auto b = run_command("cmake --build '" + build.string() + "'");
    ASSERT_EQ(b.exit_code, 0) << b.output;
    const auto t = run_command("ctest --test-dir '" + build.string() + "' --output-on-failure");
    ASSERT_EQ(t.exit_code, 0) << t.output;
    EXPECT_NE(t.output.find("100% tests passed"), std::string::npos) << t.output;
  }
  static TempDir* prefix_;
};
TempDir* SdkInstall::prefix_ = nullptr;

}  // namespace

TEST_F(SdkInstall, LayoutIsComplete) {
  for (const char* f :
       {"bin/coex", "lib/libcoex_sdk.so", "lib/libcoex_core.so", "lib/libcoex_torch.so",
        "include/coex/visibility.hpp", "include/coex/io.hpp", "include/coex/testing/loader.hpp",
        "lib/coex/plugins/chain_cnn.coex-plugin.json",
        "lib/coex/plugins/coex_plugin_fpga_cluster.so", "include/coex/plugin_entry.hpp",
        "include/coex/testing/conformance.hpp", "include/coex/torch/lower.hpp",
        "share/coex/configs/quickstart.toml", "lib/cmake/coex/coexConfig.cmake",
        "lib/cmake/coex/CoexPlugin.cmake"})
    EXPECT_TRUE(fs::exists(prefix() / f)) << f;
  // The installed coex finds its own plugins relative to itself.
  const auto r = run_command("COEX_PLUGIN_PATH= '" + coex_bin() + "' plugins");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("fpga_cluster"), std::string::npos) << r.output;
}

TEST_F(SdkInstall, OutOfTreeTargetRunsWithoutRecompilingCoex) {
  const std::string bin_before = digest(prefix() / "bin" / "coex");
  const std::string lib_before = digest(prefix() / "lib" / "libcoex_core.so.0.1.0");
  TempDir work;
  build_and_test(fs::path(COEX_TEST_SOURCE_DIR) / "examples" / "systolic_array", work / "build");
  const std::string plugins = (work / "build" / "plugins").string();
  const auto show = run_command("COEX_PLUGIN_PATH='" + plugins + "' '" + coex_bin() +
                                "' plugins show systolic_array");
  EXPECT_EQ(show.exit_code, 0) << show.output;
  EXPECT_NE(show.output.find(
                "buffer_kib           int list [KiB] in [1, 1048576], default [8,32,128,512]"),
            std::string::npos)
      << show.output;
  EXPECT_NE(show.output.find("Choices of each SRAM buffer's size"), std::string::npos);
  const auto run = run_command(
      "COEX_PLUGIN_PATH='" + plugins + "' '" + coex_bin() + "' run '" + COEX_TEST_SOURCE_DIR +
      "/examples/systolic_array/systolic.toml' --out '" + (work / "run").string() +
      "' --set budget.candidates=6 --set controller.plugin=random" +
      " --set estimator.options.train_size=300 --set estimator.options.validation_size=100");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto recs = core::SqliteStore(work / "run" / "coex.db").load_all();
  ASSERT_EQ(recs.size(), 6u);
  std::size_t with_metrics = 0;
  for (const auto& r : recs)
    if (r.outcome.metrics.has("area_mm2") && r.outcome.metrics.has("energy_mj") &&
        r.outcome.metrics.has("latency_ms"))
      ++with_metrics;
  EXPECT_GT(with_metrics, 0u) << "no candidate carries the systolic array's metrics";
  EXPECT_NE(read_text(work / "run" / "candidates.csv").find("area_mm2"), std::string::npos);
  // The plugin links the SDK library, never the core's.
  const auto needed = run_command("readelf -d '" + plugins + "/coex_plugin_systolic_array.so'");
  ASSERT_EQ(needed.exit_code, 0) << needed.output;
  EXPECT_NE(needed.output.find("[libcoex_sdk.so.0]"), std::string::npos) << needed.output;
  EXPECT_EQ(needed.output.find("libcoex_core"), std::string::npos) << needed.output;
  EXPECT_EQ(digest(prefix() / "bin" / "coex"), bin_before) << "the installed coex changed";
  EXPECT_EQ(digest(prefix() / "lib" / "libcoex_core.so.0.1.0"), lib_before)
      << "the installed core library changed";
}

TEST_F(SdkInstall, ScaffoldBuildsPassesItsTestsAndLoads) {
  TempDir work;
  const auto gen =
      run_command("'" + coex_bin() + "' new-plugin --kind hardware_target --name my_target '" +
                  (work / "my_target").string() + "'");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  build_and_test(work / "my_target", work / "my_target" / "build");
  const auto list =
      run_command("COEX_PLUGIN_PATH='" + (work / "my_target" / "build" / "plugins").string() +
                  "' '" + coex_bin() + "' plugins show my_target");
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("my_target (hardware_target) 0.1.0"), std::string::npos)
      << list.output;
  // A used folder or a bad name is refused with exit 2.
  EXPECT_EQ(
      run_command("'" + coex_bin() + "' new-plugin --kind hardware_target --name my_target '" +
                  (work / "my_target").string() + "'")
          .exit_code,
      2);
  EXPECT_EQ(run_command("'" + coex_bin() + "' new-plugin --kind gpu --name x '" +
                        (work / "x").string() + "'")
                .exit_code,
            2);
}
