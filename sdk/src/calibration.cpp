#include "coex/calibration.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <set>

#include "coex/error.hpp"

namespace coex {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Coefficient j's value at prior distance z (in prior standard deviations).
double value_at(const Coefficient& c, double z) {
  const double v = c.relative ? c.value * std::exp(c.spread * z) : c.value + c.spread * z;
  return std::clamp(v, c.lower, c.upper);
}

/// The bounds of z that keep the value within [lower, upper].
std::pair<double, double> z_bounds(const Coefficient& c) {
  if (c.relative)
    return {std::log(c.lower / c.value) / c.spread,
            std::isfinite(c.upper) ? std::log(c.upper / c.value) / c.spread : kInf};
  return {std::isfinite(c.lower) ? (c.lower - c.value) / c.spread : -kInf,
          std::isfinite(c.upper) ? (c.upper - c.value) / c.spread : kInf};
}

struct Problem {
  const std::vector<Coefficient>& cs;
  const std::vector<LatencyModel>& models;
  const std::vector<double>& measured;
  double noise;
  double huber;

  std::vector<double> values(const Eigen::VectorXd& z) const {
    std::vector<double> v(cs.size());
    for (std::size_t j = 0; j < cs.size(); ++j)
      v[j] = value_at(cs[j], z(static_cast<Eigen::Index>(j)));
    return v;
  }
  /// Scaled residuals t_i = ln(pred / measured) / noise; false if a prediction is not a
  /// positive finite number.
  bool residuals(const Eigen::VectorXd& z, Eigen::VectorXd& t) const {
    const std::vector<double> v = values(z);
    t.resize(static_cast<Eigen::Index>(models.size()));
    for (std::size_t i = 0; i < models.size(); ++i) {
      const double p = models[i](v);
      if (!(p > 0) || !std::isfinite(p)) return false;
      t(static_cast<Eigen::Index>(i)) = std::log(p / measured[i]) / noise;
    }
    return true;
  }
  double objective(const Eigen::VectorXd& z, const Eigen::VectorXd& t) const {
    double f = z.squaredNorm();
    for (Eigen::Index i = 0; i < t.size(); ++i) {
      const double a = std::abs(t(i));
      f += a <= huber ? a * a : 2 * huber * a - huber * huber;
    }
    return f;
  }
};

}  // namespace

void check_coefficients(const std::vector<Coefficient>& cs) {
  std::set<std::string> names;
  for (const auto& c : cs) {
    const std::string at = "coefficient '" + c.name + "': ";
    if (c.name.empty()) throw Error("a calibration coefficient has an empty name");
    for (char ch : c.name)
      if (!(std::islower(static_cast<unsigned char>(ch)) ||
            std::isdigit(static_cast<unsigned char>(ch)) || ch == '_'))
        throw Error(at + "names use lower case letters, digits and '_'");
    if (!names.insert(c.name).second) throw Error(at + "declared twice");
    if (!(c.spread > 0) || !std::isfinite(c.spread)) throw Error(at + "spread must be > 0");
    if (!(c.lower <= c.value && c.value <= c.upper) || !std::isfinite(c.value))
      throw Error(at + "value " + std::to_string(c.value) + " is outside its bounds [" +
                  std::to_string(c.lower) + ", " + std::to_string(c.upper) + "]");
    if (c.relative && !(c.lower > 0))
      throw Error(at + "a relative prior needs a lower bound > 0 (and so a value > 0)");
  }
}

Point first_design(const Space& design_space) {
  Point p;
  for (const auto& d : design_space.dims())
    p.push_back(d.kind == Dimension::Kind::kCategorical ? 0.0 : d.lo);
  return p;
}

std::vector<double> default_values(const std::vector<Coefficient>& cs) {
  std::vector<double> v;
  v.reserve(cs.size());
  for (const auto& c : cs) v.push_back(c.value);
  return v;
}

