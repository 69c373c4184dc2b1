// A training step captured once as a CUDA graph and replayed: one launch per step instead of
// hundreds of kernel launches from the host, which bound small networks on a GPU (ctgan at batch
// 500 spent its time in launches and host-side work, not on the GPU). No CUDA headers here: the
// implementation is compiled with them only when LibTorch has CUDA.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>

namespace medgen::nn {

class CudaStepGraph {
 public:
  // Whether this build's LibTorch can capture graphs (built with CUDA).
  static bool supported();
  // Makes a side stream of `device` (a CUDA device) current until destruction, after waiting
  // for the device's pending work: graphs are captured off the default stream, and the warm-up,
  // the replays and every read of their results run on that stream, in order.
  explicit CudaStepGraph(const torch::Device& device);
  ~CudaStepGraph();
  CudaStepGraph(const CudaStepGraph&) = delete;
  CudaStepGraph& operator=(const CudaStepGraph&) = delete;

  // Records `step` (run it eagerly on this stream a few times first, so that lazily created
  // state and workspaces exist). The step must launch device work only, with fixed shapes,
  // allocate its inputs inside (random draws included: the CUDA generator is graph-safe) and
  // never synchronise with the host. Recording does not run the step.
  void capture(const std::function<void()>& step);
  // Runs the recorded step once more (asynchronously, on the stream).
  void replay();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace medgen::nn
