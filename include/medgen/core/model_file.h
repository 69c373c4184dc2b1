// One file per trained model.
//
// Layout (little-endian):
//   8 bytes   magic "MEDGENM\x01"
//   u32       format version (kModelFormatVersion)
//   u64       header length H, then H bytes of UTF-8 JSON (synthesizer name, params, schema,
//             transformer/model state that fits JSON, training history, provenance)
//   u64       payload length P, then P bytes (binary state such as a LibTorch archive; may be 0)
//   32 bytes  SHA-256 of everything before it
// A file whose magic, version, lengths or checksum do not match is rejected with ModelFormat.
// Thread safety: ModelFile is a value; save, load and the sha256 functions share no state and may
// run concurrently (on different paths for save). save writes through core/file.h, so an
// interrupted save leaves no file behind (see file.h for the signal handlers it installs).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace medgen {

inline constexpr uint32_t kModelFormatVersion = 1;

struct ModelFile {
  nlohmann::json header;  // see docs/formats.md for the keys
  std::string payload;    // opaque binary state

  // Serialises and writes atomically (temporary name, then rename). IoError on failure.
  void save(const std::string& path) const;
  std::string serialize() const;
  // ModelFormat naming the path and what is wrong; IoError when unreadable.
  static ModelFile load(const std::string& path);
  static ModelFile deserialize(const std::string& bytes, const std::string& source);
};

// Hex SHA-256 of bytes / of a file's contents.
std::string sha256_hex(const std::string& bytes);
std::string sha256_file_hex(const std::string& path);

}  // namespace medgen
