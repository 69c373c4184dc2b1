// LibTorch glue, and a cross-check of core's dense linear algebra against LibTorch's LAPACK.
#include "medgen/nn/device.h"

#include <gtest/gtest.h>

#include <torch/torch.h>

#include "medgen/core/error.h"
#include "medgen/core/linalg.h"
#include "medgen/core/rng.h"

using namespace medgen;

TEST(Device, ParseAndCheck) {
  EXPECT_EQ(nn::parse_device("cpu"), Device::kCpu);
  EXPECT_EQ(nn::parse_device("cuda"), Device::kCuda);
  EXPECT_THROW(nn::parse_device("tpu"), InvalidInput);
  Context ctx;
  EXPECT_NO_THROW(nn::check_device(ctx));
  ctx.device = Device::kCuda;
  if (nn::cuda_available())
    EXPECT_NO_THROW(nn::check_device(ctx));
  else
    EXPECT_THROW(nn::check_device(ctx), InvalidInput);
  EXPECT_FALSE(nn::torch_version().empty());
}

TEST(Device, SeedingIsReproducible) {
  Context ctx;
  ctx.seed = 17;
  nn::init_torch(ctx);
  const auto a = torch::randn({8});
  nn::init_torch(ctx);
  const auto b = torch::randn({8});
  EXPECT_TRUE(torch::equal(a, b));
}

TEST(Linalg, EigenMatchesLibTorch) {
  Rng rng(3);
  for (size_t d : {1u, 2u, 7u, 40u}) {
    std::vector<double> m(d * d);
    for (size_t i = 0; i < d; ++i)
      for (size_t j = 0; j <= i; ++j) m[i * d + j] = m[j * d + i] = rng.normal();
    std::vector<double> w, v;
    symmetric_eigen(m, d, &w, &v);
    auto t = torch::from_blob(m.data(), {int64_t(d), int64_t(d)}, torch::kFloat64).clone();
    auto [tw, tv] = torch::linalg::eigh(t, "L");
    for (size_t k = 0; k < d; ++k) EXPECT_NEAR(w[k], tw[int64_t(k)].item<double>(), 1e-9) << d;
    // A V = V diag(w)
    for (size_t i = 0; i < d; ++i)
      for (size_t k = 0; k < d; ++k) {
        double av = 0;
        for (size_t j = 0; j < d; ++j) av += m[i * d + j] * v[j * d + k];
        EXPECT_NEAR(av, v[i * d + k] * w[k], 1e-9);
      }
    // Cholesky of a shifted (positive-definite) matrix reproduces it.
    std::vector<double> spd = m;
    for (size_t i = 0; i < d; ++i) spd[i * d + i] += std::fabs(w[0]) + 1.0;
    const auto l = cholesky(spd, d);
    for (size_t i = 0; i < d; ++i)
      for (size_t j = 0; j < d; ++j) {
        double s = 0;
        for (size_t k = 0; k < d; ++k) s += l[i * d + k] * l[j * d + k];
        EXPECT_NEAR(s, spd[i * d + j], 1e-9);
      }
  }
}

TEST(Linalg, NearestCorrelationIsPositiveDefiniteWithUnitDiagonal) {
  // Not positive semi-definite: pairwise estimates that contradict each other.
  const std::vector<double> c = {1, 0.9, -0.9, 0.9, 1, 0.9, -0.9, 0.9, 1};
  const auto r = nearest_correlation(c, 3);
  std::vector<double> w, v;
  symmetric_eigen(r, 3, &w, &v);
  EXPECT_GT(w[0], 0.0);
  for (size_t i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(r[i * 3 + i], 1.0);
  EXPECT_NEAR(r[1], r[3], 1e-15);
}
