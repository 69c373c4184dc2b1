// A structural check of a DICOM file before GDCM parses it. Debian's GDCM is built with
// assertions, and a file truncated inside its header or dataset makes it abort() (measured:
// CT_small.dcm cut at 200, 700, 1000 ... 5000 bytes), which would take the whole program
// down. This walker follows the element lengths of the file meta group and the dataset,
// including sequences and encapsulated pixel data of undefined length, and reports the first
// element that runs past the end of the file. It also notes the top-level pixel module
// (Rows, Columns, BitsAllocated, ...) and the pixel data's length, so that the sizes GDCM
// would allocate and the bit depths it asserts on (BitsAllocated 1 aborts inside GDCM) are
// checked against the file and the limits first. GDCM still decodes.
#include "medgen/imaging/dicom_check.h"

#include <sys/stat.h>
#include <zlib.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "medgen/core/checked.h"
#include "medgen/core/error.h"

namespace medgen::imaging {
namespace {

struct Walker {
  Walker(const std::string& data, const std::string& file) : d(data), path(file) {}
  const std::string& d;
  const std::string& path;
  // Top-level elements of interest (group 0028 and the pixel data): tag -> (value offset,
  // length; 0xFFFFFFFF for undefined), from the last walk.
  std::map<uint32_t, std::pair<size_t, uint32_t>> top;
  size_t pixel_end = 0;  // end of the pixel data element (encapsulated: after its delimiter)
  bool top_be = false;

  static bool interesting(uint16_t g, uint16_t e) {
    return (g == 0x0028 && (e == 0x0002 || e == 0x0004 || e == 0x0008 || e == 0x0010 || e == 0x0011 || e == 0x0100 ||
                            e == 0x0101 || e == 0x0102 || e == 0x0103)) ||
           (g == 0x7FE0 && e == 0x0010);
  }
  // A walk of the dataset from p in the given syntax; throws InvalidInput on a structural error.
  void attempt(size_t p, bool expl, bool be) {
    top.clear();
    pixel_end = 0;
    top_be = be;
    walk(p, d.size(), expl, be, 0);
  }

  [[noreturn]] void fail(size_t at, const std::string& what) const {
    throw InvalidInput(located(path, 0, 0,
                               "not a valid DICOM file: " + what + " at byte " + std::to_string(at) + " of " +
                                   std::to_string(d.size()) + " (truncated or corrupt)"));
  }
  uint16_t u16(size_t p, bool be) const {
    const auto* b = reinterpret_cast<const unsigned char*>(d.data()) + p;
    return be ? static_cast<uint16_t>(b[0] << 8 | b[1]) : static_cast<uint16_t>(b[1] << 8 | b[0]);
  }
  uint32_t u32(size_t p, bool be) const {
    const auto* b = reinterpret_cast<const unsigned char*>(d.data()) + p;
    return be ? (uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3])
              : (uint32_t(b[3]) << 24 | uint32_t(b[2]) << 16 | uint32_t(b[1]) << 8 | b[0]);
  }
  // Whether an explicit VR has a 4-byte length. The VRs with a 2-byte length are listed; any
  // other code, unknown ones included, is read with a 4-byte length as GDCM reads it, so the
  // length checked here is the one GDCM will allocate for (a corrupted "UI" read as "UJ" once
  // let a 775 MB allocation through).
  static bool long_vr(const char* vr) {
    static const char* kShort[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO",
                                   "LT", "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US"};
    for (const char* l : kShort)
      if (vr[0] == l[0] && vr[1] == l[1]) return false;
    return true;
  }

