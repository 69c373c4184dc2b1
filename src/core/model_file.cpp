#include "medgen/core/model_file.h"

#include <cstring>

#include <openssl/evp.h>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"

namespace medgen {

namespace {

constexpr char kMagic[8] = {'M', 'E', 'D', 'G', 'E', 'N', 'M', '\x01'};

void sha256(const char* data, size_t n, unsigned char out[32]) {
  unsigned int len = 0;
  if (EVP_Digest(data, n, out, &len, EVP_sha256(), nullptr) != 1 || len != 32)
    throw Error("SHA-256 computation failed");
}

template <typename T>
void put(std::string& out, T v) {
  char buf[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) buf[i] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF);
  out.append(buf, sizeof(T));
}

template <typename T>
T get(const std::string& in, size_t pos) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(in[pos + i])) << (8 * i);
  return static_cast<T>(v);
}

}  // namespace

std::string sha256_hex(const std::string& bytes) {
  unsigned char d[32];
  sha256(bytes.data(), bytes.size(), d);
  static const char* kHex = "0123456789abcdef";
  std::string out(64, '0');
  for (int i = 0; i < 32; ++i) {
    out[2 * i] = kHex[d[i] >> 4];
    out[2 * i + 1] = kHex[d[i] & 15];
  }
  return out;
}

std::string sha256_file_hex(const std::string& path) { return sha256_hex(read_file(path)); }

std::string ModelFile::serialize() const {
  const std::string h = header.dump();
  std::string out;
  out.reserve(8 + 4 + 8 + h.size() + 8 + payload.size() + 32);
  out.append(kMagic, 8);
  put<uint32_t>(out, kModelFormatVersion);
  put<uint64_t>(out, h.size());
  out += h;
  put<uint64_t>(out, payload.size());
  out += payload;
  unsigned char d[32];
  sha256(out.data(), out.size(), d);
  out.append(reinterpret_cast<const char*>(d), 32);
  return out;
}

void ModelFile::save(const std::string& path) const { write_file_atomic(path, serialize()); }

ModelFile ModelFile::deserialize(const std::string& bytes, const std::string& source) {
  auto fail = [&](const std::string& msg) { return ModelFormat(source + ": " + msg); };
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0)
    throw fail("not a medgen model file (bad magic number)");
  if (bytes.size() < 12 + 8 + 8 + 32) throw fail("truncated model file");
  const uint32_t version = get<uint32_t>(bytes, 8);
  if (version != kModelFormatVersion)
    throw fail("model format version " + std::to_string(version) + " is not supported (this medgen reads " +
               std::to_string(kModelFormatVersion) + ")");
  const uint64_t hlen = get<uint64_t>(bytes, 12);
  if (hlen > bytes.size() - 20 - 8 - 32) throw fail("truncated model file (header length exceeds file size)");
  const uint64_t plen = get<uint64_t>(bytes, 20 + hlen);
  if (plen != bytes.size() - 20 - hlen - 8 - 32)
    throw fail("truncated or padded model file (payload length does not match file size)");
  unsigned char d[32];
  sha256(bytes.data(), bytes.size() - 32, d);
  if (std::memcmp(d, bytes.data() + bytes.size() - 32, 32) != 0) throw fail("corrupted model file (checksum mismatch)");
  ModelFile m;
  try {
    m.header = nlohmann::json::parse(bytes.begin() + 20, bytes.begin() + 20 + static_cast<std::ptrdiff_t>(hlen));
  } catch (const nlohmann::json::exception& e) {
    throw fail(std::string("corrupted model header: ") + e.what());
  }
  if (!m.header.is_object()) throw fail("corrupted model header: not an object");
  m.payload = bytes.substr(20 + hlen + 8, plen);
  return m;
}

ModelFile ModelFile::load(const std::string& path) { return deserialize(read_file(path), path); }

}  // namespace medgen
