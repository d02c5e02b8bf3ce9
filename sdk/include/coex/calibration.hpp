// Calibration: how a hardware target's latency model learns from measured latencies.
//
// A target declares the fittable coefficients of its model (HardwareTarget::coefficients(): name,
// unit, bounds and a prior) and predicts a network's latency from the network, a design and
// coefficient values (HardwareTarget::latency_model()). fit_coefficients() below fits them to
// measurements: robust least squares on the log of predicted / measured (a relative error that
// weighs a 0.1 ms and a 100 ms network alike), regularised toward the declared values, so that
// ten measurements give a usable fit and more measurements move it further. `coex calibrate`
// reads the measurements, runs this fit and writes a profile; a config applies the profile with
// `hardware.options.profile` and the core hands the fitted values to the target
// (HardwareTarget::set_coefficients()). A third-party target gets all of that by declaring its
// coefficients.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "coex/space.hpp"
#include "coex/visibility.hpp"

namespace coex {

/// One fittable coefficient of a latency model.
struct COEX_API Coefficient {
  /// Identifier, unique within the target: lower case, digits and '_' ("conv_ms_per_gflop").
  std::string name;
  /// Unit of the value ("ms/GFLOP", "us", "" for a share).
  std::string unit;
  /// One line: what the coefficient is.
  std::string doc;
  /// The value used without a profile, and the centre of the fit's prior.
  double value = 0;
  /// Bounds of the fitted value (inclusive). With `relative`, lower must be > 0.
  double lower = 0;
  double upper = std::numeric_limits<double>::infinity();
  /// Width of the prior: with `relative`, the standard deviation of ln(fitted / value) (1 = a
  /// factor e is one standard deviation; value must be > 0); else the standard deviation of
  /// (fitted - value) in `unit`. Must be > 0. A wide prior lets the data move the coefficient
  /// freely; a narrow one keeps it near `value` unless many measurements disagree.
  double spread = 1;
  bool relative = true;
};

/// A network's predicted latency in milliseconds as a function of coefficient values (in the
/// order of HardwareTarget::coefficients()). Built by HardwareTarget::latency_model(), which
/// computes once what does not depend on the coefficients; calling it must be cheap, must not
/// throw for values within the declared bounds, and must be safe from several threads at once.
using LatencyModel = std::function<double(const std::vector<double>& coefficients)>;

/// How fit_coefficients() weighs the data against the prior.
struct COEX_API FitSettings {
  /// Expected relative error of one measurement against a perfect model (noise and what the
  /// model cannot capture): the residual ln(predicted / measured) is divided by it. 0.1 = 10 %.
  double noise = 0.1;
  /// Huber threshold in units of `noise`: residuals beyond it weigh linearly, not
  /// quadratically, so a few outliers do not drag the fit.
  double huber = 2.0;
  /// Levenberg-Marquardt iterations at most.
  int max_iterations = 200;
};

/// What fit_coefficients() found.
struct COEX_API CoefficientFit {
  std::vector<double> values;  ///< fitted coefficients, in declaration order, within bounds
  /// Per coefficient: how far the data moved it, in prior standard deviations.
  std::vector<double> shift;
  double rms_log_error = 0;  ///< sqrt(mean ln(pred/measured)^2) over the fitted rows
  int iterations = 0;
  bool converged = false;
};

/// Fits `coefficients` so that models[i](values) approximates measured_ms[i]: minimises
///   sum_i huber(ln(models[i](v) / measured_ms[i]) / noise) + sum_j z_j(v)^2
/// where z_j is coefficient j's distance from its declared value in prior standard deviations,
/// subject to the bounds. Levenberg-Marquardt on z with a forward-difference Jacobian, iteratively
/// reweighted for the Huber loss. With no rows it returns the declared values. Pure function;
/// calls the models from the calling thread only.
/// Throws coex::Error if the sizes differ, a measurement is not positive, or a coefficient is
/// malformed (empty or duplicate name, value outside its bounds, spread <= 0, relative with a
/// non-positive value or lower bound).
COEX_API CoefficientFit fit_coefficients(const std::vector<Coefficient>& coefficients,
                                         const std::vector<LatencyModel>& models,
                                         const std::vector<double>& measured_ms,
                                         const FitSettings& settings = {});

/// Checks a coefficient list as fit_coefficients() does. Throws coex::Error naming the
/// coefficient and what is wrong.
COEX_API void check_coefficients(const std::vector<Coefficient>& coefficients);

/// The design measurements are taken at (`coex calibrate`, the conformance kit): each dimension of
/// `design_space` at its first value (the first choice of a categorical, the lower bound of an
/// integer or real). A calibration config narrows the design space to the measured deployment.
COEX_API Point first_design(const Space& design_space);

/// The declared values of `coefficients`, in order.
COEX_API std::vector<double> default_values(const std::vector<Coefficient>& coefficients);

}  // namespace coex
