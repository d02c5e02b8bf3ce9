#include "coex/core/registry.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <dlfcn.h>

#include <boost/dll/shared_library.hpp>

#include "coex/core/sha256.hpp"
#include "coex/error.hpp"
#include "coex/log.hpp"
#include "coex/plugin_entry.hpp"

#ifndef COEX_HOST_TORCH_VERSION
#define COEX_HOST_TORCH_VERSION ""
#endif

namespace coex::core {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kManifestSuffix = ".coex-plugin.json";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

fs::path self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : p;
}

/// Refuses a folder (or file) that users other than its owner may write: code loaded from there
/// could be anyone's.
void check_not_writable_by_others(const fs::path& p, const std::string& origin) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return;
  if (st.st_mode & S_IWOTH) {
    throw PluginError("plugin folder " + p.string() + " (from " + origin +
                      ") is writable by other users, so code loaded from it could be anyone's; "
                      "refusing to load plugins from it. Fix: chmod o-w '" +
                      p.string() + "'");
  }
}

/// Refuses a plugin file (library or manifest) that others could have written: writable by its
/// group or by others, or owned by another user than the one running coex or root.
void check_trusted_file(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return;  // a missing file is reported where it is read
  const std::string fix = " (or pass --allow-unsafe-plugins to load it anyway)";
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    throw PluginError("plugin file " + p.string() +
                      " is writable by its group or by others, so its code could be anyone's; "
                      "refusing to load it. Fix: chmod go-w '" +
                      p.string() + "'" + fix);
  const uid_t me = ::geteuid();
  if (st.st_uid != me && st.st_uid != 0)
    throw PluginError(
        "plugin file " + p.string() + " is owned by uid " + std::to_string(st.st_uid) +
        ", neither you (uid " + std::to_string(me) +
        ") nor root, so its code could be anyone's; refusing to load it. Fix: chown " +
        std::to_string(me) + " '" + p.string() + "'" + fix);
}

/// SHA-256 of a library, computed once per (path, size, modification time) in this process.
std::string library_digest(const fs::path& p) {
  static std::mutex mu;
  static std::map<std::string, std::pair<std::string, std::string>> cache;
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) throw PluginError("cannot read plugin library " + p.string());
  const std::string stamp = std::to_string(st.st_size) + "@" + std::to_string(st.st_mtim.tv_sec) +
                            "." + std::to_string(st.st_mtim.tv_nsec);
  const std::lock_guard<std::mutex> lock(mu);
  auto& slot = cache[p.string()];
  if (slot.first != stamp) slot = {stamp, sha256_file(p)};
  return slot.second;
}

std::string host_expectations() {
  return "ABI " + std::to_string(COEX_ABI_MAJOR) + "." + std::to_string(COEX_ABI_MINOR) +
         ", compiler tag '" COEX_COMPILER_TAG "', LibTorch '" COEX_HOST_TORCH_VERSION "'";
}

/// Loads `path` and checks its descriptor before anything else of it runs.
struct Checked {
  std::shared_ptr<boost::dll::shared_library> lib;
  const coex_plugin_descriptor* d = nullptr;
};

