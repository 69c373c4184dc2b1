// Metrics and noise models of quality.h (filters: filters.cpp, lesions: lesions.cpp).
#include "medgen/imaging/quality.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "medgen/core/error.h"
#include "medgen/core/linalg.h"

namespace medgen::imaging {

double psnr(const float* a, const float* b, size_t n, double data_range) {
  if (n == 0) throw InvalidInput("psnr: empty images");
  if (!(data_range > 0)) throw InvalidInput("psnr: data range must be positive");
  double se = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    se += d * d;
  }
  const double mse = se / static_cast<double>(n);
  if (mse == 0) return std::numeric_limits<double>::infinity();
  return 10 * std::log10(data_range * data_range / mse);
}

double ssim(const float* a, const float* b, size_t h, size_t w, double data_range) {
  constexpr size_t kWin = 11, kRadius = 5;
  constexpr double kSigma = 1.5;
  if (h < kWin || w < kWin)
    throw InvalidInput("ssim: images of " + std::to_string(w) + "x" + std::to_string(h) + " are smaller than 11x11");
  if (!(data_range > 0)) throw InvalidInput("ssim: data range must be positive");
  double g[kWin], gsum = 0;
  for (size_t k = 0; k < kWin; ++k) {
    const double x = static_cast<double>(k) - static_cast<double>(kRadius);
    gsum += g[k] = std::exp(-0.5 * x * x / (kSigma * kSigma));
  }
  for (double& x : g) x /= gsum;
  // Separable 'valid' filtering of a, b, a^2, b^2 and ab: only positions where the whole
  // window fits, which is what skimage's crop of its reflected borders keeps.
  const size_t vw = w - kWin + 1, vh = h - kWin + 1;
  std::vector<double> row(5 * h * vw);  // 5 channels, each h x vw
  for (size_t y = 0; y < h; ++y)
    for (size_t x = 0; x < vw; ++x) {
      double s[5] = {0, 0, 0, 0, 0};
      for (size_t k = 0; k < kWin; ++k) {
        const double p = a[y * w + x + k], q = b[y * w + x + k], gk = g[k];
        s[0] += gk * p, s[1] += gk * q, s[2] += gk * p * p, s[3] += gk * q * q, s[4] += gk * p * q;
      }
      for (int c = 0; c < 5; ++c) row[(c * h + y) * vw + x] = s[c];
    }
  const double c1 = (0.01 * data_range) * (0.01 * data_range), c2 = (0.03 * data_range) * (0.03 * data_range);
  double total = 0;
  std::vector<double> m(5 * vw);
  for (size_t y = 0; y < vh; ++y) {
    std::fill(m.begin(), m.end(), 0.0);
    for (size_t k = 0; k < kWin; ++k)
      for (int c = 0; c < 5; ++c) {
        const double* src = row.data() + (c * h + y + k) * vw;
        double* dst = m.data() + c * vw;
        for (size_t x = 0; x < vw; ++x) dst[x] += g[k] * src[x];
      }
    for (size_t x = 0; x < vw; ++x) {
      const double ux = m[x], uy = m[vw + x];
      const double vx = m[2 * vw + x] - ux * ux, vy = m[3 * vw + x] - uy * uy, vxy = m[4 * vw + x] - ux * uy;
      total += (2 * ux * uy + c1) * (2 * vxy + c2) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
    }
  }
  return total / static_cast<double>(vh * vw);
}

namespace {

// Mean and covariance (n - 1) of n x d rows.
void moments(const std::vector<double>& x, size_t n, size_t d, std::vector<double>* mean, std::vector<double>* cov) {
  mean->assign(d, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < d; ++j) (*mean)[j] += x[i * d + j];
  for (double& m : *mean) m /= static_cast<double>(n);
  cov->assign(d * d, 0.0);
  std::vector<double> c(d);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) c[j] = x[i * d + j] - (*mean)[j];
    for (size_t j = 0; j < d; ++j)
      for (size_t k = j; k < d; ++k) (*cov)[j * d + k] += c[j] * c[k];
  }
  for (size_t j = 0; j < d; ++j)
    for (size_t k = j; k < d; ++k) (*cov)[k * d + j] = (*cov)[j * d + k] /= static_cast<double>(n - 1);
}

std::vector<double> matmul(const std::vector<double>& a, const std::vector<double>& b, size_t d) {
  std::vector<double> c(d * d, 0.0);
  for (size_t i = 0; i < d; ++i)
    for (size_t k = 0; k < d; ++k) {
      const double aik = a[i * d + k];
      for (size_t j = 0; j < d; ++j) c[i * d + j] += aik * b[k * d + j];
    }
  return c;
}

}  // namespace

