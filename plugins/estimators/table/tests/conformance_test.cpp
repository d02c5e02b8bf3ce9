// Conformance of `table`: the estimator kit's checks on nb201 networks, each looked up by the
// search space's description in a table with a row for every NAS-Bench-201 cell. The table is
// written before the tests run (a test environment), from the nb201 plugin itself, into the
// test's build folder.
#include <sstream>

#include "coex/io.hpp"
#include "coex/testing/conformance.hpp"

namespace {

const coex::Task kCifar{.input = {3, 32, 32}};

/// In the test's build folder, so the name is stable; every test process writes the same text
/// atomically, so processes running at once never read a partial table.
std::string table_path() { return TABLE_TEST_DIR "/nb201_table.csv"; }

/// Writes `arch,accuracy` for every nb201 cell; the accuracy is a fixed function of the row so
/// that lookups of different cells differ.
class TableFile : public ::testing::Environment {
 public:
  void SetUp() override {
    const auto space = coex::testing::load<coex::SearchSpace>({"nb201", {}, kCifar});
    std::ostringstream out;
    out << "arch,accuracy\n";
    for (std::uint64_t i = 0; i < space->space().cardinality(); ++i)
      out << space->describe(space->space().at(i)) << "," << 0.5 + 0.4 * double(i % 997) / 997
          << "\n";
    coex::write_file_atomic(table_path(), out.str());
  }
};

[[maybe_unused]] auto* const kTableFile = ::testing::AddGlobalTestEnvironment(new TableFile);

}  // namespace

COEX_ESTIMATOR_CONFORMANCE(Table, {"table", {{"file", table_path()}}, kCifar, "nb201"});
