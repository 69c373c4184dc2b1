// The image networks (internal to libmedgen_imaging_nn.so). Architectures: docs/imaging.md.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace medgen::imaging::nnlib {

// Number of stride-2 halvings from `size` down to 4 x 4 (64 -> 4, 128 -> 5).
int64_t halvings(int64_t size);

// Convolutional VAE: k4/s2 convolutions (BatchNorm, LeakyReLU 0.2) from size x size down to
// 4 x 4, linear heads for the mean and log-variance of a diagonal Gaussian posterior; the
// decoder mirrors it with transposed convolutions and ends in a sigmoid (pixel means in [0, 1]).
struct ConvVaeImpl : torch::nn::Module {
  ConvVaeImpl(int64_t size, int64_t channels, int64_t latent);
  std::pair<torch::Tensor, torch::Tensor> encode(const torch::Tensor& x);  // mean, log-variance
  torch::Tensor decode(const torch::Tensor& z);
  int64_t top_channels = 0, latent = 0;
  torch::nn::Sequential enc{nullptr}, dec{nullptr};
  torch::nn::Linear mu{nullptr}, logvar{nullptr}, from_z{nullptr};
};
TORCH_MODULE(ConvVae);

// DCGAN generator: linear to top_channels x 4 x 4, k4/s2 transposed convolutions with
// BatchNorm and ReLU, a sigmoid output (DCGAN's tanh rescaled to [0, 1]).
struct GeneratorImpl : torch::nn::Module {
  GeneratorImpl(int64_t size, int64_t channels, int64_t latent);
  torch::Tensor forward(const torch::Tensor& z);
  int64_t top_channels = 0;
  torch::nn::Linear from_z{nullptr};
  torch::nn::Sequential net{nullptr};
};
TORCH_MODULE(Generator);

// DCGAN discriminator / WGAN critic: k4/s2 convolutions with LeakyReLU 0.2, BatchNorm after
// the first for minimax (none for WGAN-GP, whose penalty is per sample), a linear score.
struct CriticImpl : torch::nn::Module {
  CriticImpl(int64_t size, int64_t channels, bool batchnorm);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Sequential net{nullptr};
  torch::nn::Linear out{nullptr};
};
TORCH_MODULE(Critic);

// Residual CNN for enhancement (DnCNN-like, without BatchNorm): depth 3x3 convolutions of
// `width` channels with ReLU between; returns x + f(x), f's last layer starting at zero so
// training starts from the identity (the noisy input, or the bicubic upsampling).
struct ResidualCnnImpl : torch::nn::Module {
  // dilated: the inner convolutions' dilations cycle 1, 2, 4, 8, 4, 2 (receptive field ~4x
  // wider at the same cost), for the dae, which must see past a lesion to heal it.
  // out_scale: the size of the corrections, about the noise's standard deviation; f predicts
  // them in units of it, so that a faint noise (low-dose CT: ~0.01 of the window) is as easy to
  // learn as a strong one (without it, training on faint noise stalled at the identity).
  ResidualCnnImpl(int64_t depth, int64_t width, bool dilated = false, double out_scale = 1.0);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Sequential net{nullptr};
  double out_scale = 1.0;
};
TORCH_MODULE(ResidualCnn);

// Feature network for the Fréchet distance: four k4/s2 convolutions (32, 64, 128, 128
// channels, BatchNorm, LeakyReLU), global average pooling to 128 features, a linear classifier
// of slice position.
struct FeatureNetImpl : torch::nn::Module {
  FeatureNetImpl(int64_t classes);
  torch::Tensor features(const torch::Tensor& x);
  torch::Tensor forward(const torch::Tensor& x) { return head(features(x)); }
  torch::nn::Sequential net{nullptr};
  torch::nn::Linear head{nullptr};
  static constexpr int64_t kDim = 128;
};
TORCH_MODULE(FeatureNet);

}  // namespace medgen::imaging::nnlib
