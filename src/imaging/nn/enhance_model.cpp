// The enhancement image model: denoising, super-resolution and the anomaly DAE (kinds denoise,
// sr, dae).
#include "image_model.h"

#include <cmath>

#include "medgen/core/rng.h"
#include "medgen/imaging/quality.h"
#include "medgen/imaging/slices.h"
#include "medgen/core/error.h"

namespace medgen::imaging::nnlib {

namespace {

// Enhancement: a residual CNN trained on random crops of the training slices. Denoising pairs
// are (noise(x), x) with the noise drawn afresh each step at a level uniform in [0.5, 1.5]
// times --noise-level (so one model covers a range of doses); super-resolution pairs are
// (bicubic(area_down(x)), x), computed once with the same functions as the bicubic baseline.

// The typical size of the enhancement's corrections (ResidualCnn's out_scale): the noise's
// standard deviation (Poisson: at a signal of 0.25, soft tissue in CT's full window), the
// coarse noise's for the dae, 0.1 for super-resolution (edges lost to blurring).
double correction_scale(const ImageTrainOptions& o) {
  switch (o.kind) {
    case ImageModelKind::Dae: return o.coarse_noise;
    case ImageModelKind::SuperRes: return 0.1;
    default: {
      // Blind: the middle of the range.
      const double level = o.noise_level_max > 0 ? (o.noise_level + o.noise_level_max) / 2 : o.noise_level;
      return o.levels_are_sigma() ? level : std::sqrt(0.25 / level);
    }
  }
}

class EnhanceModel : public TorchImageModel {
 public:
  EnhanceModel(const ImageTrainOptions& opt, size_t size, const Context& ctx)
      : TorchImageModel(opt, size, ctx),
        net_(opt.depth, opt.width, opt.kind == ImageModelKind::Dae, correction_scale(opt)) {
    net_->to(dev_);
  }
  void train(const SliceStack& data, const std::vector<int>&) override {
    const size_t P = opt_.patch, S = opt_.kind == ImageModelKind::SuperRes ? opt_.scale : 1;
    if (data.h < P || data.w < P || data.n == 0)
      throw InvalidInput("enhancement training: slices (" + std::to_string(data.w) + "x" + std::to_string(data.h) +
                         ") are smaller than --patch " + std::to_string(P));
    // Inputs: the noisy image is made on the fly; the SR input is precomputed.
    SliceStack input;
    if (S > 1) {
      const size_t h = data.h / S * S, w = data.w / S * S;
      input = SliceStack::zeros(data.n, h, w);
      for (size_t i = 0; i < data.n; ++i) {
        const SrTriple t = sr_triple(data.slice(i), data.h, data.w, S);
        std::copy(t.bicubic.begin(), t.bicubic.end(), input.slice(i));
      }
    }
    Rng rng(ctx_.seed ^ 0x5eedULL);
    torch::optim::Adam adam(net_->parameters(), torch::optim::AdamOptions(opt_.lr));
    net_->train();
    const int64_t B = static_cast<int64_t>(opt_.batch), iP = static_cast<int64_t>(P);
    const bool blind = opt_.kind == ImageModelKind::Denoise && opt_.blind();
    std::vector<float> clean(B * P * P), in(B * P * P);
    nn::Trainer t(image_loop(ctx_, image_model_kind_name(opt_.kind), opt_.steps, [](const nn::Losses& l) {
      return fmt("mse=%.5f psnr=%.2f", l[0].second, -10 * std::log10(std::max(l[0].second, 1e-12)));
    }));
    t.run([&](int64_t s, bool record) -> nn::Losses {
      set_lr(adam, lr_at(opt_.lr, static_cast<size_t>(s), opt_.steps));
      for (int64_t b = 0; b < B; ++b) {
        const size_t i = rng.below(data.n);
        const size_t hh = S > 1 ? input.h : data.h, ww = S > 1 ? input.w : data.w;
        const size_t y0 = rng.below(hh - P + 1), x0 = rng.below(ww - P + 1);
        const bool flip = opt_.flip && rng.uniform() < 0.5;
        // Blind denoising also flips vertically, transposes and scales the contrast (x 0.5..1.5),
        // so that scans of other orientations and intensity ranges look like training data.
        const bool vflip = blind && rng.uniform() < 0.5, transpose = blind && rng.uniform() < 0.5;
        const float gain = blind ? float(0.5 + rng.uniform()) : 1.0f;
        for (size_t y = 0; y < P; ++y)
          for (size_t x = 0; x < P; ++x) {
            const size_t u = transpose ? y : x, v = transpose ? x : y;
            const size_t sx = flip ? x0 + P - 1 - u : x0 + u, sy = vflip ? y0 + P - 1 - v : y0 + v;
            clean[(b * P + y) * P + x] = gain * data.slice(i)[sy * data.w + sx];
            if (S > 1) in[(b * P + y) * P + x] = input.slice(i)[sy * input.w + sx];
          }
      }
      const auto target = torch::from_blob(clean.data(), {B, 1, iP, iP}, torch::kFloat32).to(dev_, false, true);
      torch::Tensor x;
      if (S > 1) {
        x = torch::from_blob(in.data(), {B, 1, iP, iP}, torch::kFloat32).to(dev_, false, true);
      } else if (opt_.kind == ImageModelKind::Dae) {
        // Coarse noise (Kascenas et al. 2022): Gaussian at 1/8 of the side, enlarged bilinearly,
        // so the network learns to remove blobs the size of lesions from normal anatomy.
        const int64_t c = std::max<int64_t>(2, iP / 8);
        const auto coarse = torch::randn({B, 1, c, c}, target.options()) * opt_.coarse_noise;
        namespace F = torch::nn::functional;
        x = target + F::interpolate(coarse, F::InterpolateFuncOptions()
                                                .size(std::vector<int64_t>{iP, iP})
                                                .mode(torch::kBilinear)
                                                .align_corners(false));
      } else if (blind) {
        x = add_blind_noise(target);
      } else {
        const auto level = opt_.noise_level * (0.5 + torch::rand({B, 1, 1, 1}, target.options()));
        x = add_noise_torch(opt_.noise, target, level);
      }
      const auto loss = (net_->forward(x) - target).pow(2).mean();
      adam.zero_grad();
      loss.backward();
      adam.step();
      if (!record) return {};
      return {{"mse", loss.item<double>()}};
    });
    history_ = t.history();
    train_seconds_ = t.seconds();
    set_eval();
  }
  SliceStack enhance(const SliceStack& x) const override {
    const size_t S = opt_.kind == ImageModelKind::SuperRes ? opt_.scale : 1;
    // Chunks of about 2 M pixels bound the activations' memory.
    const size_t chunk = std::max<size_t>(1, (size_t{1} << 21) / std::max<size_t>(1, x.plane() * S * S));
    if (S == 1) return map_chunks(x, x.h, x.w, chunk, dev_, [&](const torch::Tensor& b) { return net_->forward(b); });
    SliceStack up = SliceStack::zeros(x.n, x.h * S, x.w * S);
    up.position = x.position;
    for (size_t i = 0; i < x.n; ++i) {
      const auto u = upsample_bicubic(x.slice(i), x.h, x.w, S);
      std::copy(u.begin(), u.end(), up.slice(i));
    }
    return map_chunks(up, up.h, up.w, chunk, dev_, [&](const torch::Tensor& b) { return net_->forward(b); });
  }

