// `coex plugins [show NAME]` (from manifests, without loading libraries) and `coex manifest`
// (used by the build: load a plugin with every check and write its manifest).
#include <cstdio>
#include <memory>

#include "coex/core/registry.hpp"
#include "coex/error.hpp"
#include "coex/plugin_entry.hpp"
#include "command.hpp"
#include "format.hpp"

namespace coex::cli {

using namespace coex::core;

namespace {

/// Prints option specs (and, indented, the fields of table-list entries) as documentation.
void print_specs(const std::vector<OptionSpec>& specs, const std::string& indent) {
  for (const auto& o : specs) {
    std::string range;
    if (o.min || o.max)
      range = " in [" + (o.min ? fmt(*o.min, 10) : "-inf") + ", " +
              (o.max ? fmt(*o.max, 10) : "inf") + "]";
    if (!o.choices.empty()) {
      range = " one of {";
      for (std::size_t i = 0; i < o.choices.size(); ++i) range += (i ? ", " : "") + o.choices[i];
      range += "}";
    }
    const std::string def = o.required()                ? "(required)"
                            : o.default_value.is_null() ? "(optional)"
                                                        : o.default_value.dump();
    std::printf("%s%-20s %s%s%s, default %s\n%s    %s\n", indent.c_str(), o.name.c_str(),
                OptionSpec::type_name(o.type), o.unit.empty() ? "" : (" [" + o.unit + "]").c_str(),
                range.c_str(), def.c_str(), indent.c_str(), o.doc.c_str());
    if (!o.fields.empty()) {
      std::printf("%s    each entry ([[...options.%s]]) has the fields:\n", indent.c_str(),
                  o.name.c_str());
      print_specs(o.fields, indent + "      ");
    }
  }
}

int cmd_plugins(const GlobalOptions& global, const std::string& show) {
  PluginRegistry reg(default_plugin_dirs(global.plugin_paths, {}), global.trust());
  if (show.empty()) {
    std::printf("%-16s %-16s %-8s %s\n", "KIND", "NAME", "VERSION", "SUMMARY");
    auto list = reg.plugins();
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
      return std::pair(static_cast<int>(a.kind), a.name) <
             std::pair(static_cast<int>(b.kind), b.name);
    });
    for (const auto& m : list)
      std::printf("%-16s %-16s %-8s %s\n", kind_name(m.kind), m.name.c_str(), m.version.c_str(),
                  m.summary.c_str());
    return 0;
  }
  const PluginManifest* m = reg.find_any(show);
  if (!m) {
    std::vector<std::string> names;
    for (const auto& p : reg.plugins()) names.push_back(p.name);
    std::string msg = "unknown plugin '" + show + "'. Known:";
    for (const auto& n : names) msg += " " + n;
    if (auto d = did_you_mean(show, names)) msg += ". Did you mean '" + *d + "'?";
    throw PluginError(msg);
  }
  std::printf(
      "%s (%s) %s\n  %s\n  library: %s\n  ABI %u.%u, SDK %s, %s%s\n%s\nOptions:\n", m->name.c_str(),
      kind_name(m->kind), m->version.c_str(), m->summary.c_str(), m->library_path.string().c_str(),
      m->abi_major, m->abi_minor, m->sdk_version.c_str(), m->compiler_tag.c_str(),
      m->torch_version.empty() ? "" : (", LibTorch " + m->torch_version).c_str(),
      m->concurrent ? "  concurrent: its work calls may run on several threads at once\n" : "");
  print_specs(m->schema.specs(), "  ");
  return 0;
}

}  // namespace

Command add_plugins(CLI::App& app, const GlobalOptions& global) {
  auto show_args = std::make_shared<std::vector<std::string>>();
  auto* plugins = app.add_subcommand("plugins", "List plugins (from manifests) or show one");
  plugins->add_option("args", *show_args, "show NAME");
  return {plugins, [show_args, &global] {
            const auto& s = *show_args;
            if (s.empty()) return cmd_plugins(global, "");
            if (s.size() == 2 && s[0] == "show") return cmd_plugins(global, s[1]);
            throw UserError("usage: coex plugins [show NAME]");
          }};
}

Command add_manifest(CLI::App& app) {
  auto paths = std::make_shared<std::pair<std::string, std::string>>();
  auto* manifest = app.add_subcommand("manifest", "Write a plugin's manifest (used by the build)");
  manifest->group("");
  manifest->add_option("LIBRARY", paths->first)->required();
  manifest->add_option("OUT", paths->second)->required();
  return {manifest, [paths] {
            write_manifest(paths->first, paths->second);
            return 0;
          }};
}

}  // namespace coex::cli
