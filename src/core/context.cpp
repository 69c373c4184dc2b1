#include "medgen/core/context.h"

#include <dlfcn.h>

#include <cstdlib>
#include <string>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "medgen/core/error.h"

namespace medgen {

void Context::validate() const {
  if (threads < 1 || threads > 256) {
    throw InvalidInput("--threads must be between 1 and 256, got " + std::to_string(threads));
  }
}

void apply_threads(const Context& ctx) {
  ctx.validate();
  // With OpenMP's default active wait policy, two threads on a two-core machine ran a small
  // training loop 20x slower; passive waiting must be set before the first parallel region.
  if (ctx.threads > 1) setenv("OMP_WAIT_POLICY", "passive", 0);
  const std::string n = std::to_string(ctx.threads);
  setenv("OMP_NUM_THREADS", n.c_str(), 1);
  setenv("OPENBLAS_NUM_THREADS", n.c_str(), 1);
#ifdef _OPENMP
  omp_set_num_threads(ctx.threads);
#endif
  // An OpenBLAS loaded before these variables were set (NumPy's, in a Python process) read its
  // thread count already: two OpenMP threads spinning on a loaded two-core machine made a small
  // CTGAN fit twice as slow as the CLI's. Set it directly, without loading anything.
  for (const char* lib : {"libopenblas.so.0", "libblas.so.3"}) {
    void* h = ::dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
    if (!h) continue;
    using SetThreads = void (*)(int);
    const auto set = reinterpret_cast<SetThreads>(::dlsym(h, "openblas_set_num_threads"));
    if (set) set(ctx.threads);
    ::dlclose(h);
    if (set) break;
  }
}

}  // namespace medgen
