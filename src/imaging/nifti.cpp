// NIfTI-1 and NIfTI-2 through nifticlib's nifti2 library (one API for both versions).
// Geometry: NIfTI's world is RAS+ (+x towards the patient's right, +y anterior, +z superior),
// DICOM's is LPS+ (+x left, +y posterior, +z superior). They differ by the sign of x and y:
//   M_lps = diag(-1, -1, 1, 1) * M_ras
// for the 4x4 voxel-to-world matrix M; spacing is the norm of each column of its 3x3 part and
// direction the normalised columns. Reading uses the sform when its code is set (it is the
// full affine a tool chose to store), else the qform, else pixdim alone (the "method 1" of
// the NIfTI-1 standard). Writing stores the same affine as both sform and qform.
#include <nifti/nifti2_io.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

#include "medgen/core/checked.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/imaging/io.h"
#include "reader_support.h"

namespace medgen::imaging {
namespace {

struct NimFree {
  void operator()(nifti_image* p) const { nifti_image_free(p); }
};
using NimPtr = std::unique_ptr<nifti_image, NimFree>;

// nifticlib trusts the header: a NIfTI-2 dim[0] above 7 overruns its stack arrays, and a
// product of dimensions that overflows gives a short allocation. So medgen reads the raw header
// and checks everything nifticlib will use before calling it: header size (and so version and
// byte order), dim[0] in 1..7, every used dim >= 1, a supported datatype with its bitpix,
// vox_offset, the size of the data (checked products, within the limits) against the length
// of the (decompressed) data file.
struct RawHeader {
  int version = 1;             // 1 (NIfTI-1 or ANALYZE 7.5, 348 bytes) or 2 (540 bytes)
  uint64_t nvox = 0, nbytes = 0;  // all volumes, as nifticlib reads them
};

struct TypeInfo {
  int code, bits;
};
const TypeInfo kTypes[] = {{NIFTI_TYPE_UINT8, 8},   {NIFTI_TYPE_INT8, 8},    {NIFTI_TYPE_INT16, 16},
                           {NIFTI_TYPE_UINT16, 16}, {NIFTI_TYPE_INT32, 32},  {NIFTI_TYPE_UINT32, 32},
                           {NIFTI_TYPE_INT64, 64},  {NIFTI_TYPE_UINT64, 64}, {NIFTI_TYPE_FLOAT32, 32},
                           {NIFTI_TYPE_FLOAT64, 64}};

template <typename T>
T get(const unsigned char* h, size_t off, bool swap) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, h + off, sizeof(T));
  if (swap) std::reverse(b, b + sizeof(T));
  T x;
  std::memcpy(&x, b, sizeof(T));
  return x;
}

bool ends_with(const std::string& s, const std::string& e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}

// Bytes in the file at `path` once decompressed (gzip or plain), counting at most up to
// `need` (so a decompression bomb costs no memory and stops early).
uint64_t data_length(const std::string& path, uint64_t need) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw IoError(located(path, 0, 0, std::string("cannot open: ") + std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) throw InvalidInput(located(path, 0, 0, "not a regular file"));
  unsigned char magic[2] = {0, 0};
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    const size_t got = std::fread(magic, 1, 2, f);
    std::fclose(f);
    if (got != 2 || magic[0] != 0x1f || magic[1] != 0x8b) return static_cast<uint64_t>(st.st_size);
  } else {
    throw IoError(located(path, 0, 0, std::string("cannot open: ") + std::strerror(errno)));
  }
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) throw IoError(located(path, 0, 0, std::string("cannot open: ") + std::strerror(errno)));
  std::vector<char> buf(1 << 16);
  uint64_t total = 0;
  while (total < need) {
    const int n = gzread(gz, buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
      int err = 0;
      const std::string msg = gzerror(gz, &err);
      gzclose(gz);
      throw InvalidInput(located(path, 0, 0, "corrupt compressed data (" + msg + ")"));
    }
    if (n == 0) break;
    total += static_cast<uint64_t>(n);
  }
  gzclose(gz);
  return total;
}

