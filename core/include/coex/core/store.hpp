// The run's SQLite store (docs/architecture.md, "Store and resume"): WAL journal, one transaction
// per candidate, committed as soon as the candidate ends, so a run killed at any instant loses
// nothing already evaluated.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coex/core/candidate.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace coex::core {

class Store {
 public:
  /// kWrite: the run's own connection (creates the store if needed). kRead: a reader beside a
  /// run that may be in progress (reports, export): never creates or changes anything, sees what
  /// is committed.
  enum class Access { kWrite, kRead };
  /// Opens `file`. Throws coex::UserError if it cannot be opened or is not a coex store.
  explicit Store(const std::filesystem::path& file, Access access = Access::kWrite);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// A run-level value (config fingerprint, seed, ...), or empty.
  std::optional<std::string> meta(const std::string& key) const;
  /// Sets run-level values, all in one transaction. Throws coex::UserError (with the fix) when the
  /// disk is full or the file size limit is reached, coex::Error otherwise.
  void set_meta(const std::vector<std::pair<std::string, std::string>>& values);
  void set_meta(const std::string& key, const std::string& value) { set_meta({{key, value}}); }

  /// Appends one candidate in its own transaction (durable when this returns). Throws
  /// coex::Error if a candidate with the same seq exists.
  void commit(const CandidateRecord& r);
  /// All candidates, by seq (0, 1, 2, ... as committed). Throws coex::UserError (exit code 2)
  /// naming the file and the candidate if the store is damaged: a row that cannot be read, a gap
  /// in the sequence, or SQLite reporting corruption; nothing is written then.
  std::vector<CandidateRecord> load_all() const;
  std::int64_t count() const;

 private:
  void exec(const std::string& sql) const;
  void open_for_reading();
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;  ///< commit()'s statement, prepared once
  std::filesystem::path file_;
};

}  // namespace coex::core
