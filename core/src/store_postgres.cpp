// PostgresStore: the run store in a PostgreSQL database, shared by a leader and its workers
// (docs/distributed.md). Three tables hold every run of the database, keyed by run name:
// coex_meta, coex_candidates (the SQLite store's columns, store_rows.hpp) and coex_queue (the
// slow-level work). Every statement that writes is one transaction; claims use
// FOR UPDATE SKIP LOCKED so that claimers never wait on each other.
#include "store_postgres.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "coex/error.hpp"
#include "coex/log.hpp"
#include "store_rows.hpp"

namespace coex::core {

namespace {

using Param = std::optional<std::string>;

std::string real_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

double text_real(const char* s) { return std::strtod(s, nullptr); }

/// libpq's message on one line.
std::string one_line(const std::string& m) {
  std::string out;
  bool space = false;
  for (char ch : m) {
    if (ch == '\n' || ch == '\t' || ch == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += ch;
  }
  return out;
}

struct Result {
  PGresult* r = nullptr;
  explicit Result(PGresult* p) : r(p) {}
  ~Result() { PQclear(r); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  int rows() const { return PQntuples(r); }
  bool null(int row, int col) const { return PQgetisnull(r, row, col) != 0; }
  std::string text(int row, int col) const { return PQgetvalue(r, row, col); }
  /// Without a copy: valid while this result lives.
  std::string_view view(int row, int col) const {
    return {PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col))};
  }
  double real(int row, int col) const { return text_real(PQgetvalue(r, row, col)); }
  std::int64_t integer(int row, int col) const {
    return std::strtoll(PQgetvalue(r, row, col), nullptr, 10);
  }
  bool boolean(int row, int col) const { return PQgetvalue(r, row, col)[0] == 't'; }
  std::int64_t affected() const { return std::strtoll(PQcmdTuples(r), nullptr, 10); }
};

void quiet_notices(void*, const char*) {}

class PostgresStore final : public Store {
 public:
  PostgresStore(const StorageUrl& url, Access access, std::string run, bool create_schema)
      : url_(url), run_(std::move(run)) {
    if (run_.empty())
      throw UserError("storage " + url_.display +
                      " names no run. Fix: add ?run=NAME to the URL (or give --run NAME)");
    conn_ = PQconnectdb(url_.conninfo.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string msg = one_line(PQerrorMessage(conn_));
      PQfinish(conn_);
      conn_ = nullptr;
      throw UserError(url_.redact(connect_message(msg)));
    }
    PQsetNoticeProcessor(conn_, quiet_notices, nullptr);
    if (access == Access::kWrite && create_schema) {
      create_tables();
    } else if (access == Access::kRead) {
      Result r(exec_raw("SELECT to_regclass('coex_meta') IS NOT NULL", {}));
      const bool tables = r.rows() == 1 && r.boolean(0, 0);
      if (!tables || !meta("fingerprint")) {
        std::string known;
        if (tables) {
          Result runs(exec(
              "SELECT run FROM coex_meta WHERE key = 'fingerprint' ORDER BY run LIMIT 20", {}));
          for (int k = 0; k < runs.rows(); ++k)
            known += (known.empty() ? "" : ", ") + runs.text(k, 0);
        }
        throw UserError("no coex run '" + run_ + "' in " + url_.display +
                        (known.empty() ? " (it holds no coex run)" : " (its runs: " + known + ")") +
                        ". Fix: correct ?run=NAME, or start the run with `coex run CONFIG "
                        "--storage URL`");
      }
    }
  }
  ~PostgresStore() override { PQfinish(conn_); }
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  std::string where() const override { return url_.display; }

  std::optional<std::string> meta(const std::string& key) const override {
    Result r(exec("SELECT value FROM coex_meta WHERE run = $1 AND key = $2", {run_, key}));
    if (r.rows() == 0) return std::nullopt;
    return r.text(0, 0);
  }

  using Store::set_meta;
  void set_meta(const std::vector<std::pair<std::string, std::string>>& values) override {
    run("BEGIN", {});
    try {
      for (const auto& [key, value] : values)
        run("INSERT INTO coex_meta(run, key, value) VALUES($1, $2, $3) ON CONFLICT(run, key) DO "
            "UPDATE SET value = excluded.value",
            {run_, key, value});
      run("COMMIT", {});
    } catch (...) {
      PQclear(PQexec(conn_, "ROLLBACK"));
      throw;
    }
  }