RawHeader precheck(const std::string& path, const ReadLimits& limits) {
  auto bad = [&](const std::string& msg) { return InvalidInput(located(path, 0, 0, msg)); };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw IoError(located(path, 0, 0, std::string("cannot open: ") + std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) throw bad("not a regular file");
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) throw IoError(located(path, 0, 0, std::string("cannot open: ") + std::strerror(errno)));
  unsigned char h[540] = {0};
  const int n = gzread(gz, h, sizeof h);
  int err = 0;
  gzerror(gz, &err);
  gzclose(gz);
  if (n < 4 || err < 0) throw bad("not a NIfTI file (too short or corrupt compressed data)");
  RawHeader r;
  bool swap = false;
  const int32_t le = get<int32_t>(h, 0, false), be = get<int32_t>(h, 0, true);
  if (le == 348 || le == 540) {
    r.version = le == 540 ? 2 : 1;
  } else if (be == 348 || be == 540) {
    r.version = be == 540 ? 2 : 1;
    swap = true;
  } else {
    throw bad("not a NIfTI file (header size is not 348 or 540)");
  }
  // "Not swapped" means the host's order, as in nifticlib (medgen builds on little-endian hosts).
  static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE floats expected");
  const int hsize = r.version == 2 ? 540 : 348;
  if (n < hsize) throw bad("NIfTI header is truncated (" + std::to_string(n) + " of " + std::to_string(hsize) + " bytes)");
  int64_t dim[8];
  int datatype, bitpix;
  double vox_offset;
  bool single_file;
  if (r.version == 1) {
    for (int i = 0; i < 8; ++i) dim[i] = get<int16_t>(h, 40 + 2 * i, swap);
    datatype = get<int16_t>(h, 70, swap);
    bitpix = get<int16_t>(h, 72, swap);
    vox_offset = get<float>(h, 108, swap);
    single_file = std::memcmp(h + 344, "n+1", 4) == 0;
  } else {
    datatype = get<int16_t>(h, 12, swap);
    bitpix = get<int16_t>(h, 14, swap);
    for (int i = 0; i < 8; ++i) dim[i] = get<int64_t>(h, 16 + 8 * i, swap);
    vox_offset = static_cast<double>(get<int64_t>(h, 168, swap));
    if (std::memcmp(h + 4, "n+2\0\r\n\032\n", 8) == 0)
      single_file = true;
    else if (std::memcmp(h + 4, "ni2\0\r\n\032\n", 8) == 0)
      single_file = false;
    else
      throw bad("not a NIfTI-2 file (bad magic)");
  }
  if (dim[0] < 1 || dim[0] > 7) throw bad("NIfTI dim[0] is " + std::to_string(dim[0]) + " (1..7 expected): corrupt header");
  r.nvox = 1;
  std::string shape;
  for (int i = 1; i <= dim[0]; ++i) {
    if (dim[i] < 1) throw bad("NIfTI dim[" + std::to_string(i) + "] is " + std::to_string(dim[i]) + " (at least 1 expected)");
    shape += (i > 1 ? " x " : "") + std::to_string(dim[i]);
    try {
      r.nvox = checked_mul(r.nvox, static_cast<uint64_t>(dim[i]));
    } catch (const InvalidInput&) {
      throw bad("NIfTI dimensions " + shape + "... overflow");
    }
  }
  const TypeInfo* type = nullptr;
  for (const TypeInfo& t : kTypes)
    if (t.code == datatype) type = &t;
  if (!type)
    throw bad("NIfTI datatype " + std::to_string(datatype) + " is not supported (integer and real scalars only)");
  if (bitpix != type->bits)
    throw bad("NIfTI bitpix " + std::to_string(bitpix) + " does not match datatype " + std::to_string(datatype) + " (" +
              std::to_string(type->bits) + " bits)");
  try {
    r.nbytes = checked_mul(r.nvox, static_cast<uint64_t>(type->bits / 8));
  } catch (const InvalidInput&) {
    throw bad("NIfTI dimensions " + shape + " overflow");
  }
  limits.check(path, r.nvox, r.nbytes);
  if (!std::isfinite(vox_offset) || vox_offset < 0 || vox_offset > 1e15 || vox_offset != std::floor(vox_offset))
    throw bad("NIfTI vox_offset is not a valid byte offset");
  if (single_file && vox_offset < hsize)
    throw bad("NIfTI vox_offset " + std::to_string(static_cast<uint64_t>(vox_offset)) + " lies inside the header");
  // The data: after the header in a .nii, else in the .img beside the .hdr.
  std::string data_file = path;
  if (!single_file) {
    std::string stem = path;
    for (const char* ext : {".hdr.gz", ".hdr", ".nii.gz", ".nii"})
      if (ends_with(stem, ext)) {
        stem.resize(stem.size() - std::strlen(ext));
        break;
      }
    data_file = stem + ".img";
    if (::stat(data_file.c_str(), &st) != 0 && ::stat((stem + ".img.gz").c_str(), &st) == 0) data_file = stem + ".img.gz";
    if (::stat(data_file.c_str(), &st) != 0)
      throw bad("the header names a separate image file, and " + data_file + " does not exist");
  }
  const uint64_t need = checked_add(static_cast<uint64_t>(vox_offset), r.nbytes);
  const uint64_t have = data_length(data_file, need);
  if (have < need)
    throw InvalidInput(located(data_file, 0, 0,
                               "NIfTI data is truncated: " + shape + " voxels of " + std::to_string(type->bits) +
                                   " bits need " + std::to_string(need) + " bytes, the file holds " +
                                   std::to_string(have)));
  return r;
}

