// SHA-256 against the FIPS 180-2 example digests, and of a file read in chunks.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "coex/core/sha256.hpp"
#include "coex/error.hpp"

using namespace coex::core;

TEST(Sha256, FipsExamples) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, FileOfAMillionAsReadInChunks) {
  const auto file =
      std::filesystem::temp_directory_path() / ("coex_sha256_" + std::to_string(::getpid()));
  std::ofstream(file) << std::string(1000000, 'a');
  EXPECT_EQ(sha256_file(file), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  std::filesystem::remove(file);
  EXPECT_THROW(sha256_file(file), coex::Error);
}
