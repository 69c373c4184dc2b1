#include "medgen/core/csv_stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <openssl/evp.h>

#include "medgen/core/error.h"

namespace medgen {

// Each chunk is parsed by parse_csv itself, so that records, fields and error texts are the
// whole-file parser's by construction. The chunk's text is the header record, the chunk's
// records, and, unless the chunk ends the file, the header record again as a sentinel: a
// record with the right number of fields that keeps parse_csv's end-of-input rules (trailing
// line breaks dropped) away from the chunk's own last record. The sentinel row is then
// dropped and line numbers moved from the chunk's text to the file's.
//
// Chunks end where the whole-file parser would start a record: after a line feed outside
// quotes (the parity of the quote bytes since the last record boundary: exact for well-formed
// records, and where a record is malformed, parse_csv stops at the fault before the chunk's
// end) that is followed by a byte other than CR or LF, so that a run of blank lines never
// ends a chunk: at the end of the file such a run is dropped, elsewhere it is records.

struct CsvChunkReader::Hash {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Hash() {
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) throw Error("SHA-256 initialisation failed");
  }
  ~Hash() { EVP_MD_CTX_free(ctx); }
  void update(const char* p, size_t n) {
    if (n && EVP_DigestUpdate(ctx, p, n) != 1) throw Error("SHA-256 computation failed");
  }
  std::string hex() {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx, d, &len) != 1 || len != 32) throw Error("SHA-256 computation failed");
    static const char* kHex = "0123456789abcdef";
    std::string out(64, '0');
    for (unsigned i = 0; i < 32; ++i) {
      out[2 * i] = kHex[d[i] >> 4];
      out[2 * i + 1] = kHex[d[i] & 15];
    }
    return out;
  }
};

namespace {

[[noreturn]] void throw_io(const std::string& path, int err) {
  throw IoError("cannot read '" + path + "': " + std::strerror(err));
}

bool all_line_breaks(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; });
}

// "path:L:C: message" from parse_csv of a chunk's text, with L moved by `delta` when it lies
// after the header (line `header_lines`).
std::string shift_line(const std::string& message, const std::string& path, size_t header_lines, int64_t delta) {
  const std::string prefix = path + ":";
  if (message.compare(0, prefix.size(), prefix) != 0) return message;
  size_t i = prefix.size(), line = 0;
  const size_t digits = i;
  while (i < message.size() && message[i] >= '0' && message[i] <= '9') line = line * 10 + (message[i++] - '0');
  if (i == digits || line <= header_lines) return message;
  return prefix + std::to_string(static_cast<int64_t>(line) + delta) + message.substr(i);
}

}  // namespace

