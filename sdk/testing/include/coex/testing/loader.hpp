// The conformance kit's plugin loader: finds a plugin by name on the plugin path and creates it
// with every check `coex run` applies (manifest, descriptor and ABI, option validation), without
// exposing the host's internals. Implemented by libcoex_core; linked through coex::testing.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coex/options.hpp"
#include "coex/plugin.hpp"
#include "coex/visibility.hpp"

namespace coex::testing {

/// What a plugin's manifest says, as a test sees it.
struct PluginInfo {
  std::string name;
  PluginKind kind = PluginKind::kSearchSpace;
  std::string version;
  std::string summary;
  bool concurrent = false;  ///< the descriptor declares COEX_PLUGIN_CONCURRENT
  OptionSchema schema;
  std::string library_path;
};

/// The folders searched, in order: `dirs` (each named "test" in messages), then the usual plugin
/// path (COEX_PLUGIN_PATH, the build tree's plugin folder, <prefix>/lib/coex/plugins). Scanned
/// once per distinct `dirs` and kept for the process (thread-safe).
/// Returns the manifest of `name`, or nothing if no folder has it. Throws coex::PluginError for
/// an unreadable manifest or two plugins of one name.
COEX_API std::optional<PluginInfo> find_plugin(const std::vector<std::string>& dirs,
                                               const std::string& name);

/// Creates plugin `name` found as find_plugin() does: `options` (a JSON object, as a config's
/// options table) are validated against its schema with defaults filled in, then its library is
/// loaded and checked and its factory called with `context`. The object keeps its library loaded.
/// Throws coex::PluginError (not found, refused library, failing factory) or coex::ConfigError
/// (bad options), each naming the plugin.
COEX_API std::shared_ptr<Plugin> create_plugin(const std::vector<std::string>& dirs,
                                               const std::string& name,
                                               const nlohmann::json& options,
                                               const PluginContext& context);

}  // namespace coex::testing
