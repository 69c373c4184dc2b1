// InVesalius projects (.inv3): a gzipped tar of plists and raw arrays. medgen reads the CT
// volume only: main.plist gives the shape (numpy order: slices, rows, columns), dtype, spacing
// and modality; matrix.dat holds the voxels, little-endian, C order (columns fastest), which is
// already medgen's x-fastest order. A small ustar reader over zlib is enough: members are
// plain files, read in one pass.
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <vector>

#include "medgen/core/error.h"
#include "medgen/imaging/io.h"
#include "reader_support.h"

namespace medgen::imaging {
namespace {

// The member of a gzipped tar whose base name is `want` (InVesalius puts them all in one
// temporary folder), read in one pass that stops there; other members are skipped without
// being stored. Every header is checked (checksum, octal size) and the member's declared size
// must be at most `max_size` and, when `exact` is not npos, exactly `exact` bytes, before
// anything is read into memory; the body then grows with the data actually present, so a
// header that lies costs nothing. Returns false when there is no such member.
bool read_tar_member(const std::string& path, const std::string& want, uint64_t max_size, uint64_t exact,
                     std::string& body) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) throw IoError(located(path, 0, 0, std::string("cannot open: ") + std::strerror(errno)));
  auto fail = [&](const std::string& msg) {
    gzclose(gz);
    throw InvalidInput(located(path, 0, 0, "not a valid InVesalius project: " + msg));
  };
  unsigned char hdr[512];
  std::vector<char> chunk(1 << 20);
  for (;;) {
    const int n = gzread(gz, hdr, 512);
    if (n == 0) break;  // end without the two zero blocks: tolerated
    if (n != 512) fail(n < 0 ? "not gzip data or corrupt" : "truncated tar header");
    bool zero = true;
    for (unsigned char c : hdr) zero = zero && c == 0;
    if (zero) break;
    // The header checksum (bytes 148..155, octal) is the sum of the header with those bytes as spaces.
    unsigned sum = 0;
    for (int i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : hdr[i];
    const unsigned stored =
        static_cast<unsigned>(std::strtoul(std::string(reinterpret_cast<char*>(hdr) + 148, 8).c_str(), nullptr, 8));
    if (sum != stored) fail("bad tar header checksum");
    const std::string name(reinterpret_cast<char*>(hdr), strnlen(reinterpret_cast<char*>(hdr), 100));
    const std::string size_field(reinterpret_cast<char*>(hdr) + 124, 12);
    char* end = nullptr;
    const unsigned long long size = std::strtoull(size_field.c_str(), &end, 8);
    if (end == size_field.c_str() || size > (1ull << 40)) fail("bad member size in the tar header of " + name);
    const size_t slash = name.rfind('/');
    const std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
    const char type = static_cast<char>(hdr[156]);
    const bool wanted = (type == '0' || type == '\0') && base == want;
    if (wanted) {
      if (size > max_size)
        fail(want + " declares " + std::to_string(size) + " bytes, more than the limit of " + std::to_string(max_size) +
             " (MEDGEN_MAX_IMAGE_BYTES)");
      if (exact != std::string::npos && size != exact)
        fail(want + " holds " + std::to_string(size) + " bytes, the matrix shape needs " + std::to_string(exact));
    }
    // The body and its padding to a 512-byte block, in chunks.
    const unsigned long long padded = size + (512 - size % 512) % 512;
    unsigned long long done = 0;
    body.clear();
    while (done < padded) {
      const unsigned step = static_cast<unsigned>(std::min<unsigned long long>(chunk.size(), padded - done));
      const int got = gzread(gz, chunk.data(), step);
      if (got != static_cast<int>(step)) fail(got < 0 ? "corrupt compressed data" : "truncated member " + name);
      if (wanted && done < size) body.append(chunk.data(), static_cast<size_t>(std::min<unsigned long long>(got, size - done)));
      done += step;
    }
    if (wanted) {
      gzclose(gz);
      return true;
    }
  }
  gzclose(gz);
  return false;
}

// The text of <key>name</key> followed by its value element, from a flat plist.
std::string plist_value(const std::string& plist, const std::string& key) {
  const std::string k = "<key>" + key + "</key>";
  const size_t p = plist.find(k);
  if (p == std::string::npos) return {};
  const size_t open = plist.find('<', p + k.size());
  if (open == std::string::npos) return {};
  const size_t close_tag = plist.find('>', open);
  const std::string tag = plist.substr(open + 1, close_tag - open - 1);
  const std::string end = "</" + tag + ">";
  const size_t e = plist.find(end, close_tag);
  if (e == std::string::npos) return {};
  return plist.substr(close_tag + 1, e - close_tag - 1);
}

// The numbers of the <integer> and <real> elements in s, in order (a plain scan: std::regex
// recurses per character and would overflow the stack on a long hostile value).
std::vector<double> plist_numbers(const std::string& s) {
  std::vector<double> out;
  size_t p = 0;
  while ((p = s.find('<', p)) != std::string::npos) {
    size_t open_end = std::string::npos;
    if (s.compare(p, 9, "<integer>") == 0) open_end = p + 9;
    else if (s.compare(p, 6, "<real>") == 0) open_end = p + 6;
    if (open_end == std::string::npos) {
      ++p;
      continue;
    }
    const size_t close = s.find('<', open_end);
    if (close == std::string::npos) break;
    const std::string text = s.substr(open_end, std::min<size_t>(close - open_end, 64));
    out.push_back(std::strtod(text.c_str(), nullptr));
    if (out.size() > 16) break;  // shape and spacing have 3
    p = close;
  }
  return out;
}

}  // namespace

