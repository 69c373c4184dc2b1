#include "medgen/core/linalg.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <string>

#include "medgen/core/error.h"

#ifdef _OPENMP
#include <omp.h>
#endif

// LAPACK and BLAS through their Fortran symbols (the reference interface that every packaged
// implementation exports; OpenBLAS's is the one scripts/setup.sh selects). The trailing size_t
// arguments are the hidden lengths of the character arguments (gfortran's convention).
extern "C" {
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w, double* work,
             const int* lwork, int* iwork, const int* liwork, int* info, size_t jobz_len, size_t uplo_len);
void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha, const double* a,
            const int* lda, const double* beta, double* c, const int* ldc, size_t uplo_len, size_t trans_len);
}

namespace medgen {

namespace {

// LAPACK/BLAS on one thread: OpenBLAS's OpenMP build otherwise starts a team per call, whose
// spinning threads cost seconds on a loaded machine for matrices that take milliseconds, and
// whose reduction order would make results depend on the thread count. The setting is the
// calling thread's own and is restored afterwards.
class OneThread {
 public:
#ifdef _OPENMP
  OneThread() : previous_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~OneThread() { omp_set_num_threads(previous_); }

 private:
  int previous_;
#endif
};

int lapack_dim(size_t d) {
  if (d > static_cast<size_t>(INT_MAX / 2) || d * d / d != d) throw InvalidInput("matrix of dimension " + std::to_string(d) + " is too large");
  return static_cast<int>(d);
}

}  // namespace

void symmetric_eigen(const std::vector<double>& a_in, size_t d, std::vector<double>* values,
                     std::vector<double>* vectors) {
  MEDGEN_ASSERT(a_in.size() == d * d);
  values->assign(d, 0.0);
  vectors->assign(d * d, 0.0);
  if (d == 0) return;
  const int n = lapack_dim(d);
  for (double x : a_in)
    if (!std::isfinite(x)) throw InvalidInput("eigen-decomposition of a matrix with non-finite entries");
  // Symmetric: the row-major matrix is its own column-major transpose. On exit the array holds
  // the eigenvectors as Fortran columns, i.e. as rows of the row-major array.
  std::vector<double> a = a_in;
  const OneThread one_thread;
  int info = 0, lwork = -1, liwork = -1, iwork_query = 0;
  double work_query = 0;
  dsyevd_("V", "L", &n, a.data(), &n, values->data(), &work_query, &lwork, &iwork_query, &liwork, &info, 1, 1);
  if (info != 0) throw Error("LAPACK dsyevd workspace query failed (info " + std::to_string(info) + ")");
  lwork = static_cast<int>(work_query) + 1;
  liwork = std::max(iwork_query, 1);
  std::vector<double> work(static_cast<size_t>(lwork));
  std::vector<int> iwork(static_cast<size_t>(liwork));
  dsyevd_("V", "L", &n, a.data(), &n, values->data(), work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
  if (info < 0) throw Error("LAPACK dsyevd: bad argument " + std::to_string(-info));
  if (info > 0) throw Error("LAPACK dsyevd did not converge (info " + std::to_string(info) + ")");
  // Fortran column j (eigenvector j) is a[j * d + k]; our column j is v[k * d + j].
  std::vector<double>& v = *vectors;
  for (size_t j = 0; j < d; ++j)
    for (size_t k = 0; k < d; ++k) v[k * d + j] = a[j * d + k];
}

std::vector<double> cholesky(const std::vector<double>& a, size_t d, double floor) {
  std::vector<double> l(d * d, 0.0);
  for (size_t i = 0; i < d; ++i) {
    double* li = &l[i * d];
    for (size_t j = 0; j <= i; ++j) {
      const double* lj = &l[j * d];
      double s = a[i * d + j];
      for (size_t k = 0; k < j; ++k) s -= li[k] * lj[k];
      if (i == j)
        li[i] = std::sqrt(std::max(s, floor));
      else
        li[j] = s / lj[j];
    }
  }
  return l;
}

double min_eigenvalue(const std::vector<double>& a, size_t d) {
  if (d == 0) return 0.0;
  std::vector<double> w, v;
  symmetric_eigen(a, d, &w, &v);
  return w.front();
}

std::vector<double> nearest_correlation(const std::vector<double>& c, size_t d, double min_eigenvalue) {
  if (d == 0) return c;
  std::vector<double> w, v;
  symmetric_eigen(c, d, &w, &v);
  for (double& x : w) x = std::max(x, min_eigenvalue);
  // R = V diag(w) V^T = B B^T with B = V diag(sqrt(w)), one BLAS rank-k update. B is stored
  // row-major (d x d), which BLAS reads as B^T: so ask for C = A^T A with A = B^T.
  std::vector<double> b(d * d);
  for (size_t i = 0; i < d; ++i)
    for (size_t k = 0; k < d; ++k) b[i * d + k] = v[i * d + k] * std::sqrt(w[k]);
  std::vector<double> r(d * d, 0.0);
  const int n = lapack_dim(d);
  const double one = 1.0, zero = 0.0;
  const OneThread one_thread;
  dsyrk_("L", "T", &n, &n, &one, b.data(), &n, &zero, r.data(), &n, 1, 1);
  // Column-major lower triangle = row-major upper triangle: mirror it.
  for (size_t i = 0; i < d; ++i)
    for (size_t j = i + 1; j < d; ++j) r[j * d + i] = r[i * d + j];
  std::vector<double> scale(d);
  for (size_t i = 0; i < d; ++i) scale[i] = 1 / std::sqrt(r[i * d + i]);
  for (size_t i = 0; i < d; ++i) {
    r[i * d + i] = 1.0;
    for (size_t j = i + 1; j < d; ++j) r[i * d + j] = r[j * d + i] = r[i * d + j] * (scale[i] * scale[j]);  // exactly symmetric
  }
  return r;
}

}  // namespace medgen
