// Shared by the libFuzzer targets: the bytes of one input written to a file of this process (the
// parsers under test read files), and the rule every target checks: bad input may only end in a
// coex::Error (a clear message), never in a crash, a sanitizer report or another exception.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "coex/error.hpp"

namespace coex::fuzz {

/// A private folder for this fuzzing process, created once.
inline const std::filesystem::path& work_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("coex-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

/// Writes `data` to work_dir()/name and returns the path.
inline std::filesystem::path write_input(const std::string& name, const std::uint8_t* data,
                                         std::size_t size) {
  const auto p = work_dir() / name;
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return p;
}

/// Runs `f`; a coex::Error is the expected outcome of bad input. Any other exception is a bug:
/// abort so that libFuzzer records the input.
template <class F>
void expect_only_coex_errors(F&& f) {
  try {
    f();
  } catch (const coex::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception (not a coex::Error): %s\n", e.what());
    std::abort();
  }
}

}  // namespace coex::fuzz
