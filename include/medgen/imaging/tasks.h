// What the `medgen image train|sample|evaluate|enhance|anomaly` commands do, as library calls:
// slices from volumes with the split by position, training on the training split, and the
// evaluations on the held-out split. Torch-free (the models come through models.h).
// Thread safety: these run whole commands through models.h and so share its global state
// (LibTorch's generator and thread count): one task at a time per process. Results are values
// owned by the caller.
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
  // Enhancement training on several volumes (slices of any sizes): every training slice cut into
  // side x side tiles (stride side / 2, the last one flush with the edge; a slice smaller than
  // `side` is reflected out to it), tiles with under 10 % of pixels above 0.05 dropped, and each
  // volume's tiles thinned evenly to at most kMaxTilesPerVolume or repeated up to
  // kMinTilesPerVolume, so that neither a large volume nor a single image dominates.
  // `counts` (optional) receives each volume's tile count. InvalidInput naming a volume that
  // gives no tile.
  SliceStack train_tiles(size_t side, std::vector<size_t>* counts = nullptr) const;
  static constexpr size_t kMaxTilesPerVolume = 400, kMinTilesPerVolume = 64;
  size_t test_slice_count() const;
};
// train_only_if_small: a volume with too few slices for the split by position (a single image,
// a short series) gives all its slices to training instead of an error (enhancement training on
// several inputs; such a volume has no held-out slices).
SliceData load_slice_data(const DataSpec& spec, bool train_only_if_small = false);

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
struct DistanceStats {
  double mean = 0, median = 0, min = 0, p05 = 0;
  nlohmann::json to_json() const;
};
struct GenerationScores {
  std::string model;
  size_t size = 0, train_slices = 0, test_slices = 0;
  bool has_reconstruction = false;  // VAE only
  double test_psnr_db = 0, test_ssim = 0, mean_image_psnr_db = 0, mean_image_ssim = 0, train_psnr_db = 0;
  std::string frechet_features;  // what the feature network is
  double frechet_samples_vs_test = 0, frechet_train_vs_test = 0;
  size_t samples = 0;
  DistanceStats nearest_samples, nearest_test;  // nearest-training-slice RMSE
  size_t samples_closer_than_any_test_slice = 0;
  DataSpec split;  // block, test_every and gap are reported
  // The JSON of `medgen image evaluate` (keys as documented in docs/imaging.md).
  nlohmann::json to_json() const;
};
GenerationScores evaluate_generative(const ImageModel& m, const SliceData& data, size_t samples, const Context& ctx);

// Denoise: PSNR/SSIM on noisy test slices (noise at `noise_level`, 0: the model's level) of
// the model and of the best Gaussian, median and non-local-means filters (each with its best
// parameter on those slices). SR: the model against bicubic upsampling of area-downsampled
// test slices.
struct MethodScore {
  std::string method, param;  // param: the best parameter of a baseline filter, "" otherwise
  double psnr_db = 0, ssim = 0;
};
struct EnhancementScores {
  std::string model;
  size_t test_slices = 0, slice_width = 0, slice_height = 0;
  bool denoise = false;          // denoise: noise, noise_level and best_baseline_psnr_db apply
  std::string noise;             // denoise
  double noise_level = 0;        // denoise
  double best_baseline_psnr_db = 0;  // denoise
  size_t scale = 0;              // sr
  double gain_db = 0;            // the model's PSNR minus the best baseline's (sr: bicubic's)
  std::vector<MethodScore> results;
  DataSpec split;  // block, test_every and gap are reported
  nlohmann::json to_json() const;
};
EnhancementScores evaluate_enhancement(const ImageModel& m, const SliceData& data, double noise_level, uint64_t seed);

// Blind denoising on images kept for evaluation (never trained or tuned on): each image (every
// slice with signal, in its own window: CT -1024..3071 HU, otherwise its range) gets `noise` at
// each level, and the model (told nothing) is compared with non-local means with the sigma
// estimated from the noisy image (nlm_estimated_sigma, the baseline) and, with `classical`, with
// the best of Gaussian, median and non-local means filters whose parameter (and NLM's sigma: the
// true one, Poisson: at the image's mean signal) is chosen per image against the clean image (an
// oracle, so an upper bound on what these filters reach). Images with identical pixels are
// scored once (the first path; the others are listed as duplicates). Deterministic from `seed`.
struct BlindEvalOptions {
  std::vector<std::string> images;
  NoiseKind noise = NoiseKind::Rician;
  std::vector<double> levels = {0.05, 0.1};  // sigmas in window units (Poisson: peak counts)
  bool classical = false;
  uint64_t seed = 0;
};
// {model, noise, seed, images: [{path, duplicates, modality, slices, width, height}],
//  levels: [{level, results: [{image, noisy, nlm_estimated_sigma {psnr_db, ssim, sigma_est},
//  model, best_classical {method, param, psnr_db, ssim}}], mean: {...},
//  gain_over_nlm_estimated_sigma_db, gain_over_best_classical_db}]} (PSNR/SSIM: mean over slices).
nlohmann::json evaluate_blind_denoising(const ImageModel& m, const BlindEvalOptions& opt);

// The classical blind baseline applied to a volume: every slice along `axis`, in the window
// "full" (CT -1024..3071 HU, otherwise the volume's range), denoised by nlm_estimated_sigma and
// written back with the volume's geometry. `sigma_est` (optional) receives each slice's estimate
// in window units.
Volume nlm_estimated_volume(const Volume& v, Axis axis, std::vector<double>* sigma_est = nullptr);

