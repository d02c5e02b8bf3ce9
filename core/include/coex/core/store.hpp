// The run's store (docs/architecture.md, "Store and resume"; docs/distributed.md): one interface,
// two implementations over one schema. SQLite (`sqlite:///PATH`, the default: WAL journal, one
// transaction per candidate) for a run on one machine; PostgreSQL (`postgresql://...?run=NAME`,
// libpq) for a run shared by a leader and workers on many machines. Either way every candidate is
// committed in its own transaction as soon as it ends, so a process killed at any instant loses
// nothing already evaluated.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coex/core/candidate.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace coex::core {

/// Where a run's store lives, from `--storage`:
///   sqlite:///ABSOLUTE/PATH/coex.db  or  sqlite://RELATIVE/PATH/coex.db  (a file)
///   postgresql://USER@HOST:PORT/DB?run=NAME  (also postgres://; any libpq URI parameter may be
///   added, e.g. sslmode=require; `run` is coex's own and names the run inside the database)
/// Credentials come from libpq's usual sources (PGPASSWORD, PGPASSFILE or ~/.pgpass); a password
/// written into the URL is accepted but never printed: `display` has it replaced by "***".
struct StorageUrl {
  enum class Kind { kSqlite, kPostgres };
  Kind kind = Kind::kSqlite;
  std::filesystem::path file;  ///< kSqlite: the database file
  std::string conninfo;        ///< kPostgres: the URI for libpq, without `run`
  std::string run;             ///< kPostgres: the run's name ("" = not given)
  std::string display;         ///< the URL as it may be shown (password redacted)
  std::string password;        ///< the URL's own password, if any (for redaction only)
  /// The URL without its password, with `run` (what a run directory's storage.url keeps).
  std::string shareable() const;

  /// Parses `text`. Throws coex::UserError naming `option` (e.g. "--storage") and the accepted
  /// forms when it is neither.
  static StorageUrl parse(const std::string& text, const std::string& option = "--storage");
  /// The SQLite store of a run directory (`dir/coex.db`).
  static StorageUrl of_run_dir(const std::filesystem::path& dir);
  bool postgres() const { return kind == Kind::kPostgres; }
  /// `message` with this URL's password (if any) replaced by "***".
  std::string redact(std::string message) const;

 private:
  std::string base_without_password_, query_without_run_;  ///< kPostgres: for shareable()
};

/// One candidate's slow-level work, queued by the leader for any worker (PostgreSQL stores).
struct SlowJob {
  std::int64_t seq = 0;
  std::string network_hash;
  std::string description;   ///< EstimateContext::description
  Point point;               ///< EstimateContext::point (the network part)
  std::string network_json;  ///< the IR
  std::int64_t token = 0;    ///< the claim's token (set by claim(); renew/complete check it)
};

/// What a worker found: the estimator's answer, or why it failed (the candidate's status is then
/// `failed`, as when the estimator throws on one machine).
struct SlowResult {
  bool failed = false;
  std::string reason;  ///< failed: the estimator's message
  double accuracy = 0;
  Metrics extras;      ///< Estimate::extras
  double seconds = 0;  ///< the worker's wall-clock seconds in the estimator
  std::string worker;  ///< "host:pid" of the worker that answered
};

class Store {
 public:
  /// kWrite: the run's own connection (creates the store if needed). kRead: a reader beside a
  /// run that may be in progress (reports, export): never creates or changes anything, sees what
  /// is committed.
  enum class Access { kWrite, kRead };
  virtual ~Store() = default;

  /// Where the store is, for messages ("runs/x/coex.db", or the URL with the password redacted).
  virtual std::string where() const = 0;

  /// A run-level value (config fingerprint, seed, ...), or empty.
  virtual std::optional<std::string> meta(const std::string& key) const = 0;
  /// Sets run-level values, all in one transaction. Throws coex::UserError (with the fix) when the
  /// disk is full or the server cannot be reached, coex::Error otherwise.
  virtual void set_meta(const std::vector<std::pair<std::string, std::string>>& values) = 0;
  void set_meta(const std::string& key, const std::string& value) { set_meta({{key, value}}); }

