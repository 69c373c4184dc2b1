// Reading CSV files larger than memory: chunk by chunk, with memory bounded by the block size.
//
// CsvChunkReader reads a file in blocks of `block_bytes` and hands out RawTable chunks of
// whole records. A chunk ends only at a record boundary found quote-aware (a quoted field may
// hold delimiters and line breaks, so a record may span blocks); rows carry their physical
// source lines, and every error has parse_csv's text and file:line:column (csv.h). The header
// is read and checked once, at construction (BOM stripped); each chunk's `names` repeat it.
// Concatenating the chunks gives parse_csv of the whole file, for any block size.
// One difference: parse_csv checks the whole file for invalid UTF-8 before parsing anything,
// so in a file with several faults the first one reported may differ (the reader reports the
// first fault of the first chunk holding one; each fault alone is reported identically).
//
// Memory: the block (plus the unfinished record carried to the next block), the chunk's
// fields and one working copy of the chunk's text: a few times block_bytes. A single record
// longer than max_record_bytes (usually an unclosed quote) is InvalidInput at its first line.
//
// TableChunkSource is the typed counterpart: chunks of a Table, for algorithms that make a
// fixed number of passes over a table (the streamed copula fit, tabular/copula.h).
// CsvTableChunks types a CSV file's chunks by a schema (to_table's rules, schema.h).
//
// Thread safety: a reader is used by one thread at a time; distinct readers are independent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "medgen/core/csv.h"
#include "medgen/core/schema.h"
#include "medgen/core/table.h"

namespace medgen {

struct CsvStreamOptions {
  size_t block_bytes = size_t{8} << 20;        // bytes read from the file at a time (>= 1)
  size_t max_record_bytes = size_t{64} << 20;  // longest single record accepted (>= 1)
};

class CsvChunkReader {
 public:
  // Opens the file and reads its header. IoError when it cannot be opened or read;
  // InvalidInput for an empty file or a bad header (parse_csv's messages).
  CsvChunkReader(std::string path, CsvOptions csv = {}, CsvStreamOptions stream = {});
  ~CsvChunkReader();
  CsvChunkReader(const CsvChunkReader&) = delete;
  CsvChunkReader& operator=(const CsvChunkReader&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<std::string>& names() const { return names_; }
  // The next chunk (at least one record) into *chunk, replacing its contents; false at the
  // end of the file. InvalidInput for malformed records (file:line:column).
  bool next(RawTable* chunk);
  // Starts again at the first record after the header.
  void rewind();

  uint64_t rows_read() const { return rows_; }    // records handed out in this pass
  uint64_t bytes_read() const { return offset_; }  // bytes read from the file in this pass
  bool at_end() const { return done_; }            // next() has returned false in this pass
  // Hex SHA-256 of the file's bytes; only once a pass has reached the end (at_end()).
  std::string sha256_hex() const;
  // Largest buffer held so far (bytes): the block plus a carried record; for memory checks.
  size_t peak_buffer_bytes() const { return peak_buffer_; }

 private:
  // Appends up to `bytes` from the file to buf_ (fewer at the end, setting eof_).
  void fill(size_t bytes);
  // Scans buf_ on from scanned_ for places a chunk may end (cut_, in_quotes_, quote_at_).
  void scan();
  // Parses buf_[0, end) as records (last: it reaches the end of the file) into *chunk.
  void parse_chunk(size_t end, bool last, RawTable* chunk);
  // InvalidInput for a record that outgrew max_record_bytes.
  [[noreturn]] void too_long() const;

  std::string path_;
  CsvOptions csv_;
  CsvStreamOptions stream_;
  int fd_ = -1;
  std::vector<std::string> names_;
  std::string header_;      // the header record's bytes with its line break, BOM left out
  std::string sentinel_;    // a record of as many fields as the header (see csv_stream.cpp)
  size_t header_lines_ = 0;  // line breaks in header_
  uint64_t data_start_ = 0;  // file offset of the first record (after BOM and header)
  std::string buf_;         // unread bytes from the file, starting at a record boundary
  size_t scanned_ = 0;      // buf_[0, scanned_) has been scanned
  size_t cut_ = 0;          // the last place in it a chunk may end (0: none)
  bool in_quotes_ = false;  // the scan's position is inside a quoted field
  size_t quote_at_ = 0;     // where that quoted field opened
  uint64_t offset_ = 0;     // bytes read from the file in this pass
  uint64_t line_ = 1;       // physical line at which buf_ starts
  uint64_t rows_ = 0;
  bool eof_ = false, done_ = false;
  size_t peak_buffer_ = 0;
  struct Hash;
  std::unique_ptr<Hash> hash_;  // SHA-256 of the bytes read in this pass
  std::string digest_;          // hex, once a pass has reached the end
};

// Chunks of a table, read in one or more passes.
class TableChunkSource {
 public:
  virtual ~TableChunkSource() = default;
  // The next chunk of rows into *chunk; false at the end of a pass.
  virtual bool next(Table* chunk) = 0;
  // Starts a new pass at the first row. Every pass yields the same rows in the same order.
  virtual void rewind() = 0;
};

// A CSV file typed chunk by chunk by a schema. With open_labels, kCategorical columns accept
// labels outside the schema's `values` (each chunk's column has its own dictionary; for a
// schema inferred from a prefix of the file); otherwise such a label is to_table's error.
class CsvTableChunks : public TableChunkSource {
 public:
  CsvTableChunks(std::string path, Schema schema, CsvOptions csv = {}, CsvStreamOptions stream = {},
                 bool open_labels = false);
  bool next(Table* chunk) override;
  void rewind() override;
  CsvChunkReader& reader() { return reader_; }
  const Schema& schema() const { return schema_; }

 private:
  CsvChunkReader reader_;
  Schema schema_;
  Schema typing_;  // schema_ with open categorical columns typed as free strings
  CsvOptions csv_;
  RawTable raw_;
};

}  // namespace medgen
