// The classical filters of quality.h.
#include <algorithm>
#include <cmath>
#include <string>

#include "medgen/core/error.h"
#include "medgen/imaging/quality.h"

namespace medgen::imaging {

namespace {

// Half-sample symmetric reflection (d c b a | a b c d | d c b a), scipy.ndimage's 'reflect',
// for any index (a kernel may be wider than the image).
size_t reflect(long i, long n) {
  if (n == 1) return 0;
  const long period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return static_cast<size_t>(i < n ? i : period - 1 - i);
}

// The reflected index of every position in [-pad, n + pad).
std::vector<size_t> reflected_indices(size_t n, long pad) {
  std::vector<size_t> idx(n + 2 * static_cast<size_t>(pad));
  for (size_t k = 0; k < idx.size(); ++k) idx[k] = reflect(static_cast<long>(k) - pad, static_cast<long>(n));
  return idx;
}

}  // namespace

std::vector<float> gaussian_filter(const float* img, size_t h, size_t w, double sigma) {
  if (!(sigma >= 0) || !std::isfinite(sigma)) throw InvalidInput("gaussian_filter: sigma must be >= 0");
  std::vector<float> out(img, img + h * w);
  if (sigma == 0 || h == 0 || w == 0) return out;
  const long r = static_cast<long>(4 * sigma + 0.5);  // scipy's truncate = 4
  std::vector<double> g(2 * static_cast<size_t>(r) + 1);
  double gsum = 0;
  for (long k = -r; k <= r; ++k) gsum += g[static_cast<size_t>(k + r)] = std::exp(-0.5 * k * k / (sigma * sigma));
  for (double& x : g) x /= gsum;
  const std::vector<size_t> ix = reflected_indices(w, r), iy = reflected_indices(h, r);
  std::vector<double> tmp(h * w), acc(w);
  for (size_t y = 0; y < h; ++y) {
    const float* row = img + y * w;
    for (size_t x = 0; x < w; ++x) {
      double s = 0;
      for (size_t k = 0; k < g.size(); ++k) s += g[k] * row[ix[x + k]];
      tmp[y * w + x] = s;
    }
  }
  for (size_t y = 0; y < h; ++y) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (size_t k = 0; k < g.size(); ++k) {
      const double* src = tmp.data() + iy[y + k] * w;
      for (size_t x = 0; x < w; ++x) acc[x] += g[k] * src[x];
    }
    for (size_t x = 0; x < w; ++x) out[y * w + x] = static_cast<float>(acc[x]);
  }
  return out;
}

std::vector<float> median_filter(const float* img, size_t h, size_t w, int radius) {
  if (radius < 0) throw InvalidInput("median_filter: radius must be >= 0");
  std::vector<float> out(img, img + h * w);
  if (radius == 0 || h == 0 || w == 0) return out;
  const long r = radius;
  const std::vector<size_t> ix = reflected_indices(w, r), iy = reflected_indices(h, r);
  const size_t side = 2 * static_cast<size_t>(r) + 1, mid = side * side / 2;
  std::vector<float> win(side * side);
  for (size_t y = 0; y < h; ++y)
    for (size_t x = 0; x < w; ++x) {
      size_t m = 0;
      for (size_t dy = 0; dy < side; ++dy) {
        const float* row = img + iy[y + dy] * w;
        for (size_t dx = 0; dx < side; ++dx) win[m++] = row[ix[x + dx]];
      }
      std::nth_element(win.begin(), win.begin() + static_cast<std::ptrdiff_t>(mid), win.end());
      out[y * w + x] = win[mid];
    }
  return out;
}

