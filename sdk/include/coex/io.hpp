// Files that are never half-written: what a plugin or the core saves (a fitted predictor, a
// profile, an export) goes to a temporary file beside the target and is renamed over it, so a
// crash or a full disk leaves either the old file or the new one, never a torn one.
#pragma once

#include <filesystem>
#include <string>

#include "coex/visibility.hpp"

namespace coex {

/// Writes `text` to `file` atomically: to `<file>.tmp.<pid>` first, flushed, then renamed over
/// `file` (rename is atomic within one file system). The folder must exist.
/// Thread-safety: safe for distinct files; two writers of one file leave one of the two texts.
/// Throws coex::UserError naming the path, the reason (a missing folder, the system's error:
/// full disk, permissions) and the fix if the temporary file cannot be written, coex::Error if it
/// cannot be renamed; the temporary file is removed then and `file` is left as it was.
COEX_API void write_file_atomic(const std::filesystem::path& file, const std::string& text);

}  // namespace coex
