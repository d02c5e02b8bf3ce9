// Calibration of hardware targets from measured latencies: the measurement file, the held-out
// evaluation and the profile a fit writes and a config applies. The fit itself is
// coex::fit_coefficients (coex/calibration.hpp); `coex calibrate --measurements` and
// bench/latency_fit drive these pieces.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
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

/// The data-driven refinement on top of a fitted analytical model (in the style of nn-Meter): an
/// additive correction in milliseconds per kernel, one per kernel signature (operation, kernel,
/// stride, groups, input and output shape: kernel_signature()), fitted by ridge regression on the
/// relative residuals of the analytical model. It knows only signatures it has seen; a network
/// with others gets their correction 0.
struct ResidualModel {
  std::vector<std::pair<std::string, double>> ms_per_kernel;  ///< sorted by signature
  double ridge = 0;                                           ///< the chosen regularisation

  bool empty() const { return ms_per_kernel.empty(); }
  /// The correction for `net`, milliseconds (may be negative).
  double correction_ms(const Network& net) const;
  nlohmann::json to_json() const;
  static ResidualModel from_json(const nlohmann::json& j);
};

/// "conv2d k3 s1 g1 16x32x32->16" and the like: what identifies a kernel's cost.
std::string kernel_signature(const Network& net, const Node& n);

/// Fits a residual model on networks whose analytical predictions are `predicted_ms` and whose
/// measurements are `measured_ms`, if it helps: the rows are split (seeded) 4:1, ridge strengths
/// 0.01 to 10 are tried on the larger part and judged on the smaller by the mean absolute
/// log error (|ln(predicted / measured)|, capped at 1 so that broken rows do not decide), and the
/// best is kept only when it beats the analytical model there (rows a factor e or more off the
/// analytical model are left out of the ridge fits as outliers); it is
/// then refitted on all rows. Returns an empty model otherwise (or with fewer than `min_rows`
/// rows); `report` says what was tried and chosen.
ResidualModel fit_residual(const std::vector<const Network*>& nets,
                           const std::vector<double>& predicted_ms,
                           const std::vector<double>& measured_ms, std::uint64_t seed,
                           nlohmann::json& report, std::size_t min_rows = 200);

/// A hardware target with a residual model on top: forwards every call to `inner` and adds the
/// correction to the `latency_ms` its results report (other metrics are the inner target's).
std::shared_ptr<HardwareTarget> with_residual(std::shared_ptr<HardwareTarget> inner,
                                              ResidualModel residual);

/// A calibration profile: fitted coefficient values of one hardware target.
struct Profile {
  std::string target;          ///< hardware target name
  std::string target_version;  ///< its plugin version when fitted
  std::vector<std::pair<std::string, double>> coefficients;
  ResidualModel residual;                         ///< empty unless `coex calibrate` chose one
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
