#include "predictor.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "coex/core/stats.hpp"
#include "coex/error.hpp"

namespace coex::nn_degree {

const char* model_name(Model m) {
  return m == Model::kLogDegree ? "log_degree" : "log_degree_log_flops";
}

Model model_from_name(const std::string& n) {
  for (auto m : {Model::kLogDegree, Model::kLogDegreeLogFlops})
    if (n == model_name(m)) return m;
  throw ConfigError("unknown predictor model '" + n +
                    "' (known: log_degree, log_degree_log_flops)");
}

std::vector<double> features(Model m, double degree, double macs) {
  std::vector<double> f{1.0, std::log(std::max(degree, 1e-12))};
  if (m == Model::kLogDegreeLogFlops) f.push_back(std::log(std::max(macs, 1.0)));
  return f;
}

std::vector<double> fit(Model m, const std::vector<Sample>& s) {
  const std::size_t p = features(m, 1, 1).size();
  if (s.size() < p)
    throw Error("predictor " + std::string(model_name(m)) + " needs at least " + std::to_string(p) +
                " samples, got " + std::to_string(s.size()));
  Eigen::MatrixXd X(static_cast<Eigen::Index>(s.size()), static_cast<Eigen::Index>(p));
  Eigen::VectorXd y(static_cast<Eigen::Index>(s.size()));
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto f = features(m, s[i].degree, s[i].macs);
    for (std::size_t j = 0; j < p; ++j)
      X(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = f[j];
    y(static_cast<Eigen::Index>(i)) = s[i].accuracy;
  }
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(X);
  if (qr.rank() < static_cast<Eigen::Index>(p))
    throw Error("predictor " + std::string(model_name(m)) +
                ": the samples' features are degenerate (all networks alike?)");
  const Eigen::VectorXd theta = qr.solve(y);
  return {theta.data(), theta.data() + theta.size()};
}

double predict(Model m, const std::vector<double>& theta, double degree, double macs) {
  const auto f = features(m, degree, macs);
  double a = 0;
  for (std::size_t j = 0; j < f.size() && j < theta.size(); ++j) a += theta[j] * f[j];
  return a;
}

double loo_rmse(Model m, const std::vector<Sample>& s) {
  double se = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::vector<Sample> rest;
    for (std::size_t k = 0; k < s.size(); ++k)
      if (k != i) rest.push_back(s[k]);
    const auto theta = fit(m, rest);
    const double e = predict(m, theta, s[i].degree, s[i].macs) - s[i].accuracy;
    se += e * e;
  }
  return std::sqrt(se / static_cast<double>(s.size()));
}

double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = std::min(x.size(), y.size());
  double nc = 0, nd = 0, tx = 0, ty = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      const double dx = x[i] - x[j], dy = y[i] - y[j];
      if (dx == 0) tx += 1;
      if (dy == 0) ty += 1;
      if (dx == 0 || dy == 0) continue;
      (dx * dy > 0 ? nc : nd) += 1;
    }
  const double n0 = static_cast<double>(n) * static_cast<double>(n - 1) / 2;
  const double den = std::sqrt((n0 - tx) * (n0 - ty));
  return den > 0 ? (nc - nd) / den : std::numeric_limits<double>::quiet_NaN();
}

double spearman_rho(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  const auto rx = core::average_ranks({x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n)});
  const auto ry = core::average_ranks({y.begin(), y.begin() + static_cast<std::ptrdiff_t>(n)});
  const double mx = std::accumulate(rx.begin(), rx.end(), 0.0) / static_cast<double>(n);
  const double my = std::accumulate(ry.begin(), ry.end(), 0.0) / static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace coex::nn_degree
