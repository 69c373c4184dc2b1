#include "medgen/core/linalg.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace medgen {

void symmetric_eigen(const std::vector<double>& a_in, size_t d, std::vector<double>* values,
                     std::vector<double>* vectors) {
  std::vector<double> a = a_in;
  std::vector<double>& v = *vectors;
  v.assign(d * d, 0.0);
  for (size_t i = 0; i < d; ++i) v[i * d + i] = 1.0;
  double total = 0;
  for (double x : a) total += x * x;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (size_t p = 0; p < d; ++p)
      for (size_t q = p + 1; q < d; ++q) off += a[p * d + q] * a[p * d + q];
    if (off <= 1e-30 * total || off == 0) break;
    for (size_t p = 0; p < d; ++p) {
      for (size_t q = p + 1; q < d; ++q) {
        const double apq = a[p * d + q];
        if (std::fabs(apq) < 1e-300) continue;
        // Rotation angle that zeroes a[p][q] (Golub & Van Loan, sym.schur2).
        const double theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (size_t k = 0; k < d; ++k) {  // columns p, q
          const double akp = a[k * d + p], akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (size_t k = 0; k < d; ++k) {  // rows p, q
          const double apk = a[p * d + k], aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (size_t k = 0; k < d; ++k) {
          const double vkp = v[k * d + p], vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  // Sort ascending, permuting eigenvector columns alike.
  std::vector<size_t> idx(d);
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t x, size_t y) { return a[x * d + x] < a[y * d + y]; });
  values->resize(d);
  std::vector<double> sorted(d * d);
  for (size_t j = 0; j < d; ++j) {
    (*values)[j] = a[idx[j] * d + idx[j]];
    for (size_t k = 0; k < d; ++k) sorted[k * d + j] = v[k * d + idx[j]];
  }
  v.swap(sorted);
}

std::vector<double> cholesky(const std::vector<double>& a, size_t d, double floor) {
  std::vector<double> l(d * d, 0.0);
  for (size_t i = 0; i < d; ++i) {
    for (size_t j = 0; j <= i; ++j) {
      double s = a[i * d + j];
      for (size_t k = 0; k < j; ++k) s -= l[i * d + k] * l[j * d + k];
      if (i == j)
        l[i * d + i] = std::sqrt(std::max(s, floor));
      else
        l[i * d + j] = s / l[j * d + j];
    }
  }
  return l;
}

std::vector<double> nearest_correlation(const std::vector<double>& c, size_t d, double min_eigenvalue) {
  if (d == 0) return c;
  std::vector<double> w, v;
  symmetric_eigen(c, d, &w, &v);
  for (double& x : w) x = std::max(x, min_eigenvalue);
  std::vector<double> r(d * d, 0.0);
  for (size_t i = 0; i < d; ++i)
    for (size_t j = i; j < d; ++j) {
      double s = 0;
      for (size_t k = 0; k < d; ++k) s += v[i * d + k] * w[k] * v[j * d + k];
      r[i * d + j] = r[j * d + i] = s;
    }
  std::vector<double> scale(d);
  for (size_t i = 0; i < d; ++i) scale[i] = 1 / std::sqrt(r[i * d + i]);
  for (size_t i = 0; i < d; ++i)
    for (size_t j = 0; j < d; ++j) r[i * d + j] = i == j ? 1.0 : r[i * d + j] * scale[i] * scale[j];
  return r;
}

}  // namespace medgen
