// libFuzzer target: opening a store (coex.db) made of arbitrary bytes and reading every
// candidate: a damaged store must be refused with a message, never read as garbage or crash.
#include "coex/core/store.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::filesystem::remove(coex::fuzz::work_dir() / "coex.db-journal");
  std::filesystem::remove(coex::fuzz::work_dir() / "coex.db-wal");
  std::filesystem::remove(coex::fuzz::work_dir() / "coex.db-shm");
  const auto file = coex::fuzz::write_input("coex.db", data, size);
  coex::fuzz::expect_only_coex_errors([&] {
    coex::core::SqliteStore s(file);
    (void)s.count();
    (void)s.load_all();
  });
  return 0;
}
