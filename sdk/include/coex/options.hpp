// Option schema: every plugin declares its options (name, type, default, range or choices, unit,
// doc). The host validates a config table against the schema *before* the plugin is created, so
// a plugin receives only well-typed, in-range values with defaults filled in.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coex/error.hpp"
#include "coex/visibility.hpp"

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
    /// An array of tables (TOML `[[...options.name]]`). With `fields` declared, the host validates
    /// every entry against them (unknown, missing, mistyped or out-of-range fields are errors
    /// naming file:line) and fills in their defaults; without, entries are passed through.
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
  /// kTableList: the fields of each entry, declared like options (name, type, default, range,
  /// choices, unit, doc). Nested table lists are not supported.
  std::vector<OptionSpec> fields = {};
  /// With a null default: may still be left out, and the plugin derives the value (its doc says
  /// how, e.g. "default: 15% of tdp_w"). For fields whose default depends on other fields.
  bool optional = false;

  bool required() const { return default_value.is_null() && !optional; }
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
  /// A table list whose entries have `fields` (build them with another OptionSchema and pass its
  /// specs()); default: no entries.
  OptionSchema& add_table_list(std::string name, std::string doc,
                               std::vector<OptionSpec> fields = {});
  /// A required field or option of `type` (no default), for entry fields such as a name.
  OptionSchema& add_required(std::string name, OptionSpec::Type type, std::string doc,
                             std::optional<double> min = {}, std::optional<double> max = {},
                             std::string unit = "");
  /// A real field or option that may be left out without a default (see OptionSpec::optional).
  OptionSchema& add_optional_real(std::string name, std::string doc, std::optional<double> min = {},
                                  std::optional<double> max = {}, std::string unit = "");
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

/// Validates one table `entry` (an entry of a table-list option, or a table read from a file)
/// against `fields`: every key must be a field (else a did-you-mean), every value must pass
/// check_option_value, required fields must be present; defaults are filled in (optional fields
/// without a default stay absent). `what` names the entry in messages ("entry 2 of option
/// 'boards' of plugin 'fpga_cluster'"), `where(key)` gives the location of a field ("" for the
/// entry itself, e.g. "configs/x.toml:12:1"), `fix` is appended to every message.
/// Returns the completed entry. Throws coex::ConfigError.
COEX_API nlohmann::json validate_fields(const std::vector<OptionSpec>& fields,
                                        const nlohmann::json& entry, const std::string& what,
                                        const std::function<std::string(const std::string&)>& where,
                                        const std::string& fix = "");

/// A "preset name or custom entry" pool: each name in `names` (the option `option`) is looked up
/// first among `custom` (entries the user declared, e.g. `[[...options.boards]]`), then among
/// `presets`; `name_of(entry)` gives an entry's name. Returns the entries in `names`' order.
/// Throws coex::ConfigError if `names` is empty or a name is unknown (listing the known names,
/// with a did-you-mean, and `custom_option`, where custom entries are declared).
template <class T, class NameOf>
std::vector<T> resolve_pool(const std::vector<std::string>& names, const std::vector<T>& presets,
                            const std::vector<T>& custom, NameOf name_of, const std::string& option,
                            const std::string& what, const std::string& custom_option);

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

template <class T, class NameOf>
std::vector<T> resolve_pool(const std::vector<std::string>& names, const std::vector<T>& presets,
                            const std::vector<T>& custom, NameOf name_of, const std::string& option,
                            const std::string& what, const std::string& custom_option) {
  if (names.empty()) throw ConfigError("option '" + option + "' must name at least one " + what);
  std::vector<T> out;
  for (const auto& name : names) {
    const T* hit = nullptr;
    for (const auto& c : custom)
      if (!hit && name_of(c) == name) hit = &c;
    for (const auto& p : presets)
      if (!hit && name_of(p) == name) hit = &p;
    if (hit) {
      out.push_back(*hit);
      continue;
    }
    std::vector<std::string> known;
    for (const auto& p : presets) known.push_back(name_of(p));
    for (const auto& c : custom) known.push_back(name_of(c));
    std::string msg = "option '" + option + "': unknown " + what + " '" + name + "'. Known:";
    for (const auto& k : known) msg += " " + k;
    if (auto d = did_you_mean(name, known)) msg += ". Did you mean '" + *d + "'?";
    msg += " Define custom " + what + "s in [[...options." + custom_option + "]]";
    throw ConfigError(msg);
  }
  return out;
}

}  // namespace coex
