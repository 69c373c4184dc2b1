#include "medgen/core/rng.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "medgen/core/normal.h"

using medgen::Rng;

TEST(Rng, SameSeedSameStream) {
  Rng a(123), b(123), c(124);
  for (int i = 0; i < 1000; ++i) {
    const uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    EXPECT_NE(x, c.next());
  }
}

TEST(Rng, NormalMatchesTheStandardNormal) {
  Rng rng(42);
  const size_t n = 400000;
  std::vector<double> x(n);
  double m1 = 0, m2 = 0, m4 = 0;
  for (auto& v : x) {
    v = rng.normal();
    m1 += v / n;
    m2 += v * v / n;
    m4 += v * v * v * v / n;
  }
  EXPECT_NEAR(m1, 0.0, 0.01);
  EXPECT_NEAR(m2, 1.0, 0.01);
  EXPECT_NEAR(m4, 3.0, 0.05);
  // Kolmogorov-Smirnov distance to the normal CDF (critical value at 1%: 1.63 / sqrt(n)).
  std::sort(x.begin(), x.end());
  double d = 0;
  for (size_t i = 0; i < n; ++i) {
    const double f = medgen::normal_cdf(x[i]);
    d = std::max({d, f - double(i) / n, double(i + 1) / n - f});
  }
  EXPECT_LT(d, 1.63 / std::sqrt(double(n)));
  // The tail beyond the ziggurat's base is reached with the right frequency.
  const double beyond = std::count_if(x.begin(), x.end(), [](double v) { return std::fabs(v) > 3.442619855899; });
  EXPECT_NEAR(beyond / n, 2 * medgen::normal_sf(3.442619855899), 2e-4);
}

TEST(Rng, UniformAndBelow) {
  Rng rng(7);
  std::vector<int> counts(10, 0);
  for (int i = 0; i < 100000; ++i) {
    const double u = rng.uniform_open();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    ++counts[rng.below(10)];
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

TEST(Normal, QuantileInvertsCdf) {
  for (double p : {1e-300, 1e-20, 1e-8, 0.001, 0.02425, 0.3, 0.5, 0.9, 0.97575, 0.999999}) {
    const double x = medgen::normal_quantile(p);
    EXPECT_NEAR(medgen::normal_cdf(x) / p, 1.0, 1e-9) << p;
  }
  EXPECT_TRUE(std::isinf(medgen::normal_quantile(0.0)));
  EXPECT_TRUE(std::isinf(medgen::normal_quantile(1.0)));
}
