// The image models on Colin27 (small, seeded configurations): the VAE learns and beats the
// mean image, denoising and super-resolution beat their classical baselines on held-out
// slices, anomaly maps find inserted lesions, models survive a save/load round trip.
#include <gtest/gtest.h>

#include <cmath>

#include "imaging_util.h"
#include "medgen/imaging/tasks.h"

namespace medgen::imaging {
namespace {

using test::kCh2;

Context ctx_seeded(uint64_t seed) {
  Context ctx;
  ctx.seed = seed;
  ctx.threads = 1;
  return ctx;
}

// Colin27's axial slices, split by position; at most `max_test` held-out slices (spread).
SliceData colin(const std::string& window, size_t max_test) {
  DataSpec spec;
  spec.paths = {kCh2};
  spec.window = window;
  SliceData d = load_slice_data(spec);
  auto& t = d.splits[0].test;
  if (t.size() > max_test) {
    std::vector<size_t> keep;
    for (size_t i = 0; i < max_test; ++i) keep.push_back(t[i * t.size() / max_test]);
    t = keep;
  }
  return d;
}

class VaeOnColin : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::exists(kCh2)) return;
    data_ = new SliceData(colin("auto", 48));
    ImageTrainOptions o;
    o.kind = ImageModelKind::Vae;
    o.steps = 300;
    o.channels = 16;
    o.latent = 64;
    vae_ = train_on_data(o, *data_, 64, ctx_seeded(1)).release();
  }
  static void TearDownTestSuite() {
    delete vae_;
    delete data_;
  }
  static SliceData* data_;
  static ImageModel* vae_;
};
SliceData* VaeOnColin::data_ = nullptr;
ImageModel* VaeOnColin::vae_ = nullptr;

TEST_F(VaeOnColin, LossFallsAndReconstructionsBeatTheMeanImage) {
  MEDGEN_REQUIRE_FILE(kCh2, "mricron-data");
  const auto h = vae_->header()["history"];
  ASSERT_GE(h.size(), 3u);
  EXPECT_LT(h.back()["loss"].get<double>(), h.front()["loss"].get<double>() - 0.5);
  EXPECT_LT(h.back()["mse"].get<double>(), 0.5 * h.front()["mse"].get<double>());
  const auto j = evaluate_generative(*vae_, *data_, 64, ctx_seeded(2)).to_json();
  const auto& r = j["reconstruction"];
  EXPECT_GT(r["test_psnr_db"].get<double>(), r["mean_image_psnr_db"].get<double>() + 2.0) << r.dump();
  EXPECT_GT(r["test_ssim"].get<double>(), r["mean_image_ssim"].get<double>()) << r.dump();
  // Samples are new slices, not copies of training slices.
  EXPECT_EQ(j["nearest_training_rmse"]["samples_closer_than_any_test_slice"].get<size_t>(), 0u) << j.dump();
  EXPECT_TRUE(std::isfinite(j["frechet"]["samples_vs_test"].get<double>()));
}

TEST_F(VaeOnColin, SaveLoadRoundTripKeepsTheModel) {
  MEDGEN_REQUIRE_FILE(kCh2, "mricron-data");
  test::Scratch tmp;
  const std::string path = (tmp.path / "vae.mdl").string();
  vae_->save(path);
  auto back = load_image_model(path, ctx_seeded(0));
  EXPECT_EQ(back->kind(), ImageModelKind::Vae);
  const SliceStack x = data_->test(64);
  const SliceStack a = vae_->reconstruct(x), b = back->reconstruct(x);
  ASSERT_EQ(a.data.size(), b.data.size());
  for (size_t i = 0; i < a.data.size(); ++i) ASSERT_FLOAT_EQ(a.data[i], b.data[i]);
  const SliceStack s1 = back->sample(4, 7), s2 = back->sample(4, 7);
  EXPECT_EQ(s1.data, s2.data);  // sampling is a function of the seed
  EXPECT_EQ(back->info()["anomaly"], vae_->info()["anomaly"]);
}

