// The torch-free parts of medgen/imaging/tasks.h: training defaults, the typed results' JSON,
// degradation, sample output and the super-resolution triple shared by training and evaluation.
#include "medgen/imaging/tasks.h"

#include <gtest/gtest.h>

#include <cmath>

#include "medgen/core/error.h"
#include "medgen/imaging/intensity.h"

namespace medgen::imaging {
namespace {

TEST(Tasks, SrTripleCropsToTheScaleThenAreaDownAndBicubicUp) {
  const size_t h = 7, w = 10, s = 2;
  std::vector<float> img(h * w);
  for (size_t i = 0; i < img.size(); ++i) img[i] = static_cast<float>(std::sin(0.37 * double(i)));
  const SrTriple t = sr_triple(img.data(), h, w, s);
  ASSERT_EQ(t.h, 6u);
  ASSERT_EQ(t.w, 10u);
  ASSERT_EQ(t.hr.size(), 60u);
  for (size_t y = 0; y < t.h; ++y)
    for (size_t x = 0; x < t.w; ++x) ASSERT_EQ(t.hr[y * t.w + x], img[y * w + x]);  // top-left crop
  EXPECT_EQ(t.lr, downsample_area(t.hr.data(), 6, 10, 2));
  EXPECT_EQ(t.bicubic, upsample_bicubic(t.lr.data(), 3, 5, 2));
  EXPECT_THROW(sr_triple(img.data(), h, w, 0), InvalidInput);
}

TEST(Tasks, PercentileOfDoublesInterpolatesBetweenOrderStatistics) {
  const std::vector<double> v = {4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(percentile(v, 0.0), 1);
  EXPECT_DOUBLE_EQ(percentile(v, 1.0), 4);
  EXPECT_DOUBLE_EQ(percentile(v, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(percentile(v, 0.05), 1.15);
  // Doubles keep their precision (a float overload would round 1 + 1e-12 to 1).
  EXPECT_DOUBLE_EQ(percentile(std::vector<double>{1 + 1e-12}, 0.5), 1 + 1e-12);
}

TEST(Tasks, TrainDefaultsPerModel) {
  ImageTrainOptions o;
  o.kind = ImageModelKind::Dae;
  size_t size = 0;
  std::string window;
  resolve_train_defaults(&o, &size, &window, 0, false);
  EXPECT_EQ(size, 128u);
  EXPECT_EQ(o.patch, 64u);
  EXPECT_EQ(window, "auto");

  ImageTrainOptions d;
  d.kind = ImageModelKind::Denoise;
  d.noise = NoiseKind::Poisson;
  size = 0;
  window.clear();
  resolve_train_defaults(&d, &size, &window, 0, false);
  EXPECT_EQ(d.noise_level, 2000);
  EXPECT_EQ(size, 64u);
  EXPECT_EQ(d.patch, ImageTrainOptions{}.patch);
  EXPECT_EQ(window, "full");

  ImageTrainOptions g;
  g.kind = ImageModelKind::Dae;
  size = 32;
  window = "brain";
  resolve_train_defaults(&g, &size, &window, 0.1, true);
  EXPECT_EQ(g.noise_level, 0.1);
  EXPECT_EQ(g.patch, ImageTrainOptions{}.patch);  // --patch given: kept
  EXPECT_EQ(window, "brain");

  size = 50;
  EXPECT_THROW(resolve_train_defaults(&g, &size, &window, 0, false), InvalidInput);
}

TEST(Tasks, EnhancementScoresJsonHasTheKeysOfEachKind) {
  EnhancementScores e;
  e.model = "denoise";
  e.denoise = true;
  e.noise = "rician";
  e.noise_level = 0.05;
  e.results = {{"noisy input", "", 20, 0.5}, {"gaussian filter (sigma px)", "1", 25, 0.7}};
  const nlohmann::json j = e.to_json();
  for (const char* k : {"model", "test_slices", "slice_shape", "noise", "noise_level", "best_baseline_psnr_db",
                        "gain_db", "results", "split"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_FALSE(j.contains("scale"));
  EXPECT_EQ(j["results"][1]["param"], "1");
  EXPECT_EQ(j["results"][1]["psnr_db"], 25.0);
  EXPECT_EQ(j["split"]["block"], 16);

  EnhancementScores sr;
  sr.model = "sr";
  sr.scale = 2;
  const nlohmann::json k = sr.to_json();
  EXPECT_EQ(k["scale"], 2);
  EXPECT_FALSE(k.contains("noise"));
  EXPECT_TRUE(k["results"].is_array());
}

TEST(Tasks, AnomalyResultFlagsSlicesAboveTheCalibratedThreshold) {
  AnomalyResult r;
  r.input = "in.nii";
  r.slices = {3, 4, 5};
  r.score = {0.1, 0.3, 0.2};
  r.calibration.slice_threshold = 0.15;
  nlohmann::json j = r.to_json();
  ASSERT_EQ(j["slices"].size(), 3u);
  EXPECT_EQ(j["slices"][0]["slice"], 3);
  EXPECT_FALSE(j["slices"][0]["flagged"].get<bool>());
  EXPECT_TRUE(j["slices"][1]["flagged"].get<bool>());
  EXPECT_TRUE(j["slices"][2]["flagged"].get<bool>());
  r.calibration.slice_threshold = 0;  // uncalibrated: nothing flagged
  j = r.to_json();
  for (const auto& s : j["slices"]) EXPECT_FALSE(s["flagged"].get<bool>());
}

TEST(Tasks, DegradeIsSeededAndRefusesNoNoise) {
  Volume v = Volume::zeros(8, 8, 2);
  for (size_t i = 0; i < v.voxels.size(); ++i) v.voxels[i] = float(i);
  const Volume a = degrade_volume(v, NoiseKind::Gaussian, 0.05, "", 7), b = degrade_volume(v, NoiseKind::Gaussian, 0.05, "", 7),
               c = degrade_volume(v, NoiseKind::Gaussian, 0.05, "", 8);
  EXPECT_EQ(a.voxels, b.voxels);
  EXPECT_NE(a.voxels, c.voxels);
  EXPECT_NE(a.voxels, v.voxels);
  EXPECT_THROW(degrade_volume(v, NoiseKind::Gaussian, 0, "", 7), InvalidInput);
}

TEST(Tasks, SampleOutputMustBePngOrNifti) {
  EXPECT_NO_THROW(check_sample_output("a.png"));
  EXPECT_NO_THROW(check_sample_output("a.nii"));
  EXPECT_NO_THROW(check_sample_output("a.nii.gz"));
  EXPECT_THROW(check_sample_output("a.jpg"), InvalidInput);
  EXPECT_THROW(write_samples(SliceStack::zeros(1, 4, 4), "a.dcm"), InvalidInput);
}

}  // namespace
}  // namespace medgen::imaging
