#include "medgen/core/csv_stream.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/core/rng.h"
#include "test_util.h"

using namespace medgen;

namespace {

void write(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f << bytes;
}

// What a whole-file parse or a chunked read gives: the names, the records (fields and
// lines), or the error message.
struct Result {
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> lines;
  std::string error;
  size_t chunks = 0;
  bool operator==(const Result& o) const {
    return names == o.names && rows == o.rows && lines == o.lines && error == o.error;
  }
};

std::ostream& operator<<(std::ostream& os, const Result& r) {
  os << "names:";
  for (const auto& n : r.names) os << " [" << n << "]";
  os << " rows: " << r.rows.size() << " error: " << r.error;
  return os;
}

void append(Result* r, const RawTable& t) {
  for (size_t i = 0; i < t.num_rows(); ++i) {
    std::vector<std::string> row;
    for (size_t c = 0; c < t.num_cols(); ++c) row.emplace_back(t.field(i, c));
    r->rows.push_back(std::move(row));
    r->lines.push_back(t.line(i));
  }
}

Result whole(const std::string& path, const CsvOptions& csv = {}) {
  Result r;
  try {
    RawTable t = read_csv(path, csv);
    r.names = t.names;
    append(&r, t);
  } catch (const InvalidInput& e) {
    r = Result{};
    r.error = e.what();
  }
  return r;
}

Result chunked(const std::string& path, size_t block, const CsvOptions& csv = {}, size_t max_record = 1 << 20) {
  Result r;
  try {
    CsvChunkReader reader(path, csv, CsvStreamOptions{block, max_record});
    r.names = reader.names();
    RawTable t;
    while (reader.next(&t)) {
      EXPECT_GT(t.num_rows(), 0u);
      EXPECT_EQ(t.names, reader.names());
      EXPECT_EQ(t.source, path);
      append(&r, t);
      ++r.chunks;
    }
  } catch (const InvalidInput& e) {
    r = Result{};
    r.error = e.what();
  }
  return r;
}

// Every block size from 1 byte to past the file's length: records cut at every position.
void expect_same_at_every_block_size(const std::string& text, const CsvOptions& csv = {}) {
  test::TempDir dir;
  const std::string path = dir.file("t.csv");
  write(path, text);
  const Result expected = whole(path, csv);
  for (size_t block = 1; block <= text.size() + 2; ++block) {
    const Result got = chunked(path, block, csv);
    ASSERT_EQ(got, expected) << "block " << block << " of text:\n" << text;
    if (expected.error.empty() && block == 1 && !expected.rows.empty())
      EXPECT_GT(got.chunks, expected.rows.size() / 2);  // small blocks: many chunks
  }
}

}  // namespace

TEST(CsvStream, SameRecordsAsTheWholeFileAtEveryBlockSize) {
  const std::vector<std::string> texts = {
      "a,b,c\n1,2,3\n4,5,6\n",
      "a,b,c\n1,2,3\n4,5,6",                                  // no final line break
      "a,b\r\n1,2\r\n3,4\r\n",                                 // CRLF
      "\xEF\xBB\xBF" "a,b\n1,2\n",                             // BOM
      "a,b\n\"x,\ny\",2\n\"multi\r\nline\n\n\",\"q\"\"uote\"\n3,4\n",  // quoted commas, newlines, quotes
      "a,b\n1,2\n\n\n",                                        // trailing blank lines
      "a,b\n1,2\r\n\r\n\n\r\n",                                // trailing blank lines, mixed
      "a\n1\n\n2\n\n",                                         // one column: blank lines are records
      "a\n\n\n3\n",                                            // blank records right after the header
      "a,b\n1,x\ry\n2,z\r\r\n",                                // lone CRs are data
      "a,b\n",                                                 // header only
      "a,b",                                                   // header only, no line break
      "a,b\n\n\n",                                             // header and blank lines
      "\"h\nx\",b\n1,2\n",                                     // a line break inside a header name
      "na\xC3\xAFve,\xE6\x97\xA5\n\xC3\xA9t\xC3\xA9,\xF0\x9F\x98\x80\n",  // UTF-8
      "a,b\n,\n\"\",\"\"\n",                                   // empty fields
      "x\r\r\n1\n2\n",                                         // a name that is a CR
  };
  for (const std::string& t : texts) {
    SCOPED_TRACE(t);
    expect_same_at_every_block_size(t);
  }
  CsvOptions semicolon;
  semicolon.delimiter = ';';
  expect_same_at_every_block_size("a;b\n\"1;2\";3\n4;\"5\n6\"\n", semicolon);
}

