#include "coex/io.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "coex/error.hpp"

namespace coex {

namespace fs = std::filesystem;

void write_file_atomic(const fs::path& file, const std::string& text) {
  const fs::path tmp = file.string() + ".tmp." + std::to_string(::getpid());
  {
    errno = 0;
    std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
    o << text;
    o.flush();
    if (!o) {
      const int err = errno;
      std::error_code ignored;
      fs::remove(tmp, ignored);
      const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
      const std::string why = !fs::is_directory(dir, ignored)
                                  ? "the folder " + dir.string() + " does not exist"
                                  : (err ? std::strerror(err) : "write failed");
      throw UserError("cannot write " + file.string() + ": " + why +
                      ". Fix: write to an existing folder you may write to, with free space; "
                      "nothing was written");
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
