#include "coex/space.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "coex/error.hpp"

namespace coex {

Dimension Dimension::categorical(std::string name, std::vector<std::string> choices) {
  if (choices.empty()) throw Error("dimension '" + name + "': a categorical needs >= 1 choice");
  Dimension d;
  d.name = std::move(name);
  d.kind = Kind::kCategorical;
  d.lo = 0;
  d.hi = static_cast<double>(choices.size() - 1);
  d.choices = std::move(choices);
  return d;
}

Dimension Dimension::categorical_of(std::string name, const std::vector<std::int64_t>& values) {
  std::vector<std::string> labels;
  labels.reserve(values.size());
  for (auto v : values) labels.push_back(std::to_string(v));
  return categorical(std::move(name), std::move(labels));
}

Dimension Dimension::integer(std::string name, std::int64_t lo, std::int64_t hi) {
  if (hi < lo) throw Error("dimension '" + name + "': hi < lo");
  Dimension d;
  d.name = std::move(name);
  d.kind = Kind::kInteger;
  d.lo = static_cast<double>(lo);
  d.hi = static_cast<double>(hi);
  return d;
}

Dimension Dimension::real(std::string name, double lo, double hi, bool log_scale) {
  if (!(hi >= lo)) throw Error("dimension '" + name + "': hi < lo");
  if (log_scale && lo <= 0) throw Error("dimension '" + name + "': log scale needs lo > 0");
  Dimension d;
  d.name = std::move(name);
  d.kind = Kind::kReal;
  d.lo = lo;
  d.hi = hi;
  d.log_scale = log_scale;
  return d;
}

std::uint64_t Dimension::cardinality() const {
  if (kind == Kind::kReal) return 0;
  return static_cast<std::uint64_t>(hi - lo) + 1;
}

bool Dimension::contains(Coordinate v) const {
  if (!std::isfinite(v) || v < lo || v > hi) return false;
  if (kind != Kind::kReal && v != std::floor(v)) return false;
  return true;
}

Coordinate Dimension::other_value(Coordinate v, std::mt19937_64& rng) const {
  const std::uint64_t n = cardinality();
  if (kind == Kind::kReal || n < 2) return v;
  const auto other = static_cast<double>(rng() % (n - 1));  // skip v's own slot
  return lo + (other >= v - lo ? other + 1 : other);
}

std::string Dimension::label(Coordinate v) const {
  if (kind == Kind::kCategorical) {
    auto i = static_cast<std::size_t>(v);
    return i < choices.size() ? choices[i] : "?";
  }
  if (kind == Kind::kInteger) return std::to_string(static_cast<std::int64_t>(v));
  std::ostringstream os;
  os.precision(6);
  os << v;
  return os.str();
}

Space::Space(std::vector<Dimension> dims) : dims_(std::move(dims)) {
  for (std::size_t i = 0; i < dims_.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (dims_[i].name == dims_[j].name)
        throw Error("space: dimension name '" + dims_[i].name + "' appears twice");
}

std::size_t Space::index_of(const std::string& name) const {
  for (std::size_t i = 0; i < dims_.size(); ++i)
    if (dims_[i].name == name) return i;
  throw Error("space: no dimension named '" + name + "'");
}

std::uint64_t Space::cardinality() const {
  std::uint64_t n = 1;
  for (const auto& d : dims_) {
    const std::uint64_t c = d.cardinality();
    if (c == 0) return 0;
    if (n > std::numeric_limits<std::uint64_t>::max() / c)
      return std::numeric_limits<std::uint64_t>::max();
    n *= c;
  }
  return n;
}

void Space::check(const Point& p) const {
  if (p.size() != dims_.size())
    throw Error("point has " + std::to_string(p.size()) + " coordinates, the space has " +
                std::to_string(dims_.size()) + " dimensions");
  for (std::size_t i = 0; i < p.size(); ++i)
    if (!dims_[i].contains(p[i])) {
      std::ostringstream os;
      os << "coordinate " << i << " ('" << dims_[i].name << "') = " << p[i] << " is outside ["
         << dims_[i].lo << ", " << dims_[i].hi << "]";
      throw Error(os.str());
    }
}

Point Space::sample(std::mt19937_64& rng) const {
  Point p(dims_.size());
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    const auto& d = dims_[i];
    if (d.kind == Dimension::Kind::kReal) {
      std::uniform_real_distribution<double> u(0.0, 1.0);
      const double t = u(rng);
      p[i] = d.log_scale ? std::exp(std::log(d.lo) + t * (std::log(d.hi) - std::log(d.lo)))
                         : d.lo + t * (d.hi - d.lo);
      p[i] = std::clamp(p[i], d.lo, d.hi);
    } else {
      std::uniform_int_distribution<std::int64_t> u(static_cast<std::int64_t>(d.lo),
                                                    static_cast<std::int64_t>(d.hi));
      p[i] = static_cast<double>(u(rng));
    }
  }
  return p;
}

Point Space::at(std::uint64_t index) const {
  const std::uint64_t n = cardinality();
  if (n == 0 || index >= n) throw Error("space: index out of range or space is not finite");
  Point p(dims_.size());
  for (std::size_t k = dims_.size(); k-- > 0;) {
    const std::uint64_t c = dims_[k].cardinality();
    p[k] = dims_[k].lo + static_cast<double>(index % c);
    index /= c;
  }
  return p;
}

Space Space::concat(const Space& a, const Space& b) {
  std::vector<Dimension> d = a.dims_;
  d.insert(d.end(), b.dims_.begin(), b.dims_.end());
  return Space(std::move(d));
}

Point Space::from_unit(const std::vector<double>& unit) const {
  if (unit.size() != dims_.size()) throw Error("from_unit: wrong number of coordinates");
  Point p(dims_.size());
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    const auto& d = dims_[i];
    const double t = std::clamp(unit[i], 0.0, 1.0);
    if (d.kind == Dimension::Kind::kReal) {
      p[i] = d.log_scale ? std::exp(std::log(d.lo) + t * (std::log(d.hi) - std::log(d.lo)))
                         : d.lo + t * (d.hi - d.lo);
      p[i] = std::clamp(p[i], d.lo, d.hi);
    } else {
      // Cell rule: [0,1] is cut into `cardinality` equal cells; t falls in one of them.
      const double c = static_cast<double>(d.cardinality());
      p[i] = d.lo + std::min(std::floor(t * c), c - 1);
    }
  }
  return p;
}

