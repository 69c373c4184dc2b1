// Adam whose step counts live on the parameters' device, so that a training step with its
// optimizer update can be captured in a CUDA graph (torch::optim::Adam keeps the step count on
// the host and bakes its bias corrections into a capture as constants). Includes torch.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace medgen::nn {

// Takes over the moment buffers of a torch::optim::Adam that has stepped at least once (every
// parameter with a gradient has state), updating them in place with the same mathematics:
// g += weight_decay * p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). On CUDA the update is one
// multi-tensor kernel (at::_fused_adam_); elsewhere plain tensor operations with the same
// result. The torch optimizer stays the owner of the state for checkpoints: sync_back() copies
// the step counts into it before it is saved. One parameter group; no amsgrad.
class DeviceAdam {
 public:
  explicit DeviceAdam(torch::optim::Adam& opt);
  // After backward: every parameter must have a gradient.
  void step();
  // Writes the device step counts into the torch optimizer's state (a host synchronisation).
  void sync_back();

 private:
  torch::optim::Adam* opt_;
  std::vector<torch::Tensor> params_, exp_avg_, exp_avg_sq_, steps_;
  double lr_, beta1_, beta2_, eps_, weight_decay_;
  bool fused_ = false;
};

}  // namespace medgen::nn