  // Walks elements from p until `end` (defined length) or, for an undefined length (end ==
  // npos), until an item or sequence delimiter. Returns the position after the last element.
  size_t walk(size_t p, size_t end, bool expl, bool be, int depth) {
    if (depth > 32) fail(p, "sequences nested too deep");
    const size_t limit = end == std::string::npos ? d.size() : end;
    while (p < limit || end == std::string::npos) {
      if (p + 8 > d.size()) fail(p, end == std::string::npos ? "missing sequence delimiter" : "element header cut");
      const uint16_t g = u16(p, be), e = u16(p + 2, be);
      if (g == 0xFFFE) {  // item, item delimiter, sequence delimiter: always 4-byte length, no VR
        const uint32_t len = u32(p + 4, be);
        p += 8;
        if (e == 0xE00D || e == 0xE0DD) return p;  // delimiters end the enclosing undefined length
        if (e != 0xE000) fail(p - 8, "unexpected (FFFE) element");
        if (len == 0xFFFFFFFFu) {
          p = walk(p, std::string::npos, expl, be, depth + 1);
        } else {
          if (len > d.size() - p) fail(p, "item longer than the file");
          p += len;
        }
        continue;
      }
      uint32_t len;
      if (expl) {
        const char* vr = d.data() + p + 4;
        if (long_vr(vr)) {
          if (p + 12 > d.size()) fail(p, "element header cut");
          len = u32(p + 8, be);
          p += 12;
        } else {
          len = u16(p + 6, be);
          p += 8;
        }
      } else {
        len = u32(p + 4, be);
        p += 8;
      }
      const bool note = depth == 0 && interesting(g, e);
      if (note) top[uint32_t(g) << 16 | e] = {p, len};
      if (len == 0xFFFFFFFFu) {
        // Undefined length: a sequence or encapsulated pixel data. An explicit-VR UN of
        // undefined length holds implicit VR little endian (PS3.5 6.2.2, CP-246).
        const bool un = expl && d[p - 8] == 'U' && d[p - 7] == 'N';
        p = walk(p, std::string::npos, expl && !un, be && !un, depth + 1);
      } else {
        if (len > d.size() - p)
          fail(p, "element (" + hex(g) + "," + hex(e) + ") of " + std::to_string(len) + " bytes runs past the end");
        p += len;
      }
      if (note && g == 0x7FE0) pixel_end = p;
    }
    return p;
  }
  static std::string hex(uint16_t x) {
    char b[8];
    std::snprintf(b, sizeof b, "%04X", x);
    return b;
  }
};

}  // namespace

namespace {

// The dataset of a deflated transfer syntax, inflated (raw deflate, PS3.5 A.5), at most
// max_bytes long.
std::string inflate_dataset(const std::string& path, const std::string& data, size_t p, uint64_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw InvalidInput(located(path, 0, 0, "cannot inflate the dataset"));
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + p));
  zs.avail_in = static_cast<uInt>(data.size() - p);
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&zs);
      throw InvalidInput(located(path, 0, 0, "the deflated dataset inflates beyond the limit (MEDGEN_MAX_IMAGE_BYTES)"));
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) rc = Z_BUF_ERROR;
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END)
    throw InvalidInput(located(path, 0, 0, "not a valid DICOM file: the deflated dataset is truncated or corrupt"));
  return out;
}