Checked load_checked(const fs::path& path) {
  Checked c;
  if (!fs::exists(path))
    throw PluginError("plugin library " + path.string() +
                      " does not exist. Fix: rebuild the plugin, or remove its stale manifest");
  try {
    c.lib = std::make_shared<boost::dll::shared_library>(
        path.string(), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    throw PluginError("cannot load plugin library " + path.string() + ": " + e.what() +
                      ". Fix: rebuild it against this coex SDK");
  }
  // Keep the library mapped until the process ends, whatever releases the handle: objects,
  // exceptions (an error a plugin throws is destroyed after the run that loaded it has unwound)
  // and log records it created may point into its code or type information.
  ::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  if (!c.lib->has(COEX_PLUGIN_ENTRY_SYMBOL))
    throw PluginError("plugin library " + path.string() + " has no entry symbol '" +
                      COEX_PLUGIN_ENTRY_SYMBOL +
                      "': it is not a coex plugin. Fix: export it with COEX_PLUGIN(...) "
                      "from coex/plugin_entry.hpp");
  auto entry = c.lib->get<const coex_plugin_descriptor*()>(COEX_PLUGIN_ENTRY_SYMBOL);
  c.d = entry();
  if (c.d == nullptr)
    throw PluginError("plugin library " + path.string() + ": entry point returned no descriptor");
  const auto& d = *c.d;
  auto mismatch = [&](const std::string& what, const std::string& found) {
    return PluginError("plugin library " + path.string() + " was built for " + what + " " + found +
                       ", but this coex expects " + host_expectations() +
                       ". Fix: rebuild the plugin against the installed coex SDK");
  };
  if (d.abi_major != COEX_ABI_MAJOR)
    throw mismatch("ABI major", std::to_string(d.abi_major) + "." + std::to_string(d.abi_minor));
  if (d.abi_minor > COEX_ABI_MINOR)
    throw mismatch("newer ABI minor",
                   std::to_string(d.abi_major) + "." + std::to_string(d.abi_minor));
  if (std::string(d.compiler_tag ? d.compiler_tag : "") != COEX_COMPILER_TAG)
    throw mismatch("compiler tag", std::string("'") + (d.compiler_tag ? d.compiler_tag : "") + "'");
  const std::string torch = d.torch_version ? d.torch_version : "";
  if (!torch.empty() && torch != COEX_HOST_TORCH_VERSION)
    throw mismatch("LibTorch", "'" + torch + "'");
  if (!d.name || !d.kind || !d.version || !d.schema_json || !d.create)
    throw PluginError("plugin library " + path.string() + ": descriptor has empty fields");
  if (!kind_from_name(d.kind))
    throw PluginError("plugin library " + path.string() + ": unknown plugin kind '" + d.kind + "'");
  return c;
}

}  // namespace

json PluginManifest::to_json() const {
  return json{{"name", name},
              {"kind", kind_name(kind)},
              {"version", version},
              {"summary", summary},
              {"abi_major", abi_major},
              {"abi_minor", abi_minor},
              {"sdk_version", sdk_version},
              {"compiler_tag", compiler_tag},
              {"torch_version", torch_version},
              {"concurrent", concurrent},
              {"library", library_path.filename().string()},
              {"library_sha256", library_sha256},
              {"options", schema.to_json()}};
}

PluginManifest PluginManifest::read(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw PluginError("cannot read plugin manifest " + file.string());
  try {
    json j = json::parse(in);
    PluginManifest m;
    m.name = j.at("name").get<std::string>();
    auto k = kind_from_name(j.at("kind").get<std::string>());
    if (!k) throw PluginError("unknown kind '" + j.at("kind").get<std::string>() + "'");
    m.kind = *k;
    m.version = j.at("version").get<std::string>();
    m.summary = j.value("summary", "");
    m.abi_major = j.at("abi_major").get<std::uint32_t>();
    m.abi_minor = j.at("abi_minor").get<std::uint32_t>();
    m.sdk_version = j.value("sdk_version", "");
    m.compiler_tag = j.value("compiler_tag", "");
    m.torch_version = j.value("torch_version", "");
    m.concurrent = j.value("concurrent", false);
    m.schema = OptionSchema::from_json(j.at("options"));
    m.manifest_path = file;
    m.library_path = file.parent_path() / j.at("library").get<std::string>();
    m.library_sha256 = j.value("library_sha256", "");
    return m;
  } catch (const PluginError& e) {
    throw PluginError("plugin manifest " + file.string() + ": " + e.what());
  } catch (const std::exception& e) {
    throw PluginError("plugin manifest " + file.string() + " is malformed: " + e.what() +
                      ". Fix: rebuild the plugin (manifests are generated by the build)");
  }
}

std::vector<PluginDir> default_plugin_dirs(const std::vector<std::string>& cli_paths,
                                           const std::vector<std::string>& config_paths) {
  std::vector<PluginDir> dirs;
  for (const auto& p : cli_paths) dirs.push_back({p, "--plugin-path"});
  if (const char* env = std::getenv("COEX_PLUGIN_PATH")) {
    std::stringstream ss(env);
    std::string item;
    while (std::getline(ss, item, ':'))
      if (!item.empty()) dirs.push_back({item, "COEX_PLUGIN_PATH"});
  }
  for (const auto& p : config_paths) dirs.push_back({p, "config plugin_paths"});
  const fs::path exe = self_exe();
#ifdef COEX_BUILD_BIN_DIR
  std::error_code ec;
  if (!exe.empty() && fs::equivalent(exe.parent_path(), COEX_BUILD_BIN_DIR, ec))
    dirs.push_back({COEX_BUILD_PLUGIN_DIR, "build tree"});
#endif
  if (!exe.empty())
    dirs.push_back({exe.parent_path().parent_path() / "lib/coex/plugins", "install prefix"});
  return dirs;
}

