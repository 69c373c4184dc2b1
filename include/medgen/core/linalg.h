// Dense linear algebra on row-major double matrices, kept in core so that models which need
// only this do not pull LibTorch into the process. The eigen-decomposition is LAPACK's
// (dsyevd: O(d^3) once, d in the thousands takes seconds); thread-safe, no global state.
#pragma once

#include <cstddef>
#include <vector>

namespace medgen {

// Eigen-decomposition of a symmetric d x d matrix (LAPACK dsyevd, divide and conquer).
// values: d eigenvalues (ascending); vectors: row-major d x d, column j is the eigenvector of
// values[j] (its sign is LAPACK's). Accurate to ~1e-12 relative; InvalidInput for
// non-finite entries.
void symmetric_eigen(const std::vector<double>& a, size_t d, std::vector<double>* values,
                     std::vector<double>* vectors);

// Lower-triangular L with L L^T = a for a symmetric positive-definite a; pivots below
// `floor` are raised to it (a numerically semi-definite matrix still factors).
std::vector<double> cholesky(const std::vector<double>& a, size_t d, double floor = 1e-12);

// The smallest eigenvalue of a symmetric matrix (0 for d == 0).
double min_eigenvalue(const std::vector<double>& a, size_t d);

// The nearest correlation matrix in the sense used by the copula: eigenvalues clipped to at
// least min_eigenvalue, then rescaled to a unit diagonal.
std::vector<double> nearest_correlation(const std::vector<double>& c, size_t d, double min_eigenvalue = 1e-6);

}  // namespace medgen
