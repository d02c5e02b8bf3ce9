// libFuzzer target: the config loader on arbitrary TOML text (load_config reads a file; the
// structure, sections, keys, types and ranges are all checked before any plugin loads).
#include "coex/core/config.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = coex::fuzz::write_input("config.toml", data, size);
  coex::fuzz::expect_only_coex_errors([&] { coex::core::load_config(file, {}); });
  return 0;
}
