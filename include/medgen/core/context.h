// Execution context passed down explicitly: device, seed, threads, progress reporting.
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

// Applies ctx.threads to OpenMP/BLAS (sets OMP_WAIT_POLICY=passive first when threads > 1).
void apply_threads(const Context& ctx);

}  // namespace medgen
