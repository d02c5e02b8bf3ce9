#include "predictor.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

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

}  // namespace coex::nn_degree
