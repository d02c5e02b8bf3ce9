// libFuzzer target: reading a plugin manifest (coex_plugin_<name>.json) from arbitrary bytes.
#include "coex/core/registry.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = coex::fuzz::write_input("coex_plugin_fuzz.json", data, size);
  coex::fuzz::expect_only_coex_errors([&] { coex::core::PluginManifest::read(file); });
  return 0;
}
