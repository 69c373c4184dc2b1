#include "medgen/imaging/slices.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "medgen/core/error.h"

namespace medgen::imaging {

namespace {

// One axis of a separable resampling as a sparse matrix: output o is the sum over
// k in [start[o], start[o + 1]) of weight[k] * input[index[k]].
struct Taps {
  std::vector<size_t> start{0}, index;
  std::vector<double> weight;
  void add(size_t i, double wt) { index.push_back(i), weight.push_back(wt); }
  void close() { start.push_back(index.size()); }
};

// Exact box (area) weights from n samples to m <= n: output o averages the input interval
// [o n / m, (o + 1) n / m), partial pixels weighted by their overlap (integer factors give
// plain block means).
Taps area_taps(size_t n, size_t m) {
  Taps t;
  const double scale = static_cast<double>(n) / static_cast<double>(m);
  for (size_t o = 0; o < m; ++o) {
    const double lo = static_cast<double>(o) * scale, hi = static_cast<double>(o + 1) * scale;
    const size_t first = static_cast<size_t>(std::floor(lo));
    const size_t last = std::min(n, static_cast<size_t>(std::ceil(hi)));
    for (size_t i = first; i < last; ++i) {
      const double overlap = std::min(hi, static_cast<double>(i + 1)) - std::max(lo, static_cast<double>(i));
      if (overlap > 1e-12) t.add(i, overlap / scale);
    }
    t.close();
  }
  return t;
}

// Pixel centres as in PyTorch's interpolate(align_corners=False): output o samples input
// coordinate (o + 0.5) n / m - 0.5.
double source_coord(size_t o, size_t n, size_t m) {
  return (static_cast<double>(o) + 0.5) * static_cast<double>(n) / static_cast<double>(m) - 0.5;
}

Taps bilinear_taps(size_t n, size_t m) {
  Taps t;
  for (size_t o = 0; o < m; ++o) {
    const double src = std::max(0.0, source_coord(o, n, m));
    const size_t i0 = std::min(static_cast<size_t>(src), n - 1), i1 = std::min(i0 + 1, n - 1);
    const double l = std::min(1.0, src - static_cast<double>(i0));
    t.add(i0, 1 - l);
    t.add(i1, l);
    t.close();
  }
  return t;
}

// Keys' cubic convolution kernel with a = -0.5.
double keys(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

Taps cubic_taps(size_t n, size_t m) {
  Taps t;
  const long last = static_cast<long>(n) - 1;
  for (size_t o = 0; o < m; ++o) {
    const double src = source_coord(o, n, m);  // not clamped, unlike bilinear (as PyTorch)
    const double fl = std::floor(src);
    const double frac = src - fl;
    const long i = static_cast<long>(fl);
    for (long k = -1; k <= 2; ++k)
      t.add(static_cast<size_t>(std::clamp(i + k, 0L, last)), keys(static_cast<double>(k) - frac));
    t.close();
  }
  return t;
}

// Applies ty to the rows and tx to the columns of an h x w image (ty.start.size() - 1 output
// rows, tx.start.size() - 1 output columns).
std::vector<float> resample(const float* img, size_t h, size_t w, const Taps& ty, const Taps& tx) {
  const size_t nh = ty.start.size() - 1, nw = tx.start.size() - 1;
  std::vector<double> tmp(h * nw);
  for (size_t y = 0; y < h; ++y) {
    const float* row = img + y * w;
    for (size_t ox = 0; ox < nw; ++ox) {
      double s = 0;
      for (size_t k = tx.start[ox]; k < tx.start[ox + 1]; ++k) s += tx.weight[k] * row[tx.index[k]];
      tmp[y * nw + ox] = s;
    }
  }
  std::vector<float> out(nh * nw);
  std::vector<double> acc(nw);
  for (size_t oy = 0; oy < nh; ++oy) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (size_t k = ty.start[oy]; k < ty.start[oy + 1]; ++k) {
      const double wt = ty.weight[k];
      const double* src = tmp.data() + ty.index[k] * nw;
      for (size_t ox = 0; ox < nw; ++ox) acc[ox] += wt * src[ox];
    }
    for (size_t ox = 0; ox < nw; ++ox) out[oy * nw + ox] = static_cast<float>(acc[ox]);
  }
  return out;
}

// n x n to m x m: area averaging when shrinking, bilinear when enlarging.
std::vector<float> resize_square(const float* img, size_t n, size_t m) {
  if (m == n) return std::vector<float>(img, img + n * n);
  const Taps t = m < n ? area_taps(n, m) : bilinear_taps(n, m);
  return resample(img, n, n, t, t);
}

void check_voxels(const Volume& v) {
  if (v.voxels.size() != v.nvox())
    throw InvalidInput("volume has " + std::to_string(v.voxels.size()) + " voxels but dims say " +
                       std::to_string(v.nvox()));
}

// extract_slice's width and height along `axis`.
std::pair<size_t, size_t> slice_dims(const Volume& v, Axis axis) {
  if (axis == Axis::Axial) return {v.dims[0], v.dims[1]};
  if (axis == Axis::Coronal) return {v.dims[0], v.dims[2]};
  return {v.dims[1], v.dims[2]};
}

}  // namespace

SliceStack SliceStack::zeros(size_t n, size_t h, size_t w) {
  SliceStack s;
  s.n = n, s.h = h, s.w = w;
  s.data.assign(n * h * w, 0.0f);
  s.position.resize(n);
  for (size_t i = 0; i < n; ++i) s.position[i] = i;
  return s;
}

SliceStack SliceStack::subset(const std::vector<size_t>& which) const {
  SliceStack s = zeros(which.size(), h, w);
  for (size_t k = 0; k < which.size(); ++k) {
    const size_t i = which[k];
    if (i >= n)
      throw InvalidInput("slice " + std::to_string(i) + " is out of range (stack of " + std::to_string(n) + ")");
    std::copy(slice(i), slice(i) + plane(), s.slice(k));
    s.position[k] = i < position.size() ? position[i] : i;
  }
  return s;
}

SliceSplit split_by_position(const std::vector<size_t>& candidates, size_t block, size_t test_every, size_t gap) {
  if (block < 1) throw InvalidInput("split: block must be at least 1 slice");
  if (test_every < 2) throw InvalidInput("split: test_every must be at least 2");
  if (2 * gap >= block)
    throw InvalidInput("split: gap " + std::to_string(gap) + " leaves nothing of a block of " + std::to_string(block) +
                       " (need 2 * gap < block)");
  const auto is_test = [&](size_t b) { return b % test_every == 1; };
  SliceSplit out;
  for (size_t p : candidates) {
    const size_t b = p / block, off = p % block;
    if (is_test(b)) {
      out.test.push_back(p);
      continue;
    }
    const bool near_previous = b > 0 && is_test(b - 1) && off < gap;
    const bool near_next = is_test(b + 1) && off + gap >= block;
    if (!near_previous && !near_next) out.train.push_back(p);
  }
  return out;
}

std::vector<size_t> foreground_slices(const Volume& v, Axis axis, const Window& w, double min_fraction) {
  check_voxels(v);
  std::vector<size_t> out;
  const size_t n = axis_length(v, axis);
  for (size_t k = 0; k < n; ++k) {
    Slice s = extract_slice(v, axis, k);
    if (s.pixels.empty()) continue;
    apply_window(s.pixels, w);
    const auto fg = std::count_if(s.pixels.begin(), s.pixels.end(), [](float x) { return x > 0.1f; });
    if (static_cast<double>(fg) >= min_fraction * static_cast<double>(s.pixels.size())) out.push_back(k);
  }
  return out;
}

SliceStack slices_from_volume(const Volume& v, Axis axis, const Window& w, const std::vector<size_t>& positions,
                              size_t size) {
  check_voxels(v);
  const auto [sw, sh] = slice_dims(v, axis);
  const size_t side = std::max(sw, sh);
  SliceStack out = SliceStack::zeros(positions.size(), size ? size : sh, size ? size : sw);
  std::vector<float> square;
  for (size_t k = 0; k < positions.size(); ++k) {
    Slice s = extract_slice(v, axis, positions[k]);
    apply_window(s.pixels, w);
    out.position[k] = positions[k];
    if (size == 0) {
      std::copy(s.pixels.begin(), s.pixels.end(), out.slice(k));
      continue;
    }
    square.assign(side * side, 0.0f);
    const size_t x0 = (side - sw) / 2, y0 = (side - sh) / 2;
    for (size_t r = 0; r < sh; ++r)
      std::copy(s.pixels.begin() + r * sw, s.pixels.begin() + (r + 1) * sw, square.begin() + (y0 + r) * side + x0);
    const std::vector<float> resized = resize_square(square.data(), side, size);
    std::copy(resized.begin(), resized.end(), out.slice(k));
  }
  return out;
}

std::vector<float> from_square(const float* img, size_t size, size_t width, size_t height) {
  if (size == 0 || width == 0 || height == 0) throw InvalidInput("from_square: empty image");
  const size_t side = std::max(width, height);
  const std::vector<float> square = resize_square(img, size, side);
  const size_t x0 = (side - width) / 2, y0 = (side - height) / 2;
  std::vector<float> out(width * height);
  for (size_t r = 0; r < height; ++r)
    std::copy(square.begin() + (y0 + r) * side + x0, square.begin() + (y0 + r) * side + x0 + width,
              out.begin() + r * width);
  return out;
}

Volume volume_from_slices(const Volume& like, Axis axis, const Window& w, const SliceStack& s) {
  check_voxels(like);
  const auto [sw, sh] = slice_dims(like, axis);
  if (s.h != sh || s.w != sw)
    throw InvalidInput("slices are " + std::to_string(s.w) + "x" + std::to_string(s.h) + " but the volume's are " +
                       std::to_string(sw) + "x" + std::to_string(sh));
  if (s.data.size() != s.n * s.plane() || s.position.size() != s.n)
    throw InvalidInput("slice stack of " + std::to_string(s.n) + " slices has inconsistent data or positions");
  const size_t len = axis_length(like, axis), nz = like.dims[2];
  Volume out = like;
  const double lo = w.lo(), width = w.width;
  for (size_t k = 0; k < s.n; ++k) {
    const size_t pos = s.position[k];
    if (pos >= len)
      throw InvalidInput("slice position " + std::to_string(pos) + " is out of range (0.." + std::to_string(len - 1) +
                         ")");
    const float* p = s.slice(k);
    for (size_t r = 0; r < sh; ++r)
      for (size_t c = 0; c < sw; ++c) {
        const float value = static_cast<float>(lo + static_cast<double>(p[r * sw + c]) * width);
        // extract_slice's orientation, inverted: coronal and sagittal rows run from the last slice.
        if (axis == Axis::Axial)
          out.at(c, r, pos) = value;
        else if (axis == Axis::Coronal)
          out.at(c, pos, nz - 1 - r) = value;
        else
          out.at(pos, c, nz - 1 - r) = value;
      }
  }
  return out;
}

std::vector<float> downsample_area(const float* img, size_t h, size_t w, size_t factor) {
  if (factor < 1 || h % factor != 0 || w % factor != 0)
    throw InvalidInput("downsample_area: " + std::to_string(h) + "x" + std::to_string(w) +
                       " is not divisible by factor " + std::to_string(factor));
  if (h == 0 || w == 0) return {};
  return resample(img, h, w, area_taps(h, h / factor), area_taps(w, w / factor));
}

std::vector<float> upsample_bicubic(const float* img, size_t h, size_t w, size_t factor) {
  if (factor < 1) throw InvalidInput("upsample_bicubic: factor must be at least 1");
  if (h == 0 || w == 0) return {};
  return resample(img, h, w, cubic_taps(h, h * factor), cubic_taps(w, w * factor));
}

std::vector<float> resize_bilinear(const float* img, size_t h, size_t w, size_t nh, size_t nw) {
  if (nh == 0 || nw == 0) return {};
  if (h == 0 || w == 0) throw InvalidInput("resize_bilinear: empty input image");
  return resample(img, h, w, bilinear_taps(h, nh), bilinear_taps(w, nw));
}

SrTriple sr_triple(const float* img, size_t h, size_t w, size_t scale) {
  if (scale < 1) throw InvalidInput("sr_triple: scale must be at least 1");
  SrTriple t;
  t.h = h / scale * scale;
  t.w = w / scale * scale;
  t.hr.resize(t.h * t.w);
  for (size_t y = 0; y < t.h; ++y) std::copy_n(img + y * w, t.w, t.hr.data() + y * t.w);
  t.lr = downsample_area(t.hr.data(), t.h, t.w, scale);
  t.bicubic = upsample_bicubic(t.lr.data(), t.h / scale, t.w / scale, scale);
  return t;
}

}  // namespace medgen::imaging