  void commit(const CandidateRecord& rec) override {
    const rows::Row w = rows::encode(rec);
    const std::vector<Param> p{run_,
                               std::to_string(w.seq),
                               w.point,
                               w.description,
                               w.network_hash,
                               w.network_summary,
                               std::string(w.network),
                               w.hardware_point,
                               w.hardware_summary,
                               w.hardware_detail,
                               w.status,
                               w.reason,
                               w.accuracy ? Param(real_text(*w.accuracy)) : std::nullopt,
                               real_text(w.reward),
                               w.metrics,
                               w.objectives,
                               real_text(w.violation),
                               std::string(w.cached ? "true" : "false"),
                               std::string(w.trained ? "true" : "false"),
                               real_text(w.fast_s),
                               real_text(w.slow_s)};
    static const std::string sql =
        std::string("INSERT INTO coex_candidates(run, ") + rows::kColumns +
        ") VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21)";
    try {
      run(sql.c_str(), p);
    } catch (const UserError&) {
      throw;
    } catch (const Error& e) {
      throw Error("store " + url_.display + ": cannot commit candidate " + std::to_string(rec.seq) +
                  ": " + e.what());
    }
  }

  std::vector<CandidateRecord> load_all() const override {
    static const std::string sql =
        std::string("SELECT ") + rows::kColumns +
        ", EXTRACT(EPOCH FROM created - MIN(created) OVER ()) FROM coex_candidates WHERE run = "
        "$1 ORDER BY seq";
    Result r(exec(sql.c_str(), {run_}));
    std::vector<CandidateRecord> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      rows::Row row;
      row.seq = r.integer(i, 0);
      row.point = r.text(i, 1);
      row.description = r.text(i, 2);
      row.network_hash = r.text(i, 3);
      row.network_summary = r.text(i, 4);
      row.network = r.view(i, 5);
      row.hardware_point = r.text(i, 6);
      row.hardware_summary = r.text(i, 7);
      row.hardware_detail = r.text(i, 8);
      row.status = r.text(i, 9);
      row.reason = r.text(i, 10);
      if (!r.null(i, 11)) row.accuracy = r.real(i, 11);
      row.reward = r.real(i, 12);
      row.metrics = r.text(i, 13);
      row.objectives = r.text(i, 14);
      row.violation = r.real(i, 15);
      row.cached = r.boolean(i, 16);
      row.trained = r.boolean(i, 17);
      row.fast_s = r.real(i, 18);
      row.slow_s = r.real(i, 19);
      row.committed_s = r.real(i, 20);
      out.push_back(rows::decode(std::move(row), i, where() + " (run '" + run_ + "')"));
    }
    return out;
  }

  std::int64_t count() const override {
    Result r(exec("SELECT COUNT(*) FROM coex_candidates WHERE run = $1", {run_}));
    return r.integer(0, 0);
  }

  bool shared() const override { return true; }

  void lock_leader() override {
    Result r(
        exec("SELECT pg_try_advisory_lock(hashtextextended('coex-leader:' || $1, 0))", {run_}));
    if (!r.boolean(0, 0)) {
      const auto who = meta("leader");
      throw UserError("run '" + run_ + "' in " + url_.display + " is led by another coex run (" +
                      who.value_or("unknown") +
                      "). Fix: wait for it to end (workers join it with `coex worker`), or give "
                      "this one another ?run=NAME");
    }
  }

  void enqueue(const SlowJob& j) override {
    run("INSERT INTO coex_queue(run, seq, network_hash, description, point, network) "
        "VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT(run, seq) DO UPDATE SET "
        "network_hash = excluded.network_hash, description = excluded.description, point = "
        "excluded.point, network = excluded.network, state = 'queued', token = coex_queue.token + "
        "1, worker = NULL, lease_until = NULL, result = NULL "
        "WHERE coex_queue.network_hash <> excluded.network_hash",
        {run_, std::to_string(j.seq), j.network_hash, j.description, nlohmann::json(j.point).dump(),
         j.network_json});
  }

