// Benchmark: coex's SHGO on the test problems listed in plugins/controllers/shgo/README.md
// (Endres et al. 2018 and SciPy's shgo tests), one line per problem (same format as
// bench/shgo_scipy.py). Run through bench/shgo_vs_scipy.sh.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>

#include "shgo.hpp"

using coex::shgo::Options;
using coex::shgo::Sampling;
using coex::shgo::Vector;

namespace {

double rosenbrock(const Vector& x) {
  double s = 0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i)
    s += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(1 - x[i], 2);
  return s;
}

double ackley_shifted(const Vector& x) {
  const double d = static_cast<double>(x.size());
  double sq = 0, cs = 0;
  for (double xi : x) {
    const double y = xi - 1.234;
    sq += y * y;
    cs += std::cos(2 * std::numbers::pi * y);
  }
  return -20 * std::exp(-0.2 * std::sqrt(sq / d)) - std::exp(cs / d) + 20 + std::numbers::e;
}

void run(const std::string& name, double (*f)(const Vector&), std::size_t d, Options o) {
  coex::shgo::Result r;
  // Repeat fast problems so the time is measurable; report the time of one call.
  int reps = 0;
  const auto t0 = std::chrono::steady_clock::now();
  double el = 0;
  do {
    r = coex::shgo::minimize(f, Vector(d, -5), Vector(d, 5), {}, o);
    ++reps;
    el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (el < 0.5 && reps < 10000);
  std::printf("%-28s f=%-12.4g nfev=%-6zu seconds=%.6g\n", name.c_str(), r.fun, r.nfev, el / reps);
}

}  // namespace

int main() {
  Options def;  // scipy defaults: simplicial, iters = 1, SLSQP
  Options three = def;
  three.iters = 3;
  Options sobol = def;
  sobol.sampling = Sampling::kSobol;
  sobol.n = 100;  // scipy: n = 100 rounded up to 128
  run("rosenbrock_2d", rosenbrock, 2, def);
  run("ackley_shifted_2d", ackley_shifted, 2, def);
  run("ackley_shifted_2d_iters3", ackley_shifted, 2, three);
  run("ackley_shifted_2d_sobol", ackley_shifted, 2, sobol);
  run("ackley_shifted_5d", ackley_shifted, 5, def);
  run("ackley_shifted_10d", ackley_shifted, 10, def);
  return 0;
}
