#include "medgen/nn/device.h"

#include <torch/torch.h>

#include "medgen/core/error.h"

namespace medgen::nn {

bool cuda_available() { return torch::cuda::is_available(); }

void check_device(const Context& ctx) {
  if (ctx.device == Device::kCuda && !cuda_available()) {
    throw InvalidInput("--device cuda: this LibTorch has no CUDA support or no GPU is visible; use --device cpu");
  }
}

void init_torch(const Context& ctx) {
  check_device(ctx);
  torch::manual_seed(ctx.seed);
  if (ctx.device == Device::kCuda) torch::cuda::manual_seed_all(ctx.seed);
  torch::set_num_threads(ctx.threads);
}

Device parse_device(const std::string& s) {
  if (s == "cpu") return Device::kCpu;
  if (s == "cuda") return Device::kCuda;
  throw InvalidInput("--device: expected 'cpu' or 'cuda', got '" + s + "'");
}

std::string torch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

}  // namespace medgen::nn
