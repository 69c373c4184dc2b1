// Loss pieces shared by the GANs (tabular ctgan and the image GAN). Includes torch.
#pragma once

#include <torch/torch.h>

#include <functional>

namespace medgen::nn {

// WGAN-GP gradient penalty (Gulrajani et al. 2017) for a PacGAN critic that scores packs of
// `pac` consecutive rows: interpolates x = a * real + (1 - a) * fake with one mixing weight a
// per pack (alpha: (rows / pac) values in [0, 1]), and returns
//   lambda * mean over packs of (|| d critic(x) / d x_pack ||_2 - 1)^2,
// where x_pack is the pack's rows concatenated. The graph is kept (create_graph), so the
// penalty's gradient reaches the critic's weights through the input gradient.
torch::Tensor gradient_penalty(const std::function<torch::Tensor(const torch::Tensor&)>& critic,
                               const torch::Tensor& real, const torch::Tensor& fake, const torch::Tensor& alpha,
                               int64_t pac, double lambda);

}  // namespace medgen::nn
