// Small dense linear algebra on row-major double matrices (d up to a few hundred), kept in
// core so that models which need only this do not pull LibTorch into the process.
#pragma once

#include <cstddef>
#include <vector>

namespace medgen {

// Eigen-decomposition of a symmetric d x d matrix by cyclic Jacobi rotations.
// values: d eigenvalues (ascending); vectors: row-major d x d, column j is the eigenvector of
// values[j]. Deterministic and accurate to ~1e-12 relative.
void symmetric_eigen(const std::vector<double>& a, size_t d, std::vector<double>* values,
                     std::vector<double>* vectors);

// Lower-triangular L with L L^T = a for a symmetric positive-definite a; pivots below
// `floor` are raised to it (a numerically semi-definite matrix still factors).
std::vector<double> cholesky(const std::vector<double>& a, size_t d, double floor = 1e-12);

// The nearest correlation matrix in the sense used by the copula: eigenvalues clipped to at
// least min_eigenvalue, then rescaled to a unit diagonal.
std::vector<double> nearest_correlation(const std::vector<double>& c, size_t d, double min_eigenvalue = 1e-6);

}  // namespace medgen
