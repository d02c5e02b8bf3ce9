#include "coex/plugin.hpp"

#include <cmath>
#include <limits>
#include <random>

#include "coex/error.hpp"
#include "coex/log.hpp"

namespace coex {

Plugin::~Plugin() = default;

const char* kind_name(PluginKind k) {
  switch (k) {
    case PluginKind::kSearchSpace:
      return "search_space";
    case PluginKind::kHardwareTarget:
      return "hardware_target";
    case PluginKind::kController:
      return "controller";
    case PluginKind::kAccuracyEstimator:
      return "estimator";
  }
  return "?";
}

std::optional<PluginKind> kind_from_name(const std::string& s) {
  for (PluginKind k : {PluginKind::kSearchSpace, PluginKind::kHardwareTarget,
                       PluginKind::kController, PluginKind::kAccuracyEstimator})
    if (s == kind_name(k)) return k;
  return std::nullopt;
}

const char* status_name(CandidateStatus s) {
  switch (s) {
    case CandidateStatus::kInvalid:
      return "invalid";
    case CandidateStatus::kPruned:
      return "pruned";
    case CandidateStatus::kEvaluated:
      return "evaluated";
    case CandidateStatus::kFailed:
      return "failed";
  }
  return "?";
}

HardwareResult HardwareTarget::tune(const Network& net, const Specs& specs) const {
  return best_design(specs, [&](const Point& design) { return evaluate(net, design); });
}

LatencyModel HardwareTarget::latency_model(const Network&, const Point&) const {
  throw Error("this hardware target declares no calibration coefficients");
}

void HardwareTarget::set_coefficients(const std::vector<double>&) {
  throw Error("this hardware target declares no calibration coefficients");
}

Breakdown HardwareTarget::breakdown(const Network&, const HardwareResult&) const { return {}; }

HardwareResult HardwareTarget::best_design(
    const Specs& specs, const std::function<HardwareResult(const Point&)>& result_of) const {
  const Space& space = design_space();
  if (space.empty()) return result_of({});
  const std::string objective = tune_objective();
  Direction dir = Direction::kMinimize;
  for (const auto& m : metrics())
    if (m.name == objective) dir = m.direction;

  // Rank: meets specs (and feasible) > feasible > infeasible; then objective, then violation.
  auto rank = [&](const HardwareResult& r) {
    const double v = r.feasible ? specs.total_violation(r.metrics) : 0.0;
    const int tier = !r.feasible ? 2 : (v > 0 ? 1 : 0);
    double obj = std::numeric_limits<double>::infinity();
    if (auto x = r.metrics.find(objective); x && std::isfinite(*x))
      obj = dir == Direction::kMinimize ? *x : -*x;
    return std::tuple<int, double, double>(tier, tier == 1 ? v : 0.0, obj);
  };
  std::optional<HardwareResult> best;
  auto consider = [&](const Point& p) {
    HardwareResult r = result_of(p);
    if (!best || rank(r) < rank(*best)) best = std::move(r);
  };
  const std::uint64_t n = space.cardinality();
  if (n != 0 && n <= 4096) {
    for (std::uint64_t i = 0; i < n; ++i) consider(space.at(i));
  } else {
    std::mt19937_64 rng(0x7475'6e65ULL);  // fixed: tune is a function of (net, specs)
    for (int i = 0; i < 512; ++i) consider(space.sample(rng));
  }
  return *best;
}

namespace {
std::shared_ptr<spdlog::logger>& logger_slot() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto existing = spdlog::get("coex");
    if (existing) return existing;
    auto made = spdlog::default_logger()->clone("coex");
    return made;
  }();
  return l;
}
}  // namespace

std::shared_ptr<spdlog::logger> logger() { return logger_slot(); }
void set_logger(std::shared_ptr<spdlog::logger> l) {
  if (l) logger_slot() = std::move(l);
}

}  // namespace coex