PluginRegistry::PluginRegistry(const std::vector<PluginDir>& dirs, PluginTrust trust)
    : trust_(trust) {
  std::set<fs::path> seen_dirs;
  for (const auto& d : dirs) {
    std::error_code ec;
    if (!fs::is_directory(d.path, ec)) {
      if (d.origin != "install prefix" && d.origin != "build tree")
        logger()->warn("plugin folder {} (from {}) does not exist; skipped", d.path.string(),
                       d.origin);
      continue;
    }
    const fs::path canon = fs::canonical(d.path, ec);
    if (!seen_dirs.insert(canon).second) continue;
    if (trust_ == PluginTrust::kStrict) check_not_writable_by_others(canon, d.origin);
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(canon, ec))
      if (e.is_regular_file() && ends_with(e.path().filename().string(), kManifestSuffix))
        files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      PluginManifest m = PluginManifest::read(f);
      for (const auto& other : plugins_)
        if (other.name == m.name)
          throw PluginError(
              "two plugins are named '" + m.name + "': " + other.manifest_path.string() + " and " +
              m.manifest_path.string() + ". Fix: remove one of them from the plugin path");
      plugins_.push_back(std::move(m));
    }
  }
}

const PluginManifest* PluginRegistry::find_any(const std::string& name) const {
  for (const auto& m : plugins_)
    if (m.name == name) return &m;
  return nullptr;
}

const PluginManifest& PluginRegistry::find(const std::string& name, PluginKind kind) const {
  std::vector<std::string> known;
  for (const auto& m : plugins_)
    if (m.kind == kind) {
      if (m.name == name) return m;
      known.push_back(m.name);
    }
  std::string msg = std::string("unknown ") + kind_name(kind) + " plugin '" + name + "'.";
  if (const auto* other = find_any(name))
    msg += " A plugin of that name exists, but it is " +
           std::string(other->kind == PluginKind::kAccuracyEstimator ? "an " : "a ") +
           kind_name(other->kind) + ".";
  msg += " Known " + std::string(kind_name(kind)) + " plugins:";
  for (const auto& k : known) msg += " " + k;
  if (known.empty()) msg += " (none found; check --plugin-path / COEX_PLUGIN_PATH)";
  if (auto m = did_you_mean(name, known)) msg += ". Did you mean '" + *m + "'?";
  throw PluginError(msg);
}

std::shared_ptr<Plugin> PluginRegistry::create(const PluginManifest& m, const Options& options,
                                               const PluginContext& context) const {
  if (trust_ == PluginTrust::kStrict) {
    check_trusted_file(m.manifest_path);
    check_trusted_file(m.library_path);
  }
  if (!m.library_sha256.empty() && library_digest(m.library_path) != m.library_sha256)
    throw PluginError("plugin library " + m.library_path.string() +
                      " is not the library its manifest " + m.manifest_path.string() +
                      " was written for (its SHA-256 differs); refusing to load it. Fix: rebuild "
                      "the plugin, which writes both, or restore the library");
  Checked c = load_checked(m.library_path);
  if (m.name != c.d->name || std::string(kind_name(m.kind)) != c.d->kind)
    throw PluginError("plugin library " + m.library_path.string() + " is '" + c.d->name + "' (" +
                      c.d->kind + "), but its manifest " + m.manifest_path.string() + " says '" +
                      m.name + "' (" + kind_name(m.kind) + "). Fix: rebuild the plugin");
  if (m.concurrent && (c.d->flags & COEX_PLUGIN_CONCURRENT) == 0)
    throw PluginError("plugin library " + m.library_path.string() + " is not declared safe for " +
                      "concurrent calls, but its manifest " + m.manifest_path.string() +
                      " says it is. Fix: rebuild the plugin");
  void* raw = nullptr;
  char err[2048] = {0};
  const int rc = c.d->create(&options, &context, &raw, err, sizeof err);
  if (rc != 0 || raw == nullptr)
    throw PluginError("plugin '" + m.name + "' (" + m.library_path.string() +
                      ") failed to start: " + (err[0] ? err : "no message"));
  auto lib = c.lib;
  // The deleter owns the library: the object dies first, then the library may unload.
  return std::shared_ptr<Plugin>(static_cast<Plugin*>(raw), [lib](Plugin* p) { delete p; });
}

