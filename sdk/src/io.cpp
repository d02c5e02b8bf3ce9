#include "coex/io.hpp"

#include <unistd.h>

#include <fstream>
#include <system_error>

#include "coex/error.hpp"

namespace coex {

namespace fs = std::filesystem;

void write_file_atomic(const fs::path& file, const std::string& text) {
  const fs::path tmp = file.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
    o << text;
    o.flush();
    if (!o) {
      std::error_code ignored;
      fs::remove(tmp, ignored);
      throw Error("cannot write " + tmp.string());
    }
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw Error("cannot rename " + tmp.string() + " to " + file.string() + ": " + ec.message());
  }
}

}  // namespace coex
