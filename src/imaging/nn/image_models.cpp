// Training, inference and (de)serialisation of the image models, and the plugin's entry
// points (looked up by src/imaging/models.cpp). Design notes: docs/imaging.md.
#include <chrono>
#include <cstring>
#include <cmath>
#include <memory>

#include "medgen/core/error.h"
#include "medgen/core/progress.h"
#include "medgen/core/rng.h"
#include "medgen/imaging/models.h"
#include "medgen/nn/archive.h"
#include "medgen/nn/device.h"
#include "medgen/nn/gan.h"
#include "networks.h"

namespace medgen::imaging::nnlib {

namespace {

using Clock = std::chrono::steady_clock;

torch::Device device_of(const Context& ctx) { return ctx.device == Device::kCuda ? torch::kCUDA : torch::kCPU; }

// Slices [begin, begin + count) as an (count, 1, h, w) tensor on `dev`.
torch::Tensor to_tensor(const SliceStack& s, size_t begin, size_t count, const torch::Device& dev) {
  auto t = torch::from_blob(const_cast<float*>(s.slice(begin)),
                            {static_cast<int64_t>(count), 1, static_cast<int64_t>(s.h), static_cast<int64_t>(s.w)},
                            torch::kFloat32);
  return t.to(dev, /*non_blocking=*/false, /*copy=*/true);
}

void copy_out(const torch::Tensor& t, SliceStack* out, size_t begin) {
  const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
  std::memcpy(out->slice(begin), c.data_ptr<float>(), sizeof(float) * c.numel());
}

// Runs f on chunks of at most `chunk` slices, writing into a stack of the output's shape.
template <typename F>
SliceStack map_chunks(const SliceStack& x, size_t out_h, size_t out_w, size_t chunk, const torch::Device& dev, F f) {
  SliceStack out = SliceStack::zeros(x.n, out_h, out_w);
  out.position = x.position;
  torch::NoGradGuard no_grad;
  for (size_t b = 0; b < x.n; b += chunk) {
    const size_t m = std::min(chunk, x.n - b);
    copy_out(f(to_tensor(x, b, m, dev)), &out, b);
  }
  return out;
}

// Standard normal draws from medgen's Rng, so samples depend on the seed alone (not on the
// device or LibTorch's generators).
torch::Tensor normal_from_seed(size_t n, size_t d, uint64_t seed, const torch::Device& dev) {
  Rng rng(seed);
  std::vector<float> z(n * d);
  for (float& v : z) v = static_cast<float>(rng.normal());
  return torch::from_blob(z.data(), {static_cast<int64_t>(n), static_cast<int64_t>(d)}, torch::kFloat32).to(dev, false, true);
}

// n size x size images decoded from N(0, I) latents drawn from `seed`, 64 at a time.
template <typename Decode>
SliceStack decode_prior(size_t n, size_t latent, uint64_t seed, size_t size, const torch::Device& dev, Decode decode) {
  SliceStack out = SliceStack::zeros(n, size, size);
  torch::NoGradGuard no_grad;
  const auto z = normal_from_seed(n, latent, seed, dev);
  for (size_t b = 0; b < n; b += 64) copy_out(decode(z.narrow(0, b, std::min<size_t>(64, n - b))), &out, b);
  return out;
}

// A random left-right flip of each image in the batch.
torch::Tensor random_flip(const torch::Tensor& x) {
  const auto mask = (torch::rand({x.size(0), 1, 1, 1}, x.options()) < 0.5);
  return torch::where(mask, x.flip({3}), x);
}

// Learning rate for step `s` of `total`: constant, then x0.3 at 70 % and again at 90 %.
double lr_at(double lr, size_t s, size_t total) {
  if (s >= total * 9 / 10) return lr * 0.09;
  if (s >= total * 7 / 10) return lr * 0.3;
  return lr;
}

void set_lr(torch::optim::Adam& opt, double lr) {
  for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
}

// Progress and history: one history row every `every` steps.
struct Tracker {
  Tracker(const Context& ctx, const std::string& task, size_t total) : ctx_(ctx), total_(total) {
    if (ctx.progress) ctx.progress->begin(task, total);
    start_ = Clock::now();
  }
  ~Tracker() {
    if (ctx_.progress) ctx_.progress->end();
  }
  bool due(size_t step) const { return step % every_ == 0 || step + 1 == total_; }
  void record(size_t step, nlohmann::json row, const std::string& detail) {
    row["step"] = step + 1;
    row["seconds"] = std::chrono::duration<double>(Clock::now() - start_).count();
    history.push_back(std::move(row));
    if (ctx_.progress) ctx_.progress->update(step + 1, detail);
  }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  nlohmann::json history = nlohmann::json::array();