template <typename T>
void convert(const void* data, size_t n, std::vector<float>& out) {
  const T* p = static_cast<const T*>(data);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(p[i]);
}

}  // namespace

namespace {

Volume read_nifti_checked(const std::string& path, const ReadLimits& limits) {
  const RawHeader raw = precheck(path, limits);
  const int version = raw.version;
  NimPtr nim;
  std::string said;
  {
    StderrCapture capture;
    nifti_set_debug_level(0);
    nim.reset(nifti_image_read(path.c_str(), 1));
    said = capture.restore();
  }
  if (!nim || !nim->data)
    throw InvalidInput(located(path, 0, 0,
                               "cannot read NIfTI image (corrupt, truncated or unsupported header)" +
                                   (said.empty() ? std::string() : ": nifticlib says: " + said)));
  if (nim->nx < 1 || nim->ny < 1 || nim->nz < 1) throw InvalidInput(located(path, 0, 0, "NIfTI image has no voxels"));
  if (nim->nvox < 1 || static_cast<uint64_t>(nim->nvox) != raw.nvox ||
      static_cast<uint64_t>(nim->nx) * static_cast<uint64_t>(nim->ny) * static_cast<uint64_t>(nim->nz) > raw.nvox)
    throw InvalidInput(located(path, 0, 0, "NIfTI header and nifticlib disagree on the image size (corrupt header)"));
  Volume v = Volume::zeros(static_cast<size_t>(nim->nx), static_cast<size_t>(nim->ny), static_cast<size_t>(nim->nz));
  const size_t n = v.nvox();
  switch (nim->datatype) {
    case NIFTI_TYPE_UINT8:
      convert<uint8_t>(nim->data, n, v.voxels);
      break;
    case NIFTI_TYPE_INT8:
      convert<int8_t>(nim->data, n, v.voxels);
      break;
    case NIFTI_TYPE_INT16:
      convert<int16_t>(nim->data, n, v.voxels);
      break;
    case NIFTI_TYPE_UINT16:
      convert<uint16_t>(nim->data, n, v.voxels);
      break;
    case NIFTI_TYPE_INT32:
      convert<int32_t>(nim->data, n, v.voxels);
      break;
    case NIFTI_TYPE_UINT32:
      convert<uint32_t>(nim->data, n, v.voxels);
      break;
    case NIFTI_TYPE_INT64:
      convert<int64_t>(nim->data, n, v.voxels);
      break;
    case NIFTI_TYPE_UINT64:
      convert<uint64_t>(nim->data, n, v.voxels);
      break;
    case NIFTI_TYPE_FLOAT32:
      convert<float>(nim->data, n, v.voxels);
      break;
    case NIFTI_TYPE_FLOAT64:
      convert<double>(nim->data, n, v.voxels);
      break;
    default:
      throw InvalidInput(located(
          path, 0, 0,
          "NIfTI datatype " + std::to_string(nim->datatype) + " is not supported (integer and real scalars only)"));
  }
  // scl_slope 0 means "no scaling" in the standard.
  if (nim->scl_slope != 0 && std::isfinite(nim->scl_slope) && std::isfinite(nim->scl_inter) &&
      !(nim->scl_slope == 1 && nim->scl_inter == 0)) {
    for (float& x : v.voxels) x = static_cast<float>(x * nim->scl_slope + nim->scl_inter);
  }
  double m[4][4];
  if (nim->sform_code > 0 || nim->qform_code > 0) {
    const nifti_dmat44& src = nim->sform_code > 0 ? nim->sto_xyz : nim->qto_xyz;
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) m[r][c] = src.m[r][c];
  } else {
    const double d[3] = {nim->dx, nim->dy, nim->dz};
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) m[r][c] = r == c ? (r < 3 ? (d[r] > 0 ? d[r] : 1.0) : 1.0) : 0.0;
  }
  for (int c = 0; c < 4; ++c) m[0][c] = -m[0][c], m[1][c] = -m[1][c];  // RAS -> LPS
  for (int c = 0; c < 3; ++c) {
    const double norm = std::sqrt(m[0][c] * m[0][c] + m[1][c] * m[1][c] + m[2][c] * m[2][c]);
    if (!(norm > 0) || !std::isfinite(norm)) throw InvalidInput(located(path, 0, 0, "NIfTI affine has a zero column"));
    v.spacing[c] = norm;
    for (int r = 0; r < 3; ++r) v.direction[r][c] = m[r][c] / norm;
  }
  v.origin = {m[0][3], m[1][3], m[2][3]};
  const std::string descrip(nim->descrip, strnlen(nim->descrip, sizeof nim->descrip));
  if (!descrip.empty()) v.meta["SeriesDescription"] = descrip;
  if (nim->sform_code > 0) v.meta["NiftiSformCode"] = std::to_string(nim->sform_code);
  v.source = path;
  // The version from the header size: this nifticlib reports nifti_type 1 for NIfTI-2 files too.
  v.format = version == 2 ? "NIfTI-2" : nim->nifti_type == NIFTI_FTYPE_ANALYZE ? "ANALYZE 7.5" : "NIfTI-1";
  const int64_t extra = nim->nvox / static_cast<int64_t>(n);
  if (extra > 1) v.format += " (first of " + std::to_string(extra) + " volumes)";
  for (int a = 0; a < 3; ++a)
    if (!std::isfinite(v.origin[a])) throw InvalidInput(located(path, 0, 0, "NIfTI affine has a non-finite origin"));
  return v;
}

}  // namespace

