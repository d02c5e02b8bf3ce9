#include "coex/options.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "coex/error.hpp"

namespace coex {

namespace {

using Type = OptionSpec::Type;
using json = nlohmann::json;

std::string describe_json_type(const json& v) {
  if (v.is_boolean()) return "a boolean";
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "a table";
  return "nothing";
}

std::string fmt_num(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

std::optional<std::string> check_number(const OptionSpec& s, const json& v, bool integer) {
  if (integer && !v.is_number_integer()) return "expected an integer, got " + describe_json_type(v);
  if (!integer && !v.is_number()) return "expected a number, got " + describe_json_type(v);
  const double x = v.get<double>();
  if (!std::isfinite(x)) return "expected a finite number";
  if (s.min && x < *s.min) return fmt_num(x) + " is below the minimum " + fmt_num(*s.min);
  if (s.max && x > *s.max) return fmt_num(x) + " is above the maximum " + fmt_num(*s.max);
  return std::nullopt;
}

std::optional<std::string> check_string(const OptionSpec& s, const json& v) {
  if (!v.is_string()) return "expected a string, got " + describe_json_type(v);
  if (!s.choices.empty() &&
      std::find(s.choices.begin(), s.choices.end(), v.get<std::string>()) == s.choices.end()) {
    std::string msg = "'" + v.get<std::string>() + "' is not one of:";
    for (const auto& c : s.choices) msg += " " + c;
    if (auto m = did_you_mean(v.get<std::string>(), s.choices))
      msg += " (did you mean '" + *m + "'?)";
    return msg;
  }
  return std::nullopt;
}

}  // namespace

const char* OptionSpec::type_name(Type t) {
  switch (t) {
    case Type::kBool:
      return "bool";
    case Type::kInt:
      return "int";
    case Type::kReal:
      return "real";
    case Type::kString:
      return "string";
    case Type::kIntList:
      return "int list";
    case Type::kRealList:
      return "real list";
    case Type::kStringList:
      return "string list";
    case Type::kTableList:
      return "table list";
    case Type::kTable:
      return "table";
  }
  return "?";
}

std::optional<std::string> check_option_value(const OptionSpec& s, const json& v) {
  switch (s.type) {
    case Type::kBool:
      if (!v.is_boolean()) return "expected a boolean (true/false), got " + describe_json_type(v);
      return std::nullopt;
    case Type::kInt:
      return check_number(s, v, true);
    case Type::kReal:
      return check_number(s, v, false);
    case Type::kString:
      return check_string(s, v);
    case Type::kTable:
      if (!v.is_object()) return "expected a table, got " + describe_json_type(v);
      return std::nullopt;
    case Type::kIntList:
    case Type::kRealList:
    case Type::kStringList:
    case Type::kTableList: {
      if (!v.is_array()) return "expected an array, got " + describe_json_type(v);
      for (std::size_t i = 0; i < v.size(); ++i) {
        std::optional<std::string> e;
        if (s.type == Type::kIntList) e = check_number(s, v[i], true);
        if (s.type == Type::kRealList) e = check_number(s, v[i], false);
        if (s.type == Type::kStringList) e = check_string(s, v[i]);
        if (s.type == Type::kTableList && !v[i].is_object())
          e = "expected a table, got " + describe_json_type(v[i]);
        if (e) return "element " + std::to_string(i) + ": " + *e;
      }
      return std::nullopt;
    }
  }
  return "unknown option type";
}

std::optional<std::string> did_you_mean(const std::string& name,
                                        const std::vector<std::string>& candidates) {
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j)
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
      std::swap(prev, cur);
    }
    return prev[b.size()];
  };
  std::optional<std::string> best;
  std::size_t best_d = 0;
  for (const auto& c : candidates) {
    const std::size_t d = distance(name, c);
    if (!best || d < best_d) {
      best = c;
      best_d = d;
    }
  }
  if (best && best_d <= std::max<std::size_t>(2, name.size() / 3)) return best;
  return std::nullopt;
}

