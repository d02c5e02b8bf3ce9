// The conformance kit's loader (coex/testing/loader.hpp), over the core's registry.
#include "coex/testing/loader.hpp"

#include <map>
#include <mutex>

#include "coex/core/registry.hpp"
#include "coex/error.hpp"

namespace coex::testing {

namespace {

const core::PluginRegistry& registry_for(const std::vector<std::string>& dirs) {
  static std::mutex mu;
  static std::map<std::vector<std::string>, std::unique_ptr<core::PluginRegistry>> cache;
  const std::lock_guard<std::mutex> lock(mu);
  auto& slot = cache[dirs];
  if (!slot) {
    std::vector<core::PluginDir> all;
    for (const auto& d : dirs) all.push_back({d, "test"});
    for (auto& d : core::default_plugin_dirs({}, {})) all.push_back(d);
    slot = std::make_unique<core::PluginRegistry>(all);
  }
  return *slot;
}

}  // namespace

std::optional<PluginInfo> find_plugin(const std::vector<std::string>& dirs,
                                      const std::string& name) {
  const core::PluginManifest* m = registry_for(dirs).find_any(name);
  if (!m) return std::nullopt;
  return PluginInfo{
      m->name, m->kind, m->version, m->summary, m->concurrent, m->schema, m->library_path.string()};
}

std::shared_ptr<Plugin> create_plugin(const std::vector<std::string>& dirs, const std::string& name,
                                      const nlohmann::json& options, const PluginContext& context) {
  const core::PluginRegistry& r = registry_for(dirs);
  const core::PluginManifest* m = r.find_any(name);
  if (!m) throw PluginError("conformance: plugin '" + name + "' not found on the plugin path");
  const Options o = core::validate_options(name, m->schema, options, [&](const std::string& k) {
    return "options of " + name + "." + k;
  });
  return r.create(*m, o, context);
}

}  // namespace coex::testing
