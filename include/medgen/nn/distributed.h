// Data-parallel training on LibTorch's c10d: a Gloo process group over TCP (rank 0 runs the
// TCPStore the others connect to), for gradients all-reduced between processes. Built in when
// the Gloo headers were found at configure time (Debian: libgloo-dev); otherwise creating a
// group throws InvalidInput saying so. One group per fit; not thread-safe.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "medgen/core/distributed.h"

namespace medgen::nn {

class ProcessGroup {
 public:
  // Meets the other processes of `config` (blocks until all have joined or the timeout passes:
  // InvalidInput naming the rendezvous).
  explicit ProcessGroup(const DistributedConfig& config);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Sums the tensors over the processes, in place (one flattened buffer: one message per call).
  // Every process must pass tensors of the same shapes, in the same order.
  void all_reduce_sum(const std::vector<torch::Tensor>& tensors);
  // Rank `root`'s bytes to every process (through the store).
  std::string broadcast_bytes(const std::string& bytes, int root = 0);
  // Rank `root`'s values of the tensors, copied into every process's.
  void broadcast(const std::vector<torch::Tensor>& tensors, int root = 0);
  void barrier();

  // True when this build has the Gloo backend.
  static bool available();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int rank_ = 0, size_ = 1;
  int64_t broadcasts_ = 0;
};

}  // namespace medgen::nn
