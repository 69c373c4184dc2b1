// What the `medgen image train|sample|evaluate|enhance|anomaly` commands do, as library calls:
// slices from volumes with the split by position, training on the training split, and the
// evaluations on the held-out split. Torch-free (the models come through models.h).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "medgen/imaging/models.h"

namespace medgen::imaging {

struct DataSpec {
  std::vector<std::string> paths;
  Axis axis = Axis::Axial;
  // auto (CT soft-tissue window, MRI 0.5-99.5 % percentiles), brain|bone|soft|lung, or range
  // (the volume's min..max: nothing clipped, what enhancement uses by default).
  std::string window = "auto";
  size_t block = 16, test_every = 4, gap = 2;  // split_by_position
  double min_foreground = 0.15;                // foreground_slices
  nlohmann::json to_json() const;
  static DataSpec from_json(const nlohmann::json& j);
};

// The window `name` of a volume: choose_window's names plus "range".
Window model_window(const Volume& v, const std::string& name);

// Volumes read, windowed and split. Every volume is split on its own positions.
struct SliceData {
  DataSpec spec;
  std::vector<Volume> volumes;
  std::vector<Window> windows;
  std::vector<SliceSplit> splits;
  // The training or test slices of all volumes at `size` (0: native; then all volumes must
  // have the same slice shape).
  SliceStack train(size_t size) const;
  SliceStack test(size_t size) const;
};
SliceData load_slice_data(const DataSpec& spec);

// Trains on the training split (VAE, GAN, features: slices resized to `size`; enhancement:
// native slices). The model's info() records the data, window, split and (VAE) the anomaly
// calibration measured on the training slices.
std::unique_ptr<ImageModel> train_on_data(const ImageTrainOptions& opt, const SliceData& data, size_t size,
                                          const Context& ctx);

// Anomaly maps of a VAE: squared reconstruction error, Gaussian-smoothed (sigma `smooth` px)
// and kept where the image or its reconstruction has signal; the slice score is the mean of
// the map's top 0.5 % pixels.
struct AnomalyMaps {
  SliceStack map;
  std::vector<double> score;
};
AnomalyMaps anomaly_maps(const ImageModel& vae, const SliceStack& x, double smooth = 1.5);

// VAE / GAN: reconstruction PSNR/SSIM on the test slices (VAE) against the mean training
// image; samples' Fréchet distance on the features of a network trained here on the training
// slices (to predict slice position), with the train-vs-test distance as the floor; nearest
// training slice distances of samples against those of real test slices.
nlohmann::json evaluate_generative(const ImageModel& m, const SliceData& data, size_t samples, const Context& ctx);

// Denoise: PSNR/SSIM on noisy test slices (noise at `noise_level`, 0: the model's level) of
// the model and of the best Gaussian, median and non-local-means filters (each with its best
// parameter on those slices). SR: the model against bicubic upsampling of area-downsampled
// test slices.
nlohmann::json evaluate_enhancement(const ImageModel& m, const SliceData& data, double noise_level, uint64_t seed);

// Synthetic-lesion evaluation of a VAE's anomaly maps on the test slices: each slice is scored
// clean and with lesions (`repeats` lesion draws per slice): pixel AUROC and AUPRC (pixels with
// signal), slice AUROC. `examples` (optional) receives some lesioned slices, their masks and
// maps for overlays.
struct AnomalyExamples {
  SliceStack image, mask, map;
};
nlohmann::json evaluate_anomaly(const ImageModel& vae, const SliceData& data, const LesionOptions& lesions,
                                size_t repeats, uint64_t seed, AnomalyExamples* examples = nullptr);

// A denoise or SR model applied to every slice of a volume along `axis`, written back with the
// volume's geometry (SR: in-plane dims times the scale, spacing divided by it, origin moved to
// the new first voxel centre). The window is the model's (info "window"), "range" by default.
Volume enhance_volume(const ImageModel& m, const Volume& v, Axis axis);

// An RGB overlay (width x height x 3 bytes) of a [0, 1] image with a heat map of `map` where it
// exceeds `threshold` (opacity rising to 0.7 at 2x threshold) and, when `mask` is given, the
// outline of the mask in green.
std::vector<uint8_t> overlay_rgb(const float* image, const float* map, const float* mask, size_t width,
                                 size_t height, double threshold);

}  // namespace medgen::imaging
