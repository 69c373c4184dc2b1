// Anomaly overlays: heat maps over slices, lesion outlines (medgen image anomaly --png-dir).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "medgen/imaging/intensity.h"
#include "medgen/imaging/tasks.h"

namespace medgen::imaging {

std::vector<uint8_t> overlay_rgb(const float* image, const float* map, const float* mask, size_t width,
                                 size_t height, double threshold) {
  std::vector<uint8_t> rgb(width * height * 3);
  for (size_t y = 0; y < height; ++y)
    for (size_t x = 0; x < width; ++x) {
      const size_t p = y * width + x;
      double g = std::clamp<double>(image[p], 0.0, 1.0) * 255.0, r = g, gg = g, b = g;
      if (threshold > 0 && map[p] > threshold) {
        const double t = std::clamp(map[p] / threshold - 1.0, 0.0, 1.0), a = 0.35 + 0.35 * t;
        r = (1 - a) * r + a * 255.0;
        gg = (1 - a) * gg + a * 255.0 * t;
        b = (1 - a) * b;
      }
      if (mask && mask[p] > 0.5f) {
        const bool edge = x == 0 || y == 0 || x + 1 == width || y + 1 == height || mask[p - 1] <= 0.5f ||
                          mask[p + 1] <= 0.5f || mask[p - width] <= 0.5f || mask[p + width] <= 0.5f;
        if (edge) r = 0, gg = 255, b = 0;
      }
      rgb[3 * p] = uint8_t(std::lround(r));
      rgb[3 * p + 1] = uint8_t(std::lround(gg));
      rgb[3 * p + 2] = uint8_t(std::lround(b));
    }
  return rgb;
}

std::vector<RgbImage> anomaly_overlays(const AnomalyResult& r, const Volume& v, const DataSpec& spec, size_t top) {
  const Window w = model_window(v, spec.window);
  const SliceStack grey = slices_from_volume(v, spec.axis, w, r.slices, 0);
  std::vector<size_t> order(r.slices.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t i, size_t j) { return r.score[i] > r.score[j]; });
  std::vector<RgbImage> out;
  for (size_t i = 0; i < std::min(order.size(), top); ++i) {
    const size_t k = order[i];
    std::vector<float> img(grey.slice(k), grey.slice(k) + grey.plane()),
        mp(r.native.slice(k), r.native.slice(k) + grey.plane());
    orient_for_display(v, spec.axis, img.data(), grey.w, grey.h);
    orient_for_display(v, spec.axis, mp.data(), grey.w, grey.h);
    out.push_back({"slice_" + std::to_string(r.slices[k]), grey.w, grey.h,
                   overlay_rgb(img.data(), mp.data(), nullptr, grey.w, grey.h, r.calibration.pixel_threshold)});
  }
  return out;
}

std::vector<RgbImage> lesion_overlays(const AnomalyExamples& ex, double pixel_threshold) {
  std::vector<RgbImage> out;
  for (size_t i = 0; i < ex.image.n; ++i)
    out.push_back({"lesions_" + std::to_string(i), ex.image.w, ex.image.h,
                   overlay_rgb(ex.image.slice(i), ex.map.slice(i), ex.mask.slice(i), ex.image.w, ex.image.h,
                               pixel_threshold)});
  return out;
}

}  // namespace medgen::imaging
