// DP-SGD (Abadi et al. 2016, "Deep Learning with Differential Privacy") for networks of Linear
// layers and elementwise activations: Poisson-sampled batches, per-example gradients clipped to
// an L2 norm C, Gaussian noise of standard deviation sigma * C added to their sum.
//
// Per-example gradient norms without a batch of one: for y = x W^T + b applied once per example,
// example i's weight gradient is the outer product delta_i x_i^T (delta = dL/dy), so
//   ||g_i||^2 = sum over layers of |delta_i|^2 (|x_i|^2 + 1)   (the 1: the bias),
// plus, for a parameter used per example (PerExampleGrads::per_example), the squared norm of
// its row of the gradient. One backward pass to the recorded layer outputs gives every delta;
// the clipped sum is then built directly, W.grad = (c * delta)^T X and b.grad = sum c_i delta_i
// with c_i = min(1, C / ||g_i||). Exact when no layer mixes the examples of a batch (no
// BatchNorm) and each recorded layer runs once per example; tests/nn/dp_sgd_test.cpp checks it
// against batches of one.
//
// Randomness comes from LibTorch's default generator (seeded by nn::init_torch). Not
// thread-safe: one PerExampleGrads per forward pass.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace medgen::nn {

class PerExampleGrads {
 public:
  // rows: the examples in the batch, the first dimension of every recorded tensor.
  explicit PerExampleGrads(int64_t rows) : rows_(rows) {}

  // y = x W^T + b through `layer` (x: rows x in), recorded.
  torch::Tensor linear(torch::nn::LinearImpl& layer, const torch::Tensor& x);
  // A Sequential of Linear layers and per-example layers (ReLU, LeakyReLU, Tanh, Sigmoid,
  // Dropout, Identity), its Linear layers recorded. InvalidInput naming any other layer
  // (BatchNorm mixes the examples of a batch: its per-example gradients are not separable).
  torch::Tensor sequential(torch::nn::Sequential& seq, const torch::Tensor& x);
  // `param` repeated once per example (rows x param's shape), recorded: use the result in place
  // of param in the loss, so each example's gradient with respect to it can be read.
  torch::Tensor per_example(const torch::Tensor& param);

  // losses: each example's loss (rows), computed from the recorded tensors. One backward pass;
  // then every recorded parameter's grad is set to the sum over examples of the example's
  // gradient scaled by min(1, clip / ||g_i||) (clip > 0). Returns ||g_i|| (rows), before
  // clipping. The graph is freed.
  torch::Tensor clip_and_sum(const torch::Tensor& losses, double clip);

  // The recorded parameters (each once), in recording order.
  std::vector<torch::Tensor> parameters() const;

 private:
  struct LinearUse {
    torch::Tensor x, y, weight, bias;
  };
  struct ParamUse {
    torch::Tensor rows, param;
  };
  int64_t rows_;
  std::vector<LinearUse> linears_;
  std::vector<ParamUse> params_;
};

// The rows of a Poisson sample of n rows: each independently with probability q (int64 indices,
// ascending; possibly none).
torch::Tensor poisson_sample(int64_t n, double q);

// The noisy average of DP-SGD: every grad g becomes (g + N(0, (noise_multiplier * clip)^2)) /
// expected_batch. Parameters without a grad get one of noise alone.
void add_noise(const std::vector<torch::Tensor>& params, double noise_multiplier, double clip, double expected_batch);

}  // namespace medgen::nn
