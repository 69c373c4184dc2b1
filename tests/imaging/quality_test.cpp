// Quality metrics, detection metrics, filters, noise models and synthetic lesions.
#include "medgen/imaging/quality.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numeric>
#include <set>
#include <tuple>

#include "medgen/core/error.h"

namespace medgen::imaging {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<float> smooth_image(size_t h, size_t w) {
  std::vector<float> img(h * w);
  for (size_t y = 0; y < h; ++y)
    for (size_t x = 0; x < w; ++x)
      img[y * w + x] = static_cast<float>(0.5 + 0.25 * std::sin(0.2 * x) + 0.15 * std::cos(0.13 * y + 0.05 * x));
  return img;
}

double mse(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return s / static_cast<double>(a.size());
}

TEST(Metric, PsnrOfAKnownMse) {
  const std::vector<float> a(100, 0.0f), b(100, 0.1f);
  EXPECT_NEAR(psnr(a.data(), b.data(), 100), 20.0, 1e-5);  // MSE 0.01
  EXPECT_NEAR(psnr(a.data(), b.data(), 100, 2.0), 20.0 + 20 * std::log10(2.0), 1e-5);
  EXPECT_TRUE(std::isinf(psnr(a.data(), a.data(), 100)));
  EXPECT_THROW(psnr(a.data(), b.data(), 0), InvalidInput);
}

// SSIM computed the slow way: a full 2-D Gaussian window at every valid position.
double ssim_reference(const std::vector<float>& a, const std::vector<float>& b, size_t h, size_t w, double range) {
  double g[11][11], gs = 0;
  for (int i = 0; i < 11; ++i)
    for (int j = 0; j < 11; ++j) gs += g[i][j] = std::exp(-((i - 5) * (i - 5) + (j - 5) * (j - 5)) / (2 * 1.5 * 1.5));
  const double c1 = 1e-4 * range * range, c2 = 9e-4 * range * range;
  double total = 0;
  for (size_t y = 0; y + 11 <= h; ++y)
    for (size_t x = 0; x + 11 <= w; ++x) {
      double ma = 0, mb = 0, aa = 0, bb = 0, ab = 0;
      for (int i = 0; i < 11; ++i)
        for (int j = 0; j < 11; ++j) {
          const double wt = g[i][j] / gs, p = a[(y + i) * w + x + j], q = b[(y + i) * w + x + j];
          ma += wt * p, mb += wt * q, aa += wt * p * p, bb += wt * q * q, ab += wt * p * q;
        }
      total += (2 * ma * mb + c1) * (2 * (ab - ma * mb) + c2) /
               ((ma * ma + mb * mb + c1) * (aa - ma * ma + bb - mb * mb + c2));
    }
  return total / static_cast<double>((h - 10) * (w - 10));
}

TEST(Metric, SsimIsOneForIdenticalImagesAndFallsWithNoise) {
  const size_t h = 48, w = 40;
  const std::vector<float> x = smooth_image(h, w);
  EXPECT_NEAR(ssim(x.data(), x.data(), h, w), 1.0, 1e-12);
  double previous = 1.0;
  for (double sigma : {0.01, 0.03, 0.1, 0.3}) {
    std::vector<float> y = x;
    Rng rng(11);
    add_noise(y.data(), y.size(), NoiseKind::Gaussian, sigma, rng);
    const double s = ssim(x.data(), y.data(), h, w);
    EXPECT_LT(s, previous) << "sigma " << sigma;
    EXPECT_NEAR(s, ssim_reference(x, y, h, w, 1.0), 1e-10);
    EXPECT_NEAR(ssim(x.data(), y.data(), h, w, 2.0), ssim_reference(x, y, h, w, 2.0), 1e-10);
    previous = s;
  }
  EXPECT_LT(previous, 0.5);
  // Two constants: only the luminance term is left, (2ab + C1) / (a^2 + b^2 + C1).
  const std::vector<float> a(16 * 16, 0.2f), b(16 * 16, 0.6f);
  EXPECT_NEAR(ssim(a.data(), b.data(), 16, 16), (2 * 0.2 * 0.6 + 1e-4) / (0.04 + 0.36 + 1e-4), 1e-6);
  EXPECT_THROW(ssim(a.data(), b.data(), 10, 25), InvalidInput);
}

TEST(Metric, FrechetDistance) {
  const size_t n = 400, d = 4;
  Rng rng(2);
  std::vector<double> a(n * d);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < d; ++j) a[i * d + j] = rng.normal() * (1 + j) + (j == 1 ? 0.8 * a[i * d] : 0.0);
  EXPECT_NEAR(frechet_distance(a, n, a, n, d), 0.0, 1e-8);
  // A mean shift leaves the covariances equal: the distance is |shift|^2.
  const double shift[d] = {0.5, -1.0, 2.0, 0.0};
  std::vector<double> b = a;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < d; ++j) b[i * d + j] += shift[j];
  EXPECT_NEAR(frechet_distance(a, n, b, n, d), 0.25 + 1 + 4, 1e-8);
  // 1-D: (m1 - m2)^2 + (s1 - s2)^2 with sample standard deviations.
  const std::vector<double> u = {1, 2, 4, 7}, v = {0, 3, 3, 10, 4};
  const double su = std::sqrt((6.25 + 2.25 + 0.25 + 12.25) / 3.0), sv = std::sqrt((16 + 1 + 1 + 36 + 0) / 4.0);
  EXPECT_NEAR(frechet_distance(u, 4, v, 5, 1), (3.5 - 4.0) * (3.5 - 4.0) + (su - sv) * (su - sv), 1e-10);
  EXPECT_THROW(frechet_distance(u, 1, v, 5, 1), InvalidInput);
  EXPECT_THROW(frechet_distance(u, 4, v, 4, 1), InvalidInput);
}

