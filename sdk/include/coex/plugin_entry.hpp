// The plugin ABI: one exported C function per plugin library returns a descriptor. The loader
// checks the descriptor's ABI major/minor, compiler ABI tag and LibTorch version *before*
// calling anything else in the library, and refuses a mismatch with a message naming the file,
// what it expected and what it found.
//
// ABI policy: the major bumps when a class layout, virtual table or descriptor field of the SDK
// changes incompatibly, and when a plugin base class gains a virtual (a plugin's own class
// extends the base's vtable, so an older plugin has no slot where the host would call the new
// one); the minor when something is added compatibly (a non-virtual function, a new descriptor
// field at the end). The loader accepts a plugin with the same
// major and a minor <= the host's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "coex/error.hpp"
#include "coex/options.hpp"
#include "coex/plugin.hpp"
#include "coex/task.hpp"

#define COEX_ABI_MAJOR 6
// Major 6: HardwareTarget gained breakdown() (coex/breakdown.hpp).
// Major 5: HardwareTarget gained the calibration virtuals coefficients(), latency_model() and
// set_coefficients() (coex/calibration.hpp).
// Major 4: the SDK is its own library (libcoex_sdk; plugins no longer link libcoex_core);
// OptionSpec gained `fields` (the schema of table-list entries) and `optional`; SearchSpace gained
// parse(description) (the inverse of describe). Major 3: Task
// gained `labels` (a class subset), which changes the layout of PluginContext; the QuantumFlow ops
// qf_u, qf_p, qf_n. Major 2: Node gained `channels` (OpKind::kChannelSelect); PluginContext gained
// search_space and make_estimator; option type kTable. Minor 1: the multiplication-free
// convolutions shift_conv2d and adder_conv2d (OpKind values added at the end;
// Network::add_shift_conv2d / add_adder_conv2d; is_conv). Minor 2: HardwareTarget::best_design (the
// default tune's search over a caller's evaluation). Minor 3: descriptor field `flags`
// (COEX_PLUGIN_CONCURRENT, from the class's kConcurrent). Minors restart at 0 with each major.
#define COEX_ABI_MINOR 0
#define COEX_SDK_VERSION "0.1.0"

#define COEX_STR_IMPL(x) #x
#define COEX_STR(x) COEX_STR_IMPL(x)

/// Compiler family/major and C++ standard library ABI of this translation unit, e.g.
/// "gcc12;libstdc++;cxx11abi=1". Host and plugin must agree exactly.
#if defined(__clang__)
#define COEX_COMPILER_TAG_CC "clang" COEX_STR(__clang_major__)
#elif defined(__GNUC__)
#define COEX_COMPILER_TAG_CC "gcc" COEX_STR(__GNUC__)
#else
#define COEX_COMPILER_TAG_CC "unknown"
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI)
#define COEX_COMPILER_TAG \
  COEX_COMPILER_TAG_CC ";libstdc++;cxx11abi=" COEX_STR(_GLIBCXX_USE_CXX11_ABI)
#else
#define COEX_COMPILER_TAG COEX_COMPILER_TAG_CC ";other-stdlib"
#endif

/// LibTorch version the plugin was built against ("" if it does not link LibTorch). Set by
/// coex_add_plugin(... TORCH) through a compile definition.
#ifndef COEX_PLUGIN_TORCH_VERSION
#define COEX_PLUGIN_TORCH_VERSION ""
#endif
/// Overridable only to build deliberately broken test fixtures.
#ifndef COEX_PLUGIN_ABI_MAJOR
#define COEX_PLUGIN_ABI_MAJOR COEX_ABI_MAJOR
#endif

extern "C" {

/// Creates the plugin object. Returns 0 and sets *out (a coex::Plugin*, owned by the caller,
/// deleted through its virtual destructor while the library is loaded) on success; returns
/// non-zero and writes a NUL-terminated message into err (at most err_len bytes) on failure.
/// Never throws.
typedef int (*coex_plugin_create_fn)(const coex::Options* options,
                                     const coex::PluginContext* context, void** out, char* err,
                                     std::size_t err_len);
/// Returns the option schema as JSON text (static storage). Never throws.
typedef const char* (*coex_plugin_schema_fn)();

/// Descriptor flag: the plugin's work calls (SearchSpace::decode and describe,
/// HardwareTarget::evaluate and tune, AccuracyEstimator::estimate) may run on several threads at
/// once on one object. Set by COEX_PLUGIN from `static constexpr bool kConcurrent = true;` in the
/// plugin class.
#define COEX_PLUGIN_CONCURRENT 1u

struct coex_plugin_descriptor {
  std::uint32_t abi_major;
  std::uint32_t abi_minor;
  const char* sdk_version;
  const char* compiler_tag;
  const char* torch_version;
  const char* name;
  const char* kind;
  const char* version;
  const char* summary;
  coex_plugin_schema_fn schema_json;
  coex_plugin_create_fn create;
  /// COEX_PLUGIN_* bits (since ABI 3.3).
  std::uint32_t flags;
};

/// Signature of the single exported entry point, named by COEX_PLUGIN_ENTRY_SYMBOL.
typedef const coex_plugin_descriptor* (*coex_plugin_entry_fn)();
}