std::vector<double> Space::to_unit(const Point& p) const {
  check(p);
  std::vector<double> u(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    const auto& d = dims_[i];
    if (d.kind == Dimension::Kind::kReal) {
      if (d.hi == d.lo) {
        u[i] = 0.5;
      } else if (d.log_scale) {
        u[i] = (std::log(p[i]) - std::log(d.lo)) / (std::log(d.hi) - std::log(d.lo));
      } else {
        u[i] = (p[i] - d.lo) / (d.hi - d.lo);
      }
    } else {
      u[i] = (p[i] - d.lo + 0.5) / static_cast<double>(d.cardinality());
    }
  }
  return u;
}

std::string Space::describe(const Point& p) const {
  std::string s;
  for (std::size_t i = 0; i < p.size() && i < dims_.size(); ++i) {
    if (i) s += ", ";
    s += dims_[i].name + "=" + dims_[i].label(p[i]);
  }
  return s;
}

Point Space::parse(const std::string& description) const {
  auto fail = [&](const std::string& why) -> UserError {
    std::string form;
    for (std::size_t i = 0; i < dims_.size(); ++i) form += (i ? ", " : "") + dims_[i].name + "=...";
    return UserError("cannot read '" + description + "' as a point: " + why +
                     ". Expected: " + (form.empty() ? "an empty description" : form));
  };
  Point p;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    const Dimension& d = dims_[i];
    const std::string head = (i ? ", " : "") + d.name + "=";
    if (description.compare(pos, head.size(), head) != 0)
      throw fail("'" + d.name + "=' expected at character " + std::to_string(pos + 1));
    pos += head.size();
    // The label runs to the next dimension's ", name=", or to the end for the last one.
    std::size_t end = description.size();
    if (i + 1 < dims_.size()) {
      end = description.find(", " + dims_[i + 1].name + "=", pos);
      if (end == std::string::npos) throw fail("no '" + dims_[i + 1].name + "=' after " + d.name);
    }
    const std::string label = description.substr(pos, end - pos);
    pos = end;
    Coordinate v = 0;
    if (d.kind == Dimension::Kind::kCategorical) {
      const auto it = std::find(d.choices.begin(), d.choices.end(), label);
      if (it == d.choices.end())
        throw fail(d.name + " = '" + label + "' is not one of its choices");
      v = static_cast<Coordinate>(it - d.choices.begin());
    } else {
      char* stop = nullptr;
      v = std::strtod(label.c_str(), &stop);
      if (label.empty() || stop != label.c_str() + label.size())
        throw fail(d.name + " = '" + label + "' is not a number");
      if (d.kind == Dimension::Kind::kReal) v = std::clamp(v, d.lo, d.hi);  // 6-digit labels
      if (!d.contains(v))
        throw fail(d.name + " = " + label + " is outside its range [" + d.label(d.lo) + ", " +
                   d.label(d.hi) + "]");
    }
    p.push_back(v);
  }
  if (pos != description.size()) throw fail("unexpected text after the last dimension");
  return p;
}

std::string Space::key(const Point& p) { return nlohmann::json(p).dump(); }

nlohmann::json Space::to_json() const {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& d : dims_) {
    nlohmann::json j{{"name", d.name}};
    switch (d.kind) {
      case Dimension::Kind::kCategorical:
        j["kind"] = "categorical";
        j["choices"] = d.choices;
        break;
      case Dimension::Kind::kInteger:
        j["kind"] = "integer";
        j["lo"] = d.lo;
        j["hi"] = d.hi;
        break;
      case Dimension::Kind::kReal:
        j["kind"] = "real";
        j["lo"] = d.lo;
        j["hi"] = d.hi;
        j["log_scale"] = d.log_scale;
        break;
    }
    a.push_back(j);
  }
  return a;
}

}  // namespace coex