TEST(Metric, RocAucAndAveragePrecisionByHand) {
  // sklearn's classic example: AUC 0.75, AP 0.8333.
  EXPECT_NEAR(roc_auc({0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1}), 0.75, 1e-12);
  EXPECT_NEAR(average_precision({0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1}), 5.0 / 6, 1e-12);
  // Ties: the positive at 2 beats the negative at 1 and ties the one at 2 (1.5 of 2); the
  // positive at 3 beats both: AUC 3.5 / 4. AP: threshold 3 gives precision 1 at recall 1/2,
  // threshold 2 (the tie group enters at once) 2/3 at recall 1.
  EXPECT_NEAR(roc_auc({1, 2, 2, 3}, {0, 0, 1, 1}), 0.875, 1e-12);
  EXPECT_NEAR(average_precision({1, 2, 2, 3}, {0, 0, 1, 1}), 0.5 + 0.5 * 2 / 3.0, 1e-12);
  EXPECT_NEAR(roc_auc({-1.0f, -0.0f, 0.0f, 2.0f}, {0, 1, 0, 1}), 0.875, 1e-12);  // negatives; -0 ties +0
  EXPECT_NEAR(roc_auc({0.5f, 0.5f, 0.5f, 0.5f}, {0, 1, 0, 1}), 0.5, 1e-12);
  EXPECT_NEAR(average_precision({0.5f, 0.5f, 0.5f, 0.5f}, {0, 1, 0, 1}), 0.5, 1e-12);
  EXPECT_NEAR(roc_auc({3, 1, 2}, {1, 0, 1}), 1.0, 1e-12);
  EXPECT_NEAR(average_precision({3, 1, 2}, {1, 0, 1}), 1.0, 1e-12);
  EXPECT_TRUE(std::isnan(roc_auc({1, 2}, {1, 1})));
  EXPECT_TRUE(std::isnan(average_precision({1, 2}, {0, 0})));
  EXPECT_THROW(roc_auc({1, 2}, {1}), InvalidInput);
}

