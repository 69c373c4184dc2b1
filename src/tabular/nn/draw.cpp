#include "draw.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace medgen::tabular::nnlib {

namespace {
// exp(x) for x <= 0 to ~2e-7 relative error, branch-free so that the compiler vectorises the
// loop over a span (libm's expf is a call per value): 2^n * 2^f with n = round(x log2 e), |f| <= 1/2,
// and 2^f by its Taylor polynomial of degree 6. Below -87 it returns 0.
inline float exp_nonpositive(float x) {
  x = x < -87.0f ? -87.0f : x;
  const float t = x * 1.44269504f;
  const float n = (t + 12582912.0f) - 12582912.0f;  // round to nearest: 1.5 * 2^23 drops the fraction
  const float f = t - n;
  float p = 1.5403530e-4f;
  p = p * f + 1.3333558e-3f;
  p = p * f + 9.6181291e-3f;
  p = p * f + 5.5504109e-2f;
  p = p * f + 2.4022651e-1f;
  p = p * f + 6.9314718e-1f;
  p = p * f + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}
}  // namespace

void draw_rows(const float* raw, int64_t rows, int64_t dim, const std::vector<int64_t>& scalars,
               const float* sigma, const std::vector<std::pair<int64_t, int64_t>>& spans, Rng& rng, float* out) {
  int64_t widest = 1;
  for (const auto& sp : spans) widest = std::max(widest, sp.second);
  std::vector<float> e(static_cast<size_t>(widest));
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = raw + r * dim;
    float* o = out + r * dim;
    for (int64_t c : scalars) {
      float v = std::tanh(in[c]);
      if (sigma) v = std::clamp(v + sigma[c] * static_cast<float>(rng.normal()), -1.0f, 1.0f);
      o[c] = v;
    }
    for (const auto& [start, width] : spans) {
      const float* v = in + start;
      float top = v[0];
      for (int64_t k = 1; k < width; ++k) top = std::max(top, v[k]);
      float* ek = e.data();
      for (int64_t k = 0; k < width; ++k) ek[k] = exp_nonpositive(v[k] - top);
      float total = 0.0f;
      for (int64_t k = 0; k < width; ++k) total += ek[k];
      // The last slot takes what rounding leaves; a NaN output (a diverged model) picks slot 0.
      const float u = static_cast<float>(rng.uniform()) * total;
      int64_t pick = width - 1;
      float run = 0.0f;
      for (int64_t k = 0; k + 1 < width; ++k) {
        run += e[static_cast<size_t>(k)];
        if (u < run) {
          pick = k;
          break;
        }
      }
      if (!(total > 0.0f)) pick = 0;
      float* dst = o + start;
      std::fill(dst, dst + width, 0.0f);
      dst[pick] = 1.0f;
    }
  }
}

}  // namespace medgen::tabular::nnlib