void write_manifest(const fs::path& library, const fs::path& out) {
  Checked c = load_checked(library);
  PluginManifest m;
  m.name = c.d->name;
  m.kind = *kind_from_name(c.d->kind);
  m.version = c.d->version;
  m.summary = c.d->summary ? c.d->summary : "";
  m.abi_major = c.d->abi_major;
  m.abi_minor = c.d->abi_minor;
  m.sdk_version = c.d->sdk_version ? c.d->sdk_version : "";
  m.compiler_tag = c.d->compiler_tag;
  m.torch_version = c.d->torch_version ? c.d->torch_version : "";
  // `flags` exists since ABI 3.3; the loader accepts only major 5, whose descriptor has it.
  m.concurrent = (c.d->flags & COEX_PLUGIN_CONCURRENT) != 0;
  m.schema = OptionSchema::from_json(json::parse(c.d->schema_json()));
  m.library_path = library;
  m.library_sha256 = sha256_file(library);
  const fs::path tmp = out.string() + ".tmp";
  {
    std::ofstream o(tmp);
    o << m.to_json().dump(2) << "\n";
    if (!o) throw PluginError("cannot write manifest " + out.string());
  }
  // Whatever the umask: the loader refuses manifests writable by group or others.
  fs::permissions(tmp, fs::perms::group_write | fs::perms::others_write, fs::perm_options::remove);
  fs::rename(tmp, out);
}

Options validate_options(const std::string& plugin_name, const OptionSchema& schema,
                         const json& table,
                         const std::function<std::string(const std::string&)>& where) {
  json out = json::object();
  std::vector<std::string> names;
  for (const auto& s : schema.specs()) names.push_back(s.name);
  if (!table.is_null() && !table.is_object())
    throw ConfigError(where("") + ": options of plugin '" + plugin_name + "' must be a table");
  if (table.is_object())
    for (auto it = table.begin(); it != table.end(); ++it) {
      const OptionSpec* s = schema.find(it.key());
      if (!s) {
        std::string msg = where(it.key()) + ": unknown option '" + it.key() + "' for plugin '" +
                          plugin_name + "'.";
        if (auto m = did_you_mean(it.key(), names)) msg += " Did you mean '" + *m + "'?";
        msg += " See `coex plugins show " + plugin_name + "` for its options.";
        throw ConfigError(msg);
      }
      json v = it.value();
      // Integers are accepted where reals are expected.
      if (auto e = check_option_value(*s, v))
        throw ConfigError(where(it.key()) + ": option '" + it.key() + "' of plugin '" +
                          plugin_name + "': " + *e +
                          (s->unit.empty() ? "" : " (unit: " + s->unit + ")") +
                          ". See `coex plugins show " + plugin_name + "`");
      if (s->type == OptionSpec::Type::kTableList && !s->fields.empty())
        for (std::size_t i = 0; i < v.size(); ++i) {
          const std::string entry = s->name + "[" + std::to_string(i) + "]";
          v[i] = validate_fields(
              s->fields, v[i],
              "entry " + std::to_string(i) + " of option '" + s->name + "' of plugin '" +
                  plugin_name + "'",
              [&](const std::string& k) { return where(k.empty() ? entry : entry + "." + k); },
              " See `coex plugins show " + plugin_name + "` for the fields.");
        }
      out[it.key()] = v;
    }
  for (const auto& s : schema.specs()) {
    if (out.contains(s.name)) continue;
    if (s.required())
      throw ConfigError(where("") + ": plugin '" + plugin_name + "' needs option '" + s.name +
                        "' (" + s.doc + ")");
    out[s.name] = s.default_value;
  }
  return Options(std::move(out));
}

}  // namespace coex::core
