// SHA-256 (FIPS 180-4) of a file, for the manifest's record of its plugin library.
#pragma once

#include <filesystem>
#include <string>

namespace coex::core {

/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(const std::string& data);

/// Lower-case hex SHA-256 of the file's bytes. Throws coex::Error naming the file if it cannot
/// be read.
std::string sha256_file(const std::filesystem::path& file);

}  // namespace coex::core
