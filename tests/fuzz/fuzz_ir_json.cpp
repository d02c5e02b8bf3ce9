// libFuzzer target: the IR JSON decoder (Network::from_json, shape inference included) on
// arbitrary bytes; a network that decodes must encode and decode to the same network.
#include <nlohmann/json.hpp>

#include "coex/network.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    return 0;  // not JSON: not the decoder's input
  }
  coex::fuzz::expect_only_coex_errors([&] {
    const coex::Network n = coex::Network::from_json(j);
    const coex::Network again = coex::Network::from_json(n.to_json());
    if (again.to_json_text() != n.to_json_text()) {
      std::fprintf(stderr, "IR JSON does not round-trip\n");
      std::abort();
    }
  });
  return 0;
}
