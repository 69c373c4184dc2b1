// core/linalg on LAPACK: the decomposition reconstructs the matrix, the eigenvectors are
// orthonormal, and the positive-definite repair gives a valid correlation matrix.
#include "medgen/core/linalg.h"

#include <gtest/gtest.h>

#include <cmath>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"

using namespace medgen;

TEST(Linalg, EigenReconstructsTheMatrix) {
  Rng rng(11);
  for (size_t d : {1u, 2u, 3u, 17u, 120u}) {
    SCOPED_TRACE(d);
    std::vector<double> a(d * d);
    for (size_t i = 0; i < d; ++i)
      for (size_t j = 0; j <= i; ++j) a[i * d + j] = a[j * d + i] = rng.normal();
    std::vector<double> w, v;
    symmetric_eigen(a, d, &w, &v);
    ASSERT_EQ(w.size(), d);
    for (size_t k = 1; k < d; ++k) EXPECT_LE(w[k - 1], w[k]);
    for (size_t i = 0; i < d; ++i)
      for (size_t j = 0; j < d; ++j) {
        double s = 0, o = 0;
        for (size_t k = 0; k < d; ++k) {
          s += v[i * d + k] * w[k] * v[j * d + k];  // V diag(w) V^T
          o += v[k * d + i] * v[k * d + j];          // V^T V
        }
        EXPECT_NEAR(s, a[i * d + j], 1e-9);
        EXPECT_NEAR(o, i == j ? 1.0 : 0.0, 1e-9);
      }
    EXPECT_DOUBLE_EQ(min_eigenvalue(a, d), w[0]);
  }
}

TEST(Linalg, NearestCorrelationRepairsAnIndefiniteMatrix) {
  // Pairwise estimates that contradict each other: eigenvalues of about -0.8, 1.9, 1.9.
  const std::vector<double> c = {1, 0.9, -0.9, 0.9, 1, 0.9, -0.9, 0.9, 1};
  EXPECT_LT(min_eigenvalue(c, 3), -0.5);
  const auto r = nearest_correlation(c, 3);
  EXPECT_GT(min_eigenvalue(r, 3), 0.0);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(r[i * 3 + i], 1.0);
    for (size_t j = 0; j < 3; ++j) {
      EXPECT_DOUBLE_EQ(r[i * 3 + j], r[j * 3 + i]);
      EXPECT_LE(std::fabs(r[i * 3 + j]), 1.0);
    }
  }
  // The signs of the pairwise estimates survive the repair.
  EXPECT_GT(r[1], 0);
  EXPECT_LT(r[2], 0);
  // A valid correlation matrix is left as it is.
  const std::vector<double> ok = {1, 0.3, 0.3, 1};
  const auto same = nearest_correlation(ok, 2);
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(same[i], ok[i], 1e-12);
  // Cholesky of the repaired matrix reproduces it.
  const auto l = cholesky(r, 3);
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < 3; ++j) {
      double s = 0;
      for (size_t k = 0; k < 3; ++k) s += l[i * 3 + k] * l[j * 3 + k];
      EXPECT_NEAR(s, r[i * 3 + j], 1e-9);
    }
}

TEST(Linalg, NonFiniteInputIsInvalidInputNotAHang) {
  std::vector<double> a = {1, NAN, NAN, 1};
  std::vector<double> w, v;
  EXPECT_THROW(symmetric_eigen(a, 2, &w, &v), InvalidInput);
}
