// Plugin discovery (from manifests, without loading anything) and loading (Boost.DLL), with every
// check of docs/architecture.md ("The plugin contract"): folder permissions, duplicate names, entry
// symbol, ABI major/minor, compiler ABI tag, LibTorch version, manifest/descriptor agreement, and a
// factory that may fail.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coex/error.hpp"
#include "coex/options.hpp"
#include "coex/plugin.hpp"
#include "coex/task.hpp"

namespace coex::core {

/// What a plugin's manifest (`<name>.coex-plugin.json`, written at build time) says.
struct PluginManifest {
  std::string name;
  PluginKind kind = PluginKind::kSearchSpace;
  std::string version;
  std::string summary;
  std::uint32_t abi_major = 0;
  std::uint32_t abi_minor = 0;
  std::string sdk_version;
  std::string compiler_tag;
  std::string torch_version;
  /// The descriptor's COEX_PLUGIN_CONCURRENT (false for plugins of ABI minor < 3).
  bool concurrent = false;
  OptionSchema schema;
  std::filesystem::path manifest_path;
  std::filesystem::path library_path;
  /// SHA-256 of the library as built (hex); empty in manifests that do not record it. The
  /// loader refuses a library whose bytes no longer match.
  std::string library_sha256;

  nlohmann::json to_json() const;
  /// Parses a manifest; throws PluginError naming the file on malformed content.
  static PluginManifest read(const std::filesystem::path& file);
};

/// One folder to search, and where its name came from ("--plugin-path", "COEX_PLUGIN_PATH", ...).
struct PluginDir {
  std::filesystem::path path;
  std::string origin;
};

/// The folders coex searches, in this order (docs/architecture.md): `cli` paths, COEX_PLUGIN_PATH,
/// the config's plugin_paths, the build tree's plugin folder (when running from the build tree) and
/// <prefix>/lib/coex/plugins (relative to the running executable).
std::vector<PluginDir> default_plugin_dirs(const std::vector<std::string>& cli_paths,
                                           const std::vector<std::string>& config_paths);

/// Writes the manifest of the plugin library `library` (loading it with every check) to `out`.
/// Used by the build (`coex manifest`). Throws PluginError.
void write_manifest(const std::filesystem::path& library, const std::filesystem::path& out);

class LoadedLibrary;

/// Whether plugin files others could have written are loaded. kStrict (default) refuses a
/// plugin library or manifest that is writable by its group or by others, or owned by another
/// user than the one running coex or root (as ssh's StrictModes), and a plugin folder writable
/// by others; kAllowUnsafe (`--allow-unsafe-plugins`) loads them anyway.
enum class PluginTrust { kStrict, kAllowUnsafe };

/// The plugins found in a set of folders. Discovery reads manifests only.
class PluginRegistry {
 public:
  /// Scans `dirs`. Throws PluginError on a folder writable by others (unless `trust` allows
  /// it), an unreadable manifest, or two plugins of the same name (naming both paths). Missing
  /// folders are skipped.
  explicit PluginRegistry(const std::vector<PluginDir>& dirs,
                          PluginTrust trust = PluginTrust::kStrict);

  const std::vector<PluginManifest>& plugins() const { return plugins_; }
  /// The manifest of `name`, or PluginError listing the known plugins of `kind` (with a
  /// did-you-mean).
  const PluginManifest& find(const std::string& name, PluginKind kind) const;
  const PluginManifest* find_any(const std::string& name) const;

  /// Loads the library of `m`, checks its descriptor against the host and creates the plugin
  /// with already-validated `options`. Before loading: the library's and manifest's owner and
  /// permissions (see PluginTrust) and the library's SHA-256 against the manifest's. The
  /// returned object keeps its library loaded. Throws PluginError (naming the path and the fix)
  /// on any failure.
  std::shared_ptr<Plugin> create(const PluginManifest& m, const Options& options,
                                 const PluginContext& context) const;

  template <class T>
  std::shared_ptr<T> create_as(const PluginManifest& m, const Options& options,
                               const PluginContext& context) const {
    auto p = create(m, options, context);
    auto t = std::dynamic_pointer_cast<T>(p);
    if (!t)
      throw PluginError(m.library_path.string() + ": plugin '" + m.name + "' is not a " +
                        kind_name(m.kind));
    return t;
  }

 private:
  std::vector<PluginManifest> plugins_;
  PluginTrust trust_ = PluginTrust::kStrict;
};

/// Validates a config table (JSON object) against `schema` and fills in defaults. `where(key)`
/// returns the location of a key for messages ("configs/x.toml:12:3"). Throws ConfigError naming
/// the location, the key, the plugin and the fix (did-you-mean for unknown keys).
Options validate_options(const std::string& plugin_name, const OptionSchema& schema,
                         const nlohmann::json& table,
                         const std::function<std::string(const std::string&)>& where);

}  // namespace coex::core
