// The VAE image model (kind vae).
#include "image_model.h"

#include <cmath>

#include "medgen/core/error.h"

namespace medgen::imaging::nnlib {

namespace {

// VAE. Loss per pixel: 0.5 log(MSE) + KL / D. This is the negative ELBO of a Gaussian decoder
// whose shared variance takes its optimal value, sigma^2 = MSE (the "sigma-VAE" of Rybkin,
// Daniilidis & Levine 2021), up to constants: reconstruction and KL are balanced by the data
// rather than by a hand-set beta.

class VaeModel : public TorchImageModel {
 public:
  VaeModel(const ImageTrainOptions& opt, size_t size, const Context& ctx)
      : TorchImageModel(opt, size, ctx), net_(size, opt.channels, opt.latent) {
    net_->to(dev_);
  }
  void train(const SliceStack& data, const std::vector<int>&) override {
    check_square(data, "vae training");
    const auto x_all = to_tensor(data, 0, data.n, dev_);
    torch::optim::Adam adam(net_->parameters(), torch::optim::AdamOptions(opt_.lr));
    net_->train();
    const double D = static_cast<double>(size_ * size_);
    nn::Trainer t(image_loop(ctx_, "vae", opt_.steps,
                             [](const nn::Losses& l) { return fmt("mse=%.4f kl=%.1f", l[1].second, l[2].second); }));
    t.run([&](int64_t s, bool record) -> nn::Losses {
      set_lr(adam, lr_at(opt_.lr, static_cast<size_t>(s), opt_.steps));
      const auto x = random_batch(x_all, opt_.batch, opt_.flip);
      auto [mu, lv] = net_->encode(x);
      const auto z = mu + torch::exp(0.5 * lv) * torch::randn_like(mu);
      const auto xh = net_->decode(z);
      const auto mse = (xh - x).pow(2).mean();
      const auto kl = (-0.5 * (1 + lv - mu.pow(2) - lv.exp())).sum(1).mean();
      const auto loss = 0.5 * mse.clamp_min(1e-8).log() + kl / D;
      adam.zero_grad();
      loss.backward();
      adam.step();
      if (!record) return {};
      const double l = loss.item<double>(), m = mse.item<double>(), k = kl.item<double>();
      return {{"loss", l}, {"mse", m}, {"kl", k}};
    });
    history_ = t.history();
    train_seconds_ = t.seconds();
    set_eval();
  }
  SliceStack reconstruct(const SliceStack& x) const override {
    check_square(x, "reconstruction");
    return map_chunks(x, size_, size_, 64, dev_, [&](const torch::Tensor& b) { return net_->decode(net_->encode(b).first); });
  }
  SliceStack sample(size_t n, uint64_t seed) const override {
    return decode_prior(n, opt_.latent, seed, size_, dev_, [&](const torch::Tensor& z) { return net_->decode(z); });
  }

 protected:
  torch::nn::Module& root() const override { return *net_; }

 private:
  mutable ConvVae net_;
};

}  // namespace

std::unique_ptr<TorchImageModel> make_vae_model(const ImageTrainOptions& opt, size_t size, const Context& ctx) {
  return std::make_unique<VaeModel>(opt, size, ctx);
}

}  // namespace medgen::imaging::nnlib
