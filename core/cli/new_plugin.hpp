// `coex new-plugin`: writes a plugin skeleton that builds against the installed SDK.
#pragma once

#include <filesystem>
#include <string>

namespace coex::cli {

/// Writes CMakeLists.txt, NAME.cpp, tests/NAME_test.cpp and README.md into `dir` (created; must
/// be absent or empty). Throws coex::UserError for an unknown kind, a bad name or a used folder.
void new_plugin(const std::string& kind, const std::string& name, const std::filesystem::path& dir);

}  // namespace coex::cli
