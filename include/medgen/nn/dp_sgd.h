// DP-SGD (Abadi et al. 2016, "Deep Learning with Differential Privacy") for networks of Linear
// layers and elementwise activations: Poisson-sampled batches, per-example gradients clipped to
// an L2 norm C, Gaussian noise of standard deviation sigma * C added to their sum.
//
// Per-example gradient norms without a batch of one. A Linear layer's weight W can be used
// several times per example: forward, y = x W^T + b (a critic scoring a real and a fake row),
// and backward, o = g W (the product that carries a gradient g to the layer's input: a gradient
// penalty differentiates through it). Each use u gives example i a weight gradient that is an
// outer product a_ui b_ui^T: forward a = dL/dy, b = x; backward a = g, b = dL/do. So
//   ||g_i||^2 = sum over weights of sum_{u,v} (a_ui . a_vi)(b_ui . b_vi)
//             + sum over biases of |sum over forward uses u of a_ui|^2,
// plus, for a parameter used per example (PerExampleGrads::per_example), the squared norm of
// its row of the gradient. One backward pass to the recorded outputs gives every a and b; the
// clipped sum is then built directly, W.grad = sum_u (c * a_u)^T b_u with c_i = min(1, C / ||g_i||).
// Exact when no layer mixes the examples of a batch (no BatchNorm), row i of every recorded
// tensor belongs to example i, and the weights enter the loss only through recorded uses;
// tests/nn/dp_sgd_test.cpp checks it against batches of one, the penalty's double backward included.
//
// Randomness comes from LibTorch's default generator (seeded by nn::init_torch). Not
// thread-safe: one PerExampleGrads per forward pass.
#pragma once

#include <torch/torch.h>

#include <utility>
#include <vector>

namespace medgen::nn {

class PerExampleGrads {
 public:
  // rows: the examples in the batch, the first dimension of every recorded tensor.
  explicit PerExampleGrads(int64_t rows) : rows_(rows) {}

  // y = x W^T + b through `layer` (x: rows x in), recorded.
  torch::Tensor linear(torch::nn::LinearImpl& layer, const torch::Tensor& x);
  // g W (g: rows x out): the gradient g at the layer's output carried to its input, recorded.
  torch::Tensor linear_backward(torch::nn::LinearImpl& layer, const torch::Tensor& g);
  // A Sequential of Linear layers and per-example layers (ReLU, LeakyReLU, Tanh, Sigmoid,
  // Dropout, Identity), its Linear layers recorded. InvalidInput naming any other layer
  // (BatchNorm mixes the examples of a batch: its per-example gradients are not separable).
  torch::Tensor sequential(torch::nn::Sequential& seq, const torch::Tensor& x);
  // A critic with one output per row (a Sequential as above ending in a Linear layer of width
  // 1) and the gradient of its output with respect to its input, both recorded, for a gradient
  // penalty: returns {y (rows x 1), dy/dx (rows x in)}. dy/dx keeps its graph (the penalty's
  // gradient reaches the weights through it). Dropout draws one mask, used both ways.
  std::pair<torch::Tensor, torch::Tensor> critic_with_input_gradient(torch::nn::Sequential& seq, const torch::Tensor& x);
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
  // One use of a weight: forward (in = x, out = y) or backward (in = g, out = g W).
  struct LinearUse {
    torch::Tensor in, out, weight, bias;
    bool backward = false;
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