CoefficientFit fit_coefficients(const std::vector<Coefficient>& cs,
                                const std::vector<LatencyModel>& models,
                                const std::vector<double>& measured_ms,
                                const FitSettings& settings) {
  check_coefficients(cs);
  if (models.size() != measured_ms.size())
    throw Error("fit_coefficients: one measurement per model is needed");
  for (std::size_t i = 0; i < measured_ms.size(); ++i)
    if (!(measured_ms[i] > 0) || !std::isfinite(measured_ms[i]))
      throw Error("fit_coefficients: measurement " + std::to_string(i + 1) +
                  " is not a positive latency");
  if (!(settings.noise > 0) || !(settings.huber > 0))
    throw Error("fit_coefficients: noise and huber must be > 0");

  const auto n = static_cast<Eigen::Index>(cs.size());
  const Problem pb{cs, models, measured_ms, settings.noise, settings.huber};
  Eigen::VectorXd lo(n), hi(n), z = Eigen::VectorXd::Zero(n);
  for (Eigen::Index j = 0; j < n; ++j)
    std::tie(lo(j), hi(j)) = z_bounds(cs[static_cast<std::size_t>(j)]);

  CoefficientFit out;
  Eigen::VectorXd t;
  if (!pb.residuals(z, t))
    throw Error(
        "fit_coefficients: the model does not predict a positive finite latency for every "
        "network at the declared coefficient values");
  double f = pb.objective(z, t);
  if (models.empty() || n == 0) {
    out.values = pb.values(z);
    out.shift.assign(cs.size(), 0.0);
    out.converged = true;
  } else {
    double mu = 1e-3;
    const auto m = t.size();
    Eigen::MatrixXd J(m, n);
    Eigen::VectorXd tj;
    for (int it = 0; it < settings.max_iterations; ++it) {
      out.iterations = it + 1;
      // Forward-difference Jacobian of the scaled residuals in z, stepping inward at a bound.
      for (Eigen::Index j = 0; j < n; ++j) {
        double h = 1e-6 * std::max(1.0, std::abs(z(j)));
        if (z(j) + h > hi(j)) h = -h;
        Eigen::VectorXd zj = z;
        zj(j) += h;
        if (!pb.residuals(zj, tj)) {
          J.col(j).setZero();
          continue;
        }
        J.col(j) = (tj - t) / h;
      }
      // Huber weights (iteratively reweighted least squares).
      Eigen::VectorXd w(m);
      for (Eigen::Index i = 0; i < m; ++i) {
        const double a = std::abs(t(i));
        w(i) = a <= settings.huber ? 1.0 : settings.huber / a;
      }
      const Eigen::MatrixXd JtW = J.transpose() * w.asDiagonal();
      Eigen::MatrixXd A = JtW * J;
      A.diagonal().array() += 1.0;
      const Eigen::VectorXd g = JtW * t + z;
      // Active set: a coefficient at a bound that the gradient pushes beyond it stays there this
      // iteration (its row and column decoupled), so the others take a full step instead of a
      // clamped one that may not descend.
      std::vector<bool> held(static_cast<std::size_t>(n), false);
      for (Eigen::Index j = 0; j < n; ++j)
        held[static_cast<std::size_t>(j)] =
            (z(j) <= lo(j) && g(j) > 0) || (z(j) >= hi(j) && g(j) < 0);
      bool improved = false;
      for (int tries = 0; tries < 30 && !improved; ++tries) {
        Eigen::MatrixXd Am = A;
        Am.diagonal() += mu * A.diagonal();
        Eigen::VectorXd gm = g;
        for (Eigen::Index j = 0; j < n; ++j)
          if (held[static_cast<std::size_t>(j)]) {
            Am.row(j).setZero();
            Am.col(j).setZero();
            Am(j, j) = 1;
            gm(j) = 0;
          }
        Eigen::VectorXd zn = z - Am.ldlt().solve(gm);
        zn = zn.cwiseMax(lo).cwiseMin(hi);
        Eigen::VectorXd tn;
        if (!pb.residuals(zn, tn)) {
          mu *= 4;
          continue;
        }
        const double fn = pb.objective(zn, tn);
        if (fn < f) {
          const double gain = f - fn;
          const double step = (zn - z).norm();
          z = zn, t = tn;
          mu = std::max(mu / 3, 1e-9);
          improved = true;
          if (gain <= 1e-10 * (1 + f) || step <= 1e-9 * (1 + z.norm())) out.converged = true;
          f = fn;
        } else {
          mu *= 4;
        }
      }
      if (!improved) out.converged = true;  // no descent direction left: a (local) minimum
      if (out.converged) break;
    }
    out.values = pb.values(z);
    out.shift.assign(z.data(), z.data() + n);
  }
  double ss = 0;
  for (Eigen::Index i = 0; i < t.size(); ++i) ss += t(i) * t(i);
  out.rms_log_error =
      t.size() > 0 ? settings.noise * std::sqrt(ss / static_cast<double>(t.size())) : 0.0;
  return out;
}

}  // namespace coex
