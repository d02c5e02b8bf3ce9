// CSV and JSON export of a run's candidates (one row per candidate, with a Pareto flag), for
// pandas and plotting. Files are written with coex::write_file_atomic (coex/io.hpp): never
// half-written.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "coex/core/candidate.hpp"

namespace coex::core {

class Store;

/// CSV text: seq, status, reason, accuracy, reward, pareto, network_hash, description,
/// hardware_summary, fast_s, slow_s, cached, then one column per metric seen in any record.
std::string to_csv(const std::vector<CandidateRecord>& records,
                   const std::vector<std::size_t>& pareto);
/// JSON array with the same content plus the network IR and hardware detail.
std::string to_json_text(const std::vector<CandidateRecord>& records,
                         const std::vector<std::size_t>& pareto);

/// Reads the store in `run_dir` and writes candidates.csv and candidates.json there (or into
/// `out_dir` if not empty). Returns the paths written. Throws UserError if there is no store.
std::vector<std::filesystem::path> export_run(const std::filesystem::path& run_dir,
                                              const std::filesystem::path& out_dir = {});
/// The same from `store` (e.g. a PostgreSQL run, `coex export --storage URL`) into `dir`.
std::vector<std::filesystem::path> export_store(const Store& store,
                                                const std::filesystem::path& dir);

}  // namespace coex::core