TEST(Metric, BestDiceByHandAndAgainstAllThresholds) {
  // Perfect separation: Dice 1 at the lowest positive score.
  BestDice d = best_dice({0.1f, 0.2f, 0.7f, 0.9f}, {0, 0, 1, 1});
  EXPECT_NEAR(d.dice, 1.0, 1e-12);
  EXPECT_FLOAT_EQ(d.threshold, 0.7f);
  // {3:+, 2:-, 1:+}: threshold 3 gives 2*1/(1+2) = 2/3; threshold 1 gives 2*2/(3+2) = 0.8.
  d = best_dice({3, 2, 1}, {1, 0, 1});
  EXPECT_NEAR(d.dice, 0.8, 1e-12);
  EXPECT_FLOAT_EQ(d.threshold, 1.0f);
  // A tie group enters at once.
  d = best_dice({2, 2, 1}, {1, 0, 0});
  EXPECT_NEAR(d.dice, 2.0 / 3, 1e-12);
  d = best_dice({1, 2}, {0, 0});
  EXPECT_EQ(d.dice, 0.0);
  EXPECT_TRUE(std::isnan(d.threshold));
  EXPECT_THROW(best_dice({1, 2}, {1}), InvalidInput);
  // Against brute force over every threshold on random scores with ties.
  Rng rng(3);
  std::vector<float> score(400);
  std::vector<uint8_t> label(400);
  for (size_t i = 0; i < score.size(); ++i) {
    label[i] = rng.uniform() < 0.2;
    score[i] = static_cast<float>(std::round((rng.uniform() + 0.4 * label[i]) * 20) / 20);
  }
  double brute = 0;
  for (float t : score) {
    double tp = 0, called = 0, pos = 0;
    for (size_t i = 0; i < score.size(); ++i) {
      called += score[i] >= t;
      tp += score[i] >= t && label[i];
      pos += label[i];
    }
    brute = std::max(brute, 2 * tp / (called + pos));
  }
  EXPECT_NEAR(best_dice(score, label).dice, brute, 1e-12);
}

TEST(Metric, RocAucMatchesPairCountingWithManyTies) {
  Rng rng(9);
  const size_t n = 1500;
  std::vector<float> score(n);
  std::vector<uint8_t> label(n);
  for (size_t i = 0; i < n; ++i) {
    label[i] = rng.uniform() < 0.3;
    score[i] = static_cast<float>(std::floor(10 * rng.uniform() + 3 * label[i] * rng.uniform()));  // few levels
  }
  double wins = 0, pairs = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      if (label[i] && !label[j]) {
        pairs += 1;
        wins += score[i] > score[j] ? 1.0 : score[i] == score[j] ? 0.5 : 0.0;
      }
  EXPECT_NEAR(roc_auc(score, label), wins / pairs, 1e-12);
  // AP, grouped ties, the direct way: over distinct thresholds t (descending), the recall
  // gained at t times the precision of {score >= t}.
  std::set<float, std::greater<float>> levels(score.begin(), score.end());
  double ap = 0, npos = std::accumulate(label.begin(), label.end(), 0.0);
  for (float t : levels) {
    double tp = 0, all = 0, gained = 0;
    for (size_t i = 0; i < n; ++i)
      if (score[i] >= t) tp += label[i], all += 1, gained += (score[i] == t) * label[i];
    ap += gained / npos * tp / all;
  }
  EXPECT_NEAR(average_precision(score, label), ap, 1e-12);
}

TEST(Filter, ConstantImagesStayConstant) {
  const size_t h = 20, w = 17;
  const std::vector<float> flat(h * w, 0.37f);
  for (float x : gaussian_filter(flat.data(), h, w, 2.0)) ASSERT_NEAR(x, 0.37f, 1e-6);
  for (float x : gaussian_filter(flat.data(), h, w, 9.0)) ASSERT_NEAR(x, 0.37f, 1e-6);  // wider than the image
  for (float x : median_filter(flat.data(), h, w, 2)) ASSERT_EQ(x, 0.37f);
  for (float x : nlm_filter(flat.data(), h, w, 0.1, 0.05)) ASSERT_NEAR(x, 0.37f, 1e-6);
  EXPECT_THROW(median_filter(flat.data(), h, w, -1), InvalidInput);
  EXPECT_THROW(nlm_filter(flat.data(), h, w, 0.1, 0.0), InvalidInput);
}

