#include "medgen/epi/random.h"

#include <cmath>

namespace medgen::epi {

double draw_gamma(Rng& rng, double shape, double scale) {
  if (shape < 1) {
    // Boost a shape below 1: G(a) = G(a + 1) U^(1/a).
    return draw_gamma(rng, shape + 1, scale) * std::pow(rng.uniform_open(), 1 / shape);
  }
  const double d = shape - 1.0 / 3, c = 1 / std::sqrt(9 * d);
  for (;;) {
    double x, v;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = rng.uniform_open();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
    if (std::log(u) < 0.5 * x * x + d * (1 - v + std::log(v))) return d * v * scale;
  }
}

double draw_poisson(Rng& rng, double mean) {
  if (!(mean > 0)) return 0;
  if (mean < 30) {
    // Inversion by sequential search.
    double p = std::exp(-mean), f = p, u = rng.uniform();
    double k = 0;
    while (u > f && k < 1000) {
      k += 1;
      p *= mean / k;
      f += p;
    }
    return k;
  }
  // PTRS: transformed rejection with squeeze (Hörmann 1993).
  const double slam = std::sqrt(mean), loglam = std::log(mean);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const double u = rng.uniform() - 0.5, v = rng.uniform();
    const double us = 0.5 - std::fabs(u);
    const double k = std::floor((2 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <= -mean + k * loglam - std::lgamma(k + 1))
      return k;
  }
}

double draw_negbin(Rng& rng, double mean, double size) {
  if (!(mean > 0)) return 0;
  return draw_poisson(rng, draw_gamma(rng, size, mean / size));
}

double negbin_logpmf(double y, double mean, double size) {
  return std::lgamma(y + size) - std::lgamma(size) - std::lgamma(y + 1) + size * std::log(size / (size + mean)) +
         y * std::log(mean / (size + mean));
}

}  // namespace medgen::epi
