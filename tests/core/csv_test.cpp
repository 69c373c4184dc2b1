#include "medgen/core/csv.h"
#include "medgen/core/rng.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "medgen/core/error.h"

using medgen::InvalidInput;
using medgen::IoError;
using medgen::parse_csv;
using medgen::RawTable;

namespace {

// Message of the InvalidInput that parsing `text` throws ("" if it does not throw).
std::string parse_error(const std::string& text, const medgen::CsvOptions& options = {}) {
  try {
    parse_csv(text, "t.csv", options);
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "";
}

std::vector<std::string> row(const RawTable& t, size_t r) {
  std::vector<std::string> out;
  for (size_t c = 0; c < t.num_cols(); ++c) out.emplace_back(t.field(r, c));
  return out;
}

using Row = std::vector<std::string>;

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "medgen_csv_test_" + std::to_string(::getpid()) + "_" + name;
}

using Mix = medgen::Rng;  // deterministic on every platform, unlike the std distributions

}  // namespace

TEST(Csv, SimpleTable) {
  const RawTable t = parse_csv("a,b,c\n1,2,3\n4,5,6\n", "t.csv");
  EXPECT_EQ(t.source, "t.csv");
  EXPECT_EQ(t.names, (Row{"a", "b", "c"}));
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(t.num_cols(), 3u);
  EXPECT_EQ(row(t, 0), (Row{"1", "2", "3"}));
  EXPECT_EQ(row(t, 1), (Row{"4", "5", "6"}));
  EXPECT_EQ(t.line(0), 2u);
  EXPECT_EQ(t.line(1), 3u);
}

TEST(Csv, QuotedDelimiters) {
  const RawTable t = parse_csv("name,x\n\"Smith, John\",1\n\",\",\",,\"\n", "t.csv");
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(row(t, 0), (Row{"Smith, John", "1"}));
  EXPECT_EQ(row(t, 1), (Row{",", ",,"}));
}

TEST(Csv, DoubledQuotes) {
  const RawTable t = parse_csv("a,b\n\"say \"\"hi\"\"\",\"\"\"\"\n\"\",x\n", "t.csv");
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(row(t, 0), (Row{"say \"hi\"", "\""}));
  EXPECT_EQ(row(t, 1), (Row{"", "x"}));
}

TEST(Csv, EmbeddedNewlinesKeepLineNumbers) {
  const RawTable t = parse_csv("a,b\n\"line1\nline2\",1\n\"x\r\ny\n\nz\",2\n3,4\n", "t.csv");
  ASSERT_EQ(t.num_rows(), 3u);
  EXPECT_EQ(row(t, 0), (Row{"line1\nline2", "1"}));
  EXPECT_EQ(row(t, 1), (Row{"x\r\ny\n\nz", "2"}));
  EXPECT_EQ(row(t, 2), (Row{"3", "4"}));
  EXPECT_EQ(t.line(0), 2u);
  EXPECT_EQ(t.line(1), 4u);
  EXPECT_EQ(t.line(2), 8u);
  // Errors after a multi-line field name the physical line too.
  EXPECT_NE(parse_error("a,b\n\"1\n2\",3\n4\n").find("t.csv:4: expected 2 fields, found 1"), std::string::npos)
      << parse_error("a,b\n\"1\n2\",3\n4\n");
}

TEST(Csv, CrlfLineEndings) {
  const RawTable t = parse_csv("a,b\r\n1,2\r\n\"q\",\r\n", "t.csv");
  EXPECT_EQ(t.names, (Row{"a", "b"}));
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(row(t, 0), (Row{"1", "2"}));
  EXPECT_EQ(row(t, 1), (Row{"q", ""}));
  EXPECT_EQ(t.line(1), 3u);
}

TEST(Csv, LoneCarriageReturnIsData) {
  const RawTable t = parse_csv("a,b\n1\r2,3\n", "t.csv");
  ASSERT_EQ(t.num_rows(), 1u);
  EXPECT_EQ(row(t, 0), (Row{"1\r2", "3"}));
}

TEST(Csv, BomIsStripped) {
  const RawTable t = parse_csv("\xEF\xBB\xBF\"id\",name\n1,x\n", "t.csv");
  EXPECT_EQ(t.names, (Row{"id", "name"}));
  ASSERT_EQ(t.num_rows(), 1u);
  EXPECT_EQ(row(t, 0), (Row{"1", "x"}));
  // A BOM alone is an empty file.
  EXPECT_NE(parse_error("\xEF\xBB\xBF").find("empty file: no header"), std::string::npos);
}

