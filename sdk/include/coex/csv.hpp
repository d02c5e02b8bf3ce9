// CSV as coex reads and writes it (RFC 4180 quoting, one record per line): the one writer of a
// field and the one splitter of a line, for exports, measurement files and lookup tables.
#pragma once

#include <string>
#include <vector>

#include "coex/visibility.hpp"

namespace coex {

/// `field` as one CSV field: unchanged unless it contains ',', '"', '\n' or '\r', else quoted
/// with inner quotes doubled. Pure function.
COEX_API std::string csv_field(const std::string& field);

/// The fields of one CSV line: RFC 4180 quoting ("a,b" is one field, "" inside quotes is one
/// quote); a field cannot span lines; '\r' outside quotes is dropped (CRLF files). An empty line
/// gives one empty field. Fields are not trimmed. Pure function.
COEX_API std::vector<std::string> split_csv_line(const std::string& line);

}  // namespace coex
