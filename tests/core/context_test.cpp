#include "medgen/core/context.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "medgen/core/plugin.h"

using namespace medgen;

namespace {

// The thread count of the OpenBLAS this process has loaded (core links LAPACK), or -1.
int openblas_threads() {
  void* h = ::dlopen("libblas.so.3", RTLD_NOW | RTLD_NOLOAD);
  if (!h) return -1;
  using GetThreads = int (*)();
  const auto get = reinterpret_cast<GetThreads>(::dlsym(h, "openblas_get_num_threads"));
  const int n = get ? get() : -1;
  ::dlclose(h);
  return n;
}

}  // namespace

TEST(Context, ThreadsReachAnOpenBlasLoadedBefore) {
  // scripts/setup.sh selects OpenBLAS for libblas.so.3: it is loaded, and read its count at start.
  ASSERT_GT(openblas_threads(), 0);
  Context ctx;
  ctx.threads = 2;
  apply_threads(ctx);
  EXPECT_EQ(openblas_threads(), 2);
  ctx.threads = 1;
  apply_threads(ctx);
  EXPECT_EQ(openblas_threads(), 1);
}

// The kernels reported are the loaded OpenBLAS's: the ones OPENBLAS_CORETYPE names when ctest's
// environment sets it (any OpenBLAS kernel set runs on the CPUs we support).
TEST(Blas, KernelsAreTheLoadedOnes) {
  const std::string core = medgen::blas_core();
  EXPECT_FALSE(core.empty());  // scripts/setup.sh selects OpenBLAS
  if (const char* asked = std::getenv("OPENBLAS_CORETYPE")) EXPECT_EQ(core, asked);
}