 private:
  const Context& ctx_;
  size_t total_;
  size_t every_ = 50;
  Clock::time_point start_;
};

std::string fmt(const char* f, double a, double b = 0) {
  char buf[96];
  std::snprintf(buf, sizeof buf, f, a, b);
  return buf;
}

// ---------------------------------------------------------------------------------------------

class TorchImageModel : public ImageModel {
 public:
  TorchImageModel(const ImageTrainOptions& opt, size_t size, const Context& ctx)
      : opt_(opt), size_(size), dev_(device_of(ctx)), ctx_(ctx) {}
  ImageModelKind kind() const override { return opt_.kind; }
  size_t image_size() const override { return size_; }
  nlohmann::json& info() override { return info_; }
  nlohmann::json header() const override {
    return {{"model", "image"},       {"kind", image_model_kind_name(opt_.kind)},
            {"size", size_},          {"options", opt_.to_json()},
            {"history", history_},    {"train_seconds", train_seconds_},
            {"info", info_},          {"torch", nn::torch_version()}};
  }
  void save(const std::string& path) const override {
    ModelFile mf;
    mf.header = header();
    torch::serialize::OutputArchive ar;
    save_modules(ar);
    mf.payload = nn::archive_bytes(ar);
    mf.save(path);
  }
  void load(const ModelFile& mf) {
    history_ = mf.header.value("history", nlohmann::json::array());
    info_ = mf.header.value("info", nlohmann::json::object());
    train_seconds_ = mf.header.value("train_seconds", 0.0);
    torch::serialize::InputArchive ar;
    try {
      nn::load_archive(ar, mf.payload, dev_);
      load_modules(ar);
    } catch (const c10::Error& e) {
      throw ModelFormat(std::string("the network weights do not load: ") + e.what_without_backtrace());
    }
    set_eval();
  }
  virtual void train(const SliceStack& data, const std::vector<int>& labels) = 0;

 protected:
  virtual void save_modules(torch::serialize::OutputArchive& ar) const = 0;
  virtual void load_modules(torch::serialize::InputArchive& ar) = 0;
  virtual void set_eval() = 0;
  void check_square(const SliceStack& x, const char* what) const {
    if (x.h != size_ || x.w != size_)
      throw InvalidInput(std::string(what) + ": the model takes " + std::to_string(size_) + "x" +
                         std::to_string(size_) + " slices, got " + std::to_string(x.w) + "x" + std::to_string(x.h));
  }

  ImageTrainOptions opt_;
  size_t size_;
  torch::Device dev_;
  Context ctx_;
  nlohmann::json info_ = nlohmann::json::object(), history_ = nlohmann::json::array();
  double train_seconds_ = 0;
};

// The batch of `b` random training images, augmented: random left-right flips (when asked)
// and a random shift of up to 1/16 of the side (zero-filled), so that a few hundred slices of
// one head teach position-invariant anatomy rather than one layout.
torch::Tensor random_batch(const torch::Tensor& data, size_t b, bool flip) {
  const auto idx = torch::randint(data.size(0), {static_cast<int64_t>(b)},
                                  torch::TensorOptions().dtype(torch::kLong).device(data.device()));
  auto x = data.index_select(0, idx);
  if (flip) x = random_flip(x);
  const int64_t S = x.size(3), m = std::max<int64_t>(1, S / 16);
  const auto shift = torch::randint(-m, m + 1, {2}, torch::kLong);
  const int64_t dy = shift[0].item<int64_t>(), dx = shift[1].item<int64_t>();
  if (dy == 0 && dx == 0) return x;
  auto out = torch::zeros_like(x);
  const int64_t H = x.size(2);
  out.narrow(2, std::max<int64_t>(0, dy), H - std::abs(dy))
      .narrow(3, std::max<int64_t>(0, dx), S - std::abs(dx))
      .copy_(x.narrow(2, std::max<int64_t>(0, -dy), H - std::abs(dy)).narrow(3, std::max<int64_t>(0, -dx), S - std::abs(dx)));
  return out;
}

// ---------------------------------------------------------------------------------------------
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
    Tracker t(ctx_, "vae", opt_.steps);
    for (size_t s = 0; s < opt_.steps; ++s) {
      set_lr(adam, lr_at(opt_.lr, s, opt_.steps));
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
      if (t.due(s)) {
        const double l = loss.item<double>(), m = mse.item<double>(), k = kl.item<double>();
        t.record(s, {{"loss", l}, {"mse", m}, {"kl", k}}, fmt("mse=%.4f kl=%.1f", m, k));
      }
    }
    history_ = t.history;
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
  void save_modules(torch::serialize::OutputArchive& ar) const override { net_->save(ar); }
  void load_modules(torch::serialize::InputArchive& ar) override { net_->load(ar); }
  void set_eval() override { net_->eval(); }