TEST(Csv, MissingFinalNewline) {
  const RawTable t = parse_csv("a,b\n1,2\n3,4", "t.csv");
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(row(t, 1), (Row{"3", "4"}));
  const RawTable q = parse_csv("a,b\n1,\"x\"", "t.csv");
  ASSERT_EQ(q.num_rows(), 1u);
  EXPECT_EQ(row(q, 0), (Row{"1", "x"}));
  const RawTable e = parse_csv("a,b\n1,", "t.csv");
  ASSERT_EQ(e.num_rows(), 1u);
  EXPECT_EQ(row(e, 0), (Row{"1", ""}));
}

TEST(Csv, TrailingBlankLinesIgnored) {
  const RawTable t = parse_csv("a,b\n1,2\n\n", "t.csv");
  EXPECT_EQ(t.num_rows(), 1u);
  const RawTable crlf = parse_csv("a,b\r\n1,2\r\n\r\n\r\n", "t.csv");
  EXPECT_EQ(crlf.num_rows(), 1u);
}

TEST(Csv, EmptyFields) {
  const RawTable t = parse_csv("a,b,c\n,,\n1,,\n,\"\",3\n", "t.csv");
  ASSERT_EQ(t.num_rows(), 3u);
  EXPECT_EQ(row(t, 0), (Row{"", "", ""}));
  EXPECT_EQ(row(t, 1), (Row{"1", "", ""}));
  EXPECT_EQ(row(t, 2), (Row{"", "", "3"}));
}

TEST(Csv, SingleColumn) {
  const RawTable t = parse_csv("x\n1\n\n2\n", "t.csv");
  ASSERT_EQ(t.num_rows(), 3u);
  EXPECT_EQ(t.field(1, 0), "");
  EXPECT_EQ(t.field(2, 0), "2");
}

TEST(Csv, HeaderOnlyHasNoRows) {
  for (const char* text : {"a,b\n", "a,b", "a,b\r\n", "a,b\n\n"}) {
    const RawTable t = parse_csv(text, "t.csv");
    EXPECT_EQ(t.names, (Row{"a", "b"}));
    EXPECT_EQ(t.num_rows(), 0u);
  }
}

TEST(Csv, OtherDelimiter) {
  medgen::CsvOptions options;
  options.delimiter = ';';
  const RawTable t = parse_csv("a;b\n1,5;\"x;y\"\n", "t.csv", options);
  ASSERT_EQ(t.num_rows(), 1u);
  EXPECT_EQ(row(t, 0), (Row{"1,5", "x;y"}));
  options.delimiter = '"';
  EXPECT_NE(parse_error("a\n", options).find("invalid CSV options"), std::string::npos);
}

TEST(Csv, EmptyFileIsAnError) {
  EXPECT_EQ(parse_error(""), "t.csv: empty file: no header");
  EXPECT_EQ(parse_error("\n\n"), "t.csv: empty file: no header");
}

TEST(Csv, RaggedRecordNamesItsLine) {
  EXPECT_EQ(parse_error("a,b,c\n1,2,3\n4,5\n"), "t.csv:3: expected 3 fields, found 2");
  EXPECT_EQ(parse_error("a,b\n1,2\n3,4\n5,6,7\n"), "t.csv:4: expected 2 fields, found 3");
  // A blank line in the middle of a multi-column file is a record with one field.
  EXPECT_EQ(parse_error("a,b\n1,2\n\n3,4\n"), "t.csv:3: expected 2 fields, found 1");
}

TEST(Csv, UnclosedQuoteNamesWhereItOpened) {
  const std::string msg = parse_error("a,b\n1,2\n3,\"open\n4,5\n6,7\n");
  EXPECT_EQ(msg.rfind("t.csv:3:3: unclosed quote", 0), 0u) << msg;
}

TEST(Csv, StrayQuote) {
  const std::string msg = parse_error("a,b\n1,ab\"c\n");
  EXPECT_EQ(msg.rfind("t.csv:2:5: stray quote", 0), 0u) << msg;
  const std::string after = parse_error("a,b\n1,\"ab\"c\n");
  EXPECT_EQ(after.rfind("t.csv:2:7: unexpected 'c' after a closing quote", 0), 0u) << after;
}