#define COEX_PLUGIN_ENTRY_SYMBOL "coex_plugin_entry"

namespace coex::detail {

template <class T>
constexpr const char* kind_of() {
  if constexpr (std::is_base_of_v<SearchSpace, T>) return "search_space";
  if constexpr (std::is_base_of_v<HardwareTarget, T>) return "hardware_target";
  if constexpr (std::is_base_of_v<Controller, T>) return "controller";
  if constexpr (std::is_base_of_v<AccuracyEstimator, T>) return "estimator";
  return "";
}

inline void copy_message(const char* msg, char* err, std::size_t err_len) {
  if (err == nullptr || err_len == 0) return;
  std::size_t i = 0;
  for (; msg[i] != '\0' && i + 1 < err_len; ++i) err[i] = msg[i];
  err[i] = '\0';
}

template <class T>
int create_plugin(const Options* options, const PluginContext* context, void** out, char* err,
                  std::size_t err_len) noexcept {
  try {
    Plugin* p = new T(*options, *context);
    *out = p;
    return 0;
  } catch (const UserError& e) {
    copy_message(e.what(), err, err_len);
    return 2;
  } catch (const std::exception& e) {
    copy_message(e.what(), err, err_len);
    return 1;
  } catch (...) {
    copy_message("unknown exception (not derived from std::exception)", err, err_len);
    return 1;
  }
}

/// COEX_PLUGIN_CONCURRENT if T declares `static constexpr bool kConcurrent = true;`.
template <class T>
constexpr std::uint32_t flags_of() {
  if constexpr (requires { T::kConcurrent; })
    return T::kConcurrent ? COEX_PLUGIN_CONCURRENT : 0u;
  else
    return 0u;
}

template <class T>
const char* schema_json() noexcept {
  static std::string text;
  try {
    if (text.empty()) {
      OptionSchema s = T::schema();
      // Every hardware target takes a calibration profile; the host applies it through
      // HardwareTarget::set_coefficients() (coex/calibration.hpp).
      if constexpr (std::is_base_of_v<HardwareTarget, T>)
        if (s.find(kProfileOption) == nullptr)
          s.add_string(kProfileOption, "",
                       "Calibration profile written by `coex calibrate --measurements` (JSON): "
                       "fitted coefficients of this target's latency model, applied by coex. "
                       "Empty = the declared defaults");
      text = s.to_json().dump();
    }
  } catch (...) {
    text = "{\"error\":\"schema() threw\"}";
  }
  return text.c_str();
}

}  // namespace coex::detail

/// Writes the plugin's exported entry point. Use once per plugin library, at namespace scope:
///   COEX_PLUGIN(coex::plugins::chain_cnn::ChainCnn, "chain_cnn", "0.1.0", "Plain chain CNN ...")
/// CLASS must derive from one of the four kinds, have a constructor
/// (const coex::Options&, const coex::PluginContext&) and a static coex::OptionSchema schema().
/// It may declare `static constexpr bool kConcurrent = true;` (see COEX_PLUGIN_CONCURRENT).
#define COEX_PLUGIN(CLASS, NAME, VERSION, SUMMARY)                                \
  static_assert(coex::detail::kind_of<CLASS>()[0] != '\0',                        \
                "COEX_PLUGIN: class must derive from a coex plugin kind");        \
  extern "C" __attribute__((visibility("default"))) const coex_plugin_descriptor* \
  coex_plugin_entry() {                                                           \
    static const coex_plugin_descriptor d{COEX_PLUGIN_ABI_MAJOR,                  \
                                          COEX_ABI_MINOR,                         \
                                          COEX_SDK_VERSION,                       \
                                          COEX_COMPILER_TAG,                      \
                                          COEX_PLUGIN_TORCH_VERSION,              \
                                          NAME,                                   \
                                          coex::detail::kind_of<CLASS>(),         \
                                          VERSION,                                \
                                          SUMMARY,                                \
                                          &coex::detail::schema_json<CLASS>,      \
                                          &coex::detail::create_plugin<CLASS>,    \
                                          coex::detail::flags_of<CLASS>()};       \
    return &d;                                                                    \
  }
