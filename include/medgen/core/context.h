// Execution context passed down explicitly: device, seed, threads, progress reporting.
// Thread safety: Context is a plain value, read-only once built; share it freely. apply_threads
// changes process-wide state (the OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and OMP_WAIT_POLICY
// environment variables, OpenMP's thread count): call it once, from the main thread, before
// any work starts (setenv is not safe while other threads read the environment).
#pragma once

#include <cstdint>

namespace medgen {

class Progress;

enum class Device { kCpu, kCuda };

struct Context {
  Device device = Device::kCpu;  // where tensors live (neural synthesizers only)
  uint64_t seed = 0;             // every random draw derives from this
  int threads = 1;               // worker threads; small models train fastest on 1
  Progress* progress = nullptr;  // optional sink for long operations (not owned)

  // Throws InvalidInput for threads outside [1, 256].
  void validate() const;
};

// Applies ctx.threads to OpenMP/BLAS (sets OMP_WAIT_POLICY=passive first when threads > 1), and
// to an OpenBLAS already loaded (e.g. by NumPy) through openblas_set_num_threads.
void apply_threads(const Context& ctx);

}  // namespace medgen
