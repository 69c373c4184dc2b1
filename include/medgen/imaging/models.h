// The image models: a convolutional VAE and a DCGAN-style GAN on 2D slices, a residual CNN
// for denoising and super-resolution, and a small CNN whose features feed the Fréchet
// distance. They live in libmedgen_imaging_nn.so (LibTorch), loaded on first use; this header
// is torch-free. Architectures, losses and defaults: docs/imaging.md.
// Ownership, thread safety and global state: train_image_model and load_image_model return a
// model owned by the caller (unique_ptr; the plugin's C entry points hand over a raw pointer that
// the caller must wrap). Both seed LibTorch's global generator from ctx.seed and set its process-
// wide intra-op thread count (nn::init_torch); training handles SIGINT, SIGTERM and SIGHUP while
// it runs (a stop ends it with nothing written). A model's const members run forward passes in
// eval mode without touching global generators (sample draws its latents from medgen's Rng), but
// share the model's modules: call them from one thread at a time per model. The first use loads
// the plugin (core/plugin.h).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "medgen/core/context.h"
#include "medgen/core/model_file.h"
#include "medgen/imaging/quality.h"
#include "medgen/imaging/slices.h"

namespace medgen::imaging {

// Dae: a denoising autoencoder for anomaly maps (the residual CNN on model-size squares, trained
// to remove coarse noise blobs from normal anatomy, so at test time it "heals" lesions).
enum class ImageModelKind { Vae, Gan, Denoise, SuperRes, Features, Dae };
ImageModelKind image_model_kind_from_name(const std::string& s);  // vae|gan|denoise|sr|features|dae
// Kinds that work on image_size() squares (vae, gan, features, dae).
bool square_input(ImageModelKind k);
std::string image_model_kind_name(ImageModelKind k);

struct ImageTrainOptions {
  ImageModelKind kind = ImageModelKind::Vae;
  size_t steps = 0;      // optimiser steps (generator steps for the GAN); 0: the kind's default
  size_t batch = 0;      // 0: the kind's default
  double lr = 0;         // 0: the kind's default
  // VAE and GAN
  size_t latent = 128;   // latent dimension
  size_t channels = 32;  // channels of the first convolution; doubled at each halving
  std::string loss = "minimax";  // GAN: minimax (non-saturating) or wgan-gp
  bool flip = true;      // VAE/GAN/features: random left-right flips as augmentation
  // Denoising and super-resolution (a residual CNN of `depth` 3x3 convolutions, `width` wide)
  size_t depth = 10, width = 32;
  size_t patch = 48;     // side of the training crops (native pixels; dae: of the model-size slices)
  NoiseKind noise = NoiseKind::Gaussian;
  double noise_level = 0.05;  // sigma (Gaussian, Rician) or peak counts (Poisson)
  // Blind denoising: when > 0, each training example draws its own level uniformly in
  // [noise_level, noise_level_max] (and the model is told nothing at test time); 0: the level is
  // drawn in [0.5, 1.5] x noise_level.
  double noise_level_max = 0;
  // Blind denoising with several noise models: each example draws one of these (empty: `noise`
  // alone). With more than one, the levels are sigmas, and a Poisson example uses the peak whose
  // noise has that sigma at a signal of 0.25 (peak = 0.25 / sigma^2).
  std::vector<NoiseKind> noise_mix;
  // Dae: sigma of the coarse noise (drawn at 1/8 of the side, bilinearly enlarged)
  double coarse_noise = 0.2;
  size_t scale = 2;           // super-resolution factor: 2 or 4
  // Features: classes = slice-position bins to predict
  size_t classes = 8;
  void validate() const;  // InvalidInput for absurd values
  nlohmann::json to_json() const;
  static ImageTrainOptions from_json(const nlohmann::json& j);  // ModelFormat on bad keys
  // The defaults the kind fills in for steps, batch and lr left at 0.
  ImageTrainOptions resolved() const;
  // A denoiser trained over a range of levels or noise models.
  bool blind() const { return noise_level_max > 0 || noise_mix.size() > 1; }
  // The noise models a training example may draw (noise_mix, or `noise` alone).
  std::vector<NoiseKind> noise_kinds() const { return noise_mix.empty() ? std::vector<NoiseKind>{noise} : noise_mix; }
  // Whether the levels are sigmas (not Poisson peaks): any model but Poisson alone.
  bool levels_are_sigma() const;
};

// A trained image model. Inputs and outputs are model units ([0, 1] through the window).
class ImageModel {
 public:
  virtual ~ImageModel() = default;
  virtual ImageModelKind kind() const = 0;
  // The training options, the training history and whatever the caller stored in info().
  virtual nlohmann::json header() const = 0;
  virtual nlohmann::json& info() = 0;  // free-form: data source, window, split (saved)
  virtual void save(const std::string& path) const = 0;
  virtual size_t image_size() const = 0;  // VAE/GAN/features: side of their square input
  // VAE: decoder mean of the encoder mean, same size as the input (image_size() squares).
  virtual SliceStack reconstruct(const SliceStack& x) const;
  // VAE, GAN: n new slices from the prior, deterministic from seed.
  virtual SliceStack sample(size_t n, uint64_t seed) const;
  // Denoise, Dae: same size; SuperRes: (h * scale) x (w * scale). Any h, w (fully
  // convolutional).
  virtual SliceStack enhance(const SliceStack& x) const;
  // Features: one row of feature_dim() values per slice (n x d, row-major).
  virtual std::vector<double> features(const SliceStack& x) const;
  virtual size_t feature_dim() const;
};

// Trains a model on `train` (VAE/GAN/features: image_size() squares; denoise/SR: any size, at
// least `patch` on each side). `labels` (features only): the class of each slice.
std::unique_ptr<ImageModel> train_image_model(const ImageTrainOptions& opt, const SliceStack& train,
                                              const std::vector<int>& labels, const Context& ctx);
// Loads a model saved by ImageModel::save (ModelFormat when it is not an image model).
std::unique_ptr<ImageModel> load_image_model(const std::string& path, const Context& ctx);

}  // namespace medgen::imaging

// The plugin's entry points (libmedgen_imaging_nn.so), looked up by src/imaging/models.cpp.
extern "C" {
using MedgenImagingTrainFn = medgen::imaging::ImageModel* (*)(const medgen::imaging::ImageTrainOptions&,
                                                              const medgen::imaging::SliceStack&,
                                                              const std::vector<int>&, const medgen::Context&);
using MedgenImagingLoadFn = medgen::imaging::ImageModel* (*)(const medgen::ModelFile&, const medgen::Context&);
}
