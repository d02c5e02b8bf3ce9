// Option schema: every plugin declares its options (name, type, default, range or choices, unit,
// doc). The host validates a config table against the schema *before* the plugin is created, so
// a plugin receives only well-typed, in-range values with defaults filled in.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coex/error.hpp"
#include "coex/export.hpp"

namespace coex {

/// Declaration of one option.
struct COEX_API OptionSpec {
  enum class Type {
    kBool,
    kInt,
    kReal,
    kString,
    kIntList,
    kRealList,
    kStringList,
    /// An array of tables, passed through as JSON objects; the plugin validates their fields
    /// (and throws coex::ConfigError naming `option[index].field`).
    kTableList,
    /// One table (for example the options of another plugin), passed through as a JSON object.
    kTable,
  };

  std::string name;
  Type type = Type::kString;
  /// Default value (JSON of the option's type); null means "required".
  nlohmann::json default_value;
  /// Numeric bounds (inclusive) for kInt/kReal and the elements of the numeric lists.
  std::optional<double> min;
  std::optional<double> max;
  /// Allowed values for kString / kStringList (empty = any).
  std::vector<std::string> choices;
  /// Unit of numeric values ("ms", "MHz", "images"); empty if dimensionless.
  std::string unit;
  std::string doc;

  bool required() const { return default_value.is_null(); }
  static const char* type_name(Type t);
};

/// Builder for a plugin's schema. Usage:
///   OptionSchema s;
///   s.add_int("epochs", 1, "Training epochs", 1, 1000);
class COEX_API OptionSchema {
 public:
  OptionSchema& add(OptionSpec spec);
  OptionSchema& add_bool(std::string name, bool def, std::string doc);
  OptionSchema& add_int(std::string name, std::int64_t def, std::string doc,
                        std::optional<double> min = {}, std::optional<double> max = {},
                        std::string unit = "");
  OptionSchema& add_real(std::string name, double def, std::string doc,
                         std::optional<double> min = {}, std::optional<double> max = {},
                         std::string unit = "");
  OptionSchema& add_string(std::string name, std::string def, std::string doc,
                           std::vector<std::string> choices = {});
  OptionSchema& add_int_list(std::string name, std::vector<std::int64_t> def, std::string doc,
                             std::optional<double> min = {}, std::optional<double> max = {},
                             std::string unit = "");
  OptionSchema& add_real_list(std::string name, std::vector<double> def, std::string doc,
                              std::optional<double> min = {}, std::optional<double> max = {},
                              std::string unit = "");
  OptionSchema& add_string_list(std::string name, std::vector<std::string> def, std::string doc,
                                std::vector<std::string> choices = {});
  OptionSchema& add_table_list(std::string name, std::string doc);
  /// One table, default empty; the plugin validates its content.
  OptionSchema& add_table(std::string name, std::string doc);

  const std::vector<OptionSpec>& specs() const { return specs_; }
  const OptionSpec* find(const std::string& name) const;

  nlohmann::json to_json() const;
  static OptionSchema from_json(const nlohmann::json& j);

 private:
  std::vector<OptionSpec> specs_;
};

/// Result of checking one option value against its spec: empty when fine, else the reason
/// ("expected an integer, got a string", "42 is above the maximum 16").
COEX_API std::optional<std::string> check_option_value(const OptionSpec& spec,
                                                       const nlohmann::json& value);

/// The closest name in `candidates` to `name` by edit distance, if close enough to suggest.
COEX_API std::optional<std::string> did_you_mean(const std::string& name,
                                                 const std::vector<std::string>& candidates);

/// Validated option values handed to a plugin's constructor (defaults filled in).
/// Accessors throw coex::ConfigError if the name is not in the schema or has another type:
/// that is a bug in the plugin, reported with the option name.
class COEX_API Options {
 public:
  Options() = default;
  explicit Options(nlohmann::json values) : values_(std::move(values)) {}

  bool get_bool(const std::string& name) const;
  std::int64_t get_int(const std::string& name) const;
  double get_real(const std::string& name) const;
  std::string get_string(const std::string& name) const;
  std::vector<std::int64_t> get_int_list(const std::string& name) const;
  std::vector<double> get_real_list(const std::string& name) const;
  std::vector<std::string> get_string_list(const std::string& name) const;
  /// kTableList / kTable: the raw array of objects / the object.
  const nlohmann::json& get_json(const std::string& name) const;
  bool has(const std::string& name) const { return values_.contains(name); }

  const nlohmann::json& values() const { return values_; }

 private:
  const nlohmann::json& at(const std::string& name) const;
  nlohmann::json values_ = nlohmann::json::object();
};

/// Checks a list option that spans a dimension of a space (its choices): throws
/// coex::ConfigError naming `option` if `values` is empty or lists a value twice.
template <class T>
void require_choices(const std::vector<T>& values, const std::string& option) {
  if (values.empty()) throw ConfigError("option '" + option + "' must not be empty");
  if (std::set<T>(values.begin(), values.end()).size() != values.size())
    throw ConfigError("option '" + option + "' lists a value twice");
}

}  // namespace coex
