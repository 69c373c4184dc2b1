// LibTorch glue: turning a Context into a torch device and seeding torch's generators.
// Kept free of torch headers so that callers who only validate options stay light.
#pragma once

#include <string>

#include "medgen/core/context.h"

namespace medgen::nn {

// True when LibTorch was built with CUDA and a GPU is visible.
bool cuda_available();

// Throws InvalidInput when ctx.device is kCuda and no GPU is usable.
void check_device(const Context& ctx);

// Seeds torch's CPU (and CUDA, when present) generators and sets the intra-op thread count.
void init_torch(const Context& ctx);

// "cpu" or "cuda"; InvalidInput on anything else.
Device parse_device(const std::string& s);

// LibTorch version string, e.g. "1.13.1".
std::string torch_version();

}  // namespace medgen::nn