std::vector<float> nlm_filter(const float* img, size_t h, size_t w, double sigma, double hparam, int patch_radius,
                              int search_radius) {
  if (!(sigma >= 0) || !std::isfinite(sigma)) throw InvalidInput("nlm_filter: sigma must be >= 0");
  if (!(hparam > 0) || !std::isfinite(hparam)) throw InvalidInput("nlm_filter: h must be positive");
  if (patch_radius < 0 || search_radius < 0) throw InvalidInput("nlm_filter: radii must be >= 0");
  if (h == 0 || w == 0) return {};
  const long p = patch_radius, s = search_radius, pad = p + s;
  const size_t pw = w + 2 * static_cast<size_t>(pad), ph = h + 2 * static_cast<size_t>(pad);
  const std::vector<size_t> ix = reflected_indices(w, pad), iy = reflected_indices(h, pad);
  std::vector<float> padded(ph * pw);
  for (size_t y = 0; y < ph; ++y)
    for (size_t x = 0; x < pw; ++x) padded[y * pw + x] = img[iy[y] * w + ix[x]];
  // For each offset of the search window, the squared difference image between the image and
  // its shifted copy, box-filtered by running sums, gives every pixel's patch distance at that
  // offset in O(1): O(h w (2s+1)^2) in all instead of O(h w (2s+1)^2 (2p+1)^2).
  const size_t dw = w + 2 * static_cast<size_t>(p), dh = h + 2 * static_cast<size_t>(p), box = 2 * p + 1;
  std::vector<float> diff(dh * dw);
  std::vector<double> rows(dh * w), col(w), acc(h * w, 0.0), wsum(h * w, 0.0);
  const double inv_area = 1.0 / static_cast<double>(box * box), inv_h2 = 1.0 / (hparam * hparam);
  const double bias = 2 * sigma * sigma;
  for (long dy = -s; dy <= s; ++dy)
    for (long dx = -s; dx <= s; ++dx) {
      // diff row yy is image row yy - p, i.e. padded row yy - p + pad = yy + s.
      for (size_t yy = 0; yy < dh; ++yy) {
        const float* a = padded.data() + (yy + s) * pw + s;
        const float* b = padded.data() + (static_cast<long>(yy) + s + dy) * static_cast<long>(pw) + s + dx;
        float* d = diff.data() + yy * dw;
        for (size_t xx = 0; xx < dw; ++xx) {
          const float e = a[xx] - b[xx];
          d[xx] = e * e;
        }
      }
      for (size_t yy = 0; yy < dh; ++yy) {
        const float* d = diff.data() + yy * dw;
        double* out = rows.data() + yy * w;
        double sum = 0;
        for (size_t k = 0; k < box; ++k) sum += d[k];
        out[0] = sum;
        for (size_t x = 1; x < w; ++x) out[x] = sum += d[x + box - 1] - d[x - 1];
      }
      std::fill(col.begin(), col.end(), 0.0);
      for (size_t k = 0; k < box; ++k)
        for (size_t x = 0; x < w; ++x) col[x] += rows[k * w + x];
      for (size_t y = 0; y < h; ++y) {
        if (y > 0)
          for (size_t x = 0; x < w; ++x) col[x] += rows[(y + box - 1) * w + x] - rows[(y - 1) * w + x];
        const float* shifted = padded.data() + (static_cast<long>(y) + pad + dy) * static_cast<long>(pw) + pad + dx;
        for (size_t x = 0; x < w; ++x) {
          const double d2 = std::max(col[x] * inv_area - bias, 0.0);
          const double wt = std::exp(-d2 * inv_h2);
          acc[y * w + x] += wt * shifted[x];
          wsum[y * w + x] += wt;
        }
      }
    }
  std::vector<float> out(h * w);
  for (size_t i = 0; i < h * w; ++i) out[i] = static_cast<float>(acc[i] / wsum[i]);
  return out;
}

namespace {

// Whole-sample symmetric reflection (c b | a b c | b a), numpy's 'reflect', for any index.
size_t mirror(long i, long n) {
  if (n == 1) return 0;
  const long period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return static_cast<size_t>(i < n ? i : period - i);
}

// Half-sample symmetric extension (b a | a b c | c b), PyWavelets' 'symmetric' mode.
size_t half_mirror(long i, long n) { return reflect(i, n); }

// One level of the Daubechies-2 high-pass analysis along a line of n samples with stride
// `stride`: out[o] = sum_j g[j] x[2o + 1 - j], o < (n + 3) / 2 (PyWavelets' downsampling
// convolution).
void db2_highpass(const double* x, long n, size_t stride, double* out, size_t out_stride) {
  static constexpr double g[4] = {-0.48296291314469025, 0.836516303737469, -0.22414386804185735,
                                  -0.12940952255092145};
  const long m = (n + 3) / 2;
  for (long o = 0; o < m; ++o) {
    double s = 0;
    for (long j = 0; j < 4; ++j) s += g[j] * x[half_mirror(2 * o + 1 - j, n) * stride];
    out[static_cast<size_t>(o) * out_stride] = s;
  }
}

}  // namespace

double estimate_noise_sigma(const float* img, size_t h, size_t w) {
  if (h < 2 || w < 2) throw InvalidInput("estimate_noise_sigma: the image must be at least 2 x 2");
  const long H = static_cast<long>(h), W = static_cast<long>(w);
  const size_t mh = (h + 3) / 2, mw = (w + 3) / 2;
  // High-pass along rows (x), then along columns (y): the diagonal detail band.
  std::vector<double> row(w), rows(h * mw), col(h), dd(mh * mw);
  for (size_t y = 0; y < h; ++y) {
    for (size_t x = 0; x < w; ++x) row[x] = img[y * w + x];
    db2_highpass(row.data(), W, 1, rows.data() + y * mw, 1);
  }
  for (size_t x = 0; x < mw; ++x) {
    for (size_t y = 0; y < h; ++y) col[y] = rows[y * mw + x];
    db2_highpass(col.data(), H, 1, dd.data() + x, mw);
  }
  std::vector<double> a;
  a.reserve(dd.size());
  for (double c : dd)
    if (c != 0) a.push_back(std::fabs(c));
  if (a.empty()) return 0;
  // numpy's median: the mean of the two middle values for an even count.
  const size_t k = a.size() / 2;
  std::nth_element(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(k), a.end());
  double med = a[k];
  if (a.size() % 2 == 0) med = (med + *std::max_element(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(k))) / 2;
  return med / 0.6744897501960817;
}

