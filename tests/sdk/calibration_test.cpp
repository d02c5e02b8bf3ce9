// The calibration fit (coex/calibration.hpp): recovery of generating coefficients, the prior's
// pull with few measurements and its fading with many, robustness to outliers, bounds, and
// malformed coefficient lists; Kendall's tau (O(n log n)) against the pairwise definition.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "coex/calibration.hpp"
#include "coex/error.hpp"
#include "coex/stats.hpp"

using namespace coex;

namespace {

/// latency = a * x + b * y + c, with (x, y) per network.
struct Linear {
  std::vector<Coefficient> cs{{"a", "ms", "per x", 1.0, 1e-3, 1e3, 1.0, true},
                              {"b", "ms", "per y", 2.0, 1e-3, 1e3, 1.0, true},
                              {"c", "ms", "fixed", 0.0, 0.0, 1e3, 1.0, false}};
  std::vector<std::pair<double, double>> xy;
  std::vector<LatencyModel> models;

  explicit Linear(int n, std::uint64_t seed = 3) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.5, 10);
    for (int i = 0; i < n; ++i) {
      const double x = u(rng), y = u(rng);
      xy.emplace_back(x, y);
      models.push_back([x, y](const std::vector<double>& v) { return v[0] * x + v[1] * y + v[2]; });
    }
  }
  std::vector<double> measure(const std::vector<double>& truth) const {
    std::vector<double> out;
    for (const auto& m : models) out.push_back(m(truth));
    return out;
  }
};

}  // namespace

TEST(Calibration, RecoversTheCoefficientsThatGeneratedTheMeasurements) {
  Linear l(60);
  const std::vector<double> truth{1.7, 0.6, 0.4};
  const CoefficientFit f = fit_coefficients(l.cs, l.models, l.measure(truth), {0.01, 2.0, 400});
  ASSERT_EQ(f.values.size(), 3u);
  EXPECT_NEAR(f.values[0], 1.7, 0.01);
  EXPECT_NEAR(f.values[1], 0.6, 0.01);
  EXPECT_NEAR(f.values[2], 0.4, 0.03);
  EXPECT_LT(f.rms_log_error, 1e-3);
  EXPECT_GT(f.shift[0], 0);  // moved up from 1.0
  EXPECT_LT(f.shift[1], 0);  // moved down from 2.0
}

TEST(Calibration, ThePriorHoldsWithFewMeasurementsAndYieldsToMany) {
  // Measurements say a = 3 (three prior widths away); b and c agree with the defaults.
  const std::vector<double> truth{3.0, 2.0, 0.0};
  auto error_of_a = [&](int n) {
    Linear l(n);
    return std::abs(fit_coefficients(l.cs, l.models, l.measure(truth)).values[0] - 3.0);
  };
  Linear none(0);
  EXPECT_EQ(fit_coefficients(none.cs, none.models, {}).values, default_values(none.cs));
  const double e2 = error_of_a(2), e10 = error_of_a(10), e200 = error_of_a(200);
  EXPECT_LE(e10, e2 + 1e-9);
  EXPECT_LT(e200, e10);
  EXPECT_LT(e200, 0.01);
}

TEST(Calibration, OutliersDoNotDragTheFit) {
  Linear l(40);
  const std::vector<double> truth{1.5, 1.0, 0.0};
  std::vector<double> y = l.measure(truth);
  y[3] *= 10;  // a broken measurement
  y[17] *= 0.1;
  const CoefficientFit f = fit_coefficients(l.cs, l.models, y);
  std::size_t good = 0;
  for (std::size_t i = 0; i < y.size(); ++i)
    good += std::abs(l.models[i](f.values) / l.measure(truth)[i] - 1) < 0.03 ? 1 : 0;
  EXPECT_GE(good, y.size() - 2);
}

TEST(Calibration, FittedValuesStayWithinTheirBounds) {
  Linear l(30);
  l.cs[0].upper = 1.2;  // the data wants 5
  const CoefficientFit f = fit_coefficients(l.cs, l.models, l.measure({5.0, 2.0, 0.0}));
  EXPECT_LE(f.values[0], 1.2);
  EXPECT_GE(f.values[2], 0.0);
}

TEST(Calibration, MalformedCoefficientsAndMeasurementsAreRefused) {
  Linear l(5);
  auto refused = [&](std::vector<Coefficient> cs, const std::string& what) {
    try {
      fit_coefficients(cs, l.models, l.measure({1, 2, 0}));
      ADD_FAILURE() << "accepted: " << what;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  auto cs = l.cs;
  cs[1].name = "a";
  refused(cs, "declared twice");
  cs = l.cs;
  cs[0].value = 2000;
  refused(cs, "outside its bounds");
  cs = l.cs;
  cs[2].relative = true;
  refused(cs, "relative prior needs a lower bound > 0");
  cs = l.cs;
  cs[0].spread = 0;
  refused(cs, "spread must be > 0");
  cs = l.cs;
  cs[0].name = "Bad Name";
  refused(cs, "lower case");
  EXPECT_THROW(fit_coefficients(l.cs, l.models, {1, 2, 3, 4, -1}), Error);
  EXPECT_THROW(fit_coefficients(l.cs, l.models, {1, 2}), Error);
}

TEST(Calibration, FirstDesignTakesEveryDimensionsFirstValue) {
  const Space s({Dimension::categorical("device", {"a", "b"}), Dimension::integer("threads", 2, 8),
                 Dimension::real("clock", 0.5, 2.0)});
  EXPECT_EQ(first_design(s), (Point{0, 2, 0.5}));
  EXPECT_TRUE(first_design(Space{}).empty());
}

TEST(Stats, KendallTauMatchesThePairwiseDefinitionWithTies) {
  auto brute = [](const std::vector<double>& x, const std::vector<double>& y) {
    double nc = 0, nd = 0, tx = 0, ty = 0;
    const std::size_t n = x.size();
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j) {
        const double dx = x[i] - x[j], dy = y[i] - y[j];
        if (dx == 0) tx += 1;
        if (dy == 0) ty += 1;
        if (dx == 0 || dy == 0) continue;
        (dx * dy > 0 ? nc : nd) += 1;
      }
    const double n0 = n * (n - 1) / 2.0;
    return (nc - nd) / std::sqrt((n0 - tx) * (n0 - ty));
  };
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    std::uniform_int_distribution<int> v(0, 6 + trial);
    std::vector<double> x, y;
    for (int i = 0; i < 50 + 7 * trial; ++i) {
      x.push_back(v(rng));
      y.push_back(v(rng) + 0.3 * x.back());
    }
    EXPECT_NEAR(kendall_tau_b(x, y), brute(x, y), 1e-12) << "trial " << trial;
  }
}
