// The accuracy predictor of FLASH (Li et al., ACM TECS 2021): ordinary least squares on log
// NN-Degree (and optionally log FLOPs), the functional form chosen by leave-one-out error, rank
// correlations on held-out networks. Pure functions; the plugin (nn_degree.cpp) feeds them.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace coex::nn_degree {

/// One labelled network: its NN-Degree g, its MACs, its accuracy in [0,1].
struct Sample {
  double degree = 0;
  double macs = 0;
  double accuracy = 0;
  std::string description;
};

enum class Model {
  kLogDegree,          ///< A = t0 + t1 ln g
  kLogDegreeLogFlops,  ///< A = t0 + t1 ln g + t2 ln FLOPs
};
const char* model_name(Model m);
/// Throws coex::ConfigError for an unknown name.
Model model_from_name(const std::string& name);

/// Feature row of a sample under a model: (1, ln g[, ln macs]).
std::vector<double> features(Model m, double degree, double macs);

/// OLS coefficients by Householder QR (not the normal equations). Throws coex::Error when the
/// samples are fewer than the coefficients or the features are degenerate (rank-deficient).
std::vector<double> fit(Model m, const std::vector<Sample>& samples);
double predict(Model m, const std::vector<double>& theta, double degree, double macs);
/// Root mean squared leave-one-out error (each sample predicted by a fit on the others).
double loo_rmse(Model m, const std::vector<Sample>& samples);

}  // namespace coex::nn_degree