TEST(Filter, GaussianKeepsTheMeanOfAPeriodicPattern) {
  // Reflected borders of a pattern symmetric about them: the filter only damps the wave.
  const size_t h = 8, w = 64;
  std::vector<float> img(h * w);
  for (size_t y = 0; y < h; ++y)
    for (size_t x = 0; x < w; ++x) img[y * w + x] = static_cast<float>(std::cos(kPi * (x + 0.5) / 8));
  const double sigma = 1.5;
  const std::vector<float> out = gaussian_filter(img.data(), h, w, sigma);
  const double damp = std::exp(-0.5 * sigma * sigma * (kPi / 8) * (kPi / 8));  // the Gaussian's transfer function
  for (size_t x = 0; x < w; ++x) EXPECT_NEAR(out[3 * w + x], damp * img[x], 2e-3) << x;
}

TEST(Filter, MedianRemovesIsolatedSaltPixels) {
  const size_t h = 32, w = 32;
  std::vector<float> img(h * w, 0.5f);
  for (size_t y = 1; y < h; y += 5)
    for (size_t x = 2; x < w; x += 6) img[y * w + x] = 1.0f;
  for (float x : median_filter(img.data(), h, w, 1)) ASSERT_EQ(x, 0.5f);
}

TEST(Filter, NonLocalMeansBeatsGaussianOnBlocks) {
  const size_t h = 96, w = 96;
  std::vector<float> clean(h * w);
  for (size_t y = 0; y < h; ++y)
    for (size_t x = 0; x < w; ++x) clean[y * w + x] = ((y / 12 + x / 12) % 2) ? 0.8f : 0.2f;
  std::vector<float> noisy = clean;
  Rng rng(4);
  const double sigma = 0.1;
  add_noise(noisy.data(), noisy.size(), NoiseKind::Gaussian, sigma, rng);
  const std::vector<float> nlm = nlm_filter(noisy.data(), h, w, sigma, 0.4 * sigma);
  const std::vector<float> gauss = gaussian_filter(noisy.data(), h, w, 1.0);
  const double e_noisy = mse(noisy, clean), e_nlm = mse(nlm, clean), e_gauss = mse(gauss, clean);
  EXPECT_LT(e_nlm, 0.3 * e_noisy);
  EXPECT_LT(e_nlm, 0.5 * e_gauss);
  // The speed that makes it usable: 256 x 256, 5 x 5 patches, 15 x 15 search.
  std::vector<float> big(256 * 256);
  for (size_t i = 0; i < big.size(); ++i) big[i] = clean[(i / 256 % h) * w + i % 256 % w];
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<float> out = nlm_filter(big.data(), 256, 256, sigma, 0.4 * sigma);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("nlm_filter 256x256 p=2 s=7: %.3f s\n", seconds);
  EXPECT_EQ(out.size(), big.size());
}

TEST(Noise, NamesRoundTrip) {
  for (NoiseKind k : {NoiseKind::Gaussian, NoiseKind::Rician, NoiseKind::Poisson})
    EXPECT_EQ(noise_kind_from_name(noise_kind_name(k)), k);
  EXPECT_THROW(noise_kind_from_name("speckle"), InvalidInput);
}

std::pair<double, double> mean_var(const std::vector<float>& x) {
  double m = 0, v = 0;
  for (float a : x) m += a;
  m /= static_cast<double>(x.size());
  for (float a : x) v += (a - m) * (a - m);
  return {m, v / static_cast<double>(x.size() - 1)};
}