double frechet_distance(const std::vector<double>& a, size_t n1, const std::vector<double>& b, size_t n2, size_t d) {
  if (n1 < 2 || n2 < 2) throw InvalidInput("frechet_distance: each set needs at least 2 rows");
  if (d == 0) throw InvalidInput("frechet_distance: features have no dimensions");
  if (a.size() != n1 * d || b.size() != n2 * d) throw InvalidInput("frechet_distance: data size is not rows x d");
  std::vector<double> m1, s1, m2, s2;
  moments(a, n1, d, &m1, &s1);
  moments(b, n2, d, &m2, &s2);
  double dist = 0;
  for (size_t j = 0; j < d; ++j) dist += (m1[j] - m2[j]) * (m1[j] - m2[j]) + s1[j * d + j] + s2[j * d + j];
  // tr (S1 S2)^(1/2) = tr (R S2 R)^(1/2) with R = S1^(1/2): both symmetric, so two symmetric
  // eigendecompositions replace a general matrix square root.
  std::vector<double> val, vec;
  symmetric_eigen(s1, d, &val, &vec);
  std::vector<double> r(d * d, 0.0);
  for (size_t i = 0; i < d; ++i)
    for (size_t j = i; j < d; ++j) {
      double s = 0;
      for (size_t k = 0; k < d; ++k) s += vec[i * d + k] * std::sqrt(std::max(val[k], 0.0)) * vec[j * d + k];
      r[i * d + j] = r[j * d + i] = s;
    }
  std::vector<double> m = matmul(matmul(r, s2, d), r, d);
  for (size_t i = 0; i < d; ++i)
    for (size_t j = i + 1; j < d; ++j) m[i * d + j] = m[j * d + i] = 0.5 * (m[i * d + j] + m[j * d + i]);
  symmetric_eigen(m, d, &val, &vec);
  double tr = 0;
  for (double x : val) tr += std::sqrt(std::max(x, 0.0));
  return std::max(0.0, dist - 2 * tr);
}

