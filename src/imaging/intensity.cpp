#include "medgen/imaging/intensity.h"

#include <algorithm>
#include <cmath>

#include "medgen/core/error.h"
#include "medgen/imaging/io.h"

namespace medgen::imaging {

Window ct_window(const std::string& name) {
  if (name == "brain") return {40, 80};
  if (name == "bone") return {400, 1800};
  if (name == "soft") return {40, 400};
  if (name == "lung") return {-600, 1500};
  throw InvalidInput("unknown window '" + name + "' (brain, bone, soft, lung or auto)");
}

namespace {

template <typename T>
double percentile_of(const std::vector<T>& values, double q) {
  if (values.empty()) return 0;
  q = std::clamp(q, 0.0, 1.0);
  std::vector<T> v(values);
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t k = static_cast<size_t>(std::floor(pos));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  const double a = v[k];
  if (k + 1 >= v.size()) return a;
  // The next order statistic is the smallest value above position k.
  const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(k) + 1, v.end());
  return a + (pos - static_cast<double>(k)) * (b - a);
}

}  // namespace

double percentile(const std::vector<float>& values, double q) { return percentile_of(values, q); }
double percentile(const std::vector<double>& values, double q) { return percentile_of(values, q); }

Window percentile_window(const Volume& v, double lo, double hi) {
  const double a = percentile(v.voxels, lo), b = percentile(v.voxels, hi);
  if (!(b > a)) return {a, 1.0};
  return {(a + b) / 2, b - a};
}

Window choose_window(const Volume& v, const std::string& name) {
  if (name == "auto") return v.modality == Modality::CT ? ct_window("soft") : percentile_window(v);
  return ct_window(name);
}

void apply_window(std::vector<float>& values, const Window& w) {
  const double lo = w.lo(), inv = w.width > 0 ? 1.0 / w.width : 0.0;
  for (float& x : values) x = static_cast<float>(std::clamp((x - lo) * inv, 0.0, 1.0));
}

Axis axis_from_name(const std::string& s) {
  if (s == "axial") return Axis::Axial;
  if (s == "coronal") return Axis::Coronal;
  if (s == "sagittal") return Axis::Sagittal;
  throw InvalidInput("unknown axis '" + s + "' (axial, coronal or sagittal)");
}

size_t axis_length(const Volume& v, Axis axis) {
  return axis == Axis::Axial ? v.dims[2] : axis == Axis::Coronal ? v.dims[1] : v.dims[0];
}

Slice extract_slice(const Volume& v, Axis axis, size_t index) {
  const size_t n = axis_length(v, axis);
  if (index >= n)
    throw InvalidInput("slice " + std::to_string(index) + " is out of range (0.." + std::to_string(n - 1) + ")");
  Slice s;
  const size_t nx = v.dims[0], ny = v.dims[1], nz = v.dims[2];
  if (axis == Axis::Axial) {
    s.width = nx, s.height = ny;
    s.pixels.assign(v.voxels.begin() + static_cast<std::ptrdiff_t>(index * nx * ny),
                    v.voxels.begin() + static_cast<std::ptrdiff_t>((index + 1) * nx * ny));
  } else if (axis == Axis::Coronal) {
    s.width = nx, s.height = nz;
    s.pixels.resize(nx * nz);
    for (size_t r = 0; r < nz; ++r)
      for (size_t i = 0; i < nx; ++i) s.pixels[r * nx + i] = v.at(i, index, nz - 1 - r);
  } else {
    s.width = ny, s.height = nz;
    s.pixels.resize(ny * nz);
    for (size_t r = 0; r < nz; ++r)
      for (size_t j = 0; j < ny; ++j) s.pixels[r * ny + j] = v.at(index, j, nz - 1 - r);
  }
  return s;
}

std::pair<double, double> slice_spacing(const Volume& v, Axis axis) {
  if (axis == Axis::Axial) return {v.spacing[0], v.spacing[1]};
  if (axis == Axis::Coronal) return {v.spacing[0], v.spacing[2]};
  return {v.spacing[1], v.spacing[2]};
}