// Synthetic-lesion evaluation of a VAE's anomaly maps on the test slices: each slice is scored
// clean and with lesions (`repeats` lesion draws per slice): pixel AUROC, AUPRC and best Dice
// (pixels with signal), slice AUROC. Haemorrhages need CT volumes (InvalidInput otherwise).
// `examples` (optional) receives some lesioned slices, their masks and
// maps for overlays.
struct AnomalyExamples {
  SliceStack image, mask, map;
};
struct AnomalyScores {
  size_t test_slices = 0, lesioned_slices = 0, lesion_pixels = 0;
  double pixel_auroc = 0, pixel_auprc = 0, pixel_auprc_chance = 0, slice_auroc = 0;
  double pixel_dice = 0;  // the best Dice over thresholds of the map, and its threshold
  float dice_threshold = 0;
  LesionOptions lesions;
  nlohmann::json to_json() const;
};
AnomalyScores evaluate_anomaly(const ImageModel& vae, const SliceData& data, const LesionOptions& lesions,
                               size_t repeats, uint64_t seed, AnomalyExamples* examples = nullptr);

// A denoise or SR model applied to every slice of a volume along `axis`, written back with the
// volume's geometry (SR: in-plane dims times the scale, spacing divided by it, origin moved to
// the new first voxel centre). The window is the model's (info "window"), "range" by default.
Volume enhance_volume(const ImageModel& m, const Volume& v, Axis axis);

// PSNR/SSIM against a clean reference volume (same dims as `output`, InvalidInput naming
// `reference_name` otherwise), averaged over the reference's slices with signal along `axis`,
// in the model's window units: of the enhanced `output` and, when its dims match, of `input`.
struct ReferenceScores {
  std::string reference;
  size_t slices_compared = 0;
  double output_psnr_db = 0, output_ssim = 0;
  bool has_input = false;  // input scores only when the input has the reference's dims (not SR)
  double input_psnr_db = 0, input_ssim = 0;
  // Adds the keys of `medgen image enhance --reference` to `out`.
  void add_to(nlohmann::json& out) const;
};
ReferenceScores score_against_reference(const ImageModel& m, const Volume& input, const Volume& output,
                                        const Volume& reference, const std::string& reference_name, Axis axis);

// The anomaly calibration stored in a VAE/DAE's info (0 thresholds and smoothing 1.5 when absent).
struct AnomalyCalibration {
  double pixel_threshold = 0, slice_threshold = 0, smooth = 1.5;
};
AnomalyCalibration anomaly_calibration(const ImageModel& m);

// Anomaly maps of a whole volume: the slices along `spec.axis` with signal (spec.window and
// spec.min_foreground), mapped at the model's size and brought back to the source geometry;
// `map` is a volume like `v` (modality Other) that is zero on slices without signal.
// InvalidInput naming `name` when no slice has signal.
struct AnomalyResult {
  std::string input, output;
  AnomalyCalibration calibration;
  std::vector<size_t> slices;  // positions along the axis
  std::vector<double> score;   // per slice of `slices`
  SliceStack native;           // the per-slice maps in the source geometry
  Volume map;
  // {input, output, pixel_threshold, slice_threshold, slices: [{slice, score, flagged}]}.
  nlohmann::json to_json() const;
};
AnomalyResult anomaly_volume(const ImageModel& m, const Volume& v, const DataSpec& spec, const std::string& name);

// An RGB image (width x height x 3 bytes) with the file stem it is written under.
struct RgbImage {
  std::string stem;
  size_t width = 0, height = 0;
  std::vector<uint8_t> rgb;
};
// Overlays of the `top` highest-scoring slices of `r` on the volume's slices, oriented for
// display (stems "slice_<position>").
std::vector<RgbImage> anomaly_overlays(const AnomalyResult& r, const Volume& v, const DataSpec& spec,
                                       size_t top = 6);
// Overlays of lesion examples with their masks outlined (stems "lesions_<i>").
std::vector<RgbImage> lesion_overlays(const AnomalyExamples& ex, double pixel_threshold);

// `medgen image train`'s per-model defaults, resolved in place: the noise level (Poisson peak
// 2000 unless `noise_level` > 0), the slice size (dae 128, others 64; 32, 64, 128 or 256), the
// dae's patch (size / 2 unless `patch_given`), and the window (`window` if set, else "full"
// for denoise/sr, "auto" for the generative models). InvalidInput on bad options.
void resolve_train_defaults(ImageTrainOptions* opt, size_t* size, std::string* window, double noise_level,
                            bool patch_given);

// The JSON summary of a trained model: {model, output, train_seconds, train_slices,
// test_slices, last, anomaly_calibration (VAE/DAE)}.
nlohmann::json train_summary(const ImageModel& m, const std::string& output);

// A copy of `v` with noise of `kind` at `level` added in the units of window `window`
// ("full" by default: CT -1024..3071, otherwise the volume's range).
Volume degrade_volume(const Volume& v, NoiseKind kind, double level, const std::string& window, uint64_t seed);

// Generated slices written as a grid (.png, 8-bit) or a stack (.nii/.nii.gz, unit spacing).
// check_sample_output: InvalidInput for any other extension (before sampling).
void check_sample_output(const std::string& path);
void write_samples(const SliceStack& s, const std::string& path);

// An RGB overlay (width x height x 3 bytes) of a [0, 1] image with a heat map of `map` where it
// exceeds `threshold` (opacity rising to 0.7 at 2x threshold) and, when `mask` is given, the
// outline of the mask in green.
std::vector<uint8_t> overlay_rgb(const float* image, const float* map, const float* mask, size_t width,
                                 size_t height, double threshold);

}  // namespace medgen::imaging