  std::optional<SlowJob> claim(const std::string& worker, double lease_seconds) override {
    Result r(exec(
        // The candidate is chosen by an uncorrelated scalar subquery, evaluated once (a join
        // with the subquery may be rescanned per row and claim several rows at once).
        "UPDATE coex_queue SET state = 'claimed', token = token + 1, worker = $2, "
        "lease_until = clock_timestamp() + make_interval(secs => $3), claims = claims + 1 "
        "WHERE run = $1 AND seq = (SELECT seq FROM coex_queue WHERE run = $1 AND (state = "
        "'queued' OR (state = 'claimed' AND lease_until < clock_timestamp())) ORDER BY seq "
        "LIMIT 1 FOR UPDATE SKIP LOCKED) "
        "RETURNING seq, network_hash, description, point, network, token",
        {run_, worker, real_text(lease_seconds)}));
    if (r.rows() == 0) return std::nullopt;
    if (r.rows() != 1) throw Error("store " + url_.display + ": a claim took several candidates");
    SlowJob j;
    j.seq = r.integer(0, 0);
    j.network_hash = r.text(0, 1);
    j.description = r.text(0, 2);
    j.point = nlohmann::json::parse(r.text(0, 3)).get<Point>();
    j.network_json = r.text(0, 4);
    j.token = r.integer(0, 5);
    return j;
  }

  bool renew(const SlowJob& j, double lease_seconds) override {
    Result r(
        exec("UPDATE coex_queue SET lease_until = clock_timestamp() + make_interval(secs => $4) "
             "WHERE run = $1 AND seq = $2 AND token = $3 AND state = 'claimed'",
             {run_, std::to_string(j.seq), std::to_string(j.token), real_text(lease_seconds)}));
    return r.affected() == 1;
  }

  bool complete(const SlowJob& j, const SlowResult& res) override {
    Result r(
        exec("UPDATE coex_queue SET state = 'done', result = $4, lease_until = NULL "
             "WHERE run = $1 AND seq = $2 AND token = $3 AND state = 'claimed'",
             {run_, std::to_string(j.seq), std::to_string(j.token), rows::encode_result(res)}));
    return r.affected() == 1;
  }

  void release(const SlowJob& j) override {
    run("UPDATE coex_queue SET state = 'queued', worker = NULL, lease_until = NULL "
        "WHERE run = $1 AND seq = $2 AND token = $3 AND state = 'claimed'",
        {run_, std::to_string(j.seq), std::to_string(j.token)});
  }

  std::vector<std::string> claimers() const override {
    Result r(
        exec("SELECT DISTINCT worker FROM coex_queue WHERE run = $1 AND state = 'claimed' AND "
             "lease_until >= clock_timestamp()",
             {run_}));
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
    return out;
  }

  void release_all(const std::string& worker) override {
    run("UPDATE coex_queue SET state = 'queued', worker = NULL, lease_until = NULL "
        "WHERE run = $1 AND worker = $2 AND state = 'claimed'",
        {run_, worker});
  }

  std::optional<SlowResult> result(std::int64_t seq, const std::string& network_hash) override {
    Result r(
        exec("SELECT result FROM coex_queue WHERE run = $1 AND seq = $2 AND network_hash = $3 AND "
             "state = 'done'",
             {run_, std::to_string(seq), network_hash}));
    if (r.rows() == 0) return std::nullopt;
    try {
      return rows::decode_result(r.text(0, 0));
    } catch (const std::exception& e) {
      throw UserError(url_.display + " (run '" + run_ + "') is damaged: the queued result of " +
                      "candidate " + std::to_string(seq) + " cannot be read (" + e.what() + ")" +
                      rows::kDamagedFix);
    }
  }

  QueueCounts queue_counts() const override {
    Result r(exec(
        "SELECT COUNT(*) FILTER (WHERE state = 'queued' OR (state = 'claimed' AND lease_until < "
        "clock_timestamp())), COUNT(*) FILTER (WHERE state = 'claimed' AND lease_until >= "
        "clock_timestamp()), COUNT(*) FILTER (WHERE state = 'done') FROM coex_queue WHERE run = $1",
        {run_}));
    return {r.integer(0, 0), r.integer(0, 1), r.integer(0, 2)};
  }

  std::unique_ptr<Store> reconnect() const override {
    return std::make_unique<PostgresStore>(url_, Access::kWrite, run_, false);
  }

