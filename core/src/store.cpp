#include "coex/core/store.hpp"

#include <sqlite3.h>

#include "coex/error.hpp"

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
  void text_static(int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.c_str(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void real(int i, double v) { sqlite3_bind_double(s, i, v); }
  void integer(int i, std::int64_t v) { sqlite3_bind_int64(s, i, v); }
  void null(int i) { sqlite3_bind_null(s, i); }
  std::string col_text(int i) const {
    const auto* p = sqlite3_column_text(s, i);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
};

json point_json(const Point& p) { return json(p); }

/// SQLite's last message on `db` (or "out of memory" when the open did not even allocate it),
/// after which `db` is closed and null: for a connection that cannot be used.
std::string close_with_error(sqlite3*& db) {
  std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
  sqlite3_close(db);
  db = nullptr;
  return msg;
}

}  // namespace

Store::Store(const std::filesystem::path& file, Access access) : file_(file) {
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

void Store::open_for_reading() {
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

Store::~Store() {
  sqlite3_finalize(insert_);
  sqlite3_close(db_);
}

void Store::exec(const std::string& sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw Error("store " + file_.string() + ": " + msg);
  }
}

std::optional<std::string> Store::meta(const std::string& key) const {
  Stmt st(db_, "SELECT value FROM meta WHERE key = ?");
  st.text(1, key);
  if (sqlite3_step(st.s) == SQLITE_ROW) return st.col_text(0);
  return std::nullopt;
}

void Store::set_meta(const std::vector<std::pair<std::string, std::string>>& values) {
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

void Store::commit(const CandidateRecord& r) {
  if (!insert_)
    insert_ = prepare(
        db_,
        "INSERT INTO candidates(seq, point, description, network_hash, network_summary, network,"
        " hardware_point, hardware_summary, hardware_detail, status, reason, accuracy, reward,"
        " metrics, objectives, violation, cached, trained, fast_s, slow_s)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  Stmt st(insert_);
  const Outcome& o = r.outcome;
  st.integer(1, r.seq);
  st.text(2, point_json(r.point).dump());
  st.text(3, r.description);
  st.text(4, r.network_hash);
  st.text(5, r.network_summary);
  static const std::string null_text = "null";
  st.text_static(6, r.network_json.empty() ? null_text : r.network_json);
  st.text(7, point_json(r.hardware_point).dump());
  st.text(8, r.hardware_summary);
  st.text(9, r.hardware_detail.dump());
  st.text(10, status_name(o.status));
  st.text(11, o.reason);
  if (o.accuracy)
    st.real(12, *o.accuracy);
  else
    st.null(12);
  st.real(13, o.reward);
  st.text(14, o.metrics.to_json().dump());
  st.text(15, json(o.objectives).dump());
  st.real(16, o.violation);
  st.integer(17, o.cached ? 1 : 0);
  st.integer(18, r.trained ? 1 : 0);
  st.real(19, r.fast_seconds);
  st.real(20, r.slow_seconds);
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

std::int64_t Store::count() const {
  Stmt st(db_, "SELECT COUNT(*) FROM candidates");
  sqlite3_step(st.s);
  return sqlite3_column_int64(st.s, 0);
}

std::vector<CandidateRecord> Store::load_all() const {
  Stmt st(db_,
          "SELECT seq, point, description, network_hash, network_summary, network, hardware_point,"
          " hardware_summary, hardware_detail, status, reason, accuracy, reward, metrics,"
          " objectives, violation, cached, trained, fast_s, slow_s,"
          " (julianday(created) - (SELECT julianday(MIN(created)) FROM candidates)) * 86400.0"
          " FROM candidates ORDER BY seq");
  const std::string fix =
      ". Fix: restore the run directory from a backup, or start again with --out NEW_DIR";
  std::vector<CandidateRecord> out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) {
    CandidateRecord r;
    r.seq = sqlite3_column_int64(st.s, 0);
    // Candidates are committed in sequence: a gap means rows were lost.
    if (r.seq != static_cast<std::int64_t>(out.size()))
      throw UserError(file_.string() + " is damaged: candidate " + std::to_string(out.size()) +
                      " is missing (the next one is " + std::to_string(r.seq) + ")" + fix);
    try {
      r.point = json::parse(st.col_text(1)).get<Point>();
      r.description = st.col_text(2);
      r.network_hash = st.col_text(3);
      r.network_summary = st.col_text(4);
      r.network_json = st.col_text(5);
      if (r.network_json == "null") r.network_json.clear();
      r.hardware_point = json::parse(st.col_text(6)).get<Point>();
      r.hardware_summary = st.col_text(7);
      r.hardware_detail = json::parse(st.col_text(8));
      const std::string status = st.col_text(9);
      bool known = false;
      for (auto k : {CandidateStatus::kInvalid, CandidateStatus::kPruned,
                     CandidateStatus::kEvaluated, CandidateStatus::kFailed})
        if (status == status_name(k)) r.outcome.status = k, known = true;
      if (!known) throw Error("unknown status '" + status + "'");
      r.outcome.reason = st.col_text(10);
      if (sqlite3_column_type(st.s, 11) != SQLITE_NULL)
        r.outcome.accuracy = sqlite3_column_double(st.s, 11);
      r.outcome.reward = sqlite3_column_double(st.s, 12);
      r.outcome.metrics = Metrics::from_json(json::parse(st.col_text(13)));
      r.outcome.objectives = json::parse(st.col_text(14)).get<std::vector<double>>();
    } catch (const std::exception& e) {
      throw UserError(file_.string() + " is damaged: candidate " + std::to_string(r.seq) +
                      " cannot be read (" + e.what() + ")" + fix);
    }
    r.outcome.violation = sqlite3_column_double(st.s, 15);
    r.outcome.cached = sqlite3_column_int64(st.s, 16) != 0;
    r.trained = sqlite3_column_int64(st.s, 17) != 0;
    r.fast_seconds = sqlite3_column_double(st.s, 18);
    r.slow_seconds = sqlite3_column_double(st.s, 19);
    r.committed_s = sqlite3_column_double(st.s, 20);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE)
    throw UserError(file_.string() + " is damaged: reading candidate " +
                    std::to_string(out.size()) + " failed (" + sqlite3_errmsg(db_) + ")" + fix);
  return out;
}

}  // namespace coex::core
