// Conformance of `table`: the estimator kit's checks on nb201 networks, each looked up by the
// search space's description in a table with a row for every NAS-Bench-201 cell. The table is
// written before the tests run (a test environment), from the nb201 plugin itself.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "coex/testing/conformance.hpp"

namespace {

coex::Task cifar_like() {
  coex::Task t;
  t.input = {3, 32, 32};
  return t;
}

const std::string& table_path() {
  static const std::string p = (std::filesystem::temp_directory_path() /
                                ("coex_table_conformance_" + std::to_string(::getpid()) + ".csv"))
                                   .string();
  return p;
}

/// Writes `arch,accuracy` for every nb201 cell; the accuracy is a fixed function of the row so
/// that lookups of different cells differ.
class TableFile : public ::testing::Environment {
 public:
  void SetUp() override {
    const auto space = coex::testing::load<coex::SearchSpace>({"nb201", {}, cifar_like()});
    std::ofstream out(table_path());
    out << "arch,accuracy\n";
    for (std::uint64_t i = 0; i < space->space().cardinality(); ++i)
      out << space->describe(space->space().at(i)) << "," << 0.5 + 0.4 * double(i % 997) / 997
          << "\n";
  }
  void TearDown() override { std::filesystem::remove(table_path()); }
};

[[maybe_unused]] auto* const kTableFile = ::testing::AddGlobalTestEnvironment(new TableFile);

}  // namespace

COEX_ESTIMATOR_CONFORMANCE(Table, {"table", {{"file", table_path()}}, cifar_like(), "nb201"});
