#include "coex/metrics.hpp"

#include <cmath>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "coex/error.hpp"

namespace coex {

void Metrics::set(const std::string& name, double value) {
  for (auto& [n, v] : items_)
    if (n == name) {
      v = value;
      return;
    }
  items_.emplace_back(name, value);
}

bool Metrics::has(const std::string& name) const { return find(name).has_value(); }

std::optional<double> Metrics::find(const std::string& name) const {
  for (const auto& [n, v] : items_)
    if (n == name) return v;
  return std::nullopt;
}

double Metrics::get(const std::string& name) const {
  if (auto v = find(name)) return *v;
  throw Error("metric '" + name + "' is not reported");
}

nlohmann::json Metrics::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [n, v] : items_)
    j[n] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  return j;
}

Metrics Metrics::from_json(const nlohmann::json& j) {
  Metrics m;
  for (auto it = j.begin(); it != j.end(); ++it)
    m.set(it.key(), it.value().is_null() ? std::nan("") : it.value().get<double>());
  return m;
}

bool Spec::holds(double value) const {
  return op == Op::kLessEqual ? value <= bound : value >= bound;
}

double Spec::violation(double value) const {
  if (!std::isfinite(value)) return 1.0;
  const double scale = std::max(std::abs(bound), 1e-12);
  const double d = op == Op::kLessEqual ? value - bound : bound - value;
  return d > 0 ? d / scale : 0.0;
}

std::string Spec::to_string() const {
  std::ostringstream os;
  os << metric << (op == Op::kLessEqual ? " <= " : " >= ") << bound;
  return os.str();
}

Spec Spec::parse(const std::string& text) {
  static const std::regex re(R"(^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=)\s*([-+0-9.eE]+)\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, re))
    throw ConfigError("spec '" + text +
                      "' is not of the form 'metric <= number' or 'metric >= number'");
  Spec s;
  s.metric = m[1];
  s.op = m[2] == "<=" ? Op::kLessEqual : Op::kGreaterEqual;
  try {
    s.bound = std::stod(m[3]);
  } catch (const std::exception&) {
    throw ConfigError("spec '" + text + "': '" + std::string(m[3]) + "' is not a number");
  }
  return s;
}

std::optional<std::string> Specs::violation(const Metrics& m) const {
  for (const auto& s : specs_) {
    auto v = m.find(s.metric);
    if (!v) continue;
    if (!s.holds(*v)) {
      std::ostringstream os;
      os << s.metric << " = " << *v << " violates " << s.to_string();
      return os.str();
    }
  }
  return std::nullopt;
}

double Specs::total_violation(const Metrics& m) const {
  double t = 0;
  for (const auto& s : specs_)
    if (auto v = m.find(s.metric)) t += s.violation(*v);
  return t;
}

std::optional<double> Specs::bound(const std::string& metric, Spec::Op op) const {
  for (const auto& s : specs_)
    if (s.metric == metric && s.op == op) return s.bound;
  return std::nullopt;
}

}  // namespace coex