namespace {

struct Scored {
  uint32_t key;  // the score as an order-preserving unsigned integer
  uint8_t positive;
};

// IEEE floats as unsigned integers in the same order (negatives flipped), -0 as +0.
uint32_t order_key(float f) {
  if (f == 0) f = 0;
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

float from_order_key(uint32_t k) {
  const uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// LSD radix sort by key, 8 bits a pass: O(n), several times faster than std::sort on the
// ~10^7 pixels of an anomaly map.
void radix_sort(std::vector<Scored>& a) {
  if (a.empty()) return;
  std::vector<Scored> tmp(a.size());
  std::vector<size_t> count(4 * 256, 0);
  for (const Scored& x : a)
    for (int b = 0; b < 4; ++b) ++count[b * 256 + ((x.key >> (8 * b)) & 255)];
  for (int b = 0; b < 4; ++b) {
    size_t* c = count.data() + b * 256;
    if (c[(a[0].key >> (8 * b)) & 255] == a.size()) continue;  // one value of this byte: nothing to do
    size_t offset = 0;
    for (int v = 0; v < 256; ++v) {
      const size_t n = c[v];
      c[v] = offset;
      offset += n;
    }
    for (const Scored& x : a) tmp[c[(x.key >> (8 * b)) & 255]++] = x;
    a.swap(tmp);
  }
}

// Scores with labels sorted ascending, and the number of positives; checks sizes and NaNs.
std::vector<Scored> sorted_scores(const std::vector<float>& score, const std::vector<uint8_t>& label, const char* what,
                                  size_t* positives) {
  if (score.size() != label.size())
    throw InvalidInput(std::string(what) + ": " + std::to_string(score.size()) + " scores but " +
                       std::to_string(label.size()) + " labels");
  std::vector<Scored> s(score.size());
  size_t p = 0;
  for (size_t i = 0; i < score.size(); ++i) {
    if (std::isnan(score[i])) throw InvalidInput(std::string(what) + ": score " + std::to_string(i) + " is NaN");
    s[i] = {order_key(score[i]), static_cast<uint8_t>(label[i] != 0)};
    p += s[i].positive;
  }
  *positives = p;
  radix_sort(s);
  return s;
}

// Thresholds from the highest score down, a tie group entering at once: `f(key, p, tp, called)`
// per group, with the group's key and positives, and the positives and scores at or above it.
template <class F>
void descending_thresholds(const std::vector<Scored>& s, F f) {
  size_t tp = 0, called = 0;
  for (size_t j = s.size(); j > 0;) {
    size_t i = j, p = 0;
    while (i > 0 && s[i - 1].key == s[j - 1].key) p += s[--i].positive;
    tp += p;
    called += j - i;
    f(s[j - 1].key, p, tp, called);
    j = i;
  }
}

}  // namespace

double roc_auc(const std::vector<float>& score, const std::vector<uint8_t>& label) {
  size_t npos = 0;
  const std::vector<Scored> s = sorted_scores(score, label, "roc_auc", &npos);
  const size_t nneg = s.size() - npos;
  if (npos == 0 || nneg == 0) return std::numeric_limits<double>::quiet_NaN();
  // Each positive counts the negatives below it, plus half of those tied with it.
  double sum = 0, below = 0;
  for (size_t i = 0; i < s.size();) {
    size_t j = i, p = 0;
    while (j < s.size() && s[j].key == s[i].key) p += s[j++].positive;
    const double neg = static_cast<double>(j - i - p);
    sum += static_cast<double>(p) * (below + 0.5 * neg);
    below += neg;
    i = j;
  }
  return sum / (static_cast<double>(npos) * static_cast<double>(nneg));
}

double average_precision(const std::vector<float>& score, const std::vector<uint8_t>& label) {
  size_t npos = 0;
  const std::vector<Scored> s = sorted_scores(score, label, "average_precision", &npos);
  if (npos == 0 || npos == s.size()) return std::numeric_limits<double>::quiet_NaN();
  // Thresholds from the highest score down; a tie group enters at once (as sklearn's
  // average_precision_score): AP = sum over groups of (recall gained) x (precision after it).
  double ap = 0;
  descending_thresholds(s, [&](uint32_t, size_t p, size_t tp, size_t seen) {
    if (p) ap += static_cast<double>(p) * static_cast<double>(tp) / static_cast<double>(seen);
  });
  return ap / static_cast<double>(npos);
}

BestDice best_dice(const std::vector<float>& score, const std::vector<uint8_t>& label) {
  size_t npos = 0;
  const std::vector<Scored> s = sorted_scores(score, label, "best_dice", &npos);
  BestDice best;
  if (npos == 0) return best;
  // Thresholds from the highest score down, a tie group at once: pixels with a score >= t are
  // called positive; Dice = 2 TP / (called + positives).
  descending_thresholds(s, [&](uint32_t key, size_t, size_t tp, size_t called) {
    const double dice = 2.0 * static_cast<double>(tp) / static_cast<double>(called + npos);
    if (dice > best.dice) best = {dice, from_order_key(key)};
  });
  return best;
}

NoiseKind noise_kind_from_name(const std::string& s) {
  if (s == "gaussian") return NoiseKind::Gaussian;
  if (s == "rician") return NoiseKind::Rician;
  if (s == "poisson") return NoiseKind::Poisson;
  throw InvalidInput("unknown noise '" + s + "' (gaussian, rician or poisson)");
}

std::string noise_kind_name(NoiseKind k) {
  switch (k) {
    case NoiseKind::Gaussian: return "gaussian";
    case NoiseKind::Rician: return "rician";
    case NoiseKind::Poisson: return "poisson";
  }
  return "gaussian";
}

void add_noise(float* img, size_t n, NoiseKind kind, double level, Rng& rng) {
  if (kind == NoiseKind::Poisson) {
    if (!(level > 0) || !std::isfinite(level)) throw InvalidInput("poisson noise: peak must be positive");
    for (size_t i = 0; i < n; ++i) {
      const double lambda = std::max(0.0, level * static_cast<double>(img[i]));
      double count;
      if (lambda > 30) {
        count = lambda + std::sqrt(lambda) * rng.normal();
      } else {  // Knuth: multiply uniforms until the product drops below exp(-lambda)
        const double limit = std::exp(-lambda);
        double prod = rng.uniform();
        count = 0;
        while (prod > limit) prod *= rng.uniform(), count += 1;
      }
      img[i] = static_cast<float>(count / level);
    }
    return;
  }
  if (!(level >= 0) || !std::isfinite(level)) throw InvalidInput(noise_kind_name(kind) + " noise: sigma must be >= 0");
  if (kind == NoiseKind::Gaussian) {
    for (size_t i = 0; i < n; ++i) img[i] = static_cast<float>(img[i] + level * rng.normal());
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    const double re = img[i] + level * rng.normal(), im = level * rng.normal();
    img[i] = static_cast<float>(std::sqrt(re * re + im * im));
  }
}

}  // namespace medgen::imaging
