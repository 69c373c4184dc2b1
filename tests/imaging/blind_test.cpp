// Blind denoising (issue 24): the noise estimator, non-local means with the estimated sigma,
// training on several inputs over a range of noise levels, and the evaluation on images kept
// for evaluation.
#include <gtest/gtest.h>

#include <cmath>

#include "imaging/imaging_util.h"
#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/imaging/io.h"
#include "medgen/imaging/quality.h"
#include "medgen/imaging/tasks.h"

namespace medgen::imaging {
namespace {

// A piecewise-smooth test image in [0.1, 0.9]: a gentle ramp with rectangles and a disc.
std::vector<float> phantom(size_t h, size_t w, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> img(h * w);
  for (size_t y = 0; y < h; ++y)
    for (size_t x = 0; x < w; ++x) img[y * w + x] = float(0.2 + 0.2 * double(x) / double(w));
  for (int r = 0; r < 5; ++r) {
    const size_t y0 = rng.below(h * 3 / 4), x0 = rng.below(w * 3 / 4), bh = 4 + rng.below(h / 4), bw = 4 + rng.below(w / 4);
    const float v = float(0.1 + 0.8 * rng.uniform());
    for (size_t y = y0; y < std::min(h, y0 + bh); ++y)
      for (size_t x = x0; x < std::min(w, x0 + bw); ++x) img[y * w + x] = v;
  }
  const double cy = double(h) / 2, cx = double(w) / 3, rad = double(std::min(h, w)) / 6;
  for (size_t y = 0; y < h; ++y)
    for (size_t x = 0; x < w; ++x)
      if ((double(y) - cy) * (double(y) - cy) + (double(x) - cx) * (double(x) - cx) < rad * rad) img[y * w + x] = 0.85f;
  return img;
}

TEST(BlindDenoise, NoiseEstimatorRecoversAKnownSigma) {
  const size_t h = 160, w = 192;
  for (double sigma : {0.02, 0.05, 0.1}) {
    std::vector<float> img = phantom(h, w, 3);
    Rng rng(11);
    add_noise(img.data(), img.size(), NoiseKind::Gaussian, sigma, rng);
    const double est = estimate_noise_sigma(img.data(), h, w);
    EXPECT_NEAR(est, sigma, 0.08 * sigma) << "sigma " << sigma;
  }
  // A noise-free piecewise-constant image: edges alone give a small estimate; a constant one 0.
  const std::vector<float> clean = phantom(h, w, 3);
  EXPECT_LT(estimate_noise_sigma(clean.data(), h, w), 0.01);
  const std::vector<float> flat(64 * 64, 0.5f);
  EXPECT_LT(estimate_noise_sigma(flat.data(), 64, 64), 1e-12);  // rounding of the filter taps alone
  EXPECT_THROW(estimate_noise_sigma(flat.data(), 1, 64), InvalidInput);
}

TEST(BlindDenoise, NlmWithEstimatedSigmaImprovesANoisyBlockImage) {
  const size_t h = 96, w = 112;
  const std::vector<float> clean = phantom(h, w, 5);
  for (double sigma : {0.05, 0.1}) {
    std::vector<float> noisy = clean;
    Rng rng(7);
    add_noise(noisy.data(), noisy.size(), NoiseKind::Gaussian, sigma, rng);
    double est = 0;
    const std::vector<float> out = nlm_estimated_sigma(noisy.data(), h, w, &est);
    EXPECT_NEAR(est, sigma, 0.15 * sigma);
    const double before = psnr(noisy.data(), clean.data(), clean.size());
    const double after = psnr(out.data(), clean.data(), clean.size());
    EXPECT_GT(after, before + 4) << "sigma " << sigma;
  }
  // Constants are kept (weights are normalised), and a noise-free image comes back unchanged.
  const std::vector<float> flat(40 * 50, 0.3f);
  for (float v : nlm_fast_filter(flat.data(), 40, 50, 0.05, 0.04)) ASSERT_NEAR(v, 0.3f, 1e-6);
  EXPECT_EQ(nlm_estimated_sigma(flat.data(), 40, 50), flat);
}

// Writes a w x h x n volume of phantom slices (NIfTI) and returns its path.
std::string write_phantom_volume(const test::Scratch& s, const std::string& name, size_t w, size_t h, size_t n,
                                 uint64_t seed) {
  Volume v = Volume::zeros(w, h, n);
  for (size_t k = 0; k < n; ++k) {
    const std::vector<float> img = phantom(h, w, seed + k);
    std::copy(img.begin(), img.end(), v.voxels.begin() + k * w * h);
  }
  write_image(v, s.file(name));
  return s.file(name);
}

TEST(BlindDenoise, TrainsOnSeveralInputsOverASigmaRangeAndBeatsTheNoisyInput) {
  test::Scratch s;
  // Two volumes of different slice sizes and a single image (too few slices for a split).
  DataSpec spec;
  spec.paths = {write_phantom_volume(s, "a.nii", 72, 64, 40, 100), write_phantom_volume(s, "b.nii", 50, 90, 40, 200),
                write_phantom_volume(s, "c.nii", 80, 80, 1, 300)};
  spec.window = "range";
  spec.min_foreground = 0.0;
  EXPECT_THROW(load_slice_data(spec), InvalidInput);  // c.nii cannot be split
  const SliceData data = load_slice_data(spec, true);
  ASSERT_EQ(data.volumes.size(), 3u);
  EXPECT_TRUE(data.splits[2].test.empty());

  ImageTrainOptions opt;
  opt.kind = ImageModelKind::Denoise;
  opt.noise = NoiseKind::Gaussian;
  opt.noise_mix = {NoiseKind::Gaussian, NoiseKind::Rician};
  opt.noise_level = 0.03;
  opt.noise_level_max = 0.12;
  opt.depth = 5;
  opt.width = 12;
  opt.patch = 24;
  opt.batch = 8;
  opt.steps = 250;
  ASSERT_TRUE(opt.blind());
  Context ctx;
  ctx.seed = 5;
  ctx.threads = 1;
  const auto m = train_on_data(opt, data, 0, ctx);
  const nlohmann::json h = m->header();
  EXPECT_EQ(h["options"]["blind"], true);
  EXPECT_EQ(h["options"]["noise_level_max"], 0.12);
  EXPECT_EQ(h["options"]["noise_mix"], nlohmann::json({"gaussian", "rician"}));
  ASSERT_EQ(h["info"]["volumes"].size(), 3u);
  EXPECT_EQ(h["info"]["volumes"][2]["test_slices"], 0);
  // The options survive a save and load.
  m->save(s.file("m.medgen"));
  const auto back = load_image_model(s.file("m.medgen"), ctx);
  EXPECT_EQ(back->header()["options"], h["options"]);

  // An image of none of the inputs, at two levels the model is not told.
  const size_t H = 88, W = 104;
  const std::vector<float> clean = phantom(H, W, 999);
  for (double sigma : {0.04, 0.1}) {
    SliceStack x = SliceStack::zeros(1, H, W);
    std::copy(clean.begin(), clean.end(), x.slice(0));
    Rng rng(17);
    add_noise(x.data.data(), x.data.size(), NoiseKind::Gaussian, sigma, rng);
    const SliceStack y = back->enhance(x);
    const double before = psnr(x.slice(0), clean.data(), clean.size());
    const double after = psnr(y.slice(0), clean.data(), clean.size());
    EXPECT_GT(after, before + 1.0) << "sigma " << sigma;
  }

  // The evaluation on images kept aside: pixel-identical files are scored once.
  const std::string e1 = write_phantom_volume(s, "e1.nii", 64, 64, 1, 900);
  const std::string e1_copy = s.file("e1-copy.nii.gz");
  write_image(read_image(e1), e1_copy);
  BlindEvalOptions eo;
  eo.images = {e1, e1_copy, write_phantom_volume(s, "e2.nii", 60, 70, 1, 901)};
  eo.noise = NoiseKind::Rician;
  eo.levels = {0.05, 0.1};
  eo.classical = true;
  eo.seed = 3;
  const nlohmann::json r = evaluate_blind_denoising(*back, eo);
  ASSERT_EQ(r["images"].size(), 2u);
  EXPECT_EQ(r["images"][0]["duplicates"], nlohmann::json({e1_copy}));
  ASSERT_EQ(r["levels"].size(), 2u);
  for (const auto& lv : r["levels"]) {
    ASSERT_EQ(lv["results"].size(), 2u);
    EXPECT_GT(lv["mean"]["nlm_estimated_sigma"]["psnr_db"], lv["mean"]["noisy"]["psnr_db"]);
    EXPECT_GE(lv["mean"]["best_classical"]["psnr_db"], lv["mean"]["nlm_estimated_sigma"]["psnr_db"]);
    EXPECT_NEAR(lv["gain_over_nlm_estimated_sigma_db"].get<double>(),
                lv["mean"]["model"]["psnr_db"].get<double>() - lv["mean"]["nlm_estimated_sigma"]["psnr_db"].get<double>(),
                1e-9);
  }
  // Same seed, same figures.
  EXPECT_EQ(evaluate_blind_denoising(*back, eo), r);
}

TEST(BlindDenoise, OptionsAreChecked) {
  ImageTrainOptions o;
  o.kind = ImageModelKind::Denoise;
  o.noise_level = 0.1;
  o.noise_level_max = 0.05;  // min > max
  EXPECT_THROW(o.validate(), InvalidInput);
  o.noise_level_max = 1.5;  // beyond the window
  EXPECT_THROW(o.validate(), InvalidInput);
  o.noise_level_max = 0.2;
  EXPECT_NO_THROW(o.validate());
  o.noise_mix = {NoiseKind::Gaussian, NoiseKind::Gaussian};
  EXPECT_THROW(o.validate(), InvalidInput);
  o.noise_mix = {NoiseKind::Gaussian, NoiseKind::Poisson};  // sigmas in a mix, Poisson included
  EXPECT_NO_THROW(o.validate());
  // A model file with a bad range is a ModelFormat error.
  nlohmann::json j = o.to_json();
  j["noise_level_max"] = 0.01;
  EXPECT_THROW(ImageTrainOptions::from_json(j), ModelFormat);
  j["noise_level_max"] = 0.2;
  j["noise_mix"] = {"gaussian", "speckle"};
  EXPECT_THROW(ImageTrainOptions::from_json(j), ModelFormat);
}

}  // namespace
}  // namespace medgen::imaging
