// Precompiled header for targets that use LibTorch.
#pragma once
#include <torch/torch.h>
