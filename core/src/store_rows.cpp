// What both stores share: the row codec (store_rows.hpp), storage URLs, the queue's defaults for
// stores that cannot be shared, and open_store().
#include "store_rows.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

#include "coex/core/store.hpp"
#include "coex/error.hpp"
#include "store_postgres.hpp"

namespace coex::core {

using json = nlohmann::json;

namespace rows {

Row encode(const CandidateRecord& r) {
  const Outcome& o = r.outcome;
  Row row;
  row.seq = r.seq;
  row.point = json(r.point).dump();
  row.description = r.description;
  row.network_hash = r.network_hash;
  row.network_summary = r.network_summary;
  row.network = r.network_json.empty() ? std::string_view("null") : r.network_json;
  row.hardware_point = json(r.hardware_point).dump();
  row.hardware_summary = r.hardware_summary;
  row.hardware_detail = r.hardware_detail.dump();
  row.status = status_name(o.status);
  row.reason = o.reason;
  row.accuracy = o.accuracy;
  row.reward = o.reward;
  row.metrics = o.metrics.to_json().dump();
  row.objectives = json(o.objectives).dump();
  row.violation = o.violation;
  row.cached = o.cached;
  row.trained = r.trained;
  row.fast_s = r.fast_seconds;
  row.slow_s = r.slow_seconds;
  return row;
}

CandidateRecord decode(Row&& row, std::int64_t expected_seq, const std::string& where) {
  CandidateRecord r;
  r.seq = row.seq;
  // Candidates are committed in sequence: a gap means rows were lost.
  if (r.seq != expected_seq)
    throw UserError(where + " is damaged: candidate " + std::to_string(expected_seq) +
                    " is missing (the next one is " + std::to_string(r.seq) + ")" + kDamagedFix);
  try {
    r.point = json::parse(row.point).get<Point>();
    r.description = std::move(row.description);
    r.network_hash = std::move(row.network_hash);
    r.network_summary = std::move(row.network_summary);
    if (row.network != "null") r.network_json = row.network;
    r.hardware_point = json::parse(row.hardware_point).get<Point>();
    r.hardware_summary = std::move(row.hardware_summary);
    r.hardware_detail = json::parse(row.hardware_detail);
    bool known = false;
    for (auto k : {CandidateStatus::kInvalid, CandidateStatus::kPruned, CandidateStatus::kEvaluated,
                   CandidateStatus::kFailed})
      if (row.status == status_name(k)) r.outcome.status = k, known = true;
    if (!known) throw Error("unknown status '" + row.status + "'");
    r.outcome.reason = std::move(row.reason);
    r.outcome.accuracy = row.accuracy;
    r.outcome.reward = row.reward;
    r.outcome.metrics = Metrics::from_json(json::parse(row.metrics));
    r.outcome.objectives = json::parse(row.objectives).get<std::vector<double>>();
  } catch (const std::exception& e) {
    throw UserError(where + " is damaged: candidate " + std::to_string(r.seq) +
                    " cannot be read (" + e.what() + ")" + kDamagedFix);
  }
  r.outcome.violation = row.violation;
  r.outcome.cached = row.cached;
  r.trained = row.trained;
  r.fast_seconds = row.fast_s;
  r.slow_seconds = row.slow_s;
  r.committed_s = row.committed_s;
  return r;
}

std::string encode_result(const SlowResult& r) {
  json j;
  j["failed"] = r.failed;
  j["reason"] = r.reason;
  j["accuracy"] = r.accuracy;
  j["extras"] = r.extras.to_json();
  j["seconds"] = r.seconds;
  j["worker"] = r.worker;
  return j.dump();
}

SlowResult decode_result(const std::string& text) {
  const json j = json::parse(text);
  SlowResult r;
  r.failed = j.at("failed").get<bool>();
  r.reason = j.at("reason").get<std::string>();
  r.accuracy = j.at("accuracy").get<double>();
  r.extras = Metrics::from_json(j.at("extras"));
  r.seconds = j.at("seconds").get<double>();
  r.worker = j.at("worker").get<std::string>();
  return r;
}

}  // namespace rows

namespace {

const char* const kForms =
    "sqlite:///ABSOLUTE/PATH/coex.db, sqlite://RELATIVE/PATH/coex.db, or "
    "postgresql://USER@HOST:PORT/DATABASE?run=NAME";

}  // namespace

StorageUrl StorageUrl::of_run_dir(const std::filesystem::path& dir) {
  StorageUrl u;
  u.file = dir / "coex.db";
  u.display = "sqlite://" + u.file.string();
  return u;
}

StorageUrl StorageUrl::parse(const std::string& text, const std::string& option) {
  StorageUrl u;
  const auto scheme_end = text.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : text.substr(0, scheme_end);
  if (scheme == "sqlite") {
    u.file = text.substr(scheme_end + 3);
    if (u.file.empty())
      throw UserError(option + " '" + text + "' names no file. Fix: write " + kForms);
    u.display = text;
    return u;
  }
  if (scheme != "postgresql" && scheme != "postgres")
    throw UserError(option + " '" + text + "' is not a storage URL. Fix: write " + kForms);
  u.kind = Kind::kPostgres;
  // The password, if the URL has one (user:password@), only to redact it.
  std::string rest = text.substr(scheme_end + 3);
  const auto at = rest.find('@');
  const auto slash = rest.find('/');
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    const auto colon = rest.find(':');
    if (colon != std::string::npos && colon < at)
      u.password = rest.substr(colon + 1, at - colon - 1);
  }
  // Split off coex's `run` parameter; the rest of the query goes to libpq.
  std::string base = text, query;
  if (const auto q = text.find('?'); q != std::string::npos) {
    base = text.substr(0, q);
    query = text.substr(q + 1);
  }
  std::string kept, shared_query;
  bool has_timeout = false;
  std::size_t pos = 0;
  while (pos <= query.size() && !query.empty()) {
    const auto amp = query.find('&', pos);
    const std::string param =
        query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    if (param.rfind("run=", 0) == 0) {
      u.run = param.substr(4);
    } else if (!param.empty()) {
      if (param.rfind("password=", 0) == 0) u.password = param.substr(9);
      if (param.rfind("connect_timeout=", 0) == 0) has_timeout = true;
      kept += (kept.empty() ? "" : "&") + param;
      if (param.rfind("password=", 0) != 0) shared_query += "&" + param;
    }
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  // An unreachable host fails within 10 s instead of the TCP default (minutes).
  if (!has_timeout) kept += std::string(kept.empty() ? "" : "&") + "connect_timeout=10";
  u.conninfo = base + "?" + kept;
  if (!u.run.empty())
    for (char ch : u.run)
      if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.'))
        throw UserError(option + ": run name '" + u.run +
                        "' may hold only letters, digits, '_', '-' and '.'. Fix: rename it");
  u.display = u.redact(text);
  u.base_without_password_ = base;
  if (!u.password.empty())
    if (const auto p = base.find(":" + u.password + "@"); p != std::string::npos)
      u.base_without_password_.replace(p, u.password.size() + 2, "@");
  u.query_without_run_ = shared_query;
  return u;
}

std::string StorageUrl::shareable() const {
  if (!postgres()) return display;
  std::string q = run.empty() ? "" : "&run=" + run;
  q += query_without_run_;
  return base_without_password_ + (q.empty() ? "" : "?" + q.substr(1));
}

std::string StorageUrl::redact(std::string message) const {
  if (password.empty()) return message;
  for (auto p = message.find(password); p != std::string::npos; p = message.find(password, p + 3))
    message.replace(p, password.size(), "***");
  return message;
}

namespace {
[[noreturn]] void not_shared(const Store& s) {
  throw UserError("the store " + s.where() +
                  " is a single-machine store; workers need a shared one. Fix: give "
                  "--storage postgresql://USER@HOST:PORT/DATABASE?run=NAME");
}
}  // namespace

void Store::lock_leader() {}
void Store::enqueue(const SlowJob&) { not_shared(*this); }
std::optional<SlowJob> Store::claim(const std::string&, double) { not_shared(*this); }
bool Store::renew(const SlowJob&, double) { not_shared(*this); }
bool Store::complete(const SlowJob&, const SlowResult&) { not_shared(*this); }
void Store::release(const SlowJob&) { not_shared(*this); }
std::optional<SlowResult> Store::result(std::int64_t, const std::string&) { not_shared(*this); }
Store::QueueCounts Store::queue_counts() const { return {}; }
std::vector<std::string> Store::claimers() const { return {}; }
void Store::release_all(const std::string&) { not_shared(*this); }
std::unique_ptr<Store> Store::reconnect() const { not_shared(*this); }

std::unique_ptr<Store> open_run_store(const std::filesystem::path& run_dir, Store::Access access) {
  const auto db = run_dir / "coex.db";
  const auto link = run_dir / "storage.url";
  if (!std::filesystem::exists(db) && std::filesystem::is_regular_file(link)) {
    std::string text;
    std::ifstream(link) >> text;
    return open_store(StorageUrl::parse(text, link.string()), access);
  }
  if (!std::filesystem::exists(db))
    throw UserError(run_dir.string() +
                    " is not a coex run directory (no coex.db, no storage.url). " +
                    "Fix: pass the directory given by `coex run --out`");
  return std::make_unique<SqliteStore>(db, access);
}

std::unique_ptr<Store> open_store(const StorageUrl& url, Store::Access access,
                                  const std::string& run) {
  if (!url.postgres()) return std::make_unique<SqliteStore>(url.file, access);
  return open_postgres_store(url, access, url.run.empty() ? run : url.run);
}

}  // namespace coex::core
