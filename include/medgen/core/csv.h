// RFC 4180 CSV reading and writing.
//
// Reading produces a RawTable: the header names and every field as text, plus the source
// line of each record for error messages. Typing (numbers, categories, dates) happens later,
// against a Schema (see schema.h), so that one parse serves both inference and conversion.
// Thread safety: pure functions (read_csv reads only its file); safe to call concurrently.
// A RawTable owns its text (names, fields), independent of the input buffer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "medgen/core/file.h"  // read_file and the writers, which lived here before

namespace medgen {

struct CsvOptions {
  char delimiter = ',';  // field separator
  char quote = '"';      // quote character; "" inside quotes is a literal quote
  // Field texts (after unquoting, compared exactly) that mean "missing".
  std::vector<std::string> missing_tokens = {"", "NA", "NaN", "?"};
};

// Fields of a parsed CSV file, stored contiguously. Rows are records (a quoted field may
// span several physical lines).
class RawTable {
 public:
  std::string source;              // file name (or "<memory>") for error messages
  std::vector<std::string> names;  // header, BOM stripped

  size_t num_rows() const { return row_line_.size(); }
  size_t num_cols() const { return names.size(); }
  // Field text (unquoted, unescaped) of a data record; row and col are 0-based.
  std::string_view field(size_t row, size_t col) const {
    const size_t i = row * names.size() + col;
    return std::string_view(text_.data() + offset_[i], offset_[i + 1] - offset_[i]);
  }
  // 1-based physical line where the record starts in the source (header is line 1).
  size_t line(size_t row) const { return row_line_[row]; }

  // Appends one record (used by the parser and by tests).
  void append_row(const std::vector<std::string_view>& fields, size_t line);

  // Internal storage, exposed for the parser.
  std::string text_;             // all field bytes back to back
  std::vector<uint64_t> offset_{0};  // field i spans [offset_[i], offset_[i+1])
  std::vector<size_t> row_line_;
};

// Parses CSV text. Throws InvalidInput with "source:line:column: ..." on: empty input,
// a ragged record (field count differs from the header), an unclosed quote, a stray quote
// inside an unquoted field, bytes that are not valid UTF-8, duplicate or empty header names.
RawTable parse_csv(std::string_view text, const std::string& source, const CsvOptions& options = {});

// Reads (read_file, with its size bound) and parses a file; IoError if it cannot be read.
RawTable read_csv(const std::string& path, const CsvOptions& options = {});

// Quotes a field for output when it contains the delimiter, a quote, CR or LF, or leading/
// trailing spaces; doubles embedded quotes.
void append_csv_field(std::string& out, std::string_view field, char delimiter = ',');

}  // namespace medgen