TEST_F(VaeOnColin, ReconstructionErrorFindsInsertedLesionsAboveChance) {
  MEDGEN_REQUIRE_FILE(kCh2, "mricron-data");
  LesionOptions les;
  les.min_radius = 2.5;
  les.max_radius = 6;
  const auto j = evaluate_anomaly(*vae_, *data_, les, 2, 3).to_json();
  // The VAE is the weak baseline (blurry reconstructions of a head with its skull).
  EXPECT_GT(j["pixel_auroc"].get<double>(), 0.65) << j.dump();
  EXPECT_GT(j["pixel_auprc"].get<double>(), 1.5 * j["pixel_auprc_chance"].get<double>()) << j.dump();
}

TEST(ImageAnomaly, DenoisingAutoencoderFindsInsertedLesions) {
  MEDGEN_REQUIRE_FILE(test::kCh2bet, "mricron-data");
  DataSpec spec;
  spec.paths = {test::kCh2bet};
  const SliceData d = load_slice_data(spec);
  ImageTrainOptions o;
  o.kind = ImageModelKind::Dae;
  o.depth = 8;
  o.width = 16;
  o.patch = 64;
  o.steps = 300;
  auto m = train_on_data(o, d, 128, ctx_seeded(9));
  LesionOptions les;
  les.min_radius = 4;
  les.max_radius = 12.8;
  const auto j = evaluate_anomaly(*m, d, les, 4, 3).to_json();
  EXPECT_GT(j["slice_auroc"].get<double>(), 0.7) << j.dump();
  EXPECT_GT(j["pixel_auroc"].get<double>(), 0.75) << j.dump();
  EXPECT_GT(j["pixel_auprc"].get<double>(), 3 * j["pixel_auprc_chance"].get<double>()) << j.dump();
}

TEST(ImageEnhancement, DenoisingBeatsGaussianMedianAndNlm) {
  MEDGEN_REQUIRE_FILE(kCh2, "mricron-data");
  const SliceData d = colin("auto", 8);
  ImageTrainOptions o;
  o.kind = ImageModelKind::Denoise;
  o.noise = NoiseKind::Rician;
  o.noise_level = 0.08;
  o.depth = 6;
  o.width = 24;
  o.patch = 32;
  o.steps = 300;
  auto m = train_on_data(o, d, 0, ctx_seeded(4));
  const auto j = evaluate_enhancement(*m, d, 0, 5).to_json();
  EXPECT_GT(j["gain_db"].get<double>(), 0.5) << j.dump();
}

TEST(ImageEnhancement, SuperResolutionBeatsBicubic) {
  MEDGEN_REQUIRE_FILE(kCh2, "mricron-data");
  const SliceData d = colin("auto", 8);
  ImageTrainOptions o;
  o.kind = ImageModelKind::SuperRes;
  o.scale = 2;
  o.depth = 6;
  o.width = 24;
  o.patch = 32;
  o.steps = 300;
  auto m = train_on_data(o, d, 0, ctx_seeded(6));
  const auto j = evaluate_enhancement(*m, d, 0, 7).to_json();
  EXPECT_GT(j["gain_db"].get<double>(), 0.3) << j.dump();
}

TEST(ImageGan, TrainsAndSamplesSlicesInRange) {
  MEDGEN_REQUIRE_FILE(kCh2, "mricron-data");
  const SliceData d = colin("auto", 8);
  for (const char* loss : {"minimax", "wgan-gp"}) {
    ImageTrainOptions o;
    o.kind = ImageModelKind::Gan;
    o.loss = loss;
    o.steps = 20;
    o.channels = 8;
    o.latent = 16;
    auto g = train_on_data(o, d, 32, ctx_seeded(8));
    const SliceStack s = g->sample(8, 1);
    ASSERT_EQ(s.n, 8u);
    for (float v : s.data) ASSERT_TRUE(v >= 0 && v <= 1) << loss;
    const auto h = g->header()["history"];
    EXPECT_TRUE(std::isfinite(h.back()["loss_d"].get<double>())) << loss;
  }
}

}  // namespace
}  // namespace medgen::imaging
