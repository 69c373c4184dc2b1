// InVesalius projects (.inv3): a gzipped tar of plists and raw arrays. medgen reads the CT
// volume only: main.plist gives the shape (numpy order: slices, rows, columns), dtype, spacing
// and modality; matrix.dat holds the voxels, little-endian, C order (columns fastest), which is
// already medgen's x-fastest order. A small ustar reader over zlib is enough: members are
// plain files, read in one pass.
#include <zlib.h>

#include <cstring>
#include <map>
#include <regex>

#include "medgen/core/error.h"
#include "medgen/imaging/io.h"

namespace medgen::imaging {
namespace {

// Members of a gzipped tar, by base name (InVesalius puts them in one temporary folder).
std::map<std::string, std::string> read_tar_gz(const std::string& path) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) throw IoError(located(path, 0, 0, std::string("cannot open: ") + std::strerror(errno)));
  std::map<std::string, std::string> members;
  auto fail = [&](const std::string& msg) {
    gzclose(gz);
    throw InvalidInput(located(path, 0, 0, "not a valid InVesalius project: " + msg));
  };
  unsigned char hdr[512];
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
    std::string name(reinterpret_cast<char*>(hdr), strnlen(reinterpret_cast<char*>(hdr), 100));
    const std::string size_field(reinterpret_cast<char*>(hdr) + 124, 12);
    const unsigned long long size = std::strtoull(size_field.c_str(), nullptr, 8);
    if (size > (1ull << 32)) fail("member too large");
    std::string body(size, '\0');
    if (size > 0 && gzread(gz, body.data(), static_cast<unsigned>(size)) != static_cast<int>(size))
      fail("truncated member " + name);
    const size_t pad = (512 - size % 512) % 512;
    char skip[512];
    if (pad && gzread(gz, skip, static_cast<unsigned>(pad)) != static_cast<int>(pad)) fail("truncated");
    const char type = static_cast<char>(hdr[156]);
    if (type == '0' || type == '\0') {
      const size_t slash = name.rfind('/');
      members[slash == std::string::npos ? name : name.substr(slash + 1)] = std::move(body);
    }
  }
  gzclose(gz);
  return members;
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

std::vector<double> plist_numbers(const std::string& s) {
  std::vector<double> out;
  static const std::regex num(R"(<(?:integer|real)>([^<]*)</(?:integer|real)>)");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), num); it != std::sregex_iterator(); ++it)
    out.push_back(std::strtod((*it)[1].str().c_str(), nullptr));
  return out;
}

}  // namespace

Volume read_inv3(const std::string& path) {
  auto members = read_tar_gz(path);
  auto bad = [&](const std::string& msg) {
    return InvalidInput(located(path, 0, 0, "not a valid InVesalius project: " + msg));
  };
  if (!members.count("main.plist")) throw bad("no main.plist");
  const std::string& plist = members["main.plist"];
  const std::string matrix = plist_value(plist, "matrix");
  const std::string dtype = plist_value(matrix, "dtype");
  const std::string file = plist_value(matrix, "filename");
  const auto shape = plist_numbers(plist_value(matrix, "shape"));
  const auto spacing = plist_numbers(plist_value(plist, "spacing"));
  if (dtype != "int16") throw bad("matrix dtype '" + dtype + "' is not supported (int16 only)");
  if (shape.size() != 3 || spacing.size() != 3) throw bad("matrix shape or spacing missing");
  if (!members.count(file)) throw bad("no " + file);
  const std::string& raw = members[file];
  for (double s : shape)
    if (!(s >= 1 && s < 1e5)) throw bad("invalid matrix shape");
  // shape is numpy's (slices, rows, columns)
  Volume v = Volume::zeros(static_cast<size_t>(shape[2]), static_cast<size_t>(shape[1]), static_cast<size_t>(shape[0]));
  if (raw.size() != v.nvox() * 2)
    throw bad(file + " holds " + std::to_string(raw.size()) + " bytes, the shape needs " +
              std::to_string(v.nvox() * 2));
  for (size_t i = 0; i < v.nvox(); ++i) {
    const auto* b = reinterpret_cast<const unsigned char*>(raw.data()) + 2 * i;
    v.voxels[i] = static_cast<int16_t>(static_cast<uint16_t>(b[0] | (b[1] << 8)));
  }
  for (int a = 0; a < 3; ++a)
    if (!(spacing[a] > 0)) throw bad("invalid spacing");
  v.spacing = {spacing[0], spacing[1], spacing[2]};
  // The project keeps no patient position or orientation: identity direction, zero origin.
  v.modality = modality_from_name(plist_value(plist, "modality"));
  const std::string name = plist_value(plist, "name");
  if (!name.empty()) v.meta["SeriesDescription"] = name;
  v.source = path;
  v.format = "InVesalius project";
  return v;
}

}  // namespace medgen::imaging
