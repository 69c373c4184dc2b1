// Data-parallel training across processes (docs/distributed.md): which process this is and
// where the processes meet. A process-wide setting, like the thread count: set it once, from the
// main thread, before fitting (the CLI does, from --world-size/--rank/--rendezvous or from
// torchrun's WORLD_SIZE, RANK, MASTER_ADDR and MASTER_PORT). The synthesizers that train data-
// parallel (tvae) read it in fit; the others refuse a world size above 1.
#pragma once

#include <string>

namespace medgen {

struct DistributedConfig {
  int world_size = 1;      // processes training one model; 1: alone
  int rank = 0;            // this process, in [0, world_size); rank 0 writes the model
  std::string rendezvous;  // "host:port" where rank 0 listens and the others connect
  int timeout_seconds = 300;

  bool enabled() const { return world_size > 1; }
  // InvalidInput for world_size outside [1, 1024], rank outside [0, world_size), a missing or
  // malformed rendezvous (several processes), or a timeout outside [1, 86400].
  void validate() const;
};

// The process-wide setting (validated), kept in the environment (MEDGEN_DIST_WORLD_SIZE,
// MEDGEN_DIST_RANK, MEDGEN_DIST_RENDEZVOUS, MEDGEN_DIST_TIMEOUT) so that every copy of this
// library in the process (the LibTorch plugins have their own) reads the same; and its current
// value (the default until set; InvalidInput if those variables are malformed). Not thread-safe:
// set it before starting threads.
void set_distributed(const DistributedConfig& config);
const DistributedConfig& distributed();

// The setting torchrun's variables describe (WORLD_SIZE, RANK, MASTER_ADDR, MASTER_PORT), or the
// default when WORLD_SIZE is unset. InvalidInput naming the variable when one is malformed.
DistributedConfig distributed_from_environment();

}  // namespace medgen
