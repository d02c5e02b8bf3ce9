// Reading a search space's description back into a point (SearchSpace::parse): a left-to-right
// scanner of literals and numbers whose errors say where the text stopped matching.
#pragma once

#include <cctype>
#include <cstdint>
#include <functional>
#include <string>

#include "coex/error.hpp"

namespace coex {

/// Scans `text`. Every mismatch calls `fail(why)`, which returns the coex::UserError to throw
/// (typically naming the text, the space and the expected form); `why` says what was expected
/// at which character (1-based). Not thread-safe (one reader per parse).
class DescriptionReader {
 public:
  DescriptionReader(const std::string& text, std::function<UserError(const std::string&)> fail)
      : text_(text), fail_(std::move(fail)) {}

  /// Consumes `s` exactly, or throws.
  void literal(const std::string& s) {
    if (text_.compare(pos_, s.size(), s) != 0)
      throw fail_("'" + s + "' expected at character " + std::to_string(pos_ + 1));
    pos_ += s.size();
  }
  /// Consumes a non-negative decimal integer, or throws.
  std::int64_t integer() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    if (pos_ == start || pos_ - start > 18)
      throw fail_("a number expected at character " + std::to_string(start + 1));
    return std::stoll(text_.substr(start, pos_ - start));
  }
  /// Throws unless the whole text was consumed; `what` names what should have been last.
  void end(const std::string& what) const {
    if (pos_ != text_.size()) throw fail_("unexpected text after " + what);
  }
  /// The error of `why` (for checks of values read, such as an unknown choice).
  UserError error(const std::string& why) const { return fail_(why); }

 private:
  const std::string& text_;
  std::function<UserError(const std::string&)> fail_;
  std::size_t pos_ = 0;
};

}  // namespace coex
