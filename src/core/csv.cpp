#include "medgen/core/csv.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "medgen/core/error.h"

namespace medgen {

void RawTable::append_row(const std::vector<std::string_view>& fields, size_t line) {
  MEDGEN_ASSERT(fields.size() == names.size());
  for (std::string_view f : fields) {
    text_.append(f.data(), f.size());
    offset_.push_back(text_.size());
  }
  row_line_.push_back(line);
}

namespace {

constexpr uint64_t kOnes = 0x0101010101010101ULL;

// 0x80 in each byte of x that is zero, exactly (no false positives from borrows).
inline uint64_t zero_bytes(uint64_t x) {
  const uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
  return ~(((x & low7) + low7) | x | low7);
}

// Number of set bytes in a zero_bytes() mask; a multiply, since popcount is a library call
// unless the target has the instruction.
inline uint64_t count_marks(uint64_t mask) { return ((mask >> 7) * kOnes) >> 56; }

// The first pass over the input: finds the first byte that is not well-formed UTF-8
// (overlong forms, surrogates and code points above U+10FFFF included), or nullptr, and
// counts LFs and delimiters on the way, which bound the records and fields for reserve().
// Clinical exports are almost all ASCII, so eight bytes at a time are tested for a high bit
// before decoding anything.
const char* prescan(const char* begin, const char* end, char delimiter, size_t& lf, size_t& delimiters) {
  const auto* p = reinterpret_cast<const unsigned char*>(begin);
  const auto* e = reinterpret_cast<const unsigned char*>(end);
  const auto d = static_cast<unsigned char>(delimiter);
  const uint64_t lf_mask = '\n' * kOnes, delim_mask = d * kOnes;
  uint64_t n_lf = 0, n_delim = 0;
  while (p < e) {
    while (e - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ULL) break;
      n_lf += count_marks(zero_bytes(w ^ lf_mask));
      n_delim += count_marks(zero_bytes(w ^ delim_mask));
      p += 8;
    }
    if (p >= e) break;
    const unsigned char c = *p;
    if (c < 0x80) {
      n_lf += c == '\n';
      n_delim += c == d;
      ++p;
      continue;
    }
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return reinterpret_cast<const char*>(p);
    }
    if (static_cast<size_t>(e - p) < n) return reinterpret_cast<const char*>(p);
    if (p[1] < lo || p[1] > hi) return reinterpret_cast<const char*>(p);
    for (size_t k = 2; k < n; ++k) {
      if (p[k] < 0x80 || p[k] > 0xBF) return reinterpret_cast<const char*>(p);
    }
    p += n;
  }
  lf = static_cast<size_t>(n_lf);
  delimiters = static_cast<size_t>(n_delim);
  return nullptr;
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& source, const CsvOptions& options, RawTable& out)
      : begin_(text.data()),
        end_(text.data() + text.size()),
        source_(source),
        delim_(options.delimiter),
        quote_(options.quote),
        out_(out) {
    // The scan loop for unquoted fields stops only at these bytes.
    std::memset(stop_, 0, sizeof stop_);
    stop_[static_cast<unsigned char>(delim_)] = 1;
    stop_[static_cast<unsigned char>(quote_)] = 1;
    stop_[static_cast<unsigned char>('\n')] = 1;
    stop_[static_cast<unsigned char>('\r')] = 1;
  }

  void run() {
    if (delim_ == quote_ || delim_ == '\n' || delim_ == '\r' || quote_ == '\n' || quote_ == '\r') {
      throw InvalidInput("invalid CSV options: delimiter and quote must differ and not be CR or LF");
    }
    const char* p = begin_;
    if (end_ - p >= 3 && std::memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    size_t lf = 0, delimiters = 0;
    if (const char* bad = prescan(p, end_, delim_, lf, delimiters)) {
      fail_at(bad, "invalid UTF-8 byte 0x" + hex(static_cast<unsigned char>(*bad)) + " (the file must be UTF-8)");
    }
    // Trailing blank lines are ignored. A CR or LF at the very end can only be inside a
    // quoted field if its closing quote is missing, which is reported the same either way.
    while (end_ > p && (end_[-1] == '\n' || end_[-1] == '\r')) --end_;
    if (p == end_) fail(0, 0, "empty file: no header");

    // Unquoting only removes bytes, so the input size bounds the text; writing through a raw
    // pointer avoids a capacity check per field.
    out_.text_.resize(static_cast<size_t>(end_ - p));
    w_ = &out_.text_[0];

    line_start_ = begin_;
    std::vector<const char*> starts;
    parse_record(p, &starts);
    header(starts);
    const size_t ncols = out_.names.size();
    out_.offset_.assign(1, 0);
    w_ = &out_.text_[0];
    // Records after the header end in LFs, and every field but a record's last ends in a
    // delimiter. Either bound can be far off alone (LFs inside quotes times many columns;
    // delimiters inside quotes), so the smaller one is taken.
    out_.offset_.reserve(std::min(lf * ncols, delimiters + lf + 1) + 1);
    out_.row_line_.reserve(lf);

    while (p < end_) {
      const size_t line = line_;
      const size_t found = parse_record(p, nullptr);
      if (found != ncols) {
        fail(line, 0, "expected " + std::to_string(ncols) + " fields, found " + std::to_string(found));
      }
      out_.row_line_.push_back(line);
    }
    out_.text_.resize(static_cast<size_t>(w_ - out_.text_.data()));
    // Giving back the slack costs a copy of the text; only worth it when the slack is large.
    if (out_.text_.capacity() > out_.text_.size() + out_.text_.size() / 4) out_.text_.shrink_to_fit();
  }

 private:
  [[noreturn]] void fail(size_t line, size_t column, const std::string& message) const {
    throw InvalidInput(located(source_, line, column, message));
  }
  // For error paths away from the parse position: recounts lines from the start.
  [[noreturn]] void fail_at(const char* at, const std::string& message) const {
    const char* line_start = at;
    while (line_start > begin_ && line_start[-1] != '\n') --line_start;
    fail(1 + static_cast<size_t>(std::count(begin_, at, '\n')), static_cast<size_t>(at - line_start) + 1, message);
  }
  size_t column(const char* at) const { return static_cast<size_t>(at - line_start_) + 1; }
  static std::string hex(unsigned char c) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02X", c);
    return buf;
  }
  // Printable form of a byte for messages.
  static std::string shown(char c) {
    if (c == '\t') return "'\\t'";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return "byte 0x" + hex(static_cast<unsigned char>(c));
    return std::string("'") + c + "'";
  }

  // First byte at or after p that can end an unquoted field (or end_). Fields are short, so
  // eight bytes are tested at once for the four stop bytes (SWAR) before a byte loop.
  const char* scan(const char* p) const {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (end_ - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      const uint64_t m = zero_bytes(w ^ delim_mask_) | zero_bytes(w ^ quote_mask_) |
                         zero_bytes(w ^ (0x0A * kOnes)) | zero_bytes(w ^ (0x0D * kOnes));
      if (m) return p + (__builtin_ctzll(m) >> 3);
      p += 8;
    }
#endif
    while (p < end_ && !stop_[static_cast<unsigned char>(*p)]) ++p;
    return p;
  }
  // First quote or LF at or after p inside a quoted field (or end_).
  const char* scan_quoted(const char* p) const {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (end_ - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      const uint64_t m = zero_bytes(w ^ quote_mask_) | zero_bytes(w ^ (0x0A * kOnes));
      if (m) return p + (__builtin_ctzll(m) >> 3);
      p += 8;
    }
#endif
    while (p < end_ && *p != quote_ && *p != '\n') ++p;
    return p;
  }
  void copy(const char* from, size_t n) {
    std::memcpy(w_, from, n);
    w_ += n;
  }

  // Parses one record starting at p (not at end_), appending its fields to text_/offset_,
  // and leaves p after its line terminator. Returns the number of fields. `starts`, when
  // given, receives where each field begins (for header messages).
  size_t parse_record(const char*& p, std::vector<const char*>* starts) {
    size_t fields = 0;
    for (;;) {
      if (starts) starts->push_back(p);
      if (p < end_ && *p == quote_) {
        parse_quoted(p);
      } else {
        const char* s = p;
        for (;;) {
          p = scan(p);
          if (p == end_ || *p == delim_ || *p == '\n') break;
          if (*p == quote_) fail(line_, column(p), "stray quote in an unquoted field (quote the whole field and double the quote)");
          // CR: a line ending only before LF; a lone CR is kept as data.
          if (p + 1 == end_ || p[1] == '\n') break;
          ++p;
        }
        copy(s, static_cast<size_t>(p - s));
      }
      out_.offset_.push_back(static_cast<uint64_t>(w_ - out_.text_.data()));
      ++fields;
      if (p == end_) return fields;
      if (*p == delim_) {
        ++p;
        continue;
      }
      if (*p == '\r') ++p;
      if (p < end_) {  // LF: parse_quoted/the scan above only stop here at CR LF or LF
        ++p;
        ++line_;
        line_start_ = p;
      }
      return fields;
    }
  }

  void parse_quoted(const char*& p) {
    const size_t open_line = line_;
    const size_t open_column = column(p);
    const char* chunk = ++p;  // text not yet copied
    for (;;) {
      p = scan_quoted(p);
      if (p == end_) fail(open_line, open_column, "unclosed quote (the field opened here never ends)");
      if (*p == '\n') {
        // Embedded newlines move the physical line on, for the line numbers of later records.
        ++line_;
        line_start_ = ++p;
        continue;
      }
      copy(chunk, static_cast<size_t>(p - chunk));
      ++p;
      if (p < end_ && *p == quote_) {
        chunk = p++;  // the second quote of a pair starts the next chunk: one literal quote
        continue;
      }
      break;
    }
    if (p == end_ || *p == delim_ || *p == '\n' || (*p == '\r' && (p + 1 == end_ || p[1] == '\n'))) return;
    fail(line_, column(p), "unexpected " + shown(*p) + " after a closing quote (expected a delimiter or end of line)");
  }

  void header(const std::vector<const char*>& starts) {
    const size_t n = out_.offset_.size() - 1;
    std::vector<std::string_view> names(n);
    for (size_t i = 0; i < n; ++i) {
      names[i] = std::string_view(out_.text_.data() + out_.offset_[i], out_.offset_[i + 1] - out_.offset_[i]);
    }
    for (size_t i = 0; i < n; ++i) {
      if (names[i].empty()) fail_at(starts[i], "empty name for column " + std::to_string(i + 1) + " in the header");
    }
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return names[a] < names[b]; });
    for (size_t k = 1; k < n; ++k) {
      if (names[order[k]] == names[order[k - 1]]) {
        const size_t first = order[k - 1], second = order[k];
        fail_at(starts[second],
                "duplicate column name '" + std::string(names[second]) + "' (columns " + std::to_string(first + 1) +
                    " and " + std::to_string(second + 1) + ")");
      }
    }
    out_.names.assign(names.begin(), names.end());
  }

  const char* begin_;
  const char* end_;
  const std::string& source_;
  const char delim_;
  const char quote_;
  RawTable& out_;
  unsigned char stop_[256];
  const uint64_t delim_mask_ = static_cast<unsigned char>(delim_) * kOnes;
  const uint64_t quote_mask_ = static_cast<unsigned char>(quote_) * kOnes;
  char* w_ = nullptr;              // write position in out_.text_
  size_t line_ = 1;                // physical line of the parse position
  const char* line_start_ = nullptr;  // first byte of that line
};

}  // namespace

RawTable parse_csv(std::string_view text, const std::string& source, const CsvOptions& options) {
  RawTable table;
  table.source = source;
  Parser(text, source, options, table).run();
  return table;
}

RawTable read_csv(const std::string& path, const CsvOptions& options) {
  const std::string text = read_file(path);
  return parse_csv(text, path, options);
}

void append_csv_field(std::string& out, std::string_view field, char delimiter) {
  bool needs_quotes = !field.empty() && (field.front() == ' ' || field.back() == ' ');
  if (!needs_quotes) {
    for (char c : field) {
      if (c == delimiter || c == '"' || c == '\n' || c == '\r') {
        needs_quotes = true;
        break;
      }
    }
  }
  if (!needs_quotes) {
    out.append(field.data(), field.size());
    return;
  }
  out.push_back('"');
  for (size_t i = 0;;) {
    const size_t q = field.find('"', i);
    if (q == std::string_view::npos) {
      out.append(field.data() + i, field.size() - i);
      break;
    }
    out.append(field.data() + i, q + 1 - i);
    out.push_back('"');
    i = q + 1;
  }
  out.push_back('"');
}

}  // namespace medgen
