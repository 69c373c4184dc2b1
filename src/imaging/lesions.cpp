// Synthetic lesions of quality.h.
#include <algorithm>
#include <cmath>
#include <string>

#include "medgen/core/error.h"
#include "medgen/imaging/quality.h"

namespace medgen::imaging {

void insert_lesions(float* img, uint8_t* mask, size_t h, size_t w, const LesionOptions& opt, Rng& rng) {
  if (opt.min_lesions > opt.max_lesions) throw InvalidInput("lesions: min_lesions is above max_lesions");
  if (!(opt.min_radius > 0) || !(opt.max_radius >= opt.min_radius) || !std::isfinite(opt.max_radius))
    throw InvalidInput("lesions: radii must satisfy 0 < min_radius <= max_radius");
  if (!(opt.min_contrast >= 0) || !(opt.max_contrast >= opt.min_contrast) || !std::isfinite(opt.max_contrast))
    throw InvalidInput("lesions: contrasts must satisfy 0 <= min_contrast <= max_contrast");
  constexpr double kPi = 3.14159265358979323846;
  constexpr double kSoftness = 1.0;  // pixels: width of the sigmoid edge
  constexpr int kHarmonics = 3;      // boundary modulation by harmonics 2, 3, 4
  constexpr int kWaves = 3;          // texture: a sum of plane waves
  // Centres are drawn among the foreground of the image as given, so a later lesion is not
  // steered by an earlier one.
  std::vector<size_t> foreground;
  for (size_t i = 0; i < h * w; ++i)
    if (img[i] > 0.1f) foreground.push_back(i);
  if (foreground.empty()) return;
  const size_t count = opt.min_lesions + rng.below(opt.max_lesions - opt.min_lesions + 1);
  for (size_t l = 0; l < count; ++l) {
    // The lesion lies inside the tissue: its centre and four points at 0.7 of its radius must
    // be foreground (up to 50 tries, then the last draw is kept).
    const double ra = opt.min_radius + rng.uniform() * (opt.max_radius - opt.min_radius);
    const double rb = std::max(opt.min_radius, ra * (0.6 + 0.4 * rng.uniform()));
    double cy = 0, cx = 0;
    for (int attempt = 0; attempt < 50; ++attempt) {
      const size_t c = foreground[rng.below(foreground.size())];
      cy = static_cast<double>(c / w) + rng.uniform() - 0.5;
      cx = static_cast<double>(c % w) + rng.uniform() - 0.5;
      bool inside = true;
      const double r = 0.7 * ra, dy[] = {-r, r, 0, 0}, dx[] = {0, 0, -r, r};
      for (int k = 0; k < 4 && inside; ++k) {
        const long yy = std::lround(cy + dy[k]), xx = std::lround(cx + dx[k]);
        inside = yy >= 0 && xx >= 0 && yy < static_cast<long>(h) && xx < static_cast<long>(w) &&
                 img[static_cast<size_t>(yy) * w + static_cast<size_t>(xx)] > 0.1f;
      }
      if (inside) break;
    }
    const double rotation = rng.uniform() * kPi;
    double amp[kHarmonics], phase[kHarmonics], amp_sum = 0;
    for (int k = 0; k < kHarmonics; ++k) {
      amp_sum += amp[k] = 0.1 * rng.uniform();
      phase[k] = 2 * kPi * rng.uniform();
    }
    double sign = rng.uniform() < 0.5 ? -1.0 : 1.0;
    const double contrast = opt.min_contrast + rng.uniform() * (opt.max_contrast - opt.min_contrast);
    // Hypo- or hyperintense as drawn, unless clipping at 0 or 1 would hide it: then the other.
    {
      const long yc = std::clamp(std::lround(cy), 0L, static_cast<long>(h) - 1);
      const long xc = std::clamp(std::lround(cx), 0L, static_cast<long>(w) - 1);
      const double v = img[static_cast<size_t>(yc) * w + static_cast<size_t>(xc)];
      if (sign < 0 && v - contrast < 0.0) sign = 1;
      else if (sign > 0 && v + contrast > 1.0) sign = -1;
    }
    double kx[kWaves], ky[kWaves], psi[kWaves];
    for (int k = 0; k < kWaves; ++k) {
      const double freq = 2 * kPi / (ra * (0.5 + rng.uniform())), dir = 2 * kPi * rng.uniform();
      kx[k] = freq * std::cos(dir), ky[k] = freq * std::sin(dir), psi[k] = 2 * kPi * rng.uniform();
    }
    // Beyond this distance the sigmoid weight is below 0.25 %.
    const double reach = ra * (1 + amp_sum) + 6 * kSoftness;
    const long y0 = std::max(0L, static_cast<long>(std::floor(cy - reach)));
    const long y1 = std::min(static_cast<long>(h) - 1, static_cast<long>(std::ceil(cy + reach)));
    const long x0 = std::max(0L, static_cast<long>(std::floor(cx - reach)));
    const long x1 = std::min(static_cast<long>(w) - 1, static_cast<long>(std::ceil(cx + reach)));
    for (long y = y0; y <= y1; ++y)
      for (long x = x0; x <= x1; ++x) {
        const double dx = static_cast<double>(x) - cx, dy = static_cast<double>(y) - cy;
        const double dist = std::hypot(dx, dy), theta = std::atan2(dy, dx);
        const double ct = std::cos(theta - rotation), st = std::sin(theta - rotation);
        double radius = ra * rb / std::sqrt(rb * ct * rb * ct + ra * st * ra * st);
        double mod = 1;
        for (int k = 0; k < kHarmonics; ++k) mod += amp[k] * std::cos((k + 2) * theta + phase[k]);
        radius *= mod;
        const double weight = 1 / (1 + std::exp((dist - radius) / kSoftness));
        double texture = 0;
        for (int k = 0; k < kWaves; ++k) texture += std::cos(kx[k] * dx + ky[k] * dy + psi[k]);
        texture = 1 + 0.1 * texture / kWaves;
        const size_t i = static_cast<size_t>(y) * w + static_cast<size_t>(x);
        img[i] = static_cast<float>(std::clamp(img[i] + sign * contrast * weight * texture, 0.0, 1.0));
        if (mask && weight >= 0.5) mask[i] = 1;
      }
  }
}

}  // namespace medgen::imaging
