// Number and duration formatting shared by the subcommands' terminal output.
#pragma once

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

namespace coex::cli {

/// "1h02m", "3m07s", "4.2s" or "12.0ms"; "?" for a negative or non-finite value.
inline std::string fmt_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  char buf[32];
  const long t = std::lround(s);
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else if (s >= 1)
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  else
    std::snprintf(buf, sizeof buf, "%.1fms", s * 1e3);
  return buf;
}

/// `v` with `prec` significant digits; "-" when not finite.
inline std::string fmt(double v, int prec = 4) {
  if (!std::isfinite(v)) return "-";
  std::ostringstream os;
  os.precision(prec);
  os << v;
  return os.str();
}

}  // namespace coex::cli