std::vector<float> nlm_fast_filter(const float* img, size_t h, size_t w, double sigma, double hparam, int patch_radius,
                                   int search_radius) {
  if (!(sigma >= 0) || !std::isfinite(sigma)) throw InvalidInput("nlm_fast_filter: sigma must be >= 0");
  if (!(hparam > 0) || !std::isfinite(hparam)) throw InvalidInput("nlm_fast_filter: h must be positive");
  if (patch_radius < 0 || search_radius < 0) throw InvalidInput("nlm_fast_filter: radii must be >= 0");
  if (h == 0 || w == 0) return {};
  const long p = patch_radius, d = search_radius, pad = p + d + 1;
  const long H = static_cast<long>(h), W = static_cast<long>(w);
  const long ph = H + 2 * pad, pw = W + 2 * pad;
  std::vector<double> padded(static_cast<size_t>(ph * pw));
  for (long y = 0; y < ph; ++y)
    for (long x = 0; x < pw; ++x)
      padded[static_cast<size_t>(y * pw + x)] = img[mirror(y - pad, H) * w + mirror(x - pad, W)];
  // For one shift t, e(y, x) = (x - x_t)^2 - 2 sigma^2 at every position a box can touch (image
  // rows and columns widened by p), then box sums over (c - p, c + p] by running sums.
  const long eh = H + 2 * p, ew = W + 2 * p, box = 2 * p;
  const double var2 = 2 * sigma * sigma, norm = 1.0 / (double((2 * p + 1) * (2 * p + 1)) * hparam * hparam);
  std::vector<double> e(static_cast<size_t>(eh * ew)), rows(static_cast<size_t>(eh * W)), col(w), acc(h * w, 0.0),
      wsum(h * w, 0.0);
  for (long dy = -d; dy <= d; ++dy)
    for (long dx = -d; dx <= d; ++dx) {
      // e's row r is padded row r + pad - p (image row r - p); its column likewise.
      for (long r = 0; r < eh; ++r) {
        const double* a = padded.data() + (r + pad - p) * pw + (pad - p);
        const double* b = padded.data() + (r + pad - p + dy) * pw + (pad - p + dx);
        double* out = e.data() + r * ew;
        for (long c = 0; c < ew; ++c) out[c] = (a[c] - b[c]) * (a[c] - b[c]) - var2;
      }
      // rows(r, x) = sum of e(r, x + 1 .. x + 2p) (image column x's box is e columns x+1..x+2p).
      for (long r = 0; r < eh; ++r) {
        const double* in = e.data() + r * ew;
        double* out = rows.data() + r * W;
        double s = 0;
        for (long k = 1; k <= box; ++k) s += in[k];
        out[0] = s;
        for (long x = 1; x < W; ++x) out[x] = s += in[x + box] - in[x];
      }
      std::fill(col.begin(), col.end(), 0.0);
      for (long k = 1; k <= box; ++k)
        for (long x = 0; x < W; ++x) col[static_cast<size_t>(x)] += rows[static_cast<size_t>(k * W + x)];
      for (long y = 0; y < H; ++y) {
        if (y > 0)
          for (long x = 0; x < W; ++x)
            col[static_cast<size_t>(x)] += rows[static_cast<size_t>((y + box) * W + x)] - rows[static_cast<size_t>(y * W + x)];
        const double* shifted = padded.data() + (y + pad + dy) * pw + pad + dx;
        for (long x = 0; x < W; ++x) {
          const double dist = std::max(col[static_cast<size_t>(x)], 0.0) * norm;
          if (dist > 5.0) continue;
          const double wt = std::exp(-dist);
          acc[static_cast<size_t>(y * W + x)] += wt * shifted[x];
          wsum[static_cast<size_t>(y * W + x)] += wt;
        }
      }
    }
  std::vector<float> out(h * w);
  for (size_t i = 0; i < h * w; ++i) out[i] = static_cast<float>(acc[i] / wsum[i]);
  return out;
}

std::vector<float> nlm_estimated_sigma(const float* img, size_t h, size_t w, double* sigma_est) {
  const double s = estimate_noise_sigma(img, h, w);
  if (sigma_est) *sigma_est = s;
  if (!(s > 1e-9)) return std::vector<float>(img, img + h * w);  // noise-free (rounding of the filter taps alone)
  return nlm_fast_filter(img, h, w, s, 0.8 * s, 2, 6);
}

}  // namespace medgen::imaging