namespace {

Volume read_inv3_checked(const std::string& path, const ReadLimits& limits) {
  auto bad = [&](const std::string& msg) {
    return InvalidInput(located(path, 0, 0, "not a valid InVesalius project: " + msg));
  };
  std::string plist;
  if (!read_tar_member(path, "main.plist", std::min<uint64_t>(limits.max_bytes, 64u << 20), std::string::npos, plist))
    throw bad("no main.plist");
  const std::string matrix = plist_value(plist, "matrix");
  const std::string dtype = plist_value(matrix, "dtype");
  const std::string file = plist_value(matrix, "filename");
  const auto shape = plist_numbers(plist_value(matrix, "shape"));
  const auto spacing = plist_numbers(plist_value(plist, "spacing"));
  if (dtype != "int16") throw bad("matrix dtype '" + dtype + "' is not supported (int16 only)");
  if (shape.size() != 3 || spacing.size() != 3) throw bad("matrix shape or spacing missing");
  if (file.empty() || file.find('/') != std::string::npos) throw bad("invalid matrix filename '" + file + "'");
  for (double s : shape)
    if (!(s >= 1 && s < 1e5 && s == std::floor(s))) throw bad("invalid matrix shape");
  for (int a = 0; a < 3; ++a)
    if (!(spacing[a] > 0 && std::isfinite(spacing[a]))) throw bad("invalid spacing");
  // shape is numpy's (slices, rows, columns); each below 1e5, so the products fit in 64 bits.
  const size_t nx = static_cast<size_t>(shape[2]), ny = static_cast<size_t>(shape[1]), nz = static_cast<size_t>(shape[0]);
  const uint64_t nvox = uint64_t{nx} * ny * nz;
  limits.check(path, nvox, nvox * 2);
  std::string raw;
  if (!read_tar_member(path, file, limits.max_bytes, nvox * 2, raw)) throw bad("no " + file);
  if (raw.size() != nvox * 2)
    throw bad(file + " holds " + std::to_string(raw.size()) + " bytes, the shape needs " + std::to_string(nvox * 2));
  Volume v = Volume::zeros(nx, ny, nz);
  for (size_t i = 0; i < v.nvox(); ++i) {
    const auto* b = reinterpret_cast<const unsigned char*>(raw.data()) + 2 * i;
    v.voxels[i] = static_cast<int16_t>(static_cast<uint16_t>(b[0] | (b[1] << 8)));
  }
  v.spacing = {spacing[0], spacing[1], spacing[2]};
  // The project keeps no patient position or orientation: identity direction, zero origin.
  v.modality = modality_from_name(plist_value(plist, "modality"));
  const std::string name = plist_value(plist, "name");
  if (!name.empty()) v.meta["SeriesDescription"] = name;
  v.source = path;
  v.format = "InVesalius project";
  return v;
}

}  // namespace

Volume read_inv3(const std::string& path, const ReadLimits& limits) {
  return guard_memory(path, [&] { return read_inv3_checked(path, limits); });
}

}  // namespace medgen::imaging
