// libFuzzer target: the CSV readers on arbitrary bytes: the `table` estimator's accuracy table,
// the measurement file of `coex calibrate` (keys as IR JSON paths and as NAS-Bench-201-style
// descriptions of a small search space), and the `gpu` target's measurement file.
#include "coex/core/calibration.hpp"
#include "coex/core/registry.hpp"
#include "fuzz_support.hpp"
#include "gpu_model.hpp"
// The estimator is compiled in (its reader lives in its constructor).
#include "../../plugins/estimators/table/table.cpp"

namespace {

/// A space whose descriptions are "|a~0|b~1|"-like: two categorical dimensions.
class TwoChoices final : public coex::SearchSpace {
 public:
  const coex::Space& space() const override { return space_; }
  coex::Network decode(const coex::Point& p) const override {
    coex::Network n;
    const int x = n.add_input({1, 8, 8});
    n.add_linear(n.add_flatten(n.add_conv2d_same(x, 2 + static_cast<int>(p[0]), 3, 1)), 2);
    return n;
  }

 private:
  coex::Space space_{{coex::Dimension::categorical("op", {"a", "b", "c"}),
                      coex::Dimension::integer("width", 1, 4)}};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = coex::fuzz::write_input("input.csv", data, size);
  coex::fuzz::expect_only_coex_errors([&] {
    const coex::Options o = coex::core::validate_options(
        "table", coex::plugins::table::Table::schema(), {{"file", file.string()}},
        [](const std::string&) { return std::string("fuzz"); });
    coex::plugins::table::Table t(o, coex::PluginContext{});
  });
  static const TwoChoices space;
  coex::fuzz::expect_only_coex_errors([&] {
    coex::core::read_measurements(file, "arch", "ms", &space, {{"batch", "1"}});
  });
  coex::fuzz::expect_only_coex_errors(
      [&] { coex::core::read_measurements(file, "arch", "ms", &space); });
  coex::fuzz::expect_only_coex_errors([&] {
    std::string device;
    coex::gpu::read_measurements(file.string(), device);
  });
  return 0;
}
