#include "medgen/imaging/volume.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <new>

#include "medgen/core/checked.h"
#include "medgen/core/error.h"

namespace medgen::imaging {

std::string modality_name(Modality m) {
  switch (m) {
    case Modality::CT:
      return "CT";
    case Modality::MR:
      return "MR";
    default:
      return "OT";
  }
}

Modality modality_from_name(const std::string& s) {
  if (s == "CT") return Modality::CT;
  if (s == "MR") return Modality::MR;
  return Modality::Other;
}

std::array<double, 3> Volume::position(double i, double j, double k) const {
  const double idx[3] = {i * spacing[0], j * spacing[1], k * spacing[2]};
  std::array<double, 3> p = origin;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) p[r] += direction[r][c] * idx[c];
  return p;
}

std::pair<float, float> Volume::range() const {
  if (voxels.empty()) return {0.f, 0.f};
  auto [lo, hi] = std::minmax_element(voxels.begin(), voxels.end());
  return {*lo, *hi};
}

Volume Volume::zeros(size_t nx, size_t ny, size_t nz) {
  const std::string what = "volume of " + std::to_string(nx) + " x " + std::to_string(ny) + " x " + std::to_string(nz);
  const uint64_t n = checked_mul(checked_mul(nx, ny, what), nz, what);
  checked_mul(n, sizeof(float), what);
  if (n > std::vector<float>().max_size()) throw InvalidInput(what + ": too large");
  Volume v;
  v.dims = {nx, ny, nz};
  try {
    v.voxels.assign(n, 0.f);
  } catch (const std::bad_alloc&) {
    throw InvalidInput(what + " voxels: not enough memory (" + std::to_string(n * sizeof(float) >> 20) + " MiB)");
  }
  return v;
}

namespace {

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

}  // namespace

ReadLimits ReadLimits::from_env() {
  ReadLimits lim;
  const char* env = std::getenv("MEDGEN_MAX_IMAGE_BYTES");
  if (!env || !*env) return lim;
  const std::string s(env);
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  const std::string suffix = s.substr(digits);
  int shift = -1;
  if (suffix.empty()) shift = 0;
  else if (suffix == "K" || suffix == "k") shift = 10;
  else if (suffix == "M" || suffix == "m") shift = 20;
  else if (suffix == "G" || suffix == "g") shift = 30;
  else if (suffix == "T" || suffix == "t") shift = 40;
  if (digits == 0 || digits > 15 || shift < 0)
    throw InvalidInput("MEDGEN_MAX_IMAGE_BYTES: expected a number of bytes (optionally with K, M, G or T), got '" + s +
                       "'");
  const uint64_t value = std::stoull(s.substr(0, digits));
  if (value == 0 || value > (uint64_t{1} << (62 - shift)))
    throw InvalidInput("MEDGEN_MAX_IMAGE_BYTES: out of range, got '" + s + "'");
  lim.max_bytes = value << shift;
  return lim;
}

void ReadLimits::check(const std::string& file, uint64_t voxels, uint64_t bytes) const {
  const uint64_t max_vox = std::min<uint64_t>(max_voxels, max_bytes / sizeof(float));
  if (voxels > max_vox)
    throw InvalidInput(located(file, 0, 0,
                               "the image has " + std::to_string(voxels) + " voxels, more than the limit of " +
                                   std::to_string(max_vox) + " (MEDGEN_MAX_IMAGE_BYTES=" +
                                   std::to_string(max_bytes) + ")"));
  if (bytes > max_bytes)
    throw InvalidInput(located(file, 0, 0,
                               "the image needs " + mib(bytes) + ", more than the limit of " + mib(max_bytes) +
                                   " (MEDGEN_MAX_IMAGE_BYTES)"));
}

std::string axis_code(const Volume& v) {
  // LPS: +x is patient Left, +y Posterior, +z Superior.
  static const char pos[3] = {'L', 'P', 'S'}, neg[3] = {'R', 'A', 'I'};
  std::string code;
  for (int c = 0; c < 3; ++c) {
    int best = 0;
    for (int r = 1; r < 3; ++r)
      if (std::fabs(v.direction[r][c]) > std::fabs(v.direction[best][c])) best = r;
    code += v.direction[best][c] >= 0 ? pos[best] : neg[best];
  }
  return code;
}

void check_volume(const Volume& v, const std::string& what) {
  if (v.dims[0] == 0 || v.dims[1] == 0 || v.dims[2] == 0) throw InvalidInput(located(what, 0, 0, "empty volume"));
  uint64_t n = 0;
  try {
    n = checked_mul(checked_mul(v.dims[0], v.dims[1]), v.dims[2]);
  } catch (const InvalidInput&) {
    throw InvalidInput(located(what, 0, 0, "the dimensions overflow"));
  }
  if (v.voxels.size() != n) throw InvalidInput(located(what, 0, 0, "voxel count does not match the dimensions"));
  for (int a = 0; a < 3; ++a) {
    if (!(std::isfinite(v.spacing[a]) && v.spacing[a] > 0))
      throw InvalidInput(located(what, 0, 0, "spacing must be positive and finite"));
    if (!std::isfinite(v.origin[a])) throw InvalidInput(located(what, 0, 0, "origin is not finite"));
    for (int b = 0; b < 3; ++b)
      if (!std::isfinite(v.direction[a][b])) throw InvalidInput(located(what, 0, 0, "direction is not finite"));
  }
}

}  // namespace medgen::imaging
