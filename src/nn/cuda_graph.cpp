// Compiled with MEDGEN_TORCH_CUDA (CMakeLists.txt) only when LibTorch has CUDA; otherwise the
// class reports itself unsupported and its constructor refuses.
#include "medgen/nn/cuda_graph.h"

#include <cstdio>
#include <stdexcept>

#if MEDGEN_TORCH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/cuda.h>
#endif

namespace medgen::nn {

#if MEDGEN_TORCH_CUDA

struct CudaStepGraph::Impl {
  c10::cuda::CUDAStream stream;
  c10::cuda::CUDAStreamGuard guard;
  at::cuda::CUDAGraph graph;
  bool captured = false;
  explicit Impl(c10::cuda::CUDAStream s) : stream(s), guard(s) {}
};

bool CudaStepGraph::supported() { return true; }

CudaStepGraph::CudaStepGraph(const torch::Device& device) {
  if (!device.is_cuda()) throw std::logic_error("CudaStepGraph: not a CUDA device");
  // Work queued on the default stream (the data copied to the device) completes first.
  torch::cuda::synchronize(device.has_index() ? device.index() : -1);
  impl_ = std::make_unique<Impl>(c10::cuda::getStreamFromPool(false, device.has_index() ? device.index() : -1));
}

CudaStepGraph::~CudaStepGraph() {
  if (!impl_) return;
  try {
    impl_->stream.synchronize();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: CUDA stream: %s\n", e.what());
  }
}

void CudaStepGraph::capture(const std::function<void()>& step) {
  if (impl_->captured) throw std::logic_error("CudaStepGraph: captured twice");
  impl_->stream.synchronize();
  impl_->graph.capture_begin();
  try {
    step();
  } catch (...) {
    // End the capture so that the stream is usable again, then report the step's error.
    try {
      impl_->graph.capture_end();
    } catch (...) {
    }
    throw;
  }
  impl_->graph.capture_end();
  impl_->captured = true;
}

void CudaStepGraph::replay() {
  if (!impl_->captured) throw std::logic_error("CudaStepGraph: replay before capture");
  impl_->graph.replay();
}

#else

struct CudaStepGraph::Impl {};

bool CudaStepGraph::supported() { return false; }

CudaStepGraph::CudaStepGraph(const torch::Device&) {
  throw std::logic_error("CudaStepGraph: this build's LibTorch has no CUDA");
}

CudaStepGraph::~CudaStepGraph() = default;

void CudaStepGraph::capture(const std::function<void()>&) { throw std::logic_error("CudaStepGraph: no CUDA"); }

void CudaStepGraph::replay() { throw std::logic_error("CudaStepGraph: no CUDA"); }

#endif

}  // namespace medgen::nn
