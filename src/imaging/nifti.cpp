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

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

#include "medgen/core/error.h"
#include "medgen/imaging/io.h"

namespace medgen::imaging {
namespace {

struct NimFree {
  void operator()(nifti_image* p) const { nifti_image_free(p); }
};
using NimPtr = std::unique_ptr<nifti_image, NimFree>;

// nifticlib reports problems on stderr and returns NULL, sometimes after partial reads; check
// the header ourselves first so that the common failures (not NIfTI, not gzip, empty,
// truncated) give one clear line.
// Returns the NIfTI version the header size says (1 for 348, NIfTI-1 or ANALYZE; 2 for 540).
int precheck(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw IoError(located(path, 0, 0, std::string("cannot open: ") + std::strerror(errno)));
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) throw IoError(located(path, 0, 0, std::string("cannot open: ") + std::strerror(errno)));
  unsigned char hdr[4];
  const int n = gzread(gz, hdr, 4);
  int err = 0;
  gzerror(gz, &err);
  gzclose(gz);
  if (n != 4 || err < 0)
    throw InvalidInput(located(path, 0, 0, "not a NIfTI file (too short or corrupt compressed data)"));
  int32_t le = hdr[0] | (hdr[1] << 8) | (hdr[2] << 16) | (hdr[3] << 24);
  int32_t be = hdr[3] | (hdr[2] << 8) | (hdr[1] << 16) | (hdr[0] << 24);
  if (le != 348 && le != 540 && be != 348 && be != 540)
    throw InvalidInput(located(path, 0, 0, "not a NIfTI file (header size is not 348 or 540)"));
  return le == 540 || be == 540 ? 2 : 1;
}

template <typename T>
void convert(const void* data, size_t n, std::vector<float>& out) {
  const T* p = static_cast<const T*>(data);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(p[i]);
}

bool ends_with(const std::string& s, const std::string& e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}

}  // namespace

Volume read_nifti(const std::string& path) {
  nifti_set_debug_level(0);
  const int version = precheck(path);
  NimPtr nim(nifti_image_read(path.c_str(), 1));
  if (!nim || !nim->data)
    throw InvalidInput(located(path, 0, 0, "cannot read NIfTI image (corrupt, truncated or unsupported header)"));
  if (nim->nx < 1 || nim->ny < 1 || nim->nz < 1) throw InvalidInput(located(path, 0, 0, "NIfTI image has no voxels"));
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
  return v;
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
  const std::string tmp = path + ".tmp-" + std::to_string(static_cast<long>(::getpid())) + ext;
  std::free(nim->fname);
  std::free(nim->iname);
  nim->fname = strdup(tmp.c_str());
  nim->iname = strdup(tmp.c_str());
  nifti_set_debug_level(0);
  nifti_image_write(nim.get());
  // nifti_image_write returns nothing: check the file's size (uncompressed: header, extension
  // flag and data exactly; compressed: at least a gzip header and trailer).
  struct stat st {};
  const off_t want = ext == ".nii" ? static_cast<off_t>(352 + v.nvox() * (integral ? 2 : 4)) : 20;
  if (::stat(tmp.c_str(), &st) != 0 || (ext == ".nii" ? st.st_size != want : st.st_size < want)) {
    ::unlink(tmp.c_str());
    throw IoError(located(path, 0, 0, "cannot write the NIfTI file"));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    throw IoError(located(path, 0, 0, std::string("cannot rename into place: ") + std::strerror(e)));
  }
}

}  // namespace medgen::imaging
