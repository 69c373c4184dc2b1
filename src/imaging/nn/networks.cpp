#include "networks.h"

#include "medgen/core/error.h"

namespace medgen::imaging::nnlib {

namespace tnn = torch::nn;

int64_t halvings(int64_t size) {
  int64_t h = 0;
  while (size > 4) {
    if (size % 2) throw InvalidInput("image size must be 4 times a power of two (64, 128, ...)");
    size /= 2;
    ++h;
  }
  return h;
}

namespace {
int64_t channels_at(int64_t channels, int64_t level) { return std::min<int64_t>(channels << level, channels * 8); }

tnn::Conv2d down(int64_t in, int64_t out) { return tnn::Conv2d(tnn::Conv2dOptions(in, out, 4).stride(2).padding(1)); }
tnn::ConvTranspose2d up(int64_t in, int64_t out) {
  return tnn::ConvTranspose2d(tnn::ConvTranspose2dOptions(in, out, 4).stride(2).padding(1));
}
tnn::LeakyReLU lrelu() { return tnn::LeakyReLU(tnn::LeakyReLUOptions().negative_slope(0.2)); }

// Encoder-style stack: 1 -> channels -> ... halving `n` times.
tnn::Sequential encoder(int64_t n, int64_t channels, bool batchnorm, bool first_bn) {
  tnn::Sequential s;
  int64_t in = 1;
  for (int64_t l = 0; l < n; ++l) {
    const int64_t out = channels_at(channels, l);
    s->push_back(down(in, out));
    if (batchnorm && (l > 0 || first_bn)) s->push_back(tnn::BatchNorm2d(out));
    s->push_back(lrelu());
    in = out;
  }
  return s;
}

// Decoder-style stack: top channels at 4 x 4 -> 1 channel at full size, sigmoid.
// `lead`: BatchNorm and ReLU first (the generator's input has neither).
tnn::Sequential decoder(int64_t n, int64_t channels, bool lead) {
  tnn::Sequential s;
  if (lead) {
    s->push_back(tnn::BatchNorm2d(channels_at(channels, n - 1)));
    s->push_back(tnn::ReLU());
  }
  for (int64_t l = n - 1; l >= 1; --l) {
    s->push_back(up(channels_at(channels, l), channels_at(channels, l - 1)));
    s->push_back(tnn::BatchNorm2d(channels_at(channels, l - 1)));
    s->push_back(tnn::ReLU());
  }
  s->push_back(up(channels, 1));
  s->push_back(tnn::Sigmoid());
  return s;
}
}  // namespace

ConvVaeImpl::ConvVaeImpl(int64_t size, int64_t channels, int64_t latent_dim) : latent(latent_dim) {
  const int64_t n = halvings(size);
  top_channels = channels_at(channels, n - 1);
  enc = register_module("enc", encoder(n, channels, true, false));
  mu = register_module("mu", tnn::Linear(top_channels * 16, latent));
  logvar = register_module("logvar", tnn::Linear(top_channels * 16, latent));
  from_z = register_module("from_z", tnn::Linear(latent, top_channels * 16));
  dec = register_module("dec", decoder(n, channels, false));
}

std::pair<torch::Tensor, torch::Tensor> ConvVaeImpl::encode(const torch::Tensor& x) {
  const torch::Tensor h = enc->forward(x).flatten(1);
  return {mu->forward(h), logvar->forward(h).clamp(-12, 8)};
}

torch::Tensor ConvVaeImpl::decode(const torch::Tensor& z) {
  const torch::Tensor h = torch::relu(from_z->forward(z)).view({-1, top_channels, 4, 4});
  return dec->forward(h);
}

GeneratorImpl::GeneratorImpl(int64_t size, int64_t channels, int64_t latent) {
  const int64_t n = halvings(size);
  top_channels = channels_at(channels, n - 1);
  from_z = register_module("from_z", tnn::Linear(latent, top_channels * 16));
  net = register_module("net", decoder(n, channels, true));
}

torch::Tensor GeneratorImpl::forward(const torch::Tensor& z) {
  return net->forward(from_z->forward(z).view({-1, top_channels, 4, 4}));
}

CriticImpl::CriticImpl(int64_t size, int64_t channels, bool batchnorm) {
  const int64_t n = halvings(size);
  net = register_module("net", encoder(n, channels, batchnorm, false));
  out = register_module("out", tnn::Linear(channels_at(channels, n - 1) * 16, 1));
}

torch::Tensor CriticImpl::forward(const torch::Tensor& x) { return out->forward(net->forward(x).flatten(1)); }

ResidualCnnImpl::ResidualCnnImpl(int64_t depth, int64_t width, bool dilated, double scale) : out_scale(scale) {
  tnn::Sequential s;
  // He initialisation (fan-in, ReLU gain), as in DnCNN: LibTorch's default (a = sqrt(5))
  // shrinks the activations' variance ~6x per layer, so a 10-layer stack starts with a vanished
  // signal and never leaves the identity on faint noise.
  auto conv = [](int64_t in, int64_t out, int64_t d = 1) {
    auto c = tnn::Conv2d(tnn::Conv2dOptions(in, out, 3).padding(d).dilation(d));
    torch::NoGradGuard no_grad;
    torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanIn, torch::kReLU);
    c->bias.zero_();
    return c;
  };
  s->push_back(conv(1, width));
  s->push_back(tnn::ReLU());
  const int64_t cycle[] = {1, 2, 4, 8, 4, 2};
  for (int64_t l = 0; l < depth - 2; ++l) {
    s->push_back(conv(width, width, dilated ? cycle[l % 6] : 1));
    s->push_back(tnn::ReLU());
  }
  auto last = conv(width, 1);
  torch::NoGradGuard no_grad;
  last->weight.zero_();
  last->bias.zero_();
  s->push_back(last);
  net = register_module("net", s);
}

torch::Tensor ResidualCnnImpl::forward(const torch::Tensor& x) { return x + out_scale * net->forward(x); }

FeatureNetImpl::FeatureNetImpl(int64_t classes) {
  tnn::Sequential s;
  const int64_t widths[] = {32, 64, 128, kDim};
  int64_t in = 1;
  for (int64_t w : widths) {
    s->push_back(down(in, w));
    s->push_back(tnn::BatchNorm2d(w));
    s->push_back(lrelu());
    in = w;
  }
  net = register_module("net", s);
  head = register_module("head", tnn::Linear(kDim, classes));
}

torch::Tensor FeatureNetImpl::features(const torch::Tensor& x) { return net->forward(x).mean({2, 3}); }

}  // namespace medgen::imaging::nnlib
