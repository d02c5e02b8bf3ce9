// Child processes of the command line: `coex compare` starts one `coex run` per controller and
// seed, `coex calibrate` the target's calibration tool. One helper starts both.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace coex::cli {

/// The running coex executable (from /proc/self/exe). Throws coex::Error if it cannot be read.
std::filesystem::path self_exe();

/// Starts `args` (args[0] a path) with coex's environment; stdout and stderr go to `log`
/// (appended) when given, else stay the parent's. Returns the child's pid. Throws coex::Error
/// naming args[0] if the process cannot be started.
pid_t spawn(const std::vector<std::string>& args, const std::string& log = "");

/// Waits for `pid` and returns its exit code (1 if it did not exit normally).
int wait_exit_code(pid_t pid);

}  // namespace coex::cli