TEST(Csv, InvalidUtf8NamesLineAndByteColumn) {
  // Latin-1 "é" (0xE9) followed by ASCII: not a valid continuation.
  const std::string msg = parse_error("a,b\n1,2\nx,caf\xE9\n");
  EXPECT_EQ(msg.rfind("t.csv:3:6: invalid UTF-8 byte 0xE9", 0), 0u) << msg;
  // Past the 8-byte fast path, and a truncated sequence at the end of the input.
  const std::string late = parse_error("name,v\n\"aaaaaaaaaaaaaaaaaaaaaa\",\xC3");
  EXPECT_EQ(late.rfind("t.csv:2:26: invalid UTF-8 byte 0xC3", 0), 0u) << late;
  // Overlong encoding, surrogate, and a code point above U+10FFFF.
  EXPECT_NE(parse_error("a\n\xC0\xAF\n").find("t.csv:2:1: invalid UTF-8"), std::string::npos);
  EXPECT_NE(parse_error("a\n\xED\xA0\x80\n").find("t.csv:2:1: invalid UTF-8"), std::string::npos);
  EXPECT_NE(parse_error("a\n\xF4\x90\x80\x80\n").find("t.csv:2:1: invalid UTF-8"), std::string::npos);
  // Valid multi-byte text passes.
  const RawTable t = parse_csv("a,b\n\xC3\xA9,\xE2\x82\xAC\xF0\x9F\x98\x80\n", "t.csv");
  EXPECT_EQ(row(t, 0), (Row{"\xC3\xA9", "\xE2\x82\xAC\xF0\x9F\x98\x80"}));
}

TEST(Csv, HeaderNamesMustBeUniqueAndNonEmpty) {
  EXPECT_EQ(parse_error("id,age,id\n1,2,3\n"), "t.csv:1:8: duplicate column name 'id' (columns 1 and 3)");
  EXPECT_EQ(parse_error("id,,x\n1,2,3\n"), "t.csv:1:4: empty name for column 2 in the header");
  EXPECT_EQ(parse_error("\n1\n"), "t.csv:1:1: empty name for column 1 in the header");
}

TEST(Csv, AppendRow) {
  RawTable t;
  t.names = {"a", "b"};
  t.append_row({"x", ""}, 2);
  t.append_row({"", "yz"}, 3);
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(row(t, 0), (Row{"x", ""}));
  EXPECT_EQ(row(t, 1), (Row{"", "yz"}));
  EXPECT_EQ(t.line(1), 3u);
}

TEST(Csv, AppendFieldQuotesOnlyWhenNeeded) {
  auto quoted = [](std::string_view f, char d = ',') {
    std::string out;
    medgen::append_csv_field(out, f, d);
    return out;
  };
  EXPECT_EQ(quoted("plain"), "plain");
  EXPECT_EQ(quoted(""), "");
  EXPECT_EQ(quoted("a,b"), "\"a,b\"");
  EXPECT_EQ(quoted("a;b"), "a;b");
  EXPECT_EQ(quoted("a;b", ';'), "\"a;b\"");
  EXPECT_EQ(quoted("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(quoted("\""), "\"\"\"\"");
  EXPECT_EQ(quoted("a\nb"), "\"a\nb\"");
  EXPECT_EQ(quoted("a\rb"), "\"a\rb\"");
  EXPECT_EQ(quoted(" lead"), "\" lead\"");
  EXPECT_EQ(quoted("trail "), "\"trail \"");
  EXPECT_EQ(quoted("in side"), "in side");
}

TEST(Csv, RoundTripRandomFields) {
  const std::vector<std::string> pieces = {"a",  "Z",  "0",  "9",  ".",  "-",    ",",    "\"",          "\"\"",
                                           " ",  "\n", "\r", "\r\n", "\t", ";",  "NA", "\xC3\xA9", "\xE2\x82\xAC",
                                           "\xF0\x9F\x98\x80", "x y"};
  Mix rng{42};
  for (int trial = 0; trial < 20; ++trial) {
    const size_t ncols = 1 + rng.below(6);
    const size_t nrows = rng.below(40);
    std::vector<std::vector<std::string>> cells(nrows + 1, std::vector<std::string>(ncols));
    for (size_t r = 0; r <= nrows; ++r) {
      for (size_t c = 0; c < ncols; ++c) {
        std::string f;
        const size_t len = r == 0 ? 1 + rng.below(4) : rng.below(7);
        for (size_t k = 0; k < len; ++k) f += pieces[rng.below(pieces.size())];
        if (r == 0) f += "_" + std::to_string(c);  // header names: non-empty and unique
        // A one-column table cannot end in an empty record: it would be a blank trailing line.
        if (ncols == 1 && f.empty()) f = "e";
        cells[r][c] = f;
      }
    }
    std::string text = trial % 2 ? "\xEF\xBB\xBF" : "";
    for (const auto& cells_row : cells) {
      for (size_t c = 0; c < ncols; ++c) {
        if (c) text += ',';
        medgen::append_csv_field(text, cells_row[c]);
      }
      text += trial % 3 == 0 ? "\r\n" : "\n";
    }
    const RawTable t = parse_csv(text, "rt.csv");
    ASSERT_EQ(t.names, cells[0]) << "trial " << trial;
    ASSERT_EQ(t.num_rows(), nrows) << "trial " << trial;
    for (size_t r = 0; r < nrows; ++r) ASSERT_EQ(row(t, r), cells[r + 1]) << "trial " << trial << " row " << r;
  }
}