  /// Appends one candidate in its own transaction (durable when this returns). Throws
  /// coex::Error if a candidate with the same seq exists.
  virtual void commit(const CandidateRecord& r) = 0;
  /// All candidates, by seq (0, 1, 2, ... as committed). Throws coex::UserError (exit code 2)
  /// naming the store and the candidate if it is damaged: a row that cannot be read, a gap in the
  /// sequence, or the database reporting corruption; nothing is written then.
  virtual std::vector<CandidateRecord> load_all() const = 0;
  virtual std::int64_t count() const = 0;

  // ---- the slow-level queue (docs/distributed.md); only stores with shared() == true ----

  /// True if other processes (workers) can share this store's run.
  virtual bool shared() const { return false; }
  /// The leader's claim on the run: held while this connection lives (dropped by the server
  /// when the process dies in any way). Throws coex::UserError if another leader holds it.
  virtual void lock_leader();
  /// Queues `job` unless the queue already holds its seq for the same network (a resumed leader
  /// keeps what workers already found); a different network there is replaced.
  virtual void enqueue(const SlowJob& job);
  /// Takes the first queued job (or one whose lease ran out) for `worker`, leased for
  /// `lease_seconds`; skips rows other claimers have locked. Empty when there is none.
  virtual std::optional<SlowJob> claim(const std::string& worker, double lease_seconds);
  /// Extends the lease of `job`. False if the lease was lost (ran out and another took it).
  virtual bool renew(const SlowJob& job, double lease_seconds);
  /// Records `result` for `job` in one transaction. False (nothing written) if the lease was lost.
  virtual bool complete(const SlowJob& job, const SlowResult& result);
  /// Gives `job` back to the queue (a worker that cannot evaluate it).
  virtual void release(const SlowJob& job);
  /// Workers ("host:pid") holding claims on this run now (leases not run out).
  virtual std::vector<std::string> claimers() const;
  /// Gives every claim of `worker` back to the queue (a worker known to be dead).
  virtual void release_all(const std::string& worker);
  /// The result found for candidate `seq` of network `network_hash`, if a worker recorded one.
  virtual std::optional<SlowResult> result(std::int64_t seq, const std::string& network_hash);
  /// Jobs of this run by state: queued (incl. leases run out), claimed, done.
  struct QueueCounts {
    std::int64_t queued = 0, claimed = 0, done = 0;
  };
  virtual QueueCounts queue_counts() const;
  /// A second connection to the same run (for a heartbeat thread: a connection serves one
  /// thread).
  virtual std::unique_ptr<Store> reconnect() const;
};

/// The run store in one SQLite file.
class SqliteStore final : public Store {
 public:
  /// Opens `file`. Throws coex::UserError if it cannot be opened or is not a coex store.
  explicit SqliteStore(const std::filesystem::path& file, Access access = Access::kWrite);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  std::string where() const override { return file_.string(); }
  std::optional<std::string> meta(const std::string& key) const override;
  using Store::set_meta;
  void set_meta(const std::vector<std::pair<std::string, std::string>>& values) override;
  void commit(const CandidateRecord& r) override;
  std::vector<CandidateRecord> load_all() const override;
  std::int64_t count() const override;

 private:
  void exec(const std::string& sql) const;
  void open_for_reading();
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;  ///< commit()'s statement, prepared once
  std::filesystem::path file_;
};

/// The store of the run in `run_dir`: its coex.db, or the store its `storage.url` names (written
/// by a run whose --storage is elsewhere, e.g. a PostgreSQL leader). Throws coex::UserError
/// naming `run_dir` when it has neither.
std::unique_ptr<Store> open_run_store(const std::filesystem::path& run_dir,
                                      Store::Access access = Store::Access::kRead);

/// Opens the store `url` names. For kWrite on PostgreSQL, creates the schema if needed (tables
/// coex_meta, coex_candidates, coex_queue; concurrent creators are serialised). `run` overrides
/// the URL's run name when the URL has none. Throws coex::UserError (exit code 2) with the
/// password redacted when the server cannot be reached, refuses the login, the database does not
/// exist, or (kRead) the run is not there.
std::unique_ptr<Store> open_store(const StorageUrl& url, Store::Access access,
                                  const std::string& run = "");

}  // namespace coex::core