 private:
  std::string connect_message(const std::string& msg) const {
    if (msg.find("password authentication failed") != std::string::npos ||
        msg.find("no password supplied") != std::string::npos)
      return "PostgreSQL at " + url_.display + " refused the login: " + msg +
             ". Fix: check the user, and give the password through PGPASSWORD or a ~/.pgpass line "
             "(host:port:database:user:password, mode 0600); never in the URL";
    if (msg.find("database") != std::string::npos &&
        msg.find("does not exist") != std::string::npos)
      return "PostgreSQL at " + url_.display + ": " + msg +
             ". Fix: create it (createdb DATABASE, or CREATE DATABASE as its owner) or correct "
             "the URL";
    return "cannot reach PostgreSQL at " + url_.display + ": " + msg +
           ". Fix: check the host and port, that the server runs and accepts connections from "
           "here (listen_addresses, pg_hba.conf)";
  }

  void create_tables() {
    // Concurrent first connections (a leader and its workers) would race on CREATE TABLE IF NOT
    // EXISTS: one transaction-level advisory lock serialises them.
    run("BEGIN", {});
    try {
      run("SELECT pg_advisory_xact_lock(hashtextextended('coex-schema', 0))", {});
      run("CREATE TABLE IF NOT EXISTS coex_meta(run TEXT NOT NULL, key TEXT NOT NULL, value TEXT "
          "NOT NULL, PRIMARY KEY(run, key))",
          {});
      run("CREATE TABLE IF NOT EXISTS coex_candidates(run TEXT NOT NULL, seq BIGINT NOT NULL, "
          "point TEXT NOT NULL, description TEXT, network_hash TEXT, network_summary TEXT, "
          "network TEXT, hardware_point TEXT, hardware_summary TEXT, hardware_detail TEXT, status "
          "TEXT NOT NULL, reason TEXT, accuracy DOUBLE PRECISION, reward DOUBLE PRECISION, "
          "metrics TEXT, objectives TEXT, violation DOUBLE PRECISION, cached BOOLEAN, trained "
          "BOOLEAN, fast_s DOUBLE PRECISION, slow_s DOUBLE PRECISION, created TIMESTAMPTZ NOT "
          "NULL DEFAULT clock_timestamp(), PRIMARY KEY(run, seq))",
          {});
      run("CREATE TABLE IF NOT EXISTS coex_queue(run TEXT NOT NULL, seq BIGINT NOT NULL, "
          "network_hash TEXT NOT NULL, description TEXT NOT NULL, point TEXT NOT NULL, network "
          "TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'queued', token BIGINT NOT NULL DEFAULT 0, "
          "worker TEXT, lease_until TIMESTAMPTZ, result TEXT, claims INTEGER NOT NULL DEFAULT 0, "
          "PRIMARY KEY(run, seq))",
          {});
      run("COMMIT", {});
    } catch (...) {
      PQclear(PQexec(conn_, "ROLLBACK"));
      throw;
    }
  }

  PGresult* exec_raw(const char* sql, const std::vector<Param>& params) const {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    return PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(),
                        nullptr, nullptr, 0);
  }

  /// Runs `sql`; throws coex::UserError if the connection is lost (with the fix), coex::Error
  /// for any other failure.
  PGresult* exec(const char* sql, const std::vector<Param>& params) const {
    PGresult* r = exec_raw(sql, params);
    const auto st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
    const std::string msg = one_line(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
    PQclear(r);
    if (PQstatus(conn_) == CONNECTION_BAD)
      throw UserError(url_.redact("lost the connection to PostgreSQL at " + url_.display + ": " +
                                  msg +
                                  ". Fix: check the server; every committed candidate is kept: "
                                  "rerun with --resume"));
    throw Error(url_.redact("store " + url_.display + ": " + msg));
  }
  /// exec() for a statement whose rows are not needed.
  void run(const std::string& sql, const std::vector<Param>& params) const {
    PQclear(exec(sql.c_str(), params));
  }

  StorageUrl url_;
  std::string run_;
  PGconn* conn_ = nullptr;
};

}  // namespace

std::unique_ptr<Store> open_postgres_store(const StorageUrl& url, Store::Access access,
                                           const std::string& run) {
  return std::make_unique<PostgresStore>(url, access, run, true);
}

}  // namespace coex::core
