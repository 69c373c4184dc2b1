#include "medgen/imaging/volume.h"

#include <algorithm>
#include <cmath>

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
  Volume v;
  v.dims = {nx, ny, nz};
  v.voxels.assign(nx * ny * nz, 0.f);
  return v;
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
  if (v.voxels.size() != v.nvox()) throw InvalidInput(located(what, 0, 0, "voxel count does not match the dimensions"));
  for (int a = 0; a < 3; ++a) {
    if (!(std::isfinite(v.spacing[a]) && v.spacing[a] > 0))
      throw InvalidInput(located(what, 0, 0, "spacing must be positive and finite"));
    if (!std::isfinite(v.origin[a])) throw InvalidInput(located(what, 0, 0, "origin is not finite"));
    for (int b = 0; b < 3; ++b)
      if (!std::isfinite(v.direction[a][b])) throw InvalidInput(located(what, 0, 0, "direction is not finite"));
  }
}

}  // namespace medgen::imaging