TEST(Noise, GaussianAndRicianMoments) {
  std::vector<float> x(200000, 0.3f);
  Rng rng(1);
  add_noise(x.data(), x.size(), NoiseKind::Gaussian, 0.05, rng);
  auto [m, v] = mean_var(x);
  EXPECT_NEAR(m, 0.3, 5e-4);
  EXPECT_NEAR(std::sqrt(v), 0.05, 5e-4);
  // Zero signal: the magnitude is Rayleigh, mean sigma sqrt(pi / 2).
  std::vector<float> z(200000, 0.0f);
  add_noise(z.data(), z.size(), NoiseKind::Rician, 0.1, rng);
  std::tie(m, v) = mean_var(z);
  EXPECT_NEAR(m, 0.1 * std::sqrt(kPi / 2), 1e-3);
  EXPECT_NEAR(v, 0.01 * (4 - kPi) / 2, 1e-4);
  EXPECT_THROW(add_noise(z.data(), 1, NoiseKind::Rician, -1, rng), InvalidInput);
}

TEST(Noise, PoissonVarianceIsSignalOverPeak) {
  Rng rng(8);
  // peak 50 at x = 0.3: 15 counts, exact draws; peak 400 at x = 0.5: 200 counts, Gaussian.
  for (auto [x0, peak] : {std::pair{0.3, 50.0}, std::pair{0.5, 400.0}, std::pair{0.02, 100.0}}) {
    std::vector<float> x(100000, static_cast<float>(x0));
    add_noise(x.data(), x.size(), NoiseKind::Poisson, peak, rng);
    const auto [m, v] = mean_var(x);
    EXPECT_NEAR(m, x0, 4 * std::sqrt(x0 / peak / 1e5)) << "peak " << peak;
    EXPECT_NEAR(v / (x0 / peak), 1.0, 0.03) << "peak " << peak;
    if (x0 * peak <= 30)
      for (float a : x) ASSERT_EQ(std::fmod(a * peak + 1e-3, 1.0) < 2e-3, true) << "not a count: " << a;
  }
  // The same seed gives the same noise.
  std::vector<float> a(1000, 0.4f), b(1000, 0.4f);
  Rng r1(5), r2(5);
  add_noise(a.data(), a.size(), NoiseKind::Poisson, 20, r1);
  add_noise(b.data(), b.size(), NoiseKind::Poisson, 20, r2);
  EXPECT_EQ(a, b);
  EXPECT_THROW(add_noise(a.data(), 1, NoiseKind::Poisson, 0, r1), InvalidInput);
}

// A 128 x 128 slice with a disk of radius 40 (value 0.5) on a black background.
std::vector<float> disk_image() {
  std::vector<float> img(128 * 128, 0.0f);
  for (size_t y = 0; y < 128; ++y)
    for (size_t x = 0; x < 128; ++x)
      if (std::hypot(x - 63.5, y - 63.5) < 40) img[y * 128 + x] = 0.5f;
  return img;
}

TEST(Lesion, MarkedVisibleAndOnTheForeground) {
  const LesionOptions opt;
  std::set<size_t> sizes;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    std::vector<float> img = disk_image();
    const std::vector<float> before = img;
    std::vector<uint8_t> mask(img.size(), 0);
    Rng rng(seed);
    insert_lesions(img.data(), mask.data(), 128, 128, opt, rng);
    size_t marked = 0, inside = 0;
    double change = 0;
    for (size_t i = 0; i < img.size(); ++i) {
      ASSERT_GE(img[i], 0.0f);
      ASSERT_LE(img[i], 1.0f);
      if (!mask[i]) continue;
      ++marked;
      if (before[i] > 0.1f) change += std::fabs(img[i] - before[i]), ++inside;
      // Centres lie inside the disk; a blob reaches at most max_radius * 1.3 from its centre.
      ASSERT_LT(std::hypot(i % 128 - 63.5, i / 128 - 63.5), 40 + 1.3 * opt.max_radius + 1) << "seed " << seed;
    }
    ASSERT_GT(marked, 0u) << "seed " << seed;
    ASSERT_GT(inside, 0u) << "seed " << seed;
    EXPECT_GT(change / inside, 0.1) << "seed " << seed;  // contrast 0.2..0.5 on a 0.5 disk
    sizes.insert(marked);
    // Deterministic per seed.
    std::vector<float> again = disk_image();
    std::vector<uint8_t> mask2(img.size(), 0);
    Rng rng2(seed);
    insert_lesions(again.data(), mask2.data(), 128, 128, opt, rng2);
    EXPECT_EQ(again, img);
    EXPECT_EQ(mask2, mask);
  }
  EXPECT_GE(sizes.size(), 8u);
}

