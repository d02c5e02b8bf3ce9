// The SDK boundary as a checked fact: a plugin sees only the SDK. No file under plugins/, sdk/ or
// examples/ includes a core header (coex/core/...); the build enforces the same from the other
// side (coex_add_plugin links coex::sdk, whose include path has no core headers).
#include <gtest/gtest.h>

#include <cstdio>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

/// "file:line: text" for every #include of coex/core/ in C/C++ files under `dir`.
std::vector<std::string> core_includes(const fs::path& dir) {
  static const std::regex include(R"(^\s*#\s*include\s*[<"]coex/core/)");
  std::vector<std::string> hits;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string ext = e.path().extension().string();
    if (ext != ".cpp" && ext != ".hpp" && ext != ".h" && ext != ".cc" && ext != ".in") continue;
    std::ifstream in(e.path());
    std::string line;
    for (int n = 1; std::getline(in, line); ++n)
      if (std::regex_search(line, include))
        hits.push_back(e.path().string() + ":" + std::to_string(n) + ": " + line);
  }
  return hits;
}

}  // namespace

TEST(SdkBoundary, NoPluginSdkOrExampleFileIncludesACoreHeader) {
  const fs::path root = COEX_TEST_SOURCE_DIR;
  std::size_t files = 0;
  for (const char* dir : {"plugins", "sdk", "examples"}) {
    ASSERT_TRUE(fs::is_directory(root / dir)) << root / dir;
    for (const auto& e : fs::recursive_directory_iterator(root / dir))
      files += e.is_regular_file() && e.path().extension() == ".cpp";
    for (const auto& hit : core_includes(root / dir)) ADD_FAILURE() << hit;
  }
  EXPECT_GT(files, 50u) << "the scan found too few sources to be looking at the tree";
}

TEST(SdkBoundary, TheScanFindsACoreInclude) {
  // The check above must be able to fail: a planted include is found.
  const fs::path dir = fs::temp_directory_path() / "coex_boundary_probe";
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "sub" / "x.cpp") << "// a plugin\n  #include \"coex/core/registry.hpp\"\n";
  std::ofstream(dir / "y.hpp") << "#include \"coex/plugin.hpp\"\n// coex/core/ in a comment\n";
  const auto hits = core_includes(dir);
  fs::remove_all(dir);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_NE(hits[0].find("x.cpp:2:"), std::string::npos) << hits[0];
}

TEST(SdkBoundary, InTreePluginLibrariesLinkTheSdkAndNotTheCore) {
  // What the build makes of it: every plugin library needs libcoex_sdk and not libcoex_core.
  std::size_t checked = 0;
  for (const auto& e : fs::directory_iterator(COEX_TEST_PLUGIN_DIR)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("coex_plugin_", 0) != 0 || e.path().extension() != ".so") continue;
    FILE* p = ::popen(("readelf -d '" + e.path().string() + "' 2>&1").c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    ASSERT_EQ(::pclose(p), 0) << out;
    EXPECT_NE(out.find("[libcoex_sdk.so.0]"), std::string::npos) << name << ":\n" << out;
    EXPECT_EQ(out.find("libcoex_core"), std::string::npos) << name << " links the core:\n" << out;
    ++checked;
  }
  EXPECT_GE(checked, 15u) << "too few plugin libraries in " << COEX_TEST_PLUGIN_DIR;
}
