#include "medgen/tabular/bayesian_gmm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "medgen/core/error.h"

namespace medgen::tabular {
namespace {

std::vector<double> three_modes(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> x(n);
  for (double& v : x) {
    const double u = rng.uniform();
    if (u < 0.5)
      v = -10.0 + rng.normal();
    else if (u < 0.8)
      v = 0.5 * rng.normal();
    else
      v = 15.0 + 2.0 * rng.normal();
  }
  return x;
}

TEST(BayesianGmm1d, RecoversThreeModes) {
  const double means[] = {-10.0, 0.0, 15.0}, weights[] = {0.5, 0.3, 0.2}, stds[] = {1.0, 0.5, 2.0};
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(seed);
    const std::vector<double> x = three_modes(6000, seed);
    BayesianGmm1d gmm;
    Rng rng(seed + 100);
    gmm.fit(x, BgmParams{}, rng);
    const auto& c = gmm.components();
    ASSERT_EQ(c.size(), 3u);  // sorted by mean
    for (int k = 0; k < 3; ++k) {
      EXPECT_NEAR(c[k].mean, means[k], 0.2);
      EXPECT_NEAR(c[k].weight, weights[k], 0.03);
      EXPECT_NEAR(c[k].std, stds[k], 0.15 * stds[k]);
    }
    EXPECT_GE(gmm.iterations(), 1);
  }
}

TEST(BayesianGmm1d, SubsampledLargeInputStillRecoversModes) {
  const std::vector<double> x = three_modes(40000, 9);
  BayesianGmm1d gmm;
  Rng rng(5);
  gmm.fit(x, BgmParams{}, rng);
  ASSERT_EQ(gmm.components().size(), 3u);
  EXPECT_NEAR(gmm.components()[2].mean, 15.0, 0.2);
}

TEST(BayesianGmm1d, DeterministicGivenRng) {
  const std::vector<double> x = three_modes(3000, 4);
  BayesianGmm1d a, b;
  Rng ra(11), rb(11);
  a.fit(x, BgmParams{}, ra);
  b.fit(x, BgmParams{}, rb);
  ASSERT_EQ(a.components().size(), b.components().size());
  for (size_t k = 0; k < a.components().size(); ++k) {
    EXPECT_EQ(a.components()[k].weight, b.components()[k].weight);
    EXPECT_EQ(a.components()[k].mean, b.components()[k].mean);
    EXPECT_EQ(a.components()[k].std, b.components()[k].std);
  }
}

TEST(BayesianGmm1d, ConstantColumn) {
  BayesianGmm1d gmm;
  Rng rng(1);
  gmm.fit(std::vector<double>(500, 42.5), BgmParams{}, rng);
  ASSERT_EQ(gmm.components().size(), 1u);
  EXPECT_EQ(gmm.components()[0].mean, 42.5);
  EXPECT_EQ(gmm.components()[0].weight, 1.0);
  EXPECT_GT(gmm.components()[0].std, 0.0);
  EXPECT_LT(gmm.components()[0].std, 1e-3);
  double p = 0.0;
  gmm.posterior(42.5, &p);
  EXPECT_EQ(p, 1.0);

  gmm.fit({7.0}, BgmParams{}, rng);  // a single value
  ASSERT_EQ(gmm.components().size(), 1u);
  EXPECT_GT(gmm.components()[0].std, 0.0);
}

TEST(BayesianGmm1d, DiscreteValuesAndSkewedData) {
  Rng data(3);
  std::vector<double> x(20000);
  for (double& v : x) v = std::floor(data.uniform() * 4.0);  // 4 distinct values
  BayesianGmm1d gmm;
  Rng rng(2);
  gmm.fit(x, BgmParams{}, rng);
  EXPECT_EQ(gmm.components().size(), 4u);
  for (const auto& c : gmm.components()) {
    EXPECT_NEAR(c.mean, std::round(c.mean), 1e-2);
    EXPECT_GT(c.std, 0.0);
  }
  for (double& v : x) v = std::exp(2.0 * data.normal());  // heavy right tail
  gmm.fit(x, BgmParams{}, rng);
  double total = 0.0;
  for (const auto& c : gmm.components()) {
    EXPECT_GE(c.weight, BgmParams{}.weight_threshold);
    EXPECT_GT(c.std, 0.0);
    total += c.weight;
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
}

TEST(BayesianGmm1d, PosteriorSumsToOneAndFavoursNearestMode) {
  BayesianGmm1d gmm;
  gmm.set_components({{0.5, -5.0, 1.0}, {0.5, 5.0, 1.0}});
  double p[2];
  gmm.posterior(-4.0, p);
  EXPECT_NEAR(p[0] + p[1], 1.0, 1e-12);
  EXPECT_GT(p[0], 0.999);
  gmm.posterior(0.0, p);
  EXPECT_NEAR(p[0], 0.5, 1e-12);
  gmm.posterior(1e6, p);  // far out: no NaN
  EXPECT_EQ(p[1], 1.0);
}

TEST(BayesianGmm1d, RejectsBadInput) {
  BayesianGmm1d gmm;
  Rng rng(1);
  EXPECT_THROW(gmm.fit({}, BgmParams{}, rng), InvalidInput);
  EXPECT_THROW(gmm.fit({1.0, std::numeric_limits<double>::quiet_NaN()}, BgmParams{}, rng), InvalidInput);
  EXPECT_THROW(gmm.fit({1.0, std::numeric_limits<double>::infinity()}, BgmParams{}, rng), InvalidInput);
}

TEST(BgmParams, ValidateRejectsAbsurdValues) {
  EXPECT_NO_THROW(BgmParams{}.validate());
  auto with = [](auto edit) {
    BgmParams p;
    edit(p);
    return p;
  };
  EXPECT_THROW(with([](BgmParams& p) { p.max_components = 0; }).validate(), InvalidInput);
  EXPECT_THROW(with([](BgmParams& p) { p.max_components = 101; }).validate(), InvalidInput);
  EXPECT_THROW(with([](BgmParams& p) { p.weight_threshold = -0.1; }).validate(), InvalidInput);
  EXPECT_THROW(with([](BgmParams& p) { p.weight_threshold = 1.0; }).validate(), InvalidInput);
  EXPECT_THROW(with([](BgmParams& p) { p.weight_threshold = std::nan(""); }).validate(), InvalidInput);
  EXPECT_THROW(with([](BgmParams& p) { p.weight_concentration_prior = 0.0; }).validate(), InvalidInput);
  EXPECT_THROW(with([](BgmParams& p) { p.max_iter = 0; }).validate(), InvalidInput);
  EXPECT_THROW(with([](BgmParams& p) { p.tol = 0.0; }).validate(), InvalidInput);
  EXPECT_THROW(with([](BgmParams& p) { p.tol = -1.0; }).validate(), InvalidInput);
  EXPECT_NO_THROW(with([](BgmParams& p) { p.max_components = 1; }).validate());
  EXPECT_NO_THROW(with([](BgmParams& p) { p.weight_threshold = 0.0; }).validate());
}

}  // namespace
}  // namespace medgen::tabular