// The top-level pixel module the walk noted, checked (see the header for the rules).
DicomPixelInfo pixel_info(const Walker& w, const std::string& path, const ReadLimits& limits) {
  DicomPixelInfo info;
  auto bad = [&](const std::string& msg) { return InvalidInput(located(path, 0, 0, msg)); };
  auto us = [&](uint16_t e, const char* name, uint64_t dflt) -> uint64_t {
    auto it = w.top.find(0x00280000u | e);
    if (it == w.top.end()) return dflt;
    const auto [pos, len] = it->second;
    if (len != 2) throw bad(std::string(name) + " has " + std::to_string(len) + " bytes (2 expected): corrupt");
    return w.u16(pos, w.top_be);
  };
  auto pd = w.top.find(0x7FE00010u);
  info.has_pixels = pd != w.top.end();
  info.rows = us(0x0010, "Rows", 0);
  info.columns = us(0x0011, "Columns", 0);
  info.samples = us(0x0002, "SamplesPerPixel", 1);
  info.bits_allocated = us(0x0100, "BitsAllocated", 0);
  info.bits_stored = us(0x0101, "BitsStored", info.bits_allocated);
  info.high_bit = us(0x0102, "HighBit", info.bits_stored ? info.bits_stored - 1 : 0);
  info.pixel_representation = us(0x0103, "PixelRepresentation", 0);
  auto nf = w.top.find(0x00280008u);
  if (nf != w.top.end() && nf->second.second != 0xFFFFFFFFu) {
    const std::string t = w.d.substr(nf->second.first, std::min<uint32_t>(nf->second.second, 64));
    // IS: leading digits, as GDCM reads it (pydicom's badVR.dcm has "1A").
    size_t b = 0;
    while (b < t.size() && t[b] == ' ') ++b;
    if (b < t.size() && t[b] == '+') ++b;
    size_t e = b;
    while (e < t.size() && e - b < 12 && t[e] >= '0' && t[e] <= '9') ++e;
    if (e == b) throw bad("NumberOfFrames '" + t.substr(0, 16) + "' is not a positive integer");
    info.frames = std::stoull(t.substr(b, e - b));
  }
  if (!info.has_pixels) return info;  // not an image: GDCM and the caller decide
  const auto [pos, len] = pd->second;
  info.encapsulated = len == 0xFFFFFFFFu;
  info.pixel_bytes = info.encapsulated ? w.pixel_end - pos : len;
  if (info.rows == 0 || info.columns == 0) throw bad("Rows and Columns must be at least 1 for an image");
  if (info.frames == 0) throw bad("NumberOfFrames is 0");
  if (info.samples != 1 && info.samples != 3)
    throw bad("SamplesPerPixel " + std::to_string(info.samples) + " is not supported (1 or 3)");
  if (info.bits_allocated != 8 && info.bits_allocated != 16 && info.bits_allocated != 32)
    throw bad("BitsAllocated " + std::to_string(info.bits_allocated) + " is not supported (8, 16 or 32)");
  if (info.bits_stored == 0 || info.bits_stored > info.bits_allocated)
    throw bad("BitsStored " + std::to_string(info.bits_stored) + " must be 1.." + std::to_string(info.bits_allocated) +
              " (BitsAllocated)");
  if (info.high_bit >= info.bits_allocated || info.high_bit + 1 < info.bits_stored)
    throw bad("HighBit " + std::to_string(info.high_bit) + " does not fit BitsStored " +
              std::to_string(info.bits_stored) + " and BitsAllocated " + std::to_string(info.bits_allocated));
  if (info.pixel_representation > 1)
    throw bad("PixelRepresentation " + std::to_string(info.pixel_representation) + " is not 0 or 1");
  bool subsampled = false;
  if (auto pi = w.top.find(0x00280004u); pi != w.top.end() && pi->second.second != 0xFFFFFFFFu)
    subsampled = w.d.substr(pi->second.first, std::min<uint32_t>(pi->second.second, 64)).find("_422") != std::string::npos;
  uint64_t voxels = 0, bytes = 0;
  try {
    voxels = checked_mul(checked_mul(info.rows, info.columns), info.frames);
    // 4:2:2 subsampled colour (YBR_FULL_422, YBR_PARTIAL_422) stores two samples per pixel.
    bytes = checked_mul(checked_mul(voxels, info.samples == 3 && subsampled ? 2 : info.samples),
                        info.bits_allocated / 8);
  } catch (const InvalidInput&) {
    throw bad("Rows x Columns x NumberOfFrames overflows");
  }
  if (!info.encapsulated && info.pixel_bytes < bytes)
    throw bad("the pixel data holds " + std::to_string(info.pixel_bytes) + " bytes, the image (" +
              std::to_string(info.columns) + " x " + std::to_string(info.rows) + " x " + std::to_string(info.frames) +
              " frames, " + std::to_string(info.samples) + " samples of " + std::to_string(info.bits_allocated) +
              " bits) needs " + std::to_string(bytes) + " (truncated or corrupt)");
  limits.check(path, voxels, bytes);
  if (info.encapsulated && bytes / 1024 > info.pixel_bytes + (uint64_t{64} << 20) / 1024)
    throw bad("the compressed pixel data (" + std::to_string(info.pixel_bytes) + " bytes) is too small for the " +
              std::to_string(bytes) + " bytes the image declares (corrupt)");
  return info;
}

}  // namespace

