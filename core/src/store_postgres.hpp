// The PostgreSQL store (libpq), behind open_store(): see coex/core/store.hpp and
// docs/distributed.md.
#pragma once

#include <memory>
#include <string>

#include "coex/core/store.hpp"

namespace coex::core {

/// Connects to `url` for run `run` (throws coex::UserError, password redacted, on failure).
std::unique_ptr<Store> open_postgres_store(const StorageUrl& url, Store::Access access,
                                           const std::string& run);

}  // namespace coex::core