 private:
  mutable ConvVae net_;
};

// ---------------------------------------------------------------------------------------------
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
    Tracker t(ctx_, "gan", opt_.steps);
    for (size_t s = 0; s < opt_.steps; ++s) {
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
      if (t.due(s)) {
        const double ld = loss_d.item<double>(), lg = loss_g.item<double>();
        t.record(s, {{"loss_d", ld}, {"loss_g", lg}}, fmt("d=%.3f g=%.3f", ld, lg));
      }
    }
    history_ = t.history;
    train_seconds_ = t.seconds();
    set_eval();
  }
  SliceStack sample(size_t n, uint64_t seed) const override {
    return decode_prior(n, opt_.latent, seed, size_, dev_, [&](const torch::Tensor& z) { return g_->forward(z); });
  }

 protected:
  void save_modules(torch::serialize::OutputArchive& ar) const override { g_->save(ar); }
  void load_modules(torch::serialize::InputArchive& ar) override { g_->load(ar); }
  void set_eval() override { g_->eval(); }

 private:
  mutable Generator g_;
};

// ---------------------------------------------------------------------------------------------
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
    default: return o.noise == NoiseKind::Poisson ? std::sqrt(0.25 / o.noise_level) : o.noise_level;
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
        std::vector<float> hr(h * w);
        for (size_t y = 0; y < h; ++y) std::copy_n(data.slice(i) + y * data.w, w, hr.data() + y * w);
        const auto up = upsample_bicubic(downsample_area(hr.data(), h, w, S).data(), h / S, w / S, S);
        std::copy(up.begin(), up.end(), input.slice(i));
      }
    }
    Rng rng(ctx_.seed ^ 0x5eedULL);
    torch::optim::Adam adam(net_->parameters(), torch::optim::AdamOptions(opt_.lr));
    net_->train();
    const int64_t B = static_cast<int64_t>(opt_.batch), iP = static_cast<int64_t>(P);
    std::vector<float> clean(B * P * P), in(B * P * P);
    Tracker t(ctx_, image_model_kind_name(opt_.kind), opt_.steps);
    for (size_t s = 0; s < opt_.steps; ++s) {
      set_lr(adam, lr_at(opt_.lr, s, opt_.steps));
      for (int64_t b = 0; b < B; ++b) {
        const size_t i = rng.below(data.n);
        const size_t hh = S > 1 ? input.h : data.h, ww = S > 1 ? input.w : data.w;
        const size_t y0 = rng.below(hh - P + 1), x0 = rng.below(ww - P + 1);
        const bool flip = opt_.flip && rng.uniform() < 0.5;
        for (size_t y = 0; y < P; ++y)
          for (size_t x = 0; x < P; ++x) {
            const size_t sx = flip ? x0 + P - 1 - x : x0 + x;
            clean[(b * P + y) * P + x] = data.slice(i)[(y0 + y) * data.w + sx];
            if (S > 1) in[(b * P + y) * P + x] = input.slice(i)[(y0 + y) * input.w + sx];
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
      } else {
        const auto level = opt_.noise_level * (0.5 + torch::rand({B, 1, 1, 1}, target.options()));
        x = add_noise_torch(target, level);
      }
      const auto loss = (net_->forward(x) - target).pow(2).mean();
      adam.zero_grad();
      loss.backward();
      adam.step();
      if (t.due(s)) {
        const double l = loss.item<double>();
        t.record(s, {{"mse", l}}, fmt("mse=%.5f psnr=%.2f", l, -10 * std::log10(std::max(l, 1e-12))));
      }
    }
    history_ = t.history;
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
  void save_modules(torch::serialize::OutputArchive& ar) const override { net_->save(ar); }
  void load_modules(torch::serialize::InputArchive& ar) override { net_->load(ar); }
  void set_eval() override { net_->eval(); }

 private:
  // The noise models of quality.h, on tensors (level: sigma or peak counts per sample).
  torch::Tensor add_noise_torch(const torch::Tensor& x, const torch::Tensor& level) const {
    switch (opt_.noise) {
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

// ---------------------------------------------------------------------------------------------
// Feature network: trained to tell the slice's position bin (self-supervised: the labels come
// from the split, not from annotations), so its features encode anatomy of this modality.

class FeatureModel : public TorchImageModel {
 public:
  FeatureModel(const ImageTrainOptions& opt, size_t size, const Context& ctx)
      : TorchImageModel(opt, size, ctx), net_(static_cast<int64_t>(opt.classes)) {
    net_->to(dev_);
  }
  void train(const SliceStack& data, const std::vector<int>& labels) override {
    check_square(data, "feature network training");
    if (labels.size() != data.n) throw InvalidInput("feature network training: one label per slice needed");
    std::vector<int64_t> lab(labels.begin(), labels.end());
    for (int64_t l : lab)
      if (l < 0 || l >= static_cast<int64_t>(opt_.classes)) throw InvalidInput("feature network: label out of range");
    const auto x_all = to_tensor(data, 0, data.n, dev_);
    const auto y_all = torch::from_blob(lab.data(), {static_cast<int64_t>(lab.size())}, torch::kLong).to(dev_, false, true);
    torch::optim::Adam adam(net_->parameters(), torch::optim::AdamOptions(opt_.lr));
    net_->train();
    Tracker t(ctx_, "features", opt_.steps);
    for (size_t s = 0; s < opt_.steps; ++s) {
      set_lr(adam, lr_at(opt_.lr, s, opt_.steps));
      const auto idx = torch::randint(static_cast<int64_t>(data.n), {static_cast<int64_t>(opt_.batch)},
                                      torch::TensorOptions().dtype(torch::kLong).device(dev_));
      auto x = x_all.index_select(0, idx);
      if (opt_.flip) x = random_flip(x);
      x = x + 0.02 * torch::randn_like(x);
      const auto logits = net_->forward(x);
      const auto loss = torch::nn::functional::cross_entropy(logits, y_all.index_select(0, idx));
      adam.zero_grad();
      loss.backward();
      adam.step();
      if (t.due(s)) {
        const double l = loss.item<double>();
        t.record(s, {{"cross_entropy", l}}, fmt("ce=%.3f", l));
      }
    }
    history_ = t.history;
    train_seconds_ = t.seconds();
    set_eval();
  }
  std::vector<double> features(const SliceStack& x) const override {
    check_square(x, "features");
    std::vector<double> out(x.n * FeatureNet::Impl::kDim);
    torch::NoGradGuard no_grad;
    for (size_t b = 0; b < x.n; b += 64) {
      const size_t m = std::min<size_t>(64, x.n - b);
      const auto f = net_->features(to_tensor(x, b, m, dev_)).to(torch::kCPU).to(torch::kFloat64).contiguous();
      std::memcpy(out.data() + b * FeatureNet::Impl::kDim, f.data_ptr<double>(), sizeof(double) * f.numel());
    }
    return out;
  }
  size_t feature_dim() const override { return FeatureNet::Impl::kDim; }

 protected:
  void save_modules(torch::serialize::OutputArchive& ar) const override { net_->save(ar); }
  void load_modules(torch::serialize::InputArchive& ar) override { net_->load(ar); }
  void set_eval() override { net_->eval(); }

 private:
  mutable FeatureNet net_;
};

std::unique_ptr<TorchImageModel> make_model(const ImageTrainOptions& opt, size_t size, const Context& ctx) {
  switch (opt.kind) {
    case ImageModelKind::Vae: return std::make_unique<VaeModel>(opt, size, ctx);
    case ImageModelKind::Gan: return std::make_unique<GanModel>(opt, size, ctx);
    case ImageModelKind::Denoise:
    case ImageModelKind::SuperRes:
    case ImageModelKind::Dae: return std::make_unique<EnhanceModel>(opt, size, ctx);
    case ImageModelKind::Features: return std::make_unique<FeatureModel>(opt, size, ctx);
  }
  throw InvalidInput("unknown image model kind");
}

}  // namespace

}  // namespace medgen::imaging::nnlib

using namespace medgen;
using namespace medgen::imaging;

extern "C" ImageModel* medgen_imaging_nn_train(const ImageTrainOptions& opt, const SliceStack& train,
                                               const std::vector<int>& labels, const Context& ctx) {
  nn::init_torch(ctx);
  const bool square = square_input(opt.kind);
  if (train.n == 0) throw InvalidInput("no training slices");
  if (square && train.h != train.w) throw InvalidInput("vae, gan and features train on square slices");
  if (square) nnlib::halvings(static_cast<int64_t>(train.h));  // checks the size
  auto m = nnlib::make_model(opt, square ? train.h : 0, ctx);
  m->train(train, labels);
  return m.release();
}

extern "C" ImageModel* medgen_imaging_nn_load(const ModelFile& mf, const Context& ctx) {
  nn::init_torch(ctx);
  ImageTrainOptions opt;
  size_t size = 0;
  try {
    opt = ImageTrainOptions::from_json(mf.header.at("options"));
    size = mf.header.at("size").get<size_t>();
  } catch (const nlohmann::json::exception& e) {
    throw ModelFormat(std::string("image model header: ") + e.what());
  }
  auto m = nnlib::make_model(opt, size, ctx);
  m->load(mf);
  return m.release();
}
