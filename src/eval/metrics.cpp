#include "medgen/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace medgen::eval {

double ks_statistic(std::vector<double> a, std::vector<double> b) {
  if (a.empty() && b.empty()) return 0.0;
  if (a.empty() || b.empty()) return 1.0;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  size_t i = 0, j = 0;
  double d = 0.0;
  // Step both empirical CDFs past each distinct value before comparing, so that ties
  // (discrete columns) are compared at the value, not half-way through it.
  while (i < a.size() || j < b.size()) {
    const double x = (j >= b.size() || (i < a.size() && a[i] <= b[j])) ? a[i] : b[j];
    while (i < a.size() && a[i] <= x) ++i;
    while (j < b.size() && b[j] <= x) ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
  }
  return d;
}

double total_variation(const std::vector<double>& a_counts, const std::vector<double>& b_counts) {
  const size_t n = std::max(a_counts.size(), b_counts.size());
  double ta = 0, tb = 0;
  for (double v : a_counts) ta += v;
  for (double v : b_counts) tb += v;
  if (ta <= 0 && tb <= 0) return 0.0;
  if (ta <= 0 || tb <= 0) return 1.0;
  double s = 0;
  for (size_t i = 0; i < n; ++i) {
    const double p = i < a_counts.size() ? a_counts[i] / ta : 0.0;
    const double q = i < b_counts.size() ? b_counts[i] / tb : 0.0;
    s += std::fabs(p - q);
  }
  return 0.5 * s;
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = std::min(x.size(), y.size());
  if (n < 2) return 0.0;
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxx = 0, syy = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    const double dx = x[i] - mx, dy = y[i] - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (sxx <= 0 || syy <= 0) return 0.0;
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

double auc_standard_error(double auc, size_t n_pos, size_t n_neg) {
  if (n_pos == 0 || n_neg == 0) return 0.5;
  const double a = auc, q1 = a / (2 - a), q2 = 2 * a * a / (1 + a);
  const double np = static_cast<double>(n_pos), nn = static_cast<double>(n_neg);
  const double v = (a * (1 - a) + (np - 1) * (q1 - a * a) + (nn - 1) * (q2 - a * a)) / (np * nn);
  return std::sqrt(std::max(v, 0.0));
}

namespace {

constexpr size_t kBlock = 2048;  // reference rows per block: block x columns floats stay in L2

// dist[b] = Σ_c min(|q_c − ref_c[b]|, 1) for the rows of one block. The loop runs over rows
// (not columns) so that it vectorises without reassociating a float sum; target_clones adds
// an AVX2 version picked at load time on CPUs that have it (8 rows per instruction).
__attribute__((target_clones("avx2", "default"))) void block_distances(const float* q, const float* ref, size_t stride,
                                                                       size_t cols, size_t n, float* dist) {
  for (size_t b = 0; b < n; ++b) dist[b] = 0.f;
  for (size_t c = 0; c < cols; ++c) {
    const float qc = q[c];
    const float* col = ref + c * stride;
    for (size_t b = 0; b < n; ++b) {
      const float d = std::fabs(qc - col[b]);
      dist[b] += d < 1.f ? d : 1.f;
    }
  }
}

}  // namespace

std::vector<float> nearest_distances(const DistanceMatrix& queries, const DistanceMatrix& refs, size_t k,
                                     std::vector<size_t>* nearest) {
  const size_t nq = queries.rows, cols = refs.cols;
  std::vector<float> best(nq * k, std::numeric_limits<float>::infinity());
  if (nearest) nearest->assign(nq, 0);
  if (k == 0 || cols == 0) return best;
  // Each query's row, gathered once (the matrix is column-major).
  std::vector<float> qrows(nq * cols);
  for (size_t q = 0; q < nq; ++q)
    for (size_t c = 0; c < cols; ++c) qrows[q * cols + c] = queries.at(q, c);
  std::vector<float> dist(kBlock);
  for (size_t start = 0; start < refs.rows; start += kBlock) {
    const size_t n = std::min(kBlock, refs.rows - start);
    for (size_t q = 0; q < nq; ++q) {
      block_distances(&qrows[q * cols], refs.data.data() + start, refs.rows, cols, n, dist.data());
      float* top = &best[q * k];
      for (size_t b = 0; b < n; ++b) {
        float d = dist[b];
        if (d >= top[k - 1]) continue;
        if (nearest && d < top[0]) (*nearest)[q] = start + b;
        size_t i = k - 1;
        while (i > 0 && top[i - 1] > d) {
          top[i] = top[i - 1];
          --i;
        }
        top[i] = d;
      }
    }
  }
  const float inv = 1.f / static_cast<float>(cols);
  for (float& d : best)
    if (std::isfinite(d)) d *= inv;
  return best;
}

}  // namespace medgen::eval