// True when a temporary file of an atomic write ("NAME.tmp-...") is left beside `path`.
static bool temp_beside(const std::string& path) {
  const std::filesystem::path p(path);
  std::error_code ec;
  if (!std::filesystem::is_directory(p.parent_path(), ec)) return false;
  const std::string prefix = p.filename().string() + ".tmp-";
  for (const auto& e : std::filesystem::directory_iterator(p.parent_path()))
    if (e.path().filename().string().rfind(prefix, 0) == 0) return true;
  return false;
}

TEST(CsvFiles, WriteAtomicReplacesContent) {
  const std::string path = temp_path("replace.csv");
  medgen::write_file_atomic(path, "old contents\n");
  medgen::write_file_atomic(path, "a,b\n1,2\n");
  EXPECT_EQ(medgen::read_file(path), "a,b\n1,2\n");
  EXPECT_FALSE(temp_beside(path));
  const RawTable t = medgen::read_csv(path);
  EXPECT_EQ(t.source, path);
  EXPECT_EQ(t.num_rows(), 1u);
  medgen::write_file_atomic(path, "");
  EXPECT_EQ(medgen::read_file(path), "");
  std::remove(path.c_str());
}

TEST(CsvFiles, WriteToMissingDirectoryThrows) {
  const std::string path = "/nonexistent-dir/x.csv";
  try {
    medgen::write_file_atomic(path, "a\n");
    FAIL() << "no exception";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cannot write '/nonexistent-dir/x.csv': ", 0), 0u) << e.what();
  }
  EXPECT_FALSE(file_exists(path));
  EXPECT_FALSE(temp_beside(path));
}

TEST(CsvFiles, FailedRenameLeavesNoTempFile) {
  // The temp file can be written but not renamed over a directory.
  const std::string dir = temp_path("dir_target");
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  EXPECT_THROW(medgen::write_file_atomic(dir, "a\n"), IoError);
  EXPECT_FALSE(temp_beside(dir));
  ::rmdir(dir.c_str());
}

TEST(CsvFiles, ReadErrors) {
  try {
    medgen::read_file("/nonexistent-dir/x.csv");
    FAIL() << "no exception";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read '/nonexistent-dir/x.csv': No such file or directory");
  }
  const std::string dir = ::testing::TempDir();
  EXPECT_THROW(medgen::read_file(dir), IoError);
  EXPECT_THROW(medgen::read_csv(dir), IoError);
}

TEST(Csv, MutatedInputParsesOrThrowsInvalidInput) {
  // Deterministic mutations of a valid file: every outcome is a table or InvalidInput,
  // never a crash or another exception (run under the sanitizers in CI).
  const std::string base = "\xEF\xBB\xBFid,name,note\r\n1,\"a, b\",\"x\"\"y\"\n2,,\"multi\nline\"\n3,c\xC3\xA9,z\n";
  const char alphabet[] = {',', '"', '\n', '\r', 'a', ' ', '\xC3', '\xA9', '\xFF', '\0'};
  Mix rng{7};
  for (int trial = 0; trial < 3000; ++trial) {
    std::string text = base;
    const size_t edits = 1 + rng.below(4);
    for (size_t k = 0; k < edits; ++k) {
      const size_t at = rng.below(text.size() + 1);
      const char c = alphabet[rng.below(sizeof alphabet)];
      switch (rng.below(3)) {
        case 0:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        case 1:
          if (at < text.size()) text.erase(at, 1);
          break;
        default:
          if (at < text.size()) text[at] = c;
          break;
      }
    }
    if (trial % 10 == 0) text.resize(rng.below(text.size() + 1));
    try {
      const RawTable t = parse_csv(text, "m.csv");
      ASSERT_EQ(t.offset_.size(), t.num_rows() * t.num_cols() + 1);
      ASSERT_EQ(t.offset_.back(), t.text_.size());
    } catch (const InvalidInput& e) {
      ASSERT_EQ(std::string(e.what()).rfind("m.csv", 0), 0u) << e.what();
    }
  }
}
