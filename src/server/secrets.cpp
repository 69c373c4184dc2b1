#include "medgen/server/secrets.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "medgen/core/error.h"
#include "medgen/core/file.h"

namespace medgen::server {

namespace {

constexpr char kMagic[] = "MGENC1";
constexpr size_t kMagicBytes = 6;
constexpr uint8_t kVersion = 1;       // no label
constexpr uint8_t kVersionLabel = 2;  // every chunk authenticates the file's label too
constexpr size_t kKeyIdBytes = 8;
constexpr size_t kStreamHeaderBytes = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr size_t kHeaderBytes = kMagicBytes + 1 + kKeyIdBytes + kStreamHeaderBytes;
constexpr size_t kChunkPlain = size_t{64} << 10;
constexpr size_t kChunkCipherMax = kChunkPlain + crypto_secretstream_xchacha20poly1305_ABYTES;
constexpr uint8_t kTagMessage = crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
constexpr uint8_t kTagFinal = crypto_secretstream_xchacha20poly1305_TAG_FINAL;
constexpr char kArgon2idPrefix[] = "$argon2id$";
constexpr size_t kMaxKeyFileBytes = 4096;

using KeyId = std::array<uint8_t, kKeyIdBytes>;

[[noreturn]] void throw_io(const char* what, const std::string& path, int err) {
  throw IoError(std::string("cannot ") + what + " '" + path + "': " + std::strerror(err));
}

// Wipes a buffer that held a key or plaintext when the scope ends, on every exit path.
class Wipe {
 public:
  Wipe(void* p, size_t n) : p_(p), n_(n) {}
  ~Wipe() { sodium_memzero(p_, n_); }
  Wipe(const Wipe&) = delete;
  Wipe& operator=(const Wipe&) = delete;

 private:
  void* p_;
  size_t n_;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string to_hex(const uint8_t* p, size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(&out[0], out.size(), p, n);
  out.pop_back();
  return out;
}

KeyId key_id_of(const std::array<uint8_t, 32>& key) {
  uint8_t digest[32];
  crypto_generichash(digest, sizeof digest, key.data(), key.size(), nullptr, 0);
  KeyId id;
  std::memcpy(id.data(), digest, id.size());
  return id;
}

// Up to n bytes; fewer only at the end of the file.
size_t read_full(int fd, void* buf, size_t n, const std::string& path) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, static_cast<char*>(buf) + got, n - got);
    if (r == 0) break;
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_io("read", path, errno);
    }
    got += static_cast<size_t>(r);
  }
  return got;
}

