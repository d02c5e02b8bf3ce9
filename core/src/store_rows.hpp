// The row codec both stores share (SqliteStore, PostgresStore): a CandidateRecord as the columns
// of the candidates table, and back. One schema, one place: a column added here is added to both.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "coex/core/candidate.hpp"
#include "coex/core/store.hpp"

namespace coex::core::rows {

/// The candidates table's columns, in this order (the SELECT/INSERT lists of both stores).
inline constexpr const char* kColumns =
    "seq, point, description, network_hash, network_summary, network, hardware_point,"
    " hardware_summary, hardware_detail, status, reason, accuracy, reward, metrics, objectives,"
    " violation, cached, trained, fast_s, slow_s";
inline constexpr int kColumnCount = 20;

/// One candidate as column values (JSON columns as text).
struct Row {
  std::int64_t seq = 0;
  std::string point, description, network_hash, network_summary, hardware_point, hardware_summary,
      hardware_detail, status, reason;
  /// The IR (the largest column, ~13 KB), not copied: a view of the encoded record's text, or
  /// of the database's buffer while the row is read; valid until the record (or the statement's
  /// next step) changes.
  std::string_view network;
  std::optional<double> accuracy;
  double reward = 0;
  std::string metrics, objectives;
  double violation = 0;
  bool cached = false, trained = false;
  double fast_s = 0, slow_s = 0;
  double committed_s = 0;  ///< read only: seconds from the first commit to this one
};

Row encode(const CandidateRecord& r);
/// The record of `row`, which must be candidate `expected_seq` of the store at `where`. Throws
/// coex::UserError ("is damaged", with the fix) for a gap in the sequence or a row that cannot be
/// read.
CandidateRecord decode(Row&& row, std::int64_t expected_seq, const std::string& where);

/// The fix appended to "is damaged" messages.
inline constexpr const char* kDamagedFix =
    ". Fix: restore the run from a backup, or start again with --out NEW_DIR";

/// SlowResult as the queue's result column (JSON), and back (throws coex::Error).
std::string encode_result(const SlowResult& r);
SlowResult decode_result(const std::string& text);

}  // namespace coex::core::rows
