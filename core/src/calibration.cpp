#include "coex/core/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <random>

#include "coex/csv.hpp"
#include "coex/error.hpp"
#include "coex/io.hpp"
#include "coex/options.hpp"
#include "coex/stats.hpp"

namespace coex::core {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Measurements read_measurements(const fs::path& file, const std::string& key_column,
                               const std::string& latency_column, const SearchSpace* space,
                               const std::vector<std::pair<std::string, std::string>>& where) {
  std::ifstream in(file);
  if (!in)
    throw ConfigError("measurement file '" + file.string() +
                      "' cannot be read. Fix: give the path of a CSV with a header row, a '" +
                      key_column + "' column and a '" + latency_column + "' column");
  const std::string at = file.string() + ":";
  std::string line;
  if (!std::getline(in, line))
    throw ConfigError(at + "1: the file is empty; expected a header row naming the columns '" +
                      key_column + "' and '" + latency_column + "'");
  const std::vector<std::string> header = split_csv_line(trim(line));
  auto column = [&](const std::string& name, const char* option) {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (trim(header[i]) == name) return i;
    std::string msg = at + "1: no column '" + name + "' (the header has:";
    for (const auto& h : header) msg += " " + trim(h);
    msg += "). Fix: pass the right column with " + std::string(option);
    if (auto d = did_you_mean(name, header)) msg += " (did you mean '" + *d + "'?)";
    throw ConfigError(msg);
  };
  const std::size_t kcol = column(key_column, "--key-column");
  const std::size_t lcol = column(latency_column, "--latency-column");
  std::vector<std::pair<std::size_t, std::string>> filters;
  for (const auto& [name, value] : where) filters.emplace_back(column(name, "--where"), value);

  Measurements m;
  m.file = file;
  std::map<std::string, std::size_t> seen;  // canonical key -> row
  std::size_t lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    line = trim(line);
    if (line.empty()) continue;
    const std::string where = at + std::to_string(lineno);
    const std::vector<std::string> f = split_csv_line(line);
    if (f.size() != header.size())
      throw ConfigError(where + ": " + std::to_string(f.size()) + " fields, the header has " +
                        std::to_string(header.size()) + ". Fix: one value per column (quote " +
                        "values that contain commas)");
    bool selected = true;
    for (const auto& [c, value] : filters) selected = selected && trim(f[c]) == value;
    if (!selected) continue;
    const std::string key = trim(f[kcol]);
    const std::string lat = trim(f[lcol]);
    double ms = 0;
    std::size_t used = 0;
    try {
      ms = std::stod(lat, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != lat.size() || !std::isfinite(ms))
      throw ConfigError(where + ": column '" + latency_column + "' holds '" + lat +
                        "', not a number. Fix: a latency in milliseconds, or remove the row");
    if (!(ms > 0))
      throw ConfigError(where + ": column '" + latency_column + "' holds " + lat +
                        "; a latency must be > 0 ms. Fix: correct or remove the row");
    Network net;
    std::string canonical;
    if (ends_with(key, ".json")) {
      const fs::path p = fs::path(key).is_absolute() ? fs::path(key) : file.parent_path() / key;
      std::ifstream jin(p);
      if (!jin)
        throw ConfigError(where + ": column '" + key_column + "' names the network file '" +
                          p.string() + "', which cannot be read. Fix: paths are relative to " +
                          "the CSV's folder");
      try {
        net = Network::from_json(json::parse(jin));
      } catch (const std::exception& e) {
        throw ConfigError(where + ": '" + p.string() + "' is not a coex network (" + e.what() +
                          "). Fix: write it with Network::to_json or `coex export`");
      }
      canonical = fs::weakly_canonical(p).string();
    } else {
      if (space == nullptr)
        throw ConfigError(where + ": column '" + key_column + "' holds '" + key +
                          "', not a .json network path, and no search space was given to parse "
                          "it");
      try {
        const Point p = space->parse(key);
        net = space->decode(p);
        canonical = space->describe(p);
      } catch (const std::exception& e) {
        throw ConfigError(where + ": column '" + key_column + "': '" + key +
                          "' is not a network of the config's search space (" + e.what() +
                          "). Fix: use the space's description (as `coex export` writes it) or "
                          "the path of an IR .json file");
      }
    }
    if (auto it = seen.find(canonical); it != seen.end()) {
      const double before = m.latency_ms[it->second];
      if (before == ms) continue;
      throw ConfigError(where + ": the network '" + key + "' was measured at line " +
                        std::to_string(m.lines[it->second]) + " with " + std::to_string(before) +
                        " ms and here with " + std::to_string(ms) +
                        " ms. Fix: keep one measurement per network (e.g. the median)");
    }
    seen.emplace(canonical, m.keys.size());
    m.keys.push_back(canonical);
    m.networks.push_back(std::move(net));
    m.latency_ms.push_back(ms);
    m.lines.push_back(lineno);
  }
  if (m.keys.empty())
    throw ConfigError(at + "2: no measurements after the header" +
                      (where.empty() ? "" : std::string(" match --where")) +
                      ". Fix: one row per network");
  return m;
}

json PredictionQuality::to_json() const {
  return {{"n", n},
          {"kendall_tau", kendall_tau},
          {"spearman_rho", spearman_rho},
          {"within_10pct", within_10pct},
          {"mape", mape}};
}

PredictionQuality prediction_quality(const std::vector<double>& predicted,
                                     const std::vector<double>& measured) {
  PredictionQuality q;
  q.n = std::min(predicted.size(), measured.size());
  if (q.n == 0) return q;
  q.kendall_tau = kendall_tau_b(predicted, measured);
  q.spearman_rho = spearman_rho(predicted, measured);
  double within = 0, ape = 0;
  for (std::size_t i = 0; i < q.n; ++i) {
    const double e = std::abs(predicted[i] / measured[i] - 1);
    within += e <= 0.1 ? 1 : 0;
    ape += e;
  }
  q.within_10pct = within / static_cast<double>(q.n);
  q.mape = ape / static_cast<double>(q.n);
  return q;
}

std::pair<std::vector<std::size_t>, std::vector<std::size_t>> split_rows(std::size_t n,
                                                                         std::size_t fit,
                                                                         std::uint64_t seed) {
  if (fit == 0 || fit > n)
    throw UserError("--fit " + std::to_string(fit) + ": the measurement file has " +
                    std::to_string(n) + " networks. Fix: fit on 1 to " + std::to_string(n) +
                    " of them (fewer leave the rest to check the fit)");
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::mt19937_64 rng(seed);
  // Fisher-Yates with an explicit draw, so the split is the same with every standard library.
  for (std::size_t i = n; i > 1; --i) std::swap(idx[i - 1], idx[rng() % i]);
  std::vector<std::size_t> a(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(fit));
  std::vector<std::size_t> b(idx.begin() + static_cast<std::ptrdiff_t>(fit), idx.end());
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return {a, b};
}

json Profile::to_json() const {
  json c = json::object();
  for (const auto& [k, v] : coefficients) c[k] = v;
  return {{"format", "coex-calibration-profile/1"},
          {"target", target},
          {"target_version", target_version},
          {"coefficients", c},
          {"fit", fit}};
}

Profile Profile::from_json(const json& j, const std::string& where) {
  Profile p;
  try {
    if (j.value("format", "") != "coex-calibration-profile/1")
      throw ConfigError(
          "not a coex calibration profile (its \"format\" is not "
          "\"coex-calibration-profile/1\")");
    p.target = j.at("target").get<std::string>();
    p.target_version = j.value("target_version", "");
    for (auto it = j.at("coefficients").begin(); it != j.at("coefficients").end(); ++it) {
      if (!it.value().is_number())
        throw ConfigError("coefficient '" + it.key() + "' is not a number");
      p.coefficients.emplace_back(it.key(), it.value().get<double>());
    }
    p.fit = j.value("fit", json::object());
  } catch (const ConfigError& e) {
    throw ConfigError(where + ": " + e.what() + ". Fix: write it with `coex calibrate`");
  } catch (const std::exception& e) {
    throw ConfigError(where + ": malformed calibration profile (" + e.what() +
                      "). Fix: write it with `coex calibrate`");
  }
  return p;
}

void write_profile(const fs::path& path, const Profile& p) {
  try {
    write_file_atomic(path, p.to_json().dump(2) + "\n");
  } catch (const std::exception& e) {
    throw UserError("cannot write the profile '" + path.string() + "': " + e.what());
  }
}

Profile read_profile(const fs::path& path, const std::string& where) {
  const std::string at = where + " ('" + path.string() + "')";
  std::ifstream in(path);
  if (!in)
    throw ConfigError(at +
                      ": cannot read the calibration profile. Fix: write it with `coex "
                      "calibrate --config CONFIG --measurements FILE.csv --out " +
                      path.string() + "`, or leave the option empty for the declared defaults");
  json j;
  try {
    j = json::parse(in);
  } catch (const std::exception& e) {
    throw ConfigError(at + ": not JSON (" + e.what() + ")");
  }
  return Profile::from_json(j, at);
}

void apply_profile(HardwareTarget& target, const std::string& target_name, const Profile& p,
                   const std::string& where) {
  const std::vector<Coefficient> cs = target.coefficients();
  if (cs.empty())
    throw ConfigError(where + ": hardware target '" + target_name +
                      "' declares no calibration coefficients, so it cannot use a profile. "
                      "Fix: remove the option");
  if (p.target != target_name)
    throw ConfigError(where + ": the profile was fitted for hardware target '" + p.target +
                      "', not '" + target_name + "'. Fix: calibrate '" + target_name +
                      "' with `coex calibrate`");
  std::vector<double> values = default_values(cs);
  std::vector<std::string> names;
  for (const auto& c : cs) names.push_back(c.name);
  for (const auto& [name, v] : p.coefficients) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      std::string msg = where + ": the profile sets coefficient '" + name + "', which '" +
                        target_name + "' does not declare";
      if (auto d = did_you_mean(name, names)) msg += " (did you mean '" + *d + "'?)";
      throw ConfigError(msg + ". Fix: re-fit the profile with this version of the target");
    }
    const Coefficient& c = cs[static_cast<std::size_t>(it - names.begin())];
    if (!(v >= c.lower && v <= c.upper))
      throw ConfigError(where + ": coefficient '" + name + "' = " + std::to_string(v) +
                        " is outside its bounds [" + std::to_string(c.lower) + ", " +
                        std::to_string(c.upper) + "]. Fix: re-fit the profile");
    values[static_cast<std::size_t>(it - names.begin())] = v;
  }
  target.set_coefficients(values);
}

}  // namespace coex::core