void write_all(int fd, const char* p, size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw_io("write", path, errno);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// A label as secretstream's additional data (none when empty).
const unsigned char* ad(const std::string& label) {
  return label.empty() ? nullptr : reinterpret_cast<const unsigned char*>(label.data());
}

// Writes the MGENC1 header on construction (version 2 when `label` is given: every chunk then
// authenticates it as additional data), then one chunk per push().
class Sealer {
 public:
  Sealer(const Key& key, AtomicFileWriter& out, const std::string& label)
      : out_(out), label_(label), buf_(4 + kChunkCipherMax) {
    uint8_t head[kHeaderBytes];
    std::memcpy(head, kMagic, kMagicBytes);
    head[kMagicBytes] = label.empty() ? kVersion : kVersionLabel;
    const KeyId id = key_id_of(key.bytes);
    std::memcpy(head + kMagicBytes + 1, id.data(), id.size());
    crypto_secretstream_xchacha20poly1305_init_push(&state_, head + kMagicBytes + 1 + kKeyIdBytes, key.bytes.data());
    out_.write(std::string_view(reinterpret_cast<const char*>(head), sizeof head));
  }
  ~Sealer() { sodium_memzero(&state_, sizeof state_); }
  Sealer(const Sealer&) = delete;
  Sealer& operator=(const Sealer&) = delete;

  void push(const uint8_t* plain, size_t n, bool final) {
    MEDGEN_ASSERT(n <= kChunkPlain);
    unsigned long long len = 0;
    crypto_secretstream_xchacha20poly1305_push(&state_, buf_.data() + 4, &len, plain, n, ad(label_), label_.size(),
                                               final ? kTagFinal : kTagMessage);
    for (int i = 0; i < 4; ++i) buf_[i] = static_cast<uint8_t>(len >> (8 * i));
    out_.write(std::string_view(reinterpret_cast<const char*>(buf_.data()), 4 + len));
  }

 private:
  AtomicFileWriter& out_;
  std::string label_;
  crypto_secretstream_xchacha20poly1305_state state_;
  std::vector<uint8_t> buf_;  // length prefix + ciphertext
};

// Reads an MGENC1 file: the header on construction, then (after open()) one chunk per next().
// Every chunk is authenticated before its plaintext is handed out, and the stream must end
// with the FINAL chunk and nothing after it.
class Opener {
 public:
  explicit Opener(const std::string& path)
      : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), cipher_(kChunkCipherMax), plain_(kChunkPlain) {
    if (fd_.get() < 0) throw_io("read", path, errno);
    uint8_t head[kHeaderBytes];
    const size_t got = read_full(fd_.get(), head, sizeof head, path);
    if (got < kMagicBytes || std::memcmp(head, kMagic, kMagicBytes) != 0) {
      throw ModelFormat(path + ": not an MGENC1 encrypted file");
    }
    if (got > kMagicBytes && head[kMagicBytes] != kVersion && head[kMagicBytes] != kVersionLabel) {
      throw ModelFormat(path + ": MGENC1 version " + std::to_string(head[kMagicBytes]) + " is not supported (only 1 and 2)");
    }
    labelled_ = got > kMagicBytes && head[kMagicBytes] == kVersionLabel;
    if (got < kHeaderBytes) throw ModelFormat(path + ": truncated (the MGENC1 header is incomplete)");
    std::memcpy(id_.data(), head + kMagicBytes + 1, kKeyIdBytes);
    std::memcpy(stream_header_, head + kMagicBytes + 1 + kKeyIdBytes, kStreamHeaderBytes);
  }
  ~Opener() {
    sodium_memzero(&state_, sizeof state_);
    sodium_memzero(plain_.data(), plain_.size());
  }
  Opener(const Opener&) = delete;
  Opener& operator=(const Opener&) = delete;

  std::string key_id() const { return to_hex(id_.data(), id_.size()); }
  uint64_t file_bytes() const {
    struct stat st;
    return ::fstat(fd_.get(), &st) == 0 && st.st_size > 0 ? static_cast<uint64_t>(st.st_size) : 0;
  }

  bool labelled() const { return labelled_; }

  // The key id is checked first: the id is not secret, and "wrong key" is the likely mistake,
  // which deserves a better message than "altered". A labelled file (version 2) opens only
  // under the label it was written with; a version 1 file has none and ignores `label`.
  void open(const Key& key, const std::string& label) {
    if (labelled_) label_ = label;
    const KeyId given = key_id_of(key.bytes);
    if (given != id_) {
      throw InvalidInput(path_ + ": encrypted with key " + key_id() + ", not with the key given (" +
                         to_hex(given.data(), given.size()) + ")");
    }
    if (crypto_secretstream_xchacha20poly1305_init_pull(&state_, stream_header_, key.bytes.data()) != 0) {
      throw ModelFormat(path_ + ": altered or encrypted with another key");
    }
  }

  // Decrypts the next chunk into plain()/size(); false once the final chunk has been read.
  bool next() {
    if (final_) return false;
    uint8_t len_bytes[4];
    const size_t got = read_full(fd_.get(), len_bytes, 4, path_);
    if (got == 0) throw ModelFormat(path_ + ": truncated (the final chunk is missing)");
    if (got < 4) throw ModelFormat(path_ + ": truncated (a chunk length is incomplete)");
    const uint32_t len = static_cast<uint32_t>(len_bytes[0]) | static_cast<uint32_t>(len_bytes[1]) << 8 |
                         static_cast<uint32_t>(len_bytes[2]) << 16 | static_cast<uint32_t>(len_bytes[3]) << 24;
    if (len < crypto_secretstream_xchacha20poly1305_ABYTES || len > kChunkCipherMax) {
      throw ModelFormat(path_ + ": a chunk of " + std::to_string(len) + " bytes (they are " +
                        std::to_string(crypto_secretstream_xchacha20poly1305_ABYTES) + " to " +
                        std::to_string(kChunkCipherMax) + ")");
    }
    if (read_full(fd_.get(), cipher_.data(), len, path_) < len) {
      throw ModelFormat(path_ + ": truncated (a chunk is incomplete)");
    }
    unsigned long long n = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&state_, plain_.data(), &n, &tag, cipher_.data(), len, ad(label_),
                                                   label_.size()) != 0) {
      throw ModelFormat(path_ + (labelled_ ? ": altered, or not the file '" + label_ + "' (moved or swapped)"
                                           : std::string(": altered or encrypted with another key")));
    }
    if (tag != kTagMessage && tag != kTagFinal) throw ModelFormat(path_ + ": altered (a chunk has an unknown tag)");
    size_ = static_cast<size_t>(n);
    final_ = tag == kTagFinal;
    uint8_t extra;
    if (final_ && read_full(fd_.get(), &extra, 1, path_) != 0) {
      throw ModelFormat(path_ + ": altered (bytes follow the final chunk)");
    }
    return true;
  }
  const uint8_t* plain() const { return plain_.data(); }
  size_t size() const { return size_; }
  bool final() const { return final_; }

 private:
  std::string path_;
  Fd fd_;
  KeyId id_{};
  bool labelled_ = false;
  std::string label_;
  uint8_t stream_header_[kStreamHeaderBytes];
  crypto_secretstream_xchacha20poly1305_state state_;
  std::vector<uint8_t> cipher_, plain_;
  size_t size_ = 0;
  bool final_ = false;
};

}  // namespace

