#include "coex/fit.hpp"

#include <Eigen/Dense>
#include <string>

#include "coex/error.hpp"

namespace coex {

namespace {

/// Lawson-Hanson on an Eigen matrix whose columns are already scaled.
Eigen::VectorXd lawson_hanson(const Eigen::MatrixXd& A, const Eigen::VectorXd& b) {
  const Eigen::Index n = A.cols();
  Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
  std::vector<bool> passive(static_cast<std::size_t>(n), false);
  for (int outer = 0; outer < 3 * n + 10; ++outer) {
    const Eigen::VectorXd w = A.transpose() * (b - A * x);
    Eigen::Index best = -1;
    double wmax = 1e-12 * (1 + w.cwiseAbs().maxCoeff());
    for (Eigen::Index j = 0; j < n; ++j)
      if (!passive[static_cast<std::size_t>(j)] && w(j) > wmax) wmax = w(j), best = j;
    if (best < 0) break;
    passive[static_cast<std::size_t>(best)] = true;
    for (int inner = 0; inner < 3 * n + 10; ++inner) {
      std::vector<Eigen::Index> P;
      for (Eigen::Index j = 0; j < n; ++j)
        if (passive[static_cast<std::size_t>(j)]) P.push_back(j);
      Eigen::MatrixXd Ap(A.rows(), static_cast<Eigen::Index>(P.size()));
      for (std::size_t k = 0; k < P.size(); ++k) Ap.col(static_cast<Eigen::Index>(k)) = A.col(P[k]);
      const Eigen::VectorXd zp = Ap.colPivHouseholderQr().solve(b);
      Eigen::VectorXd z = Eigen::VectorXd::Zero(n);
      for (std::size_t k = 0; k < P.size(); ++k) z(P[k]) = zp(static_cast<Eigen::Index>(k));
      bool ok = true;
      for (Eigen::Index j : P) ok &= z(j) > 0;
      if (ok) {
        x = z;
        break;
      }
      double alpha = 1;
      for (Eigen::Index j : P)
        if (z(j) <= 0) alpha = std::min(alpha, x(j) / (x(j) - z(j)));
      x += alpha * (z - x);
      for (Eigen::Index j : P)
        if (x(j) <= 1e-15) passive[static_cast<std::size_t>(j)] = false, x(j) = 0;
    }
  }
  return x;
}

}  // namespace

std::vector<double> nnls(const std::vector<std::vector<double>>& rows,
                         const std::vector<double>& b) {
  if (rows.size() != b.size()) throw Error("nnls: one right-hand side value per row is needed");
  if (rows.empty()) return {};
  const auto m = static_cast<Eigen::Index>(rows.size());
  const auto n = static_cast<Eigen::Index>(rows[0].size());
  Eigen::MatrixXd A(m, n);
  Eigen::VectorXd rhs(m);
  for (Eigen::Index i = 0; i < m; ++i) {
    const auto& r = rows[static_cast<std::size_t>(i)];
    if (static_cast<Eigen::Index>(r.size()) != n) throw Error("nnls: rows of unequal length");
    for (Eigen::Index j = 0; j < n; ++j) A(i, j) = r[static_cast<std::size_t>(j)];
    rhs(i) = b[static_cast<std::size_t>(i)];
  }
  Eigen::VectorXd scale(n);
  for (Eigen::Index j = 0; j < n; ++j) {
    scale(j) = A.col(j).norm();
    if (scale(j) > 0) A.col(j) /= scale(j);
  }
  Eigen::VectorXd x = lawson_hanson(A, rhs);
  std::vector<double> out(static_cast<std::size_t>(n), 0.0);
  for (Eigen::Index j = 0; j < n; ++j)
    out[static_cast<std::size_t>(j)] = scale(j) > 0 ? x(j) / scale(j) : 0.0;
  return out;
}

std::vector<double> fit_relative_nnls(const std::vector<std::vector<double>>& features,
                                      const std::vector<double>& measured) {
  if (features.size() != measured.size() || features.empty())
    throw Error("calibration: one measurement per feature row is needed");
  const std::size_t m = features[0].size();
  std::vector<std::size_t> used;
  for (std::size_t j = 0; j < m; ++j) {
    bool any = false;
    for (const auto& r : features) any |= r.at(j) != 0;
    if (any) used.push_back(j);
  }
  if (features.size() < used.size())
    throw Error("calibration: " + std::to_string(features.size()) + " measurements for " +
                std::to_string(used.size()) + " coefficients; measure at least " +
                std::to_string(used.size()));
  std::vector<std::vector<double>> rows;
  std::vector<double> ones(features.size(), 1.0);
  for (std::size_t i = 0; i < features.size(); ++i) {
    if (!(measured[i] > 0)) throw Error("calibration: measurements must be positive");
    std::vector<double> r;
    for (std::size_t j : used) r.push_back(features[i][j] / measured[i]);
    rows.push_back(std::move(r));
  }
  const auto x = nnls(rows, ones);
  std::vector<double> out(m, 0.0);
  for (std::size_t k = 0; k < used.size(); ++k) out[used[k]] = x[k];
  return out;
}

}  // namespace coex
