// Command-line options of coex's helper tools (`coex-calibrate-<target>`): a walk over argv that
// hands out each option's value, numbers checked against a range. Errors go to the tool's
// `usage_error`, which must throw (coex::UserError, exit code 2) and name the usage; tool_main()
// reports it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "coex/error.hpp"

namespace coex::tools {

class ToolArgs {
 public:
  /// `usage_error(message)` must not return.
  ToolArgs(int argc, char** argv, std::function<void(const std::string&)> usage_error)
      : argc_(argc), argv_(argv), fail_(std::move(usage_error)) {}

  /// Moves to the next option; false when none is left.
  bool next() {
    if (++i_ >= argc_) return false;
    key_ = argv_[i_];
    return true;
  }
  /// The current option, e.g. "--out".
  const std::string& key() const { return key_; }
  /// The current option's value (the next argument); an error if there is none.
  std::string value() {
    if (i_ + 1 >= argc_) fail("option " + key_ + " needs a value");
    return argv_[++i_];
  }
  /// The current option's value as a comma-separated list ("a,b,c"; empty items dropped).
  std::vector<std::string> list() {
    std::vector<std::string> out;
    std::stringstream ss(value());
    for (std::string x; std::getline(ss, x, ',');)
      if (!x.empty()) out.push_back(x);
    return out;
  }
  /// The current option's value as a number in [lo, hi]; an error otherwise.
  double number(double lo, double hi) {
    const std::string v = value();
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (v.empty() || !end || *end || d < lo || d > hi)
      fail("option " + key_ + " = '" + v + "' must be a number in [" + text(lo) + ", " + text(hi) +
           "]");
    return d;
  }
  /// Reports an error through usage_error (which throws).
  [[noreturn]] void fail(const std::string& message) {
    fail_(message);
    std::abort();  // usage_error must throw
  }

 private:
  static std::string text(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", v);
    return b;
  }
  int argc_;
  char** argv_;
  std::function<void(const std::string&)> fail_;
  int i_ = 0;
  std::string key_;
};

/// The body of a tool's main(): runs `body`, and turns a coex::UserError into "coex: error: ..."
/// on stderr with exit code 2, any other exception into "coex: internal error: ..." with 1.
inline int tool_main(const std::function<int()>& body) {
  try {
    return body();
  } catch (const UserError& e) {
    std::fprintf(stderr, "coex: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "coex: internal error: %s\n", e.what());
    return 1;
  }
}

}  // namespace coex::tools