void init_sodium() {
  static std::once_flag once;
  // A throwing call_once leaves the flag unset, so a later call tries again.
  std::call_once(once, [] {
    if (sodium_init() < 0) throw Error("libsodium could not be initialised");
  });
}

// ---------------------------------------------------------------------------- passwords

std::string hash_password(std::string_view password, const PasswordCost& cost) {
  init_sodium();
  if (cost.ops < crypto_pwhash_argon2id_OPSLIMIT_MIN || cost.ops > crypto_pwhash_argon2id_OPSLIMIT_MAX ||
      cost.mem_bytes < crypto_pwhash_argon2id_MEMLIMIT_MIN || cost.mem_bytes > crypto_pwhash_argon2id_MEMLIMIT_MAX) {
    throw InvalidInput("password cost: ops is at least " + std::to_string(crypto_pwhash_argon2id_OPSLIMIT_MIN) +
                       " and mem_bytes at least " + std::to_string(crypto_pwhash_argon2id_MEMLIMIT_MIN));
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.empty() ? "" : password.data(), password.size(), cost.ops, cost.mem_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw Error("hash_password: out of memory (" + std::to_string(cost.mem_bytes) + " bytes per hash)");
  }
  return out;
}

bool verify_password(const std::string& hash, std::string_view password) {
  init_sodium();
  // Older algorithms (argon2i) are refused: every stored hash is ours, so anything else is
  // corrupt or planted. A NUL inside would make libsodium read a shorter string than stored.
  if (hash.size() >= crypto_pwhash_STRBYTES || hash.compare(0, sizeof kArgon2idPrefix - 1, kArgon2idPrefix) != 0 ||
      hash.find('\0') != std::string::npos) {
    return false;
  }
  return crypto_pwhash_str_verify(hash.c_str(), password.empty() ? "" : password.data(), password.size()) == 0;
}

void check_password_rules(std::string_view password) {
  init_sodium();
  if (password.size() < 12) throw InvalidInput("password: at least 12 characters");
  if (password.size() > 1024) throw InvalidInput("password: at most 1024 bytes");
  if (password.find('\0') != std::string_view::npos) throw InvalidInput("password: no NUL bytes");
}

// ---------------------------------------------------------------------------- tokens

