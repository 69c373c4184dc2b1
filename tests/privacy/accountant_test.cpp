// The RDP accountant against published values, closed forms, and an independent numeric
// integration of the sampled Gaussian's privacy loss.
#include "medgen/privacy/accountant.h"

#include <cmath>
#include <functional>
#include <vector>

#include <gtest/gtest.h>

#include "medgen/core/error.h"

namespace medgen::privacy {
namespace {

// Opacus's documentation (the RDP accountant's get_privacy_spent example): two mechanisms
// composed, (q = 1e-5, sigma = 1, 10 steps) and (q = 1e-4, sigma = 3, 4 steps), at delta = 1e-5.
TEST(Accountant, PublishedComposition) {
  const PrivacySpent s = epsilon_spent({{1e-5, 1.0, 10}, {1e-4, 3.0, 4}}, 1e-5);
  EXPECT_NEAR(s.epsilon, 0.336, 0.0015);
  EXPECT_EQ(s.order, 23);
}

TEST(Accountant, NoSamplingIsTheGaussianMechanism) {
  for (double sigma : {0.5, 1.0, 4.0})
    for (double alpha : {1.5, 2.0, 7.3, 32.0}) EXPECT_DOUBLE_EQ(sgm_rdp(1.0, sigma, alpha), alpha / (2 * sigma * sigma));
  // q just below 1 agrees with the closed form, on both the integer and the fractional series.
  for (double alpha : {3.0, 3.5}) EXPECT_NEAR(sgm_rdp(1 - 1e-12, 2.0, alpha), alpha / 8.0, 1e-6);
  EXPECT_EQ(sgm_rdp(0.0, 1.0, 8.0), 0.0);
}

// The fractional series and the integer one agree where they meet (continuity in alpha), and
// RDP grows with alpha.
TEST(Accountant, FractionalSeriesIsContinuousAndMonotone) {
  for (double q : {0.001, 0.01, 0.1, 0.5})
    for (double sigma : {0.7, 1.0, 2.0})
      for (double a : {2.0, 5.0, 12.0}) {
        const double at = sgm_rdp(q, sigma, a), below = sgm_rdp(q, sigma, a - 1e-7), above = sgm_rdp(q, sigma, a + 1e-7);
        EXPECT_NEAR(below, at, 1e-5 * std::max(at, 1e-8)) << q << " " << sigma << " " << a;
        EXPECT_NEAR(above, at, 1e-5 * std::max(at, 1e-8)) << q << " " << sigma << " " << a;
        EXPECT_LE(sgm_rdp(q, sigma, a - 0.5), at * (1 + 1e-9));
      }
}

// A 1-D integral by the trapezoid rule on [lo, hi].
double integrate(const std::function<double(double)>& f, double lo, double hi, int n) {
  const double h = (hi - lo) / n;
  double s = 0.5 * (f(lo) + f(hi));
  for (int i = 1; i < n; ++i) s += f(lo + i * h);
  return s * h;
}

double phi(double z, double mu, double sigma) {
  const double u = (z - mu) / sigma;
  return std::exp(-0.5 * u * u) / (sigma * std::sqrt(2 * M_PI));
}

// delta(eps) of `steps` (1 or 2) compositions of the SGM's pair P = (1-q) N(0, s^2) + q N(1, s^2),
// Q = N(0, s^2), in both directions (the larger), by numeric integration of
// max(0, P - e^eps Q) over the product space.
double numeric_delta(double q, double sigma, int steps, double eps) {
  auto p = [&](double z) { return (1 - q) * phi(z, 0, sigma) + q * phi(z, 1, sigma); };
  auto qd = [&](double z) { return phi(z, 0, sigma); };
  const double lo = -12 * sigma, hi = 1 + 12 * sigma;
  double worst = 0;
  for (int dir = 0; dir < 2; ++dir) {
    auto a = [&](double z) { return dir == 0 ? p(z) : qd(z); };
    auto b = [&](double z) { return dir == 0 ? qd(z) : p(z); };
    double d;
    if (steps == 1) {
      d = integrate([&](double z) { return std::max(0.0, a(z) - std::exp(eps) * b(z)); }, lo, hi, 40000);
    } else {
      const int n = 3000;
      const double h = (hi - lo) / n;
      std::vector<double> av(n + 1), bv(n + 1);
      for (int i = 0; i <= n; ++i) av[i] = a(lo + i * h), bv[i] = b(lo + i * h);
      d = 0;
      for (int i = 0; i <= n; ++i)
        for (int j = 0; j <= n; ++j) {
          const double w = (i == 0 || i == n ? 0.5 : 1.0) * (j == 0 || j == n ? 0.5 : 1.0);
          d += w * std::max(0.0, av[i] * av[j] - std::exp(eps) * bv[i] * bv[j]);
        }
      d *= h * h;
    }
    worst = std::max(worst, d);
  }
  return worst;
}

// The smallest eps with numeric_delta(eps) <= delta (bisection).
double numeric_epsilon(double q, double sigma, int steps, double delta) {
  double lo = 0, hi = 50;
  for (int it = 0; it < 40; ++it) {
    const double mid = 0.5 * (lo + hi);
    (numeric_delta(q, sigma, steps, mid) > delta ? lo : hi) = mid;
  }
  return hi;
}

struct PldCase {
  double q, sigma;
  int steps;
  double delta;
};

class AccountantVsPld : public ::testing::TestWithParam<PldCase> {};

// The RDP epsilon is an upper bound on the exact one (delta at the RDP epsilon is at most the
// target), and within a factor of 2 of it at these settings (RDP conversions lose a little).
TEST_P(AccountantVsPld, RdpEpsilonBoundsTheExactOne) {
  const PldCase c = GetParam();
  const double rdp_eps = epsilon_spent({{c.q, c.sigma, c.steps}}, c.delta).epsilon;
  EXPECT_LE(numeric_delta(c.q, c.sigma, c.steps, rdp_eps), c.delta);
  const double exact = numeric_epsilon(c.q, c.sigma, c.steps, c.delta);
  EXPECT_GE(rdp_eps, exact);
  EXPECT_LE(rdp_eps, 2.0 * exact) << "rdp " << rdp_eps << " exact " << exact;
  RecordProperty("rdp_epsilon", std::to_string(rdp_eps));
  RecordProperty("exact_epsilon", std::to_string(exact));
}

INSTANTIATE_TEST_SUITE_P(Settings, AccountantVsPld,
                         ::testing::Values(PldCase{1.0, 1.0, 1, 1e-5}, PldCase{0.1, 1.0, 1, 1e-5},
                                           PldCase{0.2, 0.8, 1, 1e-3}, PldCase{0.1, 1.0, 2, 1e-5},
                                           PldCase{0.05, 2.0, 2, 1e-4}));

TEST(Accountant, CompositionAddsRdp) {
  const std::vector<double> orders = {2.0, 3.5, 10.0};
  const auto one = compose_rdp({{0.01, 1.1, 1}}, orders);
  const auto many = compose_rdp({{0.01, 1.1, 100}, {0.01, 1.1, 50}}, orders);
  for (size_t k = 0; k < orders.size(); ++k) EXPECT_NEAR(many[k], 150 * one[k], 1e-12 * many[k]);
}

TEST(Accountant, CalibrationHitsTheTarget) {
  for (double target : {0.5, 1.0, 8.0}) {
    const double sigma = calibrate_sigma(target, 1e-5, 0.01, 1000);
    EXPECT_LE(epsilon_spent({{0.01, sigma, 1000}}, 1e-5).epsilon, target);
    EXPECT_GT(epsilon_spent({{0.01, sigma * 0.999, 1000}}, 1e-5).epsilon, target);
  }
}

// DP-SGD with a Gaussian release before training (issue 20 item 1): the zCDP part adds
// rho * alpha at every order; the calibrated multiplier meets the target with it, and a
// q = 1 step at sigma is exactly rho = 1 / (2 sigma^2).
TEST(Accountant, CalibrationWithAZcdpRelease) {
  const double rho = zcdp_rho(0.3, 1e-6);
  for (double target : {1.0, 3.0}) {
    const double sigma = calibrate_sigma_with_zcdp(target, 1e-6, 0.05, 400, rho);
    EXPECT_LE(epsilon_spent_with_zcdp({{0.05, sigma, 400}}, rho, 1e-6).epsilon, target);
    EXPECT_GT(epsilon_spent_with_zcdp({{0.05, sigma * 0.999, 400}}, rho, 1e-6).epsilon, target);
    EXPECT_GT(sigma, calibrate_sigma(target, 1e-6, 0.05, 400));  // the release costs noise
  }
  EXPECT_EQ(calibrate_sigma_with_zcdp(2.0, 1e-5, 0.01, 1000, 0), calibrate_sigma(2.0, 1e-5, 0.01, 1000));
  const std::vector<double> orders = {2.0, 8.0, 32.0};
  EXPECT_NEAR(epsilon_spent_with_zcdp({}, gaussian_rho(1, 2.0), 1e-5, orders).epsilon,
              epsilon_spent({{1.0, 2.0, 1}}, 1e-5, orders).epsilon, 1e-12);
  EXPECT_THROW(epsilon_spent_with_zcdp({}, -1, 1e-5), InvalidInput);
}

TEST(Accountant, Zcdp) {
  // rho-zCDP from the Gaussian mechanism: RDP alpha / (2 sigma^2), so the two conversions agree
  // (the continuous minimum is at most the grid's).
  const double sigma = 3.0, rho = gaussian_rho(1.0, sigma);
  EXPECT_LE(zcdp_epsilon(rho, 1e-6), epsilon_spent({{1.0, sigma, 1}}, 1e-6).epsilon + 1e-9);
  EXPECT_GE(zcdp_epsilon(rho, 1e-6), epsilon_spent({{1.0, sigma, 1}}, 1e-6).epsilon - 0.02);
  // The classic bound eps = rho + 2 sqrt(rho log(1/delta)) is looser than the one used.
  EXPECT_LE(zcdp_epsilon(rho, 1e-6), rho + 2 * std::sqrt(rho * std::log(1e6)));
  for (double eps : {0.1, 1.0, 3.0, 10.0}) EXPECT_NEAR(zcdp_epsilon(zcdp_rho(eps, 1e-9), 1e-9), eps, 1e-6 * eps);
}

TEST(Accountant, BadArguments) {
  EXPECT_THROW(sgm_rdp(1.5, 1.0, 2.0), InvalidInput);
  EXPECT_THROW(sgm_rdp(0.5, 0.0, 2.0), InvalidInput);
  EXPECT_THROW(sgm_rdp(0.5, 1.0, 1.0), InvalidInput);
  EXPECT_THROW(epsilon_spent({{0.5, 1.0, 1}}, 0.0), InvalidInput);
  EXPECT_THROW(epsilon_spent({{0.5, 1.0, 1}}, 1.0), InvalidInput);
  EXPECT_THROW(calibrate_sigma(0.0, 1e-5, 0.1, 10), InvalidInput);
  EXPECT_THROW(zcdp_rho(-1.0, 1e-5), InvalidInput);
}

}  // namespace
}  // namespace medgen::privacy
