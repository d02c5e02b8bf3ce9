// Calibration of hardware targets from measured latencies: the measurement file, the held-out
// evaluation and the profile a fit writes and a config applies. The fit itself is
// coex::fit_coefficients (coex/calibration.hpp); `coex calibrate --measurements` and
// bench/latency_fit drive these pieces.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "coex/calibration.hpp"
#include "coex/network.hpp"
#include "coex/plugin.hpp"

namespace coex::core {

/// Measured latencies of networks: one row per network.
struct Measurements {
  std::filesystem::path file;
  std::vector<std::string> keys;  ///< canonical description (or IR path) of each network
  std::vector<Network> networks;
  std::vector<double> latency_ms;
  std::vector<std::size_t> lines;  ///< line of each row in `file` (1-based)
};

/// Reads a CSV with a header row. `key_column` names each network: a description `space` parses
/// (SearchSpace::parse, e.g. NAS-Bench-201's "|nor_conv_3x3~0|+|...|"), or, for a value ending in
/// ".json", the path of a network in coex IR JSON (Network::to_json), relative to the CSV's
/// folder. `latency_column` holds milliseconds per forward pass. Other columns are ignored. A
/// network listed twice with the same latency counts once. `space` may be null when every key is
/// a JSON path. Throws coex::ConfigError naming file:line, the column and the fix for a missing
/// file or column, an unparsable key, a non-numeric or non-positive latency, a network listed
/// twice with different latencies, and a file with no rows.
/// `where`: (column, value) pairs a row must all match to be read (e.g. {"batch", "256"} in a
/// file of several deployments); a named column the header lacks is an error.
Measurements read_measurements(const std::filesystem::path& file, const std::string& key_column,
                               const std::string& latency_column, const SearchSpace* space,
                               const std::vector<std::pair<std::string, std::string>>& where = {});

/// How well predictions match measurements.
struct PredictionQuality {
  std::size_t n = 0;
  double kendall_tau = 0;
  double spearman_rho = 0;
  double within_10pct = 0;  ///< share of |predicted / measured - 1| <= 0.1
  double mape = 0;          ///< mean |predicted / measured - 1|
  nlohmann::json to_json() const;
};
PredictionQuality prediction_quality(const std::vector<double>& predicted,
                                     const std::vector<double>& measured);

/// Indices 0..n-1 split into `fit` rows drawn with `seed` (a seeded shuffle, the first `fit`)
/// and the rest, each list sorted. Throws coex::UserError if fit > n or fit == 0.
std::pair<std::vector<std::size_t>, std::vector<std::size_t>> split_rows(std::size_t n,
                                                                         std::size_t fit,
                                                                         std::uint64_t seed);

/// A calibration profile: fitted coefficient values of one hardware target.
struct Profile {
  std::string target;          ///< hardware target name
  std::string target_version;  ///< its plugin version when fitted
  std::vector<std::pair<std::string, double>> coefficients;
  nlohmann::json fit = nlohmann::json::object();  ///< how it was fitted and how well (free form)

  nlohmann::json to_json() const;
  /// Throws coex::ConfigError naming `where` for a malformed profile.
  static Profile from_json(const nlohmann::json& j, const std::string& where);
};

/// Writes `p` atomically (a temporary file renamed into place). Throws coex::UserError.
void write_profile(const std::filesystem::path& path, const Profile& p);
/// Reads a profile. Throws coex::ConfigError naming `where` (the option that named it) and
/// the path for a missing, unreadable or malformed file.
Profile read_profile(const std::filesystem::path& path, const std::string& where);

/// Hands `p`'s coefficients to `target` (named `target_name`): every coefficient the target
/// declares takes the profile's value, or keeps its default if the profile lacks it. Throws
/// coex::ConfigError naming `where` if the profile is for another target, names a coefficient
/// the target does not declare, has a value outside its bounds, or the target declares none.
void apply_profile(HardwareTarget& target, const std::string& target_name, const Profile& p,
                   const std::string& where);

}  // namespace coex::core
