#include "medgen/nn/gan.h"

#include "medgen/core/error.h"

namespace medgen::nn {

torch::Tensor gradient_penalty(const std::function<torch::Tensor(const torch::Tensor&)>& critic,
                               const torch::Tensor& real, const torch::Tensor& fake, const torch::Tensor& alpha,
                               int64_t pac, double lambda) {
  MEDGEN_ASSERT(real.sizes() == fake.sizes() && real.dim() == 2 && pac > 0 && real.size(0) % pac == 0);
  const int64_t rows = real.size(0), d = real.size(1), packs = rows / pac;
  MEDGEN_ASSERT(alpha.numel() == packs);
  const auto a = alpha.reshape({packs, 1, 1}).expand({packs, pac, d}).reshape({rows, d});
  const auto x = (a * real + (1 - a) * fake).detach().requires_grad_(true);
  const auto y = critic(x);
  const auto grad = torch::autograd::grad({y}, {x}, {torch::ones_like(y)}, /*retain_graph=*/true,
                                          /*create_graph=*/true)[0];
  return (grad.reshape({packs, pac * d}).norm(2, 1) - 1).pow(2).mean() * lambda;
}

}  // namespace medgen::nn
