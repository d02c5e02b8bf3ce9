// `coex calibrate`: a hardware target's calibration tool, started as a child process.
#pragma once

#include <string>
#include <vector>

namespace coex::cli {

/// `coex calibrate --target NAME ARGS...`: runs the target's calibration tool
/// `coex-calibrate-NAME` from coex's own bin folder (kept apart so that coex itself never links
/// LibTorch) with ARGS and returns its exit code. Throws coex::UserError when the target has no
/// tool.
int calibrate(const std::string& target, const std::vector<std::string>& args);

}  // namespace coex::cli
