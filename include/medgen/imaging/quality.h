// Image quality and detection metrics, classical filters, noise models and synthetic lesions:
// the measuring stick and the baselines of the image models. Torch-free; all deterministic
// from an Rng. Definitions and references: docs/imaging.md.
// Thread safety: pure functions; randomness only from the Rng the caller passes (one per
// thread). Safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "medgen/core/rng.h"
#include "medgen/imaging/slices.h"

namespace medgen::imaging {

// Peak signal-to-noise ratio in dB for images with the given data range (1 for model units):
// 10 log10(range^2 / MSE). Identical images give +infinity.
double psnr(const float* a, const float* b, size_t n, double data_range = 1.0);
// Structural similarity (Wang et al. 2004): 11x11 Gaussian window, sigma 1.5, K1 = 0.01,
// K2 = 0.03, averaged over the positions where the window fits. Images smaller than 11x11:
// InvalidInput.
double ssim(const float* a, const float* b, size_t h, size_t w, double data_range = 1.0);

// Fréchet distance between two Gaussians fitted to feature rows (n1 x d and n2 x d, row-major):
// |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)), covariances with n - 1. InvalidInput when a
// set has fewer than 2 rows.
double frechet_distance(const std::vector<double>& a, size_t n1, const std::vector<double>& b, size_t n2, size_t d);

// Area under the ROC curve (ties count one half) and average precision (area under the
// precision-recall curve as sum over positives of precision at their rank, ties grouped).
// NaN when a class is absent. O(n log n); fine for millions of pixels.
double roc_auc(const std::vector<float>& score, const std::vector<uint8_t>& label);
double average_precision(const std::vector<float>& score, const std::vector<uint8_t>& label);
// The best Dice over all thresholds (a pixel with score >= threshold is called a lesion), the
// optimistic segmentation figure of unsupervised anomaly studies (Baur et al. 2021's "best
// possible Dice"); dice 0 and threshold NaN when no label is positive.
struct BestDice {
  double dice = 0;
  float threshold = std::numeric_limits<float>::quiet_NaN();
};
BestDice best_dice(const std::vector<float>& score, const std::vector<uint8_t>& label);

// Classical filters on one h x w image (borders reflected):
std::vector<float> gaussian_filter(const float* img, size_t h, size_t w, double sigma);
std::vector<float> median_filter(const float* img, size_t h, size_t w, int radius);  // (2r+1)^2 window
// Non-local means (Buades, Coll & Morel 2005): patch (2p+1)^2, search window (2s+1)^2,
// weights exp(-max(d2 - 2 sigma^2, 0) / h^2) with d2 the mean squared patch difference.
std::vector<float> nlm_filter(const float* img, size_t h, size_t w, double sigma, double hparam, int patch_radius = 2,
                              int search_radius = 7);

// The noise's standard deviation estimated from the image itself (Donoho & Johnstone 1994, as
// scikit-image's estimate_sigma): the median absolute value of the nonzero finest diagonal detail
// coefficients of a one-level 2D Daubechies-2 wavelet transform (half-sample symmetric extension,
// PyWavelets' default), divided by 0.6745 (the standard normal's 75th percentile). 0 when every
// coefficient is zero; a constant image gives ~1e-30 (the filter taps' rounding). Images smaller
// than 2 x 2: InvalidInput.
double estimate_noise_sigma(const float* img, size_t h, size_t w);

// Non-local means with scikit-image's fast-mode arithmetic (Darbon et al. 2008, Froment 2014):
// for every shift t in the (2s+1)^2 search window, D = max(0, sum over a 2p x 2p box, rows and
// columns (c - p, c + p], of ((x - x_t)^2 - 2 sigma^2)) / ((2p+1)^2 h^2) (the box is 2p wide, not
// 2p+1, as scikit-image's integral-image indexing makes it); weight exp(-D), and 0 when D > 5;
// borders whole-sample reflected (numpy's 'reflect').
std::vector<float> nlm_fast_filter(const float* img, size_t h, size_t w, double sigma, double hparam,
                                   int patch_radius = 2, int search_radius = 6);
// The classical baseline of blind denoising: nlm_fast_filter with sigma = estimate_noise_sigma of
// the image, h = 0.8 sigma, 5 x 5 patches, 13 x 13 search window (scikit-image's recommended
// fast-mode setting). `sigma_est` (optional) receives the estimate. An image whose estimate is
// below 1e-9 (noise-free: a constant) is returned unchanged.
std::vector<float> nlm_estimated_sigma(const float* img, size_t h, size_t w, double* sigma_est = nullptr);

// Noise models on model-unit images (in place):
//  gaussian: x + N(0, sigma^2);
//  rician: |(x + N(0, sigma^2)) + i N(0, sigma^2)|, the magnitude-MRI noise;
//  poisson: Poisson(peak * x) / peak (image-domain quantum noise; peak = counts at x = 1; a
//  lower peak is a lower dose), approximated by a Gaussian of the same variance above 30 counts.
enum class NoiseKind { Gaussian, Rician, Poisson };
NoiseKind noise_kind_from_name(const std::string& s);  // gaussian|rician|poisson, else InvalidInput
std::string noise_kind_name(NoiseKind k);
void add_noise(float* img, size_t n, NoiseKind kind, double level, Rng& rng);  // level: sigma or peak

// Synthetic lesions for evaluating anomaly maps, 1..3 per slice (`min_lesions`..`max_lesions`),
// centred in tissue, with a mask of the abnormal pixels. Shapes are ellipses with random axes
// and rotation whose radius is modulated by low-frequency harmonics (irregular outlines), with
// soft edges; radii are uniform in [min_radius, max_radius] pixels. Three kinds:
//  blob: adds `contrast` (sign random, magnitude uniform in [min_contrast, max_contrast], window
//    units) times a texture near 1; the mask is where the blob's weight is >= 0.5.
//  tumour: a brain-tumour-like mass: mass effect first (the surrounding tissue pushed outward
//    by up to `max_mass_effect` of the radius, decaying with distance, so neighbouring anatomy
//    is displaced but stays normal), then a solid core (hypo- or hyperintense by `contrast`) or,
//    for half of them, a ring-enhancing core (a bright rim around a dark necrotic centre), inside
//    a wider halo of vasogenic oedema (1.3-2 radii, finger-like, the core's sign on a solid
//    tumour and hypointense around a ring, at 0.3-0.6 of the core's contrast). The mask is core
//    and oedema (the "whole tumour" of brain-tumour segmentation), not the displaced tissue.
//  haemorrhage: an acute intraparenchymal haematoma on CT: +25..+50 HU over the parenchyma
//    (so 55-90 HU blood in 30-40 HU brain), a perihaematomal oedema rim of -4..-10 HU, and
//    mass effect; centres where the tissue is 15-60 HU (brain, not bone, fluid or air). Needs the
//    image's window: `hu_per_unit` (its width in HU) and `window_lo_hu` (its lower end).
//    The mask is haematoma and oedema rim.
// Clipped to [0, 1] (window units). A lesion whose sign would be hidden by clipping takes the
// other sign (blob and tumour core).
enum class LesionKind { Blob, Tumour, Haemorrhage };
LesionKind lesion_kind_from_name(const std::string& s);  // blob|tumour|tumor|haemorrhage|hemorrhage
std::string lesion_kind_name(LesionKind k);
struct LesionOptions {
  LesionKind kind = LesionKind::Blob;
  size_t min_lesions = 1, max_lesions = 3;
  double min_radius = 3, max_radius = 12;
  double min_contrast = 0.2, max_contrast = 0.5;
  double max_mass_effect = 0.3;                 // tumour, haemorrhage: 0..0.6 of the radius
  double hu_per_unit = 0, window_lo_hu = 0;     // haemorrhage only (CT)
};
void insert_lesions(float* img, uint8_t* mask, size_t h, size_t w, const LesionOptions& opt, Rng& rng);

}  // namespace medgen::imaging