std::string new_token() {
  init_sodium();
  uint8_t raw[32];
  randombytes_buf(raw, sizeof raw);
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  char text[sodium_base64_ENCODED_LEN(sizeof raw, kVariant)];
  sodium_bin2base64(text, sizeof text, raw, sizeof raw, kVariant);
  sodium_memzero(raw, sizeof raw);
  std::string out = std::string("mgt_") + text;
  sodium_memzero(text, sizeof text);
  return out;
}

std::string token_digest(std::string_view token) {
  init_sodium();
  uint8_t digest[32];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const uint8_t*>(token.data()), token.size(), nullptr, 0);
  return to_hex(digest, sizeof digest);
}

std::string new_password() {
  init_sodium();
  // No 0/O, 1/l/I: read aloud or copied from a screen by someone setting up a server.
  constexpr char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  std::string out(20, '\0');
  for (char& c : out) c = kAlphabet[randombytes_uniform(sizeof kAlphabet - 1)];
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  init_sodium();
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// ---------------------------------------------------------------------------- keys

Key load_key_file(const std::string& path) {
  init_sodium();
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw_io("read", path, errno);
  if (st.st_mode & 077) {
    const char* what = (st.st_mode & 044) ? "readable" : (st.st_mode & 022) ? "writable" : "executable";
    throw InvalidInput(path + ": " + what + " by group or others; chmod 600 it");
  }
  std::string text = read_file(path, kMaxKeyFileBytes);
  const Wipe wipe(&text[0], text.size());
  return parse_key(text, path);
}

Key parse_key(std::string_view hex, const std::string& source) {
  init_sodium();
  constexpr const char* kSpace = " \t\n\r\f\v";
  const size_t first = hex.find_first_not_of(kSpace);
  hex = first == std::string_view::npos ? std::string_view() : hex.substr(first, hex.find_last_not_of(kSpace) - first + 1);
  Key key;
  size_t n = 0;
  if (hex.size() != 2 * key.bytes.size() ||
      sodium_hex2bin(key.bytes.data(), key.bytes.size(), hex.data(), hex.size(), nullptr, &n, nullptr) != 0 ||
      n != key.bytes.size()) {
    sodium_memzero(key.bytes.data(), key.bytes.size());
    throw InvalidInput(source + ": a key is 64 hex characters (32 bytes)");
  }
  const KeyId id = key_id_of(key.bytes);
  key.id = to_hex(id.data(), id.size());
  return key;
}

Key create_key_file(const std::string& path) {
  init_sodium();
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) throw IoError(path + ": exists; a key file is never replaced");
  Key key;
  randombytes_buf(key.bytes.data(), key.bytes.size());
  const KeyId id = key_id_of(key.bytes);
  key.id = to_hex(id.data(), id.size());

  uint8_t salt[8];
  randombytes_buf(salt, sizeof salt);
  const std::string tmp = path + ".tmp-" + to_hex(salt, sizeof salt);
  TempPathGuard guard(tmp);
  {
    // Created with 0600 from the start (the umask can only narrow it), so the key is never
    // readable by others, not even for a moment.
    const Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) throw_io("write", path, errno);
    std::string text = to_hex(key.bytes.data(), key.bytes.size()) + "\n";
    const Wipe wipe(&text[0], text.size());
    try {
      write_all(fd.get(), text.data(), text.size(), path);
      if (::fsync(fd.get()) != 0) throw_io("write", path, errno);
    } catch (...) {
      ::unlink(tmp.c_str());
      throw;
    }
  }
  // link() rather than rename(): it fails when the path appeared meanwhile, so an existing key
  // (and the data encrypted with it) is never replaced.
  const int rc = ::link(tmp.c_str(), path.c_str());
  const int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (err == EEXIST) throw IoError(path + ": exists; a key file is never replaced");
    throw_io("write", path, err);
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());  // best effort: the file itself is already durable
  return key;
}

// ---------------------------------------------------------------------------- encryption at rest

bool is_encrypted_file(const std::string& path) {
  init_sodium();
  // Non-blocking and regular files only, so a FIFO neither hangs the check nor loses bytes.
  const Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  struct stat st;
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  char head[kMagicBytes];
  try {
    return read_full(fd.get(), head, sizeof head, path) == kMagicBytes && std::memcmp(head, kMagic, kMagicBytes) == 0;
  } catch (const IoError&) {
    return false;
  }
}