OptionSchema& OptionSchema::add(OptionSpec spec) {
  if (find(spec.name)) throw Error("option schema: '" + spec.name + "' declared twice");
  if (!spec.default_value.is_null())
    if (auto e = check_option_value(spec, spec.default_value))
      throw Error("option schema: default of '" + spec.name + "' is invalid: " + *e);
  specs_.push_back(std::move(spec));
  return *this;
}

OptionSchema& OptionSchema::add_bool(std::string name, bool def, std::string doc) {
  return add({std::move(name), Type::kBool, def, {}, {}, {}, "", std::move(doc)});
}
OptionSchema& OptionSchema::add_int(std::string name, std::int64_t def, std::string doc,
                                    std::optional<double> min, std::optional<double> max,
                                    std::string unit) {
  return add({std::move(name), Type::kInt, def, min, max, {}, std::move(unit), std::move(doc)});
}
OptionSchema& OptionSchema::add_real(std::string name, double def, std::string doc,
                                     std::optional<double> min, std::optional<double> max,
                                     std::string unit) {
  return add({std::move(name), Type::kReal, def, min, max, {}, std::move(unit), std::move(doc)});
}
OptionSchema& OptionSchema::add_string(std::string name, std::string def, std::string doc,
                                       std::vector<std::string> choices) {
  return add({std::move(name), Type::kString, def, {}, {}, std::move(choices), "", std::move(doc)});
}
OptionSchema& OptionSchema::add_int_list(std::string name, std::vector<std::int64_t> def,
                                         std::string doc, std::optional<double> min,
                                         std::optional<double> max, std::string unit) {
  return add({std::move(name), Type::kIntList, def, min, max, {}, std::move(unit), std::move(doc)});
}
OptionSchema& OptionSchema::add_real_list(std::string name, std::vector<double> def,
                                          std::string doc, std::optional<double> min,
                                          std::optional<double> max, std::string unit) {
  return add(
      {std::move(name), Type::kRealList, def, min, max, {}, std::move(unit), std::move(doc)});
}
OptionSchema& OptionSchema::add_string_list(std::string name, std::vector<std::string> def,
                                            std::string doc, std::vector<std::string> choices) {
  return add(
      {std::move(name), Type::kStringList, def, {}, {}, std::move(choices), "", std::move(doc)});
}
OptionSchema& OptionSchema::add_table(std::string name, std::string doc) {
  return add({std::move(name), Type::kTable, json::object(), {}, {}, {}, "", std::move(doc)});
}
OptionSchema& OptionSchema::add_table_list(std::string name, std::string doc,
                                           std::vector<OptionSpec> fields) {
  OptionSpec s{std::move(name), Type::kTableList, json::array(), {}, {}, {}, "", std::move(doc)};
  s.fields = std::move(fields);
  return add(std::move(s));
}
OptionSchema& OptionSchema::add_required(std::string name, OptionSpec::Type type, std::string doc,
                                         std::optional<double> min, std::optional<double> max,
                                         std::string unit) {
  return add({std::move(name), type, nullptr, min, max, {}, std::move(unit), std::move(doc)});
}
OptionSchema& OptionSchema::add_optional_real(std::string name, std::string doc,
                                              std::optional<double> min, std::optional<double> max,
                                              std::string unit) {
  OptionSpec s{std::move(name), Type::kReal,   nullptr, min, max, {},
               std::move(unit), std::move(doc)};
  s.optional = true;
  return add(std::move(s));
}