CsvChunkReader::CsvChunkReader(std::string path, CsvOptions csv, CsvStreamOptions stream)
    : path_(std::move(path)), csv_(std::move(csv)), stream_(stream) {
  if (stream_.block_bytes == 0 || stream_.max_record_bytes == 0)
    throw InvalidInput("CSV streaming: the block size and the record limit must be at least 1 byte");
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw_io(path_, errno);
  try {
    struct stat st;
    if (::fstat(fd_, &st) != 0) throw_io(path_, errno);
    if (S_ISDIR(st.st_mode)) throw_io(path_, EISDIR);
    hash_ = std::make_unique<Hash>();
    // The BOM (its three bytes or the whole file, whichever is shorter), then the header
    // record: up to the first line feed outside quotes.
    while (buf_.size() < 3 && !eof_) fill(stream_.block_bytes);
    const size_t bom = buf_.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
    size_t end = 0;
    for (size_t i = bom;; ++i) {
      if (i == buf_.size()) {
        if (eof_) break;
        if (i - bom > stream_.max_record_bytes) too_long();
        fill(stream_.block_bytes);
        --i;
        continue;
      }
      if (buf_[i] == csv_.quote) {
        in_quotes_ = !in_quotes_;
        if (in_quotes_) quote_at_ = i;
      } else if (buf_[i] == '\n' && !in_quotes_) {
        end = i + 1;
        break;
      }
    }
    in_quotes_ = false;
    if (end == 0) {
      // The header reaches the end of the file: parse_csv of the file is the whole answer.
      names_ = parse_csv(buf_, path_, csv_).names;
      header_ = buf_.substr(bom);
      header_lines_ = static_cast<size_t>(std::count(header_.begin(), header_.end(), '\n'));
      data_start_ = buf_.size();
      buf_.clear();
      done_ = true;
      return;
    }
    header_ = buf_.substr(bom, end - bom);
    // A file of line breaks only is empty (parse_csv drops trailing line breaks): look on
    // for anything else before deciding.
    if (all_line_breaks(header_)) {
      size_t i = end;
      for (;;) {
        while (i < buf_.size() && (buf_[i] == '\n' || buf_[i] == '\r')) ++i;
        if (i < buf_.size() || eof_) break;
        if (buf_.size() > stream_.max_record_bytes) too_long();
        fill(stream_.block_bytes);
      }
      if (i == buf_.size()) parse_csv(std::string_view(buf_.data(), end), path_, csv_);  // throws: empty
    }
    // The sentinel: the header once more, or for a header of line breaks alone (which would
    // vanish at the end of a text) an empty quoted field (such a header has one column).
    sentinel_ = all_line_breaks(header_) ? std::string(2, csv_.quote) : header_;
    // The header and the sentinel after it: the names exactly as in the whole file, and
    // parse_csv's header checks (with their lines and columns, BOM included).
    names_ = parse_csv(buf_.substr(0, end) + sentinel_, path_, csv_).names;
    header_lines_ = static_cast<size_t>(std::count(header_.begin(), header_.end(), '\n'));
    data_start_ = end;
    buf_.erase(0, end);
    line_ = 1 + header_lines_;
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
}

CsvChunkReader::~CsvChunkReader() {
  if (fd_ >= 0) ::close(fd_);
}

void CsvChunkReader::fill(size_t bytes) {
  const size_t old = buf_.size();
  buf_.resize(old + bytes);
  size_t got = 0;
  while (got < bytes) {
    const ssize_t n = ::read(fd_, &buf_[old + got], bytes - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      buf_.resize(old + got);
      throw_io(path_, errno);
    }
    if (n == 0) {
      eof_ = true;
      break;
    }
    got += static_cast<size_t>(n);
  }
  buf_.resize(old + got);
  hash_->update(buf_.data() + old, got);
  offset_ += got;
  peak_buffer_ = std::max(peak_buffer_, buf_.size());
}

void CsvChunkReader::scan() {
  // The last byte is left for later: whether a line feed there may end a chunk depends on
  // the byte after it.
  const char q = csv_.quote;
  const char* p = buf_.data();
  const size_t n = buf_.size();
  for (size_t i = scanned_; i + 1 < n; ++i) {
    const char c = p[i];
    if (c == q) {
      in_quotes_ = !in_quotes_;
      if (in_quotes_) quote_at_ = i;
    } else if (c == '\n' && !in_quotes_ && p[i + 1] != '\n' && p[i + 1] != '\r') {
      cut_ = i + 1;
    }
  }
  if (n > 0) scanned_ = std::max(scanned_, n - 1);
}

void CsvChunkReader::too_long() const {
  const std::string limit = std::to_string(stream_.max_record_bytes);
  if (in_quotes_) {
    // Where the quoted field opened: its line and column in the file.
    const size_t at = quote_at_;
    const size_t lf = static_cast<size_t>(std::count(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    const size_t before = at == 0 ? std::string::npos : buf_.rfind('\n', at - 1);
    const size_t column = at - (before == std::string::npos ? 0 : before + 1) + 1;
    throw InvalidInput(located(path_, line_ + lf, column,
                               "a quoted field opened here runs on for more than " + limit +
                                   " bytes (an unclosed quote?)"));
  }
  throw InvalidInput(located(path_, line_, 0, "a record longer than " + limit + " bytes starts here"));
}

bool CsvChunkReader::next(RawTable* chunk) {
  while (!done_) {
    // Up to a block's worth held; a block more when that much holds no whole record.
    const size_t block = stream_.block_bytes;
    if (!eof_) fill(buf_.size() < block ? block - buf_.size() : block);
    if (eof_) {  // the rest of the file is the last chunk
      done_ = true;
      if (!buf_.empty()) {
        parse_chunk(buf_.size(), true, chunk);
        buf_.clear();
        scanned_ = cut_ = 0;
        if (chunk->num_rows() > 0) return true;
      }
      break;
    }
    scan();
    if (cut_ > 0) {
      const size_t end = cut_;
      parse_chunk(end, false, chunk);
      buf_.erase(0, end);
      scanned_ -= end;
      if (in_quotes_) quote_at_ -= end;
      cut_ = 0;
      return true;
    }
    if (buf_.size() > stream_.max_record_bytes) too_long();
  }
  if (digest_.empty()) digest_ = hash_->hex();
  return false;
}

void CsvChunkReader::parse_chunk(size_t end, bool last, RawTable* chunk) {
  std::string text;
  text.reserve(header_.size() + end + sentinel_.size());
  text += header_;
  text.append(buf_, 0, end);
  if (!last) text += sentinel_;
  const int64_t delta = static_cast<int64_t>(line_) - static_cast<int64_t>(header_lines_ + 1);
  try {
    *chunk = parse_csv(text, path_, csv_);
  } catch (const InvalidInput& e) {
    throw InvalidInput(shift_line(e.what(), path_, header_lines_, delta));
  }
  if (!last) {  // drop the sentinel
    MEDGEN_ASSERT(chunk->num_rows() >= 2);
    chunk->row_line_.pop_back();
    chunk->offset_.resize(chunk->offset_.size() - chunk->num_cols());
    chunk->text_.resize(static_cast<size_t>(chunk->offset_.back()));
  }
  for (size_t& l : chunk->row_line_) l = static_cast<size_t>(static_cast<int64_t>(l) + delta);
  line_ += static_cast<uint64_t>(std::count(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
  rows_ += chunk->num_rows();
}

void CsvChunkReader::rewind() {
  if (::lseek(fd_, 0, SEEK_SET) != 0)
    throw InvalidInput("cannot read '" + path_ + "' a second time (" + std::strerror(errno) +
                       "): a streamed pass needs a regular file, not a pipe");
  buf_.clear();
  offset_ = 0;
  rows_ = 0;
  eof_ = false;
  done_ = false;
  scanned_ = cut_ = quote_at_ = 0;
  in_quotes_ = false;
  hash_ = std::make_unique<Hash>();
  digest_.clear();
  while (buf_.size() < data_start_ && !eof_) fill(std::max<size_t>(stream_.block_bytes, data_start_ - buf_.size()));
  if (buf_.size() < data_start_ || buf_.compare(data_start_ - header_.size(), header_.size(), header_) != 0)
    throw InvalidInput(path_ + ": the file changed while it was being read");
  buf_.erase(0, static_cast<size_t>(data_start_));
  line_ = 1 + header_lines_;
}

std::string CsvChunkReader::sha256_hex() const {
  if (digest_.empty()) throw Error("CsvChunkReader::sha256_hex before the end of a pass");
  return digest_;
}

// ------------------------------------------------------------------------ typed chunks

CsvTableChunks::CsvTableChunks(std::string path, Schema schema, CsvOptions csv, CsvStreamOptions stream,
                               bool open_labels)
    : reader_(std::move(path), csv, stream), schema_(std::move(schema)), csv_(std::move(csv)) {
  typing_ = schema_;
  if (open_labels)
    for (ColumnSchema& c : typing_.columns)
      if (c.type == ColumnType::kCategorical) {
        c.type = ColumnType::kText;  // to_table: a column of free strings, each chunk its own dictionary
        c.values.clear();
      }
}

bool CsvTableChunks::next(Table* chunk) {
  if (!reader_.next(&raw_)) return false;
  *chunk = to_table(raw_, typing_, csv_);
  return true;
}

void CsvTableChunks::rewind() { reader_.rewind(); }

}  // namespace medgen