TEST(Lesion, NothingWithoutForegroundAndBadOptionsRejected) {
  std::vector<float> img(64 * 64, 0.05f);
  std::vector<uint8_t> mask(img.size(), 0);
  Rng rng(1);
  insert_lesions(img.data(), mask.data(), 64, 64, LesionOptions{}, rng);
  EXPECT_EQ(img, std::vector<float>(64 * 64, 0.05f));
  EXPECT_EQ(mask, std::vector<uint8_t>(64 * 64, 0));
  LesionOptions bad;
  bad.min_radius = 5, bad.max_radius = 2;
  EXPECT_THROW(insert_lesions(img.data(), mask.data(), 64, 64, bad, rng), InvalidInput);
}

TEST(Lesion, KindNamesRoundTrip) {
  for (LesionKind k : {LesionKind::Blob, LesionKind::Tumour, LesionKind::Haemorrhage})
    EXPECT_EQ(lesion_kind_from_name(lesion_kind_name(k)), k);
  EXPECT_EQ(lesion_kind_from_name("tumor"), LesionKind::Tumour);
  EXPECT_EQ(lesion_kind_from_name("hemorrhage"), LesionKind::Haemorrhage);
  EXPECT_THROW(lesion_kind_from_name("cyst"), InvalidInput);
}

// A disk of stripes (0.3 and 0.6, period 6 px) on black: displaced tissue shows as changed
// stripes outside the lesion mask.
std::vector<float> striped_disk() {
  std::vector<float> img(128 * 128, 0.0f);
  for (size_t y = 0; y < 128; ++y)
    for (size_t x = 0; x < 128; ++x)
      if (std::hypot(x - 63.5, y - 63.5) < 50) img[y * 128 + x] = (x / 3) % 2 ? 0.6f : 0.3f;
  return img;
}