void encrypt_to_file(const Key& key, std::string_view plain, const std::string& path, const std::string& label) {
  init_sodium();
  AtomicFileWriter out(path);
  Sealer sealer(key, out, label);
  const auto* p = reinterpret_cast<const uint8_t*>(plain.data());
  size_t at = 0;
  do {  // an empty plaintext still gets its FINAL chunk
    const size_t n = std::min(kChunkPlain, plain.size() - at);
    sealer.push(p + at, n, at + n == plain.size());
    at += n;
  } while (at < plain.size());
  out.commit();
}

void encrypt_file(const Key& key, const std::string& plain_path, const std::string& cipher_path,
                  const std::string& label) {
  init_sodium();
  const Fd in(::open(plain_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) throw_io("read", plain_path, errno);
  std::vector<uint8_t> cur(kChunkPlain), ahead(kChunkPlain);
  const Wipe wipe_cur(cur.data(), cur.size()), wipe_ahead(ahead.data(), ahead.size());
  size_t n = read_full(in.get(), cur.data(), kChunkPlain, plain_path);
  AtomicFileWriter out(cipher_path);
  Sealer sealer(key, out, label);
  // One chunk of look-ahead: a chunk is FINAL only when nothing follows it, so a file of an
  // exact multiple of 64 KiB is encrypted as encrypt_to_file would.
  for (;;) {
    const size_t m = n < kChunkPlain ? 0 : read_full(in.get(), ahead.data(), kChunkPlain, plain_path);
    sealer.push(cur.data(), n, m == 0);
    if (m == 0) break;
    std::swap(cur, ahead);  // swaps the buffers; each Wipe still names one of them
    n = m;
  }
  out.commit();
}

std::string decrypt_file(const Key& key, const std::string& path, uint64_t max_bytes, const std::string& label) {
  init_sodium();
  Opener in(path);
  in.open(key, label);
  std::string out;
  // Reserved once, so no reallocation leaves an unwiped copy of the plaintext behind.
  out.reserve(static_cast<size_t>(std::min(in.file_bytes(), max_bytes)));
  try {
    while (in.next()) {
      if (out.size() + in.size() > max_bytes) {
        throw IoError(path + ": larger than " + std::to_string(max_bytes) + " bytes");
      }
      out.append(reinterpret_cast<const char*>(in.plain()), in.size());
    }
  } catch (...) {
    sodium_memzero(&out[0], out.size());
    throw;
  }
  return out;
}

std::string encrypted_key_id(const std::string& path) {
  init_sodium();
  return Opener(path).key_id();
}

size_t rotate_files(const Key& old_key, const Key& new_key, const std::vector<std::string>& paths,
                    const std::vector<std::string>& labels) {
  if (!labels.empty() && labels.size() != paths.size()) throw Error("rotate_files: a label per path, or none");
  auto label_of = [&](size_t i) { return labels.empty() ? std::string() : labels[i]; };
  init_sodium();
  const KeyId old_id = key_id_of(old_key.bytes), new_id = key_id_of(new_key.bytes);
  const std::string old_hex = to_hex(old_id.data(), old_id.size()), new_hex = to_hex(new_id.data(), new_id.size());
  // Every header is checked before anything is rewritten, so a stray file under a third key
  // stops the rotation before it starts instead of halfway.
  for (const std::string& path : paths) {
    const std::string id = Opener(path).key_id();
    if (id != old_hex && id != new_hex) {
      throw InvalidInput(path + ": encrypted with key " + id + ", neither the old key (" + old_hex +
                         ") nor the new one (" + new_hex + ")");
    }
  }
  size_t changed = 0;
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string& path = paths[i];
    Opener in(path);
    if (in.key_id() == new_hex) continue;
    in.open(old_key, label_of(i));
    AtomicFileWriter out(path);
    Sealer sealer(new_key, out, label_of(i));  // an unlabelled (version 1) file gains its label here
    while (in.next()) sealer.push(in.plain(), in.size(), in.final());
    out.commit();
    ++changed;
  }
  return changed;
}

}  // namespace medgen::server
