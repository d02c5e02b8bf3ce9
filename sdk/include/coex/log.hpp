// The SDK logger. Plugins log through it and never print directly: the host decides where logs
// go (terminal, run directory) and at which level.
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

#include "coex/visibility.hpp"

namespace coex {

/// The process-wide coex logger (thread-safe, never null). Owned by libcoex_core.
COEX_API std::shared_ptr<spdlog::logger> logger();

/// Replaces the process-wide logger (host only).
COEX_API void set_logger(std::shared_ptr<spdlog::logger> l);

}  // namespace coex