TEST(Lesion, TumourHasOedemaAndPushesTheTissueAround) {
  LesionOptions opt;
  opt.kind = LesionKind::Tumour;
  opt.min_lesions = opt.max_lesions = 1;
  opt.min_radius = 6, opt.max_radius = 10;
  size_t darker = 0, brighter = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    size_t displaced[2] = {0, 0};
    for (int with_mass = 0; with_mass < 2; ++with_mass) {
      opt.max_mass_effect = with_mass ? 0.4 : 0.0;
      std::vector<float> img = striped_disk();
      const std::vector<float> before = img;
      std::vector<uint8_t> mask(img.size(), 0);
      Rng rng(seed);
      insert_lesions(img.data(), mask.data(), 128, 128, opt, rng);
      size_t marked = 0;
      double cy = 0, cx = 0;
      for (size_t i = 0; i < img.size(); ++i) {
        ASSERT_GE(img[i], 0.0f);
        ASSERT_LE(img[i], 1.0f);
        if (mask[i]) ++marked, cy += i / 128, cx += i % 128;
      }
      ASSERT_GT(marked, 0u) << "seed " << seed;
      cy /= marked, cx /= marked;
      // Core and oedema: the mask is wider than the core's largest radius (oedema 1.3-2 radii).
      const double equivalent_radius = std::sqrt(marked / kPi);
      EXPECT_GT(equivalent_radius, 1.15 * opt.min_radius * 0.6) << "seed " << seed;
      // Outside the mask, away from its soft edge: changed only by the mass effect.
      size_t changed = 0;
      for (size_t i = 0; i < img.size(); ++i) {
        if (mask[i]) continue;
        bool near_mask = false;
        const long y = i / 128, x = i % 128;
        for (long dy = -4; dy <= 4 && !near_mask; ++dy)
          for (long dx = -4; dx <= 4 && !near_mask; ++dx) {
            const long yy = y + dy, xx = x + dx;
            near_mask = yy >= 0 && xx >= 0 && yy < 128 && xx < 128 && mask[yy * 128 + xx];
          }
        if (!near_mask) changed += std::fabs(img[i] - before[i]) > 0.05f;
      }
      displaced[with_mass] = changed;
      // The centre is darker (a necrotic centre or a hypointense core) or brighter.
      if (with_mass == 0) {
        const size_t c = static_cast<size_t>(std::lround(cy)) * 128 + static_cast<size_t>(std::lround(cx));
        darker += img[c] < before[c] - 0.05;
        brighter += img[c] > before[c] + 0.05;
      }
    }
    EXPECT_EQ(displaced[0], 0u) << "seed " << seed;  // no mass effect: the surroundings stay
    EXPECT_GT(displaced[1], 20u) << "seed " << seed;  // stripes pushed outward
  }
  EXPECT_GE(darker, 2u);
  EXPECT_GE(brighter, 1u);
}

// A CT slice in the brain window (0..80 HU): skull ring (bone, clipped to 1), brain at 35 HU
// (0.4375), air outside.
std::vector<float> ct_head() {
  std::vector<float> img(128 * 128, 0.0f);
  for (size_t y = 0; y < 128; ++y)
    for (size_t x = 0; x < 128; ++x) {
      const double r = std::hypot(x - 63.5, y - 63.5);
      if (r < 50) img[y * 128 + x] = r < 45 ? 35.0f / 80 : 1.0f;
    }
  return img;
}

TEST(Lesion, HaemorrhageIsHyperdenseBloodInBrainWithAHypodenseRim) {
  LesionOptions opt;
  opt.kind = LesionKind::Haemorrhage;
  opt.min_lesions = opt.max_lesions = 1;
  opt.min_radius = 5, opt.max_radius = 9;
  std::vector<float> img = ct_head();
  std::vector<uint8_t> mask(img.size(), 0);
  Rng rng0(1);
  EXPECT_THROW(insert_lesions(img.data(), mask.data(), 128, 128, opt, rng0), InvalidInput);  // no window
  opt.hu_per_unit = 80, opt.window_lo_hu = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    img = ct_head();
    std::fill(mask.begin(), mask.end(), 0);
    Rng rng(seed);
    insert_lesions(img.data(), mask.data(), 128, 128, opt, rng);
    double peak_hu = 0, low_hu = 1e9;
    size_t marked = 0;
    for (size_t i = 0; i < img.size(); ++i) {
      if (!mask[i]) continue;
      ++marked;
      // Lesions lie in the brain, never in the skull or outside.
      ASSERT_LT(std::hypot(i % 128 - 63.5, i / 128 - 63.5), 46.0) << "seed " << seed;
      peak_hu = std::max(peak_hu, 80.0 * img[i]);
      low_hu = std::min(low_hu, 80.0 * img[i]);
    }
    ASSERT_GT(marked, 0u) << "seed " << seed;
    EXPECT_GE(peak_hu, 35 + 25 - 3) << "seed " << seed;   // blood 55-90 HU (+25..+50)
    EXPECT_LE(peak_hu, 35 + 50 * 1.05 + 1) << "seed " << seed;
    EXPECT_LT(low_hu, 35 - 2) << "seed " << seed;          // the oedema rim, -4..-10 HU
    EXPECT_GT(low_hu, 35 - 11) << "seed " << seed;
  }
}

}  // namespace
}  // namespace medgen::imaging