Slice square_pixels(const Slice& s, double dx_mm, double dy_mm) {
  if (!(dx_mm > 0 && dy_mm > 0 && std::isfinite(dx_mm) && std::isfinite(dy_mm)) || s.width == 0 || s.height == 0)
    return s;
  if (std::fabs(dx_mm - dy_mm) <= 1e-3 * std::max(dx_mm, dy_mm)) return s;
  constexpr double kMaxSide = 8192;
  const double width_mm = dx_mm * static_cast<double>(s.width), height_mm = dy_mm * static_cast<double>(s.height);
  double p = std::min(dx_mm, dy_mm);
  p = std::max({p, width_mm / kMaxSide, height_mm / kMaxSide});
  Slice out;
  out.width = std::max<size_t>(1, static_cast<size_t>(std::lround(width_mm / p)));
  out.height = std::max<size_t>(1, static_cast<size_t>(std::lround(height_mm / p)));
  out.pixels.resize(out.width * out.height);
  // Output pixel c covers [c, c + 1) * (extent / n_out); its centre maps back to input index
  // (c + 0.5) * n_in / n_out - 0.5, clamped to the edge pixels.
  auto coord = [](size_t c, size_t n_in, size_t n_out, size_t& i0, size_t& i1, double& f) {
    double x = (static_cast<double>(c) + 0.5) * static_cast<double>(n_in) / static_cast<double>(n_out) - 0.5;
    x = std::clamp(x, 0.0, static_cast<double>(n_in - 1));
    i0 = static_cast<size_t>(std::floor(x));
    i1 = std::min(i0 + 1, n_in - 1);
    f = x - static_cast<double>(i0);
  };
  for (size_t r = 0; r < out.height; ++r) {
    size_t y0, y1;
    double fy;
    coord(r, s.height, out.height, y0, y1, fy);
    for (size_t c = 0; c < out.width; ++c) {
      size_t x0, x1;
      double fx;
      coord(c, s.width, out.width, x0, x1, fx);
      const double top = s.pixels[y0 * s.width + x0] * (1 - fx) + s.pixels[y0 * s.width + x1] * fx;
      const double bottom = s.pixels[y1 * s.width + x0] * (1 - fx) + s.pixels[y1 * s.width + x1] * fx;
      out.pixels[r * out.width + c] = static_cast<float>(top * (1 - fy) + bottom * fy);
    }
  }
  return out;
}

void write_preview(const Volume& v, const std::string& path, Axis axis, long index, const std::string& window) {
  check_volume(v, v.source.empty() ? path : v.source);
  const size_t n = axis_length(v, axis);
  if (index >= static_cast<long>(n))
    throw InvalidInput("slice " + std::to_string(index) + " is out of range (0.." + std::to_string(n - 1) + ")");
  const size_t k = index < 0 ? n / 2 : static_cast<size_t>(index);
  // The window comes from the whole volume (auto: its percentiles), not the one slice, so
  // previews of neighbouring slices are comparable.
  const Window w = choose_window(v, window);
  Slice s = extract_slice(v, axis, k);
  apply_window(s.pixels, w);
  orient_for_display(v, axis, s.pixels.data(), s.width, s.height);
  const auto [dx, dy] = slice_spacing(v, axis);
  s = square_pixels(s, dx, dy);
  std::vector<uint16_t> px(s.pixels.size());
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint16_t>(std::lround(s.pixels[i] * 255.0f));
  write_png_gray(path, s.width, s.height, px, 8);
}

void orient_for_display(const Volume& v, Axis axis, float* px, size_t width, size_t height) {
  // Radiological display: the patient's right on the left of the picture (columns towards L),
  // anterior at the top of axial slices (rows towards P), as DICOM's LPS pixel order already is.
  // A volume stored another way (NIfTI's RAS: i towards R, j towards A) is flipped for display
  // only; extract_slice (what models see) keeps the index order.
  const bool i_to_right = v.direction[0][0] < 0, j_to_anterior = v.direction[1][1] < 0;
  const bool flip_x = axis == Axis::Sagittal ? j_to_anterior : i_to_right;
  const bool flip_y = axis == Axis::Axial && j_to_anterior;
  if (flip_x)
    for (size_t r = 0; r < height; ++r) std::reverse(px + r * width, px + (r + 1) * width);
  if (flip_y)
    for (size_t r = 0; r < height / 2; ++r) std::swap_ranges(px + r * width, px + (r + 1) * width, px + (height - 1 - r) * width);
}

}  // namespace medgen::imaging