Volume read_nifti(const std::string& path, const ReadLimits& limits) {
  return guard_memory(path, [&] { return read_nifti_checked(path, limits); });
}

void write_nifti(const Volume& in, const std::string& path, const WriteOptions& opt) {
  check_volume(in, in.source.empty() ? path : in.source);
  const Volume v = opt.anonymize ? anonymized(in) : in;
  // int16 when every value is an integer that fits (exact and half the size of float), else float32.
  bool integral = true;
  for (float x : v.voxels)
    if (!(x == std::nearbyint(x) && x >= -32768.f && x <= 32767.f)) {
      integral = false;
      break;
    }
  const int64_t dims[8] = {
      3, static_cast<int64_t>(v.dims[0]), static_cast<int64_t>(v.dims[1]), static_cast<int64_t>(v.dims[2]), 1, 1, 1, 1};
  NimPtr nim(nifti_make_new_nim(dims, integral ? NIFTI_TYPE_INT16 : NIFTI_TYPE_FLOAT32, 1));
  if (!nim || !nim->data) throw IoError(located(path, 0, 0, "cannot allocate the NIfTI image"));
  if (integral) {
    auto* p = static_cast<int16_t*>(nim->data);
    for (size_t i = 0; i < v.nvox(); ++i) p[i] = static_cast<int16_t>(v.voxels[i]);
  } else {
    std::memcpy(nim->data, v.voxels.data(), v.nvox() * sizeof(float));
  }
  // NIfTI-1 only: Debian's nifticlib 2.1 writes NIfTI-2 (nifti_type 4) as a blank header
  // followed by the data at offset 0 (tried: its offset handling treats it as two files).
  if (v.dims[0] > 32767 || v.dims[1] > 32767 || v.dims[2] > 32767)
    throw InvalidInput(located(path, 0, 0, "a dimension exceeds NIfTI-1's 32767 (NIfTI-2 output is not supported)"));
  nim->nifti_type = NIFTI_FTYPE_NIFTI1_1;
  nim->scl_slope = 1, nim->scl_inter = 0;
  nim->xyz_units = NIFTI_UNITS_MM;
  nifti_dmat44 m{};
  for (int r = 0; r < 3; ++r) {
    const double flip = r < 2 ? -1.0 : 1.0;  // LPS -> RAS
    for (int c = 0; c < 3; ++c) m.m[r][c] = flip * v.direction[r][c] * v.spacing[c];
    m.m[r][3] = flip * v.origin[r];
  }
  m.m[3][3] = 1;
  nim->dx = nim->pixdim[1] = v.spacing[0];
  nim->dy = nim->pixdim[2] = v.spacing[1];
  nim->dz = nim->pixdim[3] = v.spacing[2];
  auto it = v.meta.find("NiftiSformCode");
  nim->sform_code = it != v.meta.end() ? std::atoi(it->second.c_str()) : NIFTI_XFORM_SCANNER_ANAT;
  if (nim->sform_code <= 0) nim->sform_code = NIFTI_XFORM_SCANNER_ANAT;
  nim->sto_xyz = m;
  nim->sto_ijk = nifti_dmat44_inverse(m);
  // The qform holds only rotations (and a reflection via qfac); for a sheared affine it is the
  // nearest such, and readers that prefer the sform (medgen does) get the exact one.
  double dx, dy, dz;
  nifti_dmat44_to_quatern(m, &nim->quatern_b, &nim->quatern_c, &nim->quatern_d, &nim->qoffset_x, &nim->qoffset_y,
                          &nim->qoffset_z, &dx, &dy, &dz, &nim->qfac);
  nim->qform_code = NIFTI_XFORM_SCANNER_ANAT;
  nim->qto_xyz = nifti_quatern_to_dmat44(nim->quatern_b, nim->quatern_c, nim->quatern_d, nim->qoffset_x, nim->qoffset_y,
                                         nim->qoffset_z, nim->dx, nim->dy, nim->dz, nim->qfac);
  nim->qto_ijk = nifti_dmat44_inverse(nim->qto_xyz);
  auto d = v.meta.find("SeriesDescription");
  if (d != v.meta.end()) std::snprintf(nim->descrip, sizeof nim->descrip, "%s", d->second.c_str());
  // nifticlib picks compression from the file name, so the temporary keeps the extension.
  const std::string ext = ends_with(path, ".nii.gz") ? ".nii.gz" : ".nii";
  if (!ends_with(path, ext)) throw InvalidInput(located(path, 0, 0, "a NIfTI file name must end in .nii or .nii.gz"));
  TempOutput out(path, ext);  // follows symlinks, writes through to devices, cleans up on signals
  const std::string& tmp = out.temp_path();
  std::free(nim->fname);
  std::free(nim->iname);
  nim->fname = strdup(tmp.c_str());
  nim->iname = strdup(tmp.c_str());
  std::string said;
  {
    StderrCapture capture;
    nifti_set_debug_level(0);
    nifti_image_write(nim.get());
    said = capture.restore();
  }
  // nifti_image_write returns nothing: check the file's size (uncompressed: header, extension
  // flag and data exactly; compressed: at least a gzip header and trailer).
  struct stat st {};
  const off_t want = ext == ".nii" ? static_cast<off_t>(352 + v.nvox() * (integral ? 2 : 4)) : 20;
  if (::stat(tmp.c_str(), &st) != 0 || (ext == ".nii" ? st.st_size != want : st.st_size < want))
    throw IoError(located(path, 0, 0, "cannot write the NIfTI file" + (said.empty() ? "" : ": nifticlib says: " + said)));
  out.commit();
}

}  // namespace medgen::imaging
