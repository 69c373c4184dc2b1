// The GAN image model (kind gan).
#include "image_model.h"

#include "medgen/nn/gan.h"
#include "medgen/core/error.h"

namespace medgen::imaging::nnlib {

namespace {

// GAN: non-saturating minimax (Goodfellow et al. 2014, as in DCGAN, with one-sided label
// smoothing 0.9) or WGAN-GP (Gulrajani et al. 2017: five critic steps per generator step,
// penalty weight 10, Adam betas 0.5/0.9). See docs/imaging.md for the choice.

class GanModel : public TorchImageModel {
 public:
  GanModel(const ImageTrainOptions& opt, size_t size, const Context& ctx)
      : TorchImageModel(opt, size, ctx), g_(size, opt.channels, opt.latent) {
    g_->to(dev_);
  }
  void train(const SliceStack& data, const std::vector<int>&) override {
    check_square(data, "gan training");
    const bool wgan = opt_.loss == "wgan-gp";
    Critic d(size_, opt_.channels, !wgan);
    d->to(dev_);
    const auto x_all = to_tensor(data, 0, data.n, dev_);
    const double b2 = wgan ? 0.9 : 0.999;
    torch::optim::Adam og(g_->parameters(), torch::optim::AdamOptions(opt_.lr).betas({0.5, b2}));
    torch::optim::Adam od(d->parameters(), torch::optim::AdamOptions(opt_.lr).betas({0.5, b2}));
    g_->train();
    d->train();
    const int64_t B = static_cast<int64_t>(opt_.batch), L = static_cast<int64_t>(opt_.latent);
    const int critic_steps = wgan ? 5 : 1;
    const auto fopt = torch::TensorOptions().device(dev_);
    nn::Trainer t(image_loop(ctx_, "gan", opt_.steps,
                             [](const nn::Losses& l) { return fmt("d=%.3f g=%.3f", l[0].second, l[1].second); }));
    t.run([&](int64_t, bool record) -> nn::Losses {
      torch::Tensor loss_d;
      for (int c = 0; c < critic_steps; ++c) {
        const auto real = random_batch(x_all, opt_.batch, opt_.flip);
        torch::Tensor fake;
        {
          torch::NoGradGuard ng;
          fake = g_->forward(torch::randn({B, L}, fopt));
        }
        if (wgan) {
          const auto flat_real = real.reshape({B, -1}), flat_fake = fake.reshape({B, -1});
          const int64_t S = static_cast<int64_t>(size_);
          auto critic = [&](const torch::Tensor& f) { return d->forward(f.view({-1, 1, S, S})); };
          const auto gp = nn::gradient_penalty(critic, flat_real, flat_fake, torch::rand({B}, fopt), 1, 10.0);
          loss_d = d->forward(fake).mean() - d->forward(real).mean() + gp;
        } else {
          const auto lr = d->forward(real), lf = d->forward(fake);
          loss_d = torch::binary_cross_entropy_with_logits(lr, torch::full_like(lr, 0.9)) +
                   torch::binary_cross_entropy_with_logits(lf, torch::zeros_like(lf));
        }
        od.zero_grad();
        loss_d.backward();
        od.step();
      }
      for (auto& p : d->parameters()) p.set_requires_grad(false);
      const auto fake = g_->forward(torch::randn({B, L}, fopt));
      const auto score = d->forward(fake);
      const auto loss_g =
          wgan ? -score.mean() : torch::binary_cross_entropy_with_logits(score, torch::ones_like(score));
      og.zero_grad();
      loss_g.backward();
      og.step();
      for (auto& p : d->parameters()) p.set_requires_grad(true);
      if (!record) return {};
      const double ld = loss_d.item<double>(), lg = loss_g.item<double>();
      return {{"loss_d", ld}, {"loss_g", lg}};
    });
    history_ = t.history();
    train_seconds_ = t.seconds();
    set_eval();
  }
  SliceStack sample(size_t n, uint64_t seed) const override {
    return decode_prior(n, opt_.latent, seed, size_, dev_, [&](const torch::Tensor& z) { return g_->forward(z); });
  }

 protected:
  torch::nn::Module& root() const override { return *g_; }

 private:
  mutable Generator g_;
};

}  // namespace

std::unique_ptr<TorchImageModel> make_gan_model(const ImageTrainOptions& opt, size_t size, const Context& ctx) {
  return std::make_unique<GanModel>(opt, size, ctx);
}

}  // namespace medgen::imaging::nnlib
