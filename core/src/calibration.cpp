#include "coex/core/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <random>

#include <Eigen/Dense>

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
    if (key.ends_with(".json")) {
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

std::string kernel_signature(const Network& net, const Node& n) {
  std::string s = n.op == OpKind::kActivation ? activation_name(n.activation) : op_name(n.op);
  if (is_conv(n.op) || n.op == OpKind::kMaxPool || n.op == OpKind::kAvgPool)
    s += " k" + std::to_string(n.kernel) + " s" + std::to_string(n.stride) + " g" +
         std::to_string(n.groups);
  if (!n.inputs.empty()) s += " " + net.input_shape(n).to_string();
  if (n.inputs.size() > 1) s += " x" + std::to_string(n.inputs.size());
  return s + "->" + std::to_string(n.shape.c);
}

namespace {

/// Kernel signatures of `net` and how often each occurs (the input node and flatten excluded).
std::map<std::string, double> signature_counts(const Network& net) {
  std::map<std::string, double> c;
  for (const Node& n : net.nodes())
    if (n.op != OpKind::kInput && n.op != OpKind::kFlatten) c[kernel_signature(net, n)] += 1;
  return c;
}

/// Ridge fit of per-signature corrections on relative residuals; `index` maps signatures to
/// columns, `scale` the typical kernel time (the penalty is on delta / scale).
std::vector<double> ridge_fit(const std::vector<std::map<std::string, double>>& counts,
                              const std::vector<double>& pred, const std::vector<double>& meas,
                              const std::vector<std::size_t>& rows,
                              const std::map<std::string, std::size_t>& index, double scale,
                              double lambda) {
  const auto k = static_cast<Eigen::Index>(index.size());
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(k, k);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(k);
  for (std::size_t r : rows) {
    // A measurement a factor e or more away from the analytical model is an outlier (a broken
    // row), not a kernel's cost: it does not steer the corrections.
    if (std::abs(std::log(pred[r] / meas[r])) > 1) continue;
    Eigen::VectorXd a = Eigen::VectorXd::Zero(k);
    for (const auto& [sig, n] : counts[r])
      a(static_cast<Eigen::Index>(index.at(sig))) = n / meas[r];
    A += a * a.transpose();
    b += a * (1 - pred[r] / meas[r]);
  }
  A.diagonal().array() += lambda / (scale * scale);
  const Eigen::VectorXd d = A.ldlt().solve(b);
  return {d.data(), d.data() + k};
}

/// Mean of |ln(predicted / measured)| capped at 1 (a factor e), so that a few broken
/// measurements cannot decide the choice.
double error_with(const std::vector<std::map<std::string, double>>& counts,
                  const std::vector<double>& pred, const std::vector<double>& meas,
                  const std::vector<std::size_t>& rows,
                  const std::map<std::string, std::size_t>& index, const std::vector<double>& d) {
  double e = 0;
  for (std::size_t r : rows) {
    double p = pred[r];
    for (const auto& [sig, n] : counts[r])
      if (!d.empty()) p += n * d[index.at(sig)];
    e += p > 0 ? std::min(1.0, std::abs(std::log(p / meas[r]))) : 1.0;
  }
  return rows.empty() ? 0 : e / static_cast<double>(rows.size());
}

}  // namespace

double ResidualModel::correction_ms(const Network& net) const {
  double c = 0;
  for (const auto& [sig, n] : signature_counts(net)) {
    const auto it = std::lower_bound(
        ms_per_kernel.begin(), ms_per_kernel.end(), sig,
        [](const std::pair<std::string, double>& e, const std::string& s) { return e.first < s; });
    if (it != ms_per_kernel.end() && it->first == sig) c += n * it->second;
  }
  return c;
}

json ResidualModel::to_json() const {
  json k = json::object();
  for (const auto& [sig, ms] : ms_per_kernel) k[sig] = ms;
  return {{"ridge", ridge}, {"ms_per_kernel", k}};
}

ResidualModel ResidualModel::from_json(const json& j) {
  ResidualModel m;
  m.ridge = j.value("ridge", 0.0);
  for (auto it = j.at("ms_per_kernel").begin(); it != j.at("ms_per_kernel").end(); ++it)
    m.ms_per_kernel.emplace_back(it.key(), it.value().get<double>());
  std::sort(m.ms_per_kernel.begin(), m.ms_per_kernel.end());
  return m;
}

ResidualModel fit_residual(const std::vector<const Network*>& nets, const std::vector<double>& pred,
                           const std::vector<double>& meas, std::uint64_t seed, json& report,
                           std::size_t min_rows) {
  report = {{"rows", nets.size()}, {"min_rows", min_rows}, {"chosen", false}};
  if (nets.size() < min_rows) return {};
  std::vector<std::map<std::string, double>> counts;
  std::map<std::string, std::size_t> index;
  double kernels = 0;
  for (const Network* n : nets) {
    counts.push_back(signature_counts(*n));
    for (const auto& [sig, c] : counts.back()) index.emplace(sig, 0), kernels += c;
  }
  std::size_t col = 0;
  for (auto& [sig, i] : index) i = col++;
  const double scale =
      quantile(meas, 0.5) / std::max(1.0, kernels / static_cast<double>(nets.size()));
  const auto [train, check] = split_rows(nets.size(), nets.size() - nets.size() / 5, seed);
  const double base = error_with(counts, pred, meas, check, index, {});
  double best = base, best_lambda = -1;
  json tried = json::array();
  for (double lambda : {0.01, 0.1, 1.0, 10.0}) {
    const auto d = ridge_fit(counts, pred, meas, train, index, scale, lambda);
    const double e = error_with(counts, pred, meas, check, index, d);
    tried.push_back({{"ridge", lambda}, {"error", e}});
    if (e < best) best = e, best_lambda = lambda;
  }
  report["signatures"] = index.size();
  report["analytical_error"] = base;
  report["tried"] = tried;
  if (best_lambda < 0) return {};
  std::vector<std::size_t> all(nets.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  const auto d = ridge_fit(counts, pred, meas, all, index, scale, best_lambda);
  ResidualModel m;
  m.ridge = best_lambda;
  for (const auto& [sig, i] : index) m.ms_per_kernel.emplace_back(sig, d[i]);
  report["chosen"] = true;
  report["ridge"] = best_lambda;
  report["validation_error"] = best;
  return m;
}

namespace {

class ResidualTarget final : public HardwareTarget {
 public:
  ResidualTarget(std::shared_ptr<HardwareTarget> inner, ResidualModel r)
      : inner_(std::move(inner)), r_(std::move(r)) {}
  const Space& design_space() const override { return inner_->design_space(); }
  std::vector<MetricInfo> metrics() const override { return inner_->metrics(); }
  std::string tune_objective() const override { return inner_->tune_objective(); }
  HardwareResult evaluate(const Network& net, const Point& design) const override {
    return corrected(inner_->evaluate(net, design), net);
  }
  HardwareResult tune(const Network& net, const Specs& specs) const override {
    return corrected(inner_->tune(net, specs), net);
  }
  std::vector<Coefficient> coefficients() const override { return inner_->coefficients(); }
  LatencyModel latency_model(const Network& net, const Point& design) const override {
    LatencyModel m = inner_->latency_model(net, design);
    const double c = r_.correction_ms(net);
    return [m = std::move(m), c](const std::vector<double>& v) { return m(v) + c; };
  }
  void set_coefficients(const std::vector<double>& v) override { inner_->set_coefficients(v); }
  Breakdown breakdown(const Network& net, const HardwareResult& design) const override {
    Breakdown b = inner_->breakdown(net, design);
    if (!b.empty())
      b.note += (b.note.empty() ? "" : " ") +
                std::string("The calibration profile's residual model adds ") +
                std::to_string(r_.correction_ms(net)) +
                " ms to the whole network's latency, which is not shown per part.";
    return b;
  }

 private:
  HardwareResult corrected(HardwareResult r, const Network& net) const {
    if (r.metrics.has("latency_ms"))
      r.metrics.set("latency_ms",
                    std::max(1e-9, r.metrics.get("latency_ms") + r_.correction_ms(net)));
    return r;
  }
  std::shared_ptr<HardwareTarget> inner_;
  ResidualModel r_;
};

}  // namespace

std::shared_ptr<HardwareTarget> with_residual(std::shared_ptr<HardwareTarget> inner,
                                              ResidualModel residual) {
  if (residual.empty()) return inner;
  return std::make_shared<ResidualTarget>(std::move(inner), std::move(residual));
}

json Profile::to_json() const {
  json c = json::object();
  for (const auto& [k, v] : coefficients) c[k] = v;
  return {{"format", "coex-calibration-profile/1"},
          {"target", target},
          {"target_version", target_version},
          {"coefficients", c},
          {"residual", residual.empty() ? json(nullptr) : residual.to_json()},
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
    if (j.contains("residual") && !j.at("residual").is_null())
      p.residual = ResidualModel::from_json(j.at("residual"));
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
