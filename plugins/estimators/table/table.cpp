// Estimator `table`: accuracy looked up in a user-provided CSV keyed by the search space's
// description of the candidate (e.g. NAS-Bench-201's cell string), for tabular benchmarks.
#include <fstream>
#include <unordered_map>

#include "coex/csv.hpp"
#include "coex/error.hpp"
#include "coex/plugin.hpp"
#include "coex/plugin_entry.hpp"

namespace coex::plugins::table {

class Table final : public AccuracyEstimator {
 public:
  Table(const Options& o, const PluginContext&) : file_(o.get_string("file")) {
    const std::string key_col = o.get_string("key_column"),
                      acc_col = o.get_string("accuracy_column");
    const double scale = o.get_bool("percent") ? 0.01 : 1.0;
    std::ifstream in(file_);
    if (!in)
      throw UserError("estimator 'table': cannot read " + file_ +
                      ". Fix: set option 'file' to the CSV of accuracies");
    std::string line;
    if (!std::getline(in, line)) throw UserError("estimator 'table': " + file_ + " is empty");
    const auto header = split_csv_line(line);
    auto column = [&](const std::string& name) {
      for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == name) return i;
      std::string msg = "estimator 'table': " + file_ + " has no column '" + name + "'. Columns:";
      for (const auto& h : header) msg += " " + h;
      throw ConfigError(msg);
    };
    const std::size_t k = column(key_col), a = column(acc_col);
    for (int row = 2; std::getline(in, line); ++row) {
      if (line.empty()) continue;
      const auto f = split_csv_line(line);
      if (f.size() <= std::max(k, a))
        throw UserError(file_ + ":" + std::to_string(row) + ": expected " +
                        std::to_string(header.size()) + " fields");
      double acc = 0;
      try {
        acc = std::stod(f[a]) * scale;
      } catch (const std::exception&) {
        throw UserError(file_ + ":" + std::to_string(row) + ": accuracy '" + f[a] +
                        "' is not a number");
      }
      if (!(acc >= 0 && acc <= 1))
        throw UserError(file_ + ":" + std::to_string(row) + ": accuracy " + f[a] +
                        " is outside [0, 1] after scaling (set option 'percent' for percentages)");
      if (!table_.emplace(f[k], acc).second)
        throw UserError(file_ + ":" + std::to_string(row) + ": key '" + f[k] + "' appears twice");
    }
    if (table_.empty()) throw UserError("estimator 'table': " + file_ + " has no rows");
  }

  static OptionSchema schema() {
    OptionSchema s;
    s.add({"file",
           OptionSpec::Type::kString,
           nullptr,
           {},
           {},
           {},
           "",
           "CSV file with a header row (required)"});
    s.add_string("key_column", "arch", "Column holding the search space's description of a point");
    s.add_string("accuracy_column", "accuracy", "Column holding the accuracy");
    s.add_bool("percent", false, "Accuracies are percentages (divided by 100)");
    return s;
  }

  bool training_free() const override { return true; }

  Estimate estimate(const Network&, const EstimateContext& ctx) override {
    const auto it = table_.find(ctx.description);
    if (it == table_.end())
      throw UserError("estimator 'table': no row for '" + ctx.description + "' in " + file_ +
                      ". Fix: use a table made for this search space (its key column must hold the "
                      "search space's descriptions)");
    Estimate e;
    e.accuracy = it->second;
    return e;
  }

 private:
  std::string file_;
  std::unordered_map<std::string, double> table_;
};

}  // namespace coex::plugins::table

COEX_PLUGIN(
    coex::plugins::table::Table, "table", "0.1.0",
    "Accuracy looked up in a CSV keyed by the search space's description (tabular benchmarks)")