 protected:
  torch::nn::Module& root() const override { return *net_; }

 private:
  // Blind training noise: each example's level uniform in [noise_level, noise_level_max] and its
  // noise model drawn from the mix (a Poisson example in a mix: peak 0.25 / sigma^2).
  torch::Tensor add_blind_noise(const torch::Tensor& clean) const {
    const int64_t B = clean.size(0);
    const double lo = opt_.noise_level, hi = opt_.noise_level_max > 0 ? opt_.noise_level_max : opt_.noise_level;
    const auto level = lo + (hi - lo) * torch::rand({B, 1, 1, 1}, clean.options());
    const std::vector<NoiseKind> kinds = opt_.noise_kinds();
    if (kinds.size() == 1) return add_noise_torch(kinds.front(), clean, level);
    const auto pick = torch::randint(static_cast<int64_t>(kinds.size()), {B, 1, 1, 1}, clean.options());
    torch::Tensor out = torch::zeros_like(clean);
    for (size_t k = 0; k < kinds.size(); ++k) {
      const auto lv = kinds[k] == NoiseKind::Poisson ? 0.25 / (level * level) : level;
      out = torch::where(pick == double(k), add_noise_torch(kinds[k], clean, lv), out);
    }
    return out;
  }
  // The noise models of quality.h, on tensors (level: sigma or peak counts per sample).
  static torch::Tensor add_noise_torch(NoiseKind kind, const torch::Tensor& x, const torch::Tensor& level) {
    switch (kind) {
      case NoiseKind::Gaussian: return x + level * torch::randn_like(x);
      case NoiseKind::Rician: {
        const auto re = x + level * torch::randn_like(x), im = level * torch::randn_like(x);
        return torch::sqrt(re * re + im * im);
      }
      case NoiseKind::Poisson: {
        const auto lam = (x.clamp_min(0) * level);
        return torch::poisson(lam) / level;
      }
    }
    return x;
  }
  mutable ResidualCnn net_;
};

}  // namespace

std::unique_ptr<TorchImageModel> make_enhance_model(const ImageTrainOptions& opt, size_t size, const Context& ctx) {
  return std::make_unique<EnhanceModel>(opt, size, ctx);
}

}  // namespace medgen::imaging::nnlib