DicomPixelInfo check_dicom_structure(const std::string& path, const std::string& data, const ReadLimits& limits) {
  Walker w{data, path};
  size_t p = 0;
  std::string ts = "1.2.840.10008.1.2.1";
  bool has_meta = false;
  if (data.size() >= 132 && std::memcmp(data.data() + 128, "DICM", 4) == 0) {
    p = 132;
    has_meta = true;
  } else if (data.size() >= 4 && data[0] == 0x02 && data[1] == 0x00) {
    has_meta = true;  // meta group without preamble
  }
  if (has_meta) {
    // File meta information: explicit VR little endian, group 0002 only. GDCM reads the group
    // as implicit VR when its first element has no VR it knows (non-conformant files) and
    // asserts when an element then runs past the end (the fuzzers' "U" 04 "L" 00 and "LU" for
    // "UL" made it read MBs); in explicit VR it asserts on a sequence. So: the first element
    // decides, as in GDCM, and every later one must have a known VR.
    auto is_vr = [&](size_t at) {
      static const char* kVrs[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO",
                                   "LT", "OB", "OD", "OF", "OL", "OW", "PN", "SH", "SL", "SQ", "SS",
                                   "ST", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT"};
      for (const char* k : kVrs)
        if (data[at] == k[0] && data[at + 1] == k[1]) return true;
      return false;
    };
    const bool implicit_meta = p + 8 <= data.size() && !is_vr(p + 4);
    while (p + 8 <= data.size() && w.u16(p, false) == 0x0002) {
      const uint16_t e = w.u16(p + 2, false);
      const char* vr = data.data() + p + 4;
      uint32_t len;
      size_t v;
      if (implicit_meta) {
        len = w.u32(p + 4, false), v = p + 8;
      } else if (!is_vr(p + 4)) {
        w.fail(p, "meta element (0002," + Walker::hex(e) + ") has no valid VR");
      } else if (vr[0] == 'S' && vr[1] == 'Q') {
        w.fail(p, "meta element (0002," + Walker::hex(e) + ") is a sequence");
      } else if (Walker::long_vr(vr)) {
        if (p + 12 > data.size()) w.fail(p, "meta element cut");
        len = w.u32(p + 8, false), v = p + 12;
      } else {
        len = w.u16(p + 6, false), v = p + 8;
      }
      if (len > data.size() - v) w.fail(p, "meta element runs past the end");
      if (e == 0x0010) {
        ts.assign(data.data() + v, len);
        while (!ts.empty() && (ts.back() == '\0' || ts.back() == ' ')) ts.pop_back();
      }
      p = v + len;
    }
  } else if (data.size() >= 8) {
    // No meta: guess explicit or implicit VR from the bytes where an explicit VR would be.
    const char a = data[4], b = data[5];
    ts = (a >= 'A' && a <= 'Z' && b >= 'A' && b <= 'Z') ? "1.2.840.10008.1.2.1" : "1.2.840.10008.1.2";
  }
  if (p >= data.size()) w.fail(p, "no dataset after the header");
  if (ts == "1.2.840.10008.1.2.1.99") {
    // Deflated: walk the inflated dataset (explicit VR little endian).
    const std::string inflated = inflate_dataset(path, data, p, limits.max_bytes);
    Walker wi{inflated, path};
    wi.attempt(0, true, false);
    return pixel_info(wi, path, limits);
  }
  const bool implicit = ts == "1.2.840.10008.1.2";
  const bool be = ts == "1.2.840.10008.1.2.2";
  try {
    w.attempt(p, !implicit, be);
  } catch (const InvalidInput&) {
    // Files whose meta header names the wrong syntax, or that have none, exist in the wild and
    // GDCM reads them by trying the others; accept any syntax the whole file walks cleanly in.
    // A truncated file fails in all of them, and the first message is the one reported.
    const bool alternatives[3][2] = {{true, false}, {false, false}, {true, true}};
    bool walked = false;
    for (const auto& alt : alternatives) {
      try {
        w.attempt(p, alt[0], alt[1]);
        walked = true;
        break;
      } catch (const InvalidInput&) {
      }
    }
    if (!walked) throw;
  }
  return pixel_info(w, path, limits);
}

std::string read_file_bytes(const std::string& path, const ReadLimits& limits) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw IoError(located(path, 0, 0, std::string("cannot open: ") + std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) throw InvalidInput(located(path, 0, 0, "not a regular file"));
  if (static_cast<uint64_t>(st.st_size) > limits.max_bytes)
    throw InvalidInput(located(path, 0, 0,
                               "the file has " + std::to_string(st.st_size) + " bytes, more than the limit of " +
                                   std::to_string(limits.max_bytes) + " (MEDGEN_MAX_IMAGE_BYTES)"));
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IoError(located(path, 0, 0, std::string("cannot open: ") + std::strerror(errno)));
  std::string out(static_cast<size_t>(st.st_size), '\0');
  f.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<size_t>(f.gcount()));
  if (f.bad()) throw IoError(located(path, 0, 0, "cannot read"));
  return out;
}

}  // namespace medgen::imaging