json validate_fields(const std::vector<OptionSpec>& fields, const json& entry,
                     const std::string& what,
                     const std::function<std::string(const std::string&)>& where,
                     const std::string& fix) {
  if (!entry.is_object())
    throw ConfigError(where("") + ": " + what + " must be a table, got " +
                      describe_json_type(entry) + "." + fix);
  std::vector<std::string> names;
  for (const auto& f : fields) names.push_back(f.name);
  json out = json::object();
  for (auto it = entry.begin(); it != entry.end(); ++it) {
    const OptionSpec* f = nullptr;
    for (const auto& c : fields)
      if (c.name == it.key()) f = &c;
    if (!f) {
      std::string msg = where(it.key()) + ": unknown field '" + it.key() + "' in " + what + ".";
      if (auto m = did_you_mean(it.key(), names)) msg += " Did you mean '" + *m + "'?";
      throw ConfigError(msg + fix);
    }
    if (auto err = check_option_value(*f, it.value()))
      throw ConfigError(where(it.key()) + ": field '" + it.key() + "' of " + what + ": " + *err +
                        (f->unit.empty() ? "" : " (unit: " + f->unit + ")") + "." + fix);
    out[it.key()] = it.value();
  }
  for (const auto& f : fields) {
    if (out.contains(f.name)) continue;
    if (f.required())
      throw ConfigError(where("") + ": " + what + " needs field '" + f.name + "' (" + f.doc + ")." +
                        fix);
    if (!f.default_value.is_null()) out[f.name] = f.default_value;
  }
  return out;
}

const OptionSpec* OptionSchema::find(const std::string& name) const {
  for (const auto& s : specs_)
    if (s.name == name) return &s;
  return nullptr;
}

json OptionSchema::to_json() const {
  json a = json::array();
  for (const auto& s : specs_) {
    json j{{"name", s.name}, {"type", OptionSpec::type_name(s.type)}, {"doc", s.doc}};
    j["default"] = s.default_value;
    if (s.min) j["min"] = *s.min;
    if (s.max) j["max"] = *s.max;
    if (!s.choices.empty()) j["choices"] = s.choices;
    if (!s.unit.empty()) j["unit"] = s.unit;
    if (s.optional) j["optional"] = true;
    if (!s.fields.empty()) {
      OptionSchema f;
      f.specs_ = s.fields;
      j["fields"] = f.to_json();
    }
    a.push_back(j);
  }
  return a;
}

OptionSchema OptionSchema::from_json(const json& j) {
  if (!j.is_array()) throw Error("option schema JSON is not an array");
  OptionSchema schema;
  for (const auto& e : j) {
    OptionSpec s;
    s.name = e.at("name").get<std::string>();
    const auto t = e.at("type").get<std::string>();
    bool found = false;
    for (Type k : {Type::kBool, Type::kInt, Type::kReal, Type::kString, Type::kIntList,
                   Type::kRealList, Type::kStringList, Type::kTableList, Type::kTable})
      if (t == OptionSpec::type_name(k)) {
        s.type = k;
        found = true;
      }
    if (!found) throw Error("option schema: unknown type '" + t + "' for '" + s.name + "'");
    s.default_value = e.value("default", json());
    if (e.contains("min")) s.min = e["min"].get<double>();
    if (e.contains("max")) s.max = e["max"].get<double>();
    if (e.contains("choices")) s.choices = e["choices"].get<std::vector<std::string>>();
    s.unit = e.value("unit", "");
    s.doc = e.value("doc", "");
    s.optional = e.value("optional", false);
    if (e.contains("fields")) s.fields = from_json(e["fields"]).specs_;
    schema.specs_.push_back(std::move(s));
  }
  return schema;
}

const json& Options::at(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end())
    throw ConfigError("plugin asked for option '" + name + "', which its schema does not declare");
  return *it;
}

bool Options::get_bool(const std::string& name) const { return at(name).get<bool>(); }
std::int64_t Options::get_int(const std::string& name) const {
  return at(name).get<std::int64_t>();
}
double Options::get_real(const std::string& name) const { return at(name).get<double>(); }
std::string Options::get_string(const std::string& name) const {
  return at(name).get<std::string>();
}
std::vector<std::int64_t> Options::get_int_list(const std::string& name) const {
  return at(name).get<std::vector<std::int64_t>>();
}
std::vector<double> Options::get_real_list(const std::string& name) const {
  return at(name).get<std::vector<double>>();
}
std::vector<std::string> Options::get_string_list(const std::string& name) const {
  return at(name).get<std::vector<std::string>>();
}
const json& Options::get_json(const std::string& name) const { return at(name); }

}  // namespace coex