TEST(CsvStream, SameErrorsAndLinesAsTheWholeFile) {
  const std::vector<std::string> texts = {
      "",                                         // empty
      "\n\n\r\n",                                 // line breaks only
      "a,b\n1,2\n3\n",                            // ragged
      "a,b\n1,2\n3,4,5\n6,7\n",                   // ragged
      "a,b\n1,2\n\"3,4\n5,6\n",                   // unclosed quote
      "a,b\n\"1\n2\",3\n4,\"5\n6,7\n",            // unclosed quote after quoted newlines
      "a,b\n1,2\n3,x\"y\n",                       // stray quote
      "a,b\n1,\"2\"x\n",                          // byte after a closing quote
      "a,b\n1,\"2\"\r3\n",                        // lone CR after a closing quote
      "a,b\n1,2\n3,\xFF\n",                       // invalid UTF-8
      "a,b\n1,2\n3,\xC3\n",                       // truncated UTF-8 sequence
      "a,a\n1,2\n",                               // duplicate name
      "a,,c\n1,2,3\n",                            // empty name
      "\n1,2\n",                                  // blank header line
      "\xEF\xBB\xBF" "a,a\n1,2\n",                // duplicate name after a BOM (columns count it)
      "a,b\n1,2\n\n3,4\n",                        // a blank line in the middle
      "a,b\r\n1,2\r\n3,4,5\r\n",                  // CRLF, ragged
  };
  for (const std::string& t : texts) {
    SCOPED_TRACE(t);
    test::TempDir dir;
    write(dir.file("t.csv"), t);
    ASSERT_FALSE(whole(dir.file("t.csv")).error.empty());
    expect_same_at_every_block_size(t);
  }
}

TEST(CsvStream, LargerRandomFilesAtManyBlockSizes) {
  // Fields of random shapes: plain, quoted with delimiters, quotes, CR, LF and UTF-8.
  Rng rng(5);
  const char* pieces[] = {"a", "1", "2.5", " ", ",", "\"", "\n", "\r", "\r\n", "\xC3\xA9", "xyz", ""};
  for (int file = 0; file < 6; ++file) {
    const size_t cols = 1 + rng.below(4);
    std::string text;
    for (size_t c = 0; c < cols; ++c) text += (c ? ",c" : "c") + std::to_string(c);
    text += file % 2 ? "\r\n" : "\n";
    for (int r = 0; r < 300; ++r) {
      for (size_t c = 0; c < cols; ++c) {
        if (c) text += ',';
        std::string f;
        for (size_t k = rng.below(5); k > 0; --k) f += pieces[rng.below(12)];
        append_csv_field(text, f);
        if (cols == 1 && f.empty()) text += "\"\"";
      }
      text += file % 2 ? "\r\n" : "\n";
    }
    if (file == 5) text += "\n\n";
    SCOPED_TRACE(file);
    test::TempDir dir;
    const std::string path = dir.file("t.csv");
    write(path, text);
    const Result expected = whole(path);
    ASSERT_TRUE(expected.error.empty()) << expected.error;
    ASSERT_EQ(expected.rows.size(), 300u);
    for (size_t block : {1, 2, 3, 5, 7, 13, 64, 100, 1000, 4096, 1 << 20}) {
      const Result got = chunked(path, block);
      ASSERT_EQ(got, expected) << "block " << block;
      if (block <= 100) EXPECT_GT(got.chunks, 1u);
    }
  }
}

TEST(CsvStream, RewindHashAndBoundedBuffer) {
  test::TempDir dir;
  const std::string path = dir.file("t.csv");
  std::string text = "id,note,value\n";
  for (int i = 0; i < 20000; ++i)
    text += std::to_string(i) + ",\"line one\nline two, with a comma\"," + std::to_string(i * 0.5) + "\n";
  write(path, text);
  const Result expected = whole(path);
  const size_t block = 4096;
  CsvChunkReader reader(path, {}, CsvStreamOptions{block, 1 << 20});
  for (int pass = 0; pass < 2; ++pass) {
    Result got;
    got.names = reader.names();
    RawTable t;
    size_t biggest = 0;
    while (reader.next(&t)) {
      append(&got, t);
      biggest = std::max(biggest, t.text_.size());
    }
    EXPECT_EQ(got, expected);
    EXPECT_TRUE(reader.at_end());
    EXPECT_EQ(reader.rows_read(), 20000u);
    EXPECT_EQ(reader.bytes_read(), text.size());
    EXPECT_EQ(reader.sha256_hex(), sha256_file_hex(path));
    // Memory follows the block, not the file (a record here is about 50 bytes).
    EXPECT_LE(reader.peak_buffer_bytes(), block + 64);
    EXPECT_LE(biggest, block + 64);
    reader.rewind();
  }
}

