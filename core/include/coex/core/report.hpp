// Reports (docs/reports.md): one self-contained HTML file per run or comparison, with every datum
// embedded and the chart library (Chart.js, from Debian's libjs-chart.js) inlined, so that it
// opens anywhere, offline, and can be mailed or archived as one file. The page's code and styles
// live in core/report/ and are compiled into coex.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "coex/core/compare.hpp"
#include "coex/core/config.hpp"
#include "coex/core/registry.hpp"
#include "coex/plugin.hpp"

namespace coex::core {

class Store;

/// What a run report shows that the candidates do not hold: name, seed, plugins with versions,
/// hardware metrics (units, directions), objectives, specs, budget, hardware mode. `coex run`
/// stores it in the run's store (meta key "report_context") when it starts or resumes.
nlohmann::json report_context(const RunConfig& config, const PluginRegistry& registry,
                              const HardwareTarget& target);

/// A comparison's statistics and setup as `coex compare` writes them to compare.json (the
/// comparison report's input).
nlohmann::json comparison_json(const Comparison& c, const ComparisonSetup& setup,
                               const std::vector<RunTrace>& runs);

/// What a directory holds.
enum class ReportKind {
  kRun,         ///< a run directory: coex.db
  kComparison,  ///< a `coex compare` directory: compare.json
};
/// Throws coex::UserError naming `dir` and the fix if it is neither.
ReportKind report_kind(const std::filesystem::path& dir);

/// The HTML report of the run in `run_dir`, read without locking or writing anything: a run in
/// progress gives a report of what it has committed so far. `target` (may be null): the run's
/// hardware target, for the best pair's breakdown (HardwareTarget::breakdown). Throws
/// coex::UserError if `run_dir` holds no readable store.
std::string run_report_html(const std::filesystem::path& run_dir,
                            const HardwareTarget* target = nullptr);
/// The same for a run read from `store` (e.g. a PostgreSQL run without its leader's folder);
/// `fallback_name` titles it when the store has no name.
std::string run_report_html(const Store& store, const std::string& fallback_name,
                            const HardwareTarget* target);
/// The HTML report of the comparison in `dir` (its compare.json). Throws coex::UserError.
std::string comparison_report_html(const std::filesystem::path& dir);

/// Writes the report of `dir` (a run or a comparison) to `out` (default: `dir`/report.html)
/// atomically, and returns the path written. Throws coex::UserError.
std::filesystem::path write_report(const std::filesystem::path& dir,
                                   const std::filesystem::path& out = {},
                                   const HardwareTarget* target = nullptr);

}  // namespace coex::core
