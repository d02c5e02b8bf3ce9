#include "coex/core/store.hpp"

#include <sqlite3.h>

#include "coex/error.hpp"
#include "store_rows.hpp"

namespace coex::core {

using json = nlohmann::json;

namespace {

sqlite3_stmt* prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
    throw Error(std::string("store: cannot prepare statement: ") + sqlite3_errmsg(db));
  return s;
}

/// A statement: owned (finalized on destruction), or borrowed (reset and unbound instead).
struct Stmt {
  sqlite3_stmt* s = nullptr;
  bool owned = true;
  Stmt(sqlite3* db, const char* sql) : s(prepare(db, sql)) {}
  explicit Stmt(sqlite3_stmt* borrowed) : s(borrowed), owned(false) {}
  ~Stmt() {
    if (owned) {
      sqlite3_finalize(s);
    } else {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  }
  void text(int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  /// Binds without a copy: `v` must outlive the statement's step.
  void text_static(int i, std::string_view v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void real(int i, double v) { sqlite3_bind_double(s, i, v); }
  void integer(int i, std::int64_t v) { sqlite3_bind_int64(s, i, v); }
  void null(int i) { sqlite3_bind_null(s, i); }
  /// Column `i` without a copy: valid until the statement's next step.
  std::string_view col_view(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
             : std::string_view();
  }
  std::string col_text(int i) const {
    const auto* p = sqlite3_column_text(s, i);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
};

/// SQLite's last message on `db` (or "out of memory" when the open did not even allocate it),
/// after which `db` is closed and null: for a connection that cannot be used.
std::string close_with_error(sqlite3*& db) {
  std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
  sqlite3_close(db);
  db = nullptr;
  return msg;
}

}  // namespace

SqliteStore::SqliteStore(const std::filesystem::path& file, Access access) : file_(file) {
  if (access == Access::kRead) {
    open_for_reading();
    return;
  }
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK)
    throw UserError("cannot open run store " + file.string() + ": " + close_with_error(db_) +
                    ". Fix: check that the run directory is writable");
  sqlite3_busy_timeout(db_, 5000);
  try {
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    // Checkpoint every 10,000 pages (~40 MB of WAL) instead of 1,000: each checkpoint syncs, and
    // a training-free search commits a candidate (its IR, ~13 KB) every few tens of microseconds.
    exec("PRAGMA wal_autocheckpoint=10000");
    exec(
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS candidates("
        " seq INTEGER PRIMARY KEY, point TEXT NOT NULL, description TEXT, network_hash TEXT,"
        " network_summary TEXT, network TEXT, hardware_point TEXT, hardware_summary TEXT,"
        " hardware_detail TEXT, status TEXT NOT NULL, reason TEXT, accuracy REAL, reward REAL,"
        " metrics TEXT, objectives TEXT, violation REAL, cached INTEGER, trained INTEGER,"
        " fast_s REAL, slow_s REAL,"
        " created TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')))");
  } catch (const Error& e) {
    // The destructor does not run for a constructor that throws: release the connection here.
    sqlite3_close(db_);
    db_ = nullptr;
    throw UserError(file.string() + " is not a usable coex store: " + e.what() +
                    ". Fix: use a fresh --out directory");
  }
}

void SqliteStore::open_for_reading() {
  const std::string fix = ". Fix: give the directory of a coex run (it holds coex.db)";
  if (!std::filesystem::is_regular_file(file_))
    throw UserError("no run store at " + file_.string() + fix);
  // Read-write without create when allowed (a WAL reader needs the -shm file), else read-only;
  // nothing is written either way.
  int rc = sqlite3_open_v2(file_.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_close(db_);
    db_ = nullptr;
    rc = sqlite3_open_v2(file_.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr);
  }
  if (rc != SQLITE_OK)
    throw UserError("cannot open run store " + file_.string() + ": " + close_with_error(db_) +
                    ". Fix: check that it is readable");
  sqlite3_busy_timeout(db_, 5000);
  bool ok = true;
  for (const char* probe :
       {"SELECT seq, created FROM candidates LIMIT 0", "SELECT key, value FROM meta LIMIT 0"}) {
    sqlite3_stmt* s = nullptr;
    ok = ok && sqlite3_prepare_v2(db_, probe, -1, &s, nullptr) == SQLITE_OK;
    sqlite3_finalize(s);
  }
  if (!ok)
    throw UserError(file_.string() + " is not a coex run store (" + close_with_error(db_) + ")" +
                    fix);
}

SqliteStore::~SqliteStore() {
  sqlite3_finalize(insert_);
  sqlite3_close(db_);
}

void SqliteStore::exec(const std::string& sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw Error("store " + file_.string() + ": " + msg);
  }
}

std::optional<std::string> SqliteStore::meta(const std::string& key) const {
  Stmt st(db_, "SELECT value FROM meta WHERE key = ?");
  st.text(1, key);
  if (sqlite3_step(st.s) == SQLITE_ROW) return st.col_text(0);
  return std::nullopt;
}

void SqliteStore::set_meta(const std::vector<std::pair<std::string, std::string>>& values) {
  auto fail = [&](int rc) {
    const std::string why = sqlite3_errmsg(db_);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    if ((rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR)
      throw UserError("cannot write the run's settings to " + file_.string() + ": " + why +
                      ". Fix: free space on its disk (or raise the file size limit), then rerun "
                      "with --resume");
    throw Error("store " + file_.string() + ": " + why);
  };
  int rc = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc);
  {
    Stmt st(db_,
            "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = "
            "excluded.value");
    for (const auto& [key, value] : values) {
      st.text(1, key);
      st.text(2, value);
      if ((rc = sqlite3_step(st.s)) != SQLITE_DONE) fail(rc);
      sqlite3_reset(st.s);
    }
  }
  if ((rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr)) != SQLITE_OK) fail(rc);
}

void SqliteStore::commit(const CandidateRecord& r) {
  if (!insert_)
    insert_ = prepare(db_, (std::string("INSERT INTO candidates(") + rows::kColumns +
                            ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
                               .c_str());
  Stmt st(insert_);
  const rows::Row row = rows::encode(r);
  st.integer(1, row.seq);
  st.text(2, row.point);
  st.text(3, row.description);
  st.text(4, row.network_hash);
  st.text(5, row.network_summary);
  st.text_static(6, row.network);
  st.text(7, row.hardware_point);
  st.text(8, row.hardware_summary);
  st.text(9, row.hardware_detail);
  st.text(10, row.status);
  st.text(11, row.reason);
  if (row.accuracy)
    st.real(12, *row.accuracy);
  else
    st.null(12);
  st.real(13, row.reward);
  st.text(14, row.metrics);
  st.text(15, row.objectives);
  st.real(16, row.violation);
  st.integer(17, row.cached ? 1 : 0);
  st.integer(18, row.trained ? 1 : 0);
  st.real(19, row.fast_s);
  st.real(20, row.slow_s);
  const int rc = sqlite3_step(st.s);
  if (rc == SQLITE_DONE) return;
  const std::string why = sqlite3_errmsg(db_);
  // The insert is one transaction: on failure nothing of it is kept, so the store holds exactly
  // the candidates before this one. A full disk (or a file size limit) is the user's to fix.
  if ((rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR)
    throw UserError("cannot commit candidate " + std::to_string(r.seq) + " to " + file_.string() +
                    ": " + why +
                    "; the store keeps the candidates before it. Fix: free space on "
                    "its disk (or raise the file size limit), then rerun with --resume");
  throw Error("store " + file_.string() + ": cannot commit candidate " + std::to_string(r.seq) +
              ": " + why);
}

std::int64_t SqliteStore::count() const {
  Stmt st(db_, "SELECT COUNT(*) FROM candidates");
  sqlite3_step(st.s);
  return sqlite3_column_int64(st.s, 0);
}

std::vector<CandidateRecord> SqliteStore::load_all() const {
  Stmt st(db_, (std::string("SELECT ") + rows::kColumns +
                ", (julianday(created) - (SELECT julianday(MIN(created)) FROM candidates)) * "
                "86400.0 FROM candidates ORDER BY seq")
                   .c_str());
  std::vector<CandidateRecord> out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) {
    rows::Row row;
    row.seq = sqlite3_column_int64(st.s, 0);
    row.point = st.col_text(1);
    row.description = st.col_text(2);
    row.network_hash = st.col_text(3);
    row.network_summary = st.col_text(4);
    row.network = st.col_view(5);
    row.hardware_point = st.col_text(6);
    row.hardware_summary = st.col_text(7);
    row.hardware_detail = st.col_text(8);
    row.status = st.col_text(9);
    row.reason = st.col_text(10);
    if (sqlite3_column_type(st.s, 11) != SQLITE_NULL)
      row.accuracy = sqlite3_column_double(st.s, 11);
    row.reward = sqlite3_column_double(st.s, 12);
    row.metrics = st.col_text(13);
    row.objectives = st.col_text(14);
    row.violation = sqlite3_column_double(st.s, 15);
    row.cached = sqlite3_column_int64(st.s, 16) != 0;
    row.trained = sqlite3_column_int64(st.s, 17) != 0;
    row.fast_s = sqlite3_column_double(st.s, 18);
    row.slow_s = sqlite3_column_double(st.s, 19);
    row.committed_s = sqlite3_column_double(st.s, 20);
    out.push_back(
        rows::decode(std::move(row), static_cast<std::int64_t>(out.size()), file_.string()));
  }
  if (rc != SQLITE_DONE)
    throw UserError(file_.string() + " is damaged: reading candidate " +
                    std::to_string(out.size()) + " failed (" + sqlite3_errmsg(db_) + ")" +
                    rows::kDamagedFix);
  return out;
}

}  // namespace coex::core
