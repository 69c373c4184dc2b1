// Shared by the image models (one file each: vae_model.cpp, gan_model.cpp, enhance_model.cpp,
// feature_model.cpp): tensor helpers, the training loop's settings, and TorchImageModel, the
// base class that saves, loads and validates a model file (image_model.cpp). The plugin's
// entry points are in image_models.cpp. Private to the plugin. Design notes: docs/imaging.md.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "medgen/core/context.h"
#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/imaging/models.h"
#include "medgen/nn/device.h"
#include "medgen/nn/trainer.h"
#include "networks.h"

namespace medgen::imaging::nnlib {

// The device a Context selects.
torch::Device device_of(const Context& ctx);

// Slices [begin, begin + count) as an (count, 1, h, w) tensor on `dev`.
torch::Tensor to_tensor(const SliceStack& s, size_t begin, size_t count, const torch::Device& dev);
// Copies an (m, 1, h, w) tensor into slices [begin, begin + m) of `out`.
void copy_out(const torch::Tensor& t, SliceStack* out, size_t begin);

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
torch::Tensor normal_from_seed(size_t n, size_t d, uint64_t seed, const torch::Device& dev);

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
torch::Tensor random_flip(const torch::Tensor& x);
// The batch of `b` random training images, augmented: random left-right flips (when asked)
// and a random shift of up to 1/16 of the side (zero-filled), so that a few hundred slices of
// one head teach position-invariant anatomy rather than one layout.
torch::Tensor random_batch(const torch::Tensor& data, size_t b, bool flip);

// Learning rate for step `s` of `total`: constant, then x0.3 at 70 % and again at 90 %.
double lr_at(double lr, size_t s, size_t total);
void set_lr(torch::optim::Adam& opt, double lr);
// snprintf into a std::string (progress details).
std::string fmt(const char* f, double a, double b = 0);

// The loop of every image model (nn/trainer.h): one unit per optimiser step, a timed history
// row every 50 steps and after the last. No checkpoints: a stop signal ends training with
// nothing written. `detail` formats the progress line from the step's losses.
nn::TrainLoop image_loop(const Context& ctx, const std::string& task, size_t steps,
                         std::function<std::string(const nn::Losses&)> detail);

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
  void save(const std::string& path) const override;
  // Loads the header's history and info and the weights. The file is untrusted: LibTorch's
  // Module::load replaces each tensor with the stored one whatever its shape, so every
  // parameter and buffer is compared with the network the header describes (name, shape,
  // dtype) and must be finite; anything else is ModelFormat.
  void load(const ModelFile& mf);
  virtual void train(const SliceStack& data, const std::vector<int>& labels) = 0;

 protected:
  // The network that is saved, loaded and switched to eval mode (the GAN's generator; its
  // critic lives only during training).
  virtual torch::nn::Module& root() const = 0;
  void set_eval() { root().eval(); }
  // Every parameter and buffer of root(): name -> "dtype[d0, d1, ...]".
  std::map<std::string, std::string> tensor_shapes() const;
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

// The models, by kind (defined in their own files).
std::unique_ptr<TorchImageModel> make_vae_model(const ImageTrainOptions& opt, size_t size, const Context& ctx);
std::unique_ptr<TorchImageModel> make_gan_model(const ImageTrainOptions& opt, size_t size, const Context& ctx);
// Denoise, SuperRes and Dae.
std::unique_ptr<TorchImageModel> make_enhance_model(const ImageTrainOptions& opt, size_t size, const Context& ctx);
std::unique_ptr<TorchImageModel> make_feature_model(const ImageTrainOptions& opt, size_t size, const Context& ctx);

}  // namespace medgen::imaging::nnlib