TEST(CsvStream, RecordLongerThanTheLimit) {
  test::TempDir dir;
  const std::string path = dir.file("t.csv");
  write(path, "a,b\n1,2\n3,\"never closed\n" + std::string(5000, 'x') + "\n4,5\n");
  try {
    CsvChunkReader reader(path, {}, CsvStreamOptions{64, 1000});
    RawTable t;
    while (reader.next(&t)) {
    }
    FAIL() << "expected an error";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(std::string(e.what()), path + ":3:3: a quoted field opened here runs on for more than 1000 bytes (an unclosed quote?)");
  }
  // The same file read whole: parse_csv's own message at the same place.
  EXPECT_EQ(whole(path).error, path + ":3:3: unclosed quote (the field opened here never ends)");
  // Within the limit, the reader reports what parse_csv reports.
  EXPECT_EQ(chunked(path, 64, {}, 1 << 20).error, whole(path).error);
}

TEST(CsvStream, MissingFileAndDirectory) {
  EXPECT_THROW(CsvChunkReader("/nonexistent/t.csv"), IoError);
  EXPECT_THROW(CsvChunkReader("/tmp"), IoError);
}

TEST(CsvStream, TypedChunksEqualTheWholeTable) {
  const std::string path = test::data_dir() + "/pbc.csv";
  const test::Loaded all = test::load(path);
  CsvTableChunks chunks(path, all.schema, {}, CsvStreamOptions{1000, 1 << 20});
  for (int pass = 0; pass < 2; ++pass) {
    size_t rows = 0, n_chunks = 0;
    Table t;
    while (chunks.next(&t)) {
      ++n_chunks;
      for (size_t c = 0; c < t.num_cols(); ++c) {
        const Column& got = t.columns[c];
        const Column& want = all.table.columns[c];
        ASSERT_EQ(got.name, want.name);
        for (size_t r = 0; r < t.num_rows(); ++r) {
          ASSERT_EQ(got.is_missing(r), want.is_missing(rows + r));
          if (got.is_missing(r)) continue;
          if (got.storage == Storage::kNumber)
            ASSERT_EQ(got.values[r], want.values[rows + r]);
          else
            ASSERT_EQ(got.dictionary[static_cast<size_t>(got.codes[r])],
                      want.dictionary[static_cast<size_t>(want.codes[rows + r])]);
        }
      }
      rows += t.num_rows();
    }
    EXPECT_EQ(rows, all.table.num_rows());
    EXPECT_GT(n_chunks, 10u);
    chunks.rewind();
  }
}

TEST(CsvStream, TypedChunksReportTheFileLine) {
  test::TempDir dir;
  const std::string path = dir.file("t.csv");
  std::string text = "x,g\n";
  for (int i = 0; i < 100; ++i) text += std::to_string(i) + ",a\n";
  const std::string rows = text;
  write(path, rows + "\"7\n\",b\n8,a\n");  // line 102: a number with a line break in it
  Schema schema;
  schema.columns.push_back({"x", ColumnType::kNumerical});
  ColumnSchema g{"g", ColumnType::kCategorical};
  g.values = {"a", "b"};
  schema.columns.push_back(g);
  auto error = [&](bool open) {
    try {
      CsvTableChunks chunks(path, schema, {}, CsvStreamOptions{16, 1 << 20}, open);
      Table t;
      while (chunks.next(&t)) {
      }
    } catch (const InvalidInput& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error(false), path + ":102:1: column 'x': '7\n' is not a number");
  write(path, rows + "7,c\n8,a\n");
  EXPECT_EQ(error(false), path + ":102:2: column 'g': 'c' is not one of the schema's values for this column");
  EXPECT_EQ(error(true), "");  // open labels: 'c' is let through
  write(path, rows + "7,c\noops,a\n");
  EXPECT_EQ(error(true), path + ":103:1: column 'x': 'oops' is not a number");
}
