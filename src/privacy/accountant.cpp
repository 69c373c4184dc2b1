#include "medgen/privacy/accountant.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "medgen/core/error.h"

namespace medgen::privacy {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double log_add(double a, double b) {
  if (a == -kInf) return b;
  if (b == -kInf) return a;
  const double m = std::max(a, b);
  return m + std::log1p(std::exp(-std::fabs(a - b)));
}

// log(erfc(x) / 2) without underflow: the asymptotic series beyond x = 25, where erfc(x) < 1e-273.
double log_half_erfc(double x) {
  if (x < 25) return std::log(0.5 * std::erfc(x));
  const double x2 = x * x;
  return std::log(0.5) - x2 - std::log(x) - 0.5 * std::log(M_PI) + std::log1p(-1 / (2 * x2) + 3 / (4 * x2 * x2));
}

void check_mechanism(double q, double sigma) {
  if (!(q >= 0 && q <= 1)) throw InvalidInput("sampling rate q must be in [0, 1], got " + std::to_string(q));
  if (!(sigma > 0) || !std::isfinite(sigma)) throw InvalidInput("noise multiplier sigma must be positive, got " + std::to_string(sigma));
}

void check_delta(double delta) {
  if (!(delta > 0 && delta < 1)) throw InvalidInput("delta must be in (0, 1), got " + std::to_string(delta));
}

// log A_alpha for integer alpha: sum_k C(alpha, k) (1-q)^(alpha-k) q^k exp((k^2 - k) / (2 sigma^2)).
double log_a_int(double q, double sigma, long long alpha) {
  const double lq = std::log(q), l1q = std::log1p(-q), s2 = 2 * sigma * sigma;
  double acc = -kInf;
  for (long long k = 0; k <= alpha; ++k) {
    const double kk = static_cast<double>(k), a = static_cast<double>(alpha);
    const double log_binom = std::lgamma(a + 1) - std::lgamma(kk + 1) - std::lgamma(a - kk + 1);
    acc = log_add(acc, log_binom + (a - kk) * l1q + kk * lq + (kk * kk - kk) / s2);
  }
  return acc;
}

// log A_alpha for fractional alpha: the integral of mu0 (1 - q + q mu1/mu0)^alpha split at z0,
// where q mu1/mu0 = 1 - q; each side expanded as a generalised binomial series in the ratio
// below 1. The series alternate in sign past i = alpha, so positive and negative terms are
// summed separately in log space.
double log_a_frac(double q, double sigma, double alpha) {
  const double lq = std::log(q), l1q = std::log1p(-q), s2 = 2 * sigma * sigma;
  const double z0 = sigma * sigma * (l1q - lq) + 0.5;
  const double r2s = std::sqrt(2.0) * sigma;
  double pos = -kInf, neg = -kInf;
  double log_coef = 0;  // log |C(alpha, i)|
  int sign = 1;
  for (int i = 0; i < 100000; ++i) {
    const double di = i, j = alpha - di;
    const double t0 = log_coef + j * l1q + di * lq + (di * di - di) / s2 + log_half_erfc((di - z0) / r2s);
    const double t1 = log_coef + di * l1q + j * lq + (j * j - j) / s2 + log_half_erfc((z0 - j) / r2s);
    const double t = log_add(t0, t1);
    if (sign > 0)
      pos = log_add(pos, t);
    else
      neg = log_add(neg, t);
    if (di > alpha && t < std::max(pos, neg) - 37) break;
    // C(alpha, i + 1) = C(alpha, i) (alpha - i) / (i + 1)
    const double f = (alpha - di) / (di + 1);
    if (f == 0) break;
    if (f < 0) sign = -sign;
    log_coef += std::log(std::fabs(f));
  }
  if (neg == -kInf) return pos;
  MEDGEN_ASSERT(pos >= neg);
  return pos + std::log1p(-std::exp(neg - pos));
}

}  // namespace

std::vector<double> default_orders() {
  std::vector<double> o;
  for (int x = 1; x < 100; ++x) o.push_back(1 + x / 10.0);
  for (int a = 11; a < 64; ++a) o.push_back(a);
  for (double a : {64.0, 80.0, 96.0, 128.0, 256.0, 512.0}) o.push_back(a);
  return o;
}

double sgm_rdp(double q, double sigma, double alpha) {
  check_mechanism(q, sigma);
  if (!(alpha > 1) || !std::isfinite(alpha)) throw InvalidInput("RDP order must be > 1, got " + std::to_string(alpha));
  if (q == 0) return 0;
  if (q == 1) return alpha / (2 * sigma * sigma);
  const double log_a = alpha == std::floor(alpha) ? log_a_int(q, sigma, static_cast<long long>(alpha))
                                                  : log_a_frac(q, sigma, alpha);
  return std::max(0.0, log_a / (alpha - 1));
}

std::vector<double> compose_rdp(const std::vector<SampledGaussian>& mechanisms, const std::vector<double>& orders) {
  std::vector<double> rdp(orders.size(), 0.0);
  for (const SampledGaussian& m : mechanisms) {
    if (m.steps < 0) throw InvalidInput("a mechanism's steps must be >= 0, got " + std::to_string(m.steps));
    for (size_t k = 0; k < orders.size(); ++k) rdp[k] += static_cast<double>(m.steps) * sgm_rdp(m.q, m.sigma, orders[k]);
  }
  return rdp;
}

PrivacySpent rdp_to_epsilon(const std::vector<double>& rdp, const std::vector<double>& orders, double delta) {
  check_delta(delta);
  if (rdp.size() != orders.size() || orders.empty()) throw InvalidInput("rdp_to_epsilon: one RDP value per order expected");
  PrivacySpent best{kInf, 0};
  for (size_t k = 0; k < orders.size(); ++k) {
    const double a = orders[k];
    if (!(a > 1)) throw InvalidInput("RDP order must be > 1, got " + std::to_string(a));
    const double eps = rdp[k] + std::log((a - 1) / a) - (std::log(delta) + std::log(a)) / (a - 1);
    if (eps < best.epsilon) best = {std::max(0.0, eps), a};
  }
  return best;
}

PrivacySpent epsilon_spent(const std::vector<SampledGaussian>& mechanisms, double delta, const std::vector<double>& orders) {
  const std::vector<double> o = orders.empty() ? default_orders() : orders;
  return rdp_to_epsilon(compose_rdp(mechanisms, o), o, delta);
}

PrivacySpent epsilon_spent_with_zcdp(const std::vector<SampledGaussian>& mechanisms, double rho, double delta,
                                     const std::vector<double>& orders) {
  if (!(rho >= 0) || !std::isfinite(rho)) throw InvalidInput("rho must be >= 0, got " + std::to_string(rho));
  const std::vector<double> o = orders.empty() ? default_orders() : orders;
  std::vector<double> rdp = compose_rdp(mechanisms, o);
  for (size_t k = 0; k < o.size(); ++k) rdp[k] += rho * o[k];
  return rdp_to_epsilon(rdp, o, delta);
}

double calibrate_sigma_with_zcdp(double target_epsilon, double delta, double q, long long steps, double rho,
                                 const std::vector<double>& orders) {
  if (!(target_epsilon > 0) || !std::isfinite(target_epsilon))
    throw InvalidInput("target epsilon must be positive, got " + std::to_string(target_epsilon));
  check_delta(delta);
  if (!(q > 0 && q <= 1)) throw InvalidInput("sampling rate q must be in (0, 1], got " + std::to_string(q));
  if (steps < 1) throw InvalidInput("steps must be >= 1, got " + std::to_string(steps));
  auto eps = [&](double sigma) {
    return rho > 0 ? epsilon_spent_with_zcdp({{q, sigma, steps}}, rho, delta, orders).epsilon
                   : epsilon_spent({{q, sigma, steps}}, delta, orders).epsilon;
  };
  double hi = 1;
  while (eps(hi) > target_epsilon) {
    hi *= 2;
    if (hi > 1e7) throw InvalidInput("no noise multiplier up to 1e7 reaches epsilon " + std::to_string(target_epsilon));
  }
  double lo = hi / 2;
  while (lo > 1e-3 && eps(lo) <= target_epsilon) lo /= 2;
  while (hi / lo > 1 + 1e-5) {
    const double mid = std::sqrt(lo * hi);
    (eps(mid) > target_epsilon ? lo : hi) = mid;
  }
  return hi;
}

double calibrate_sigma(double target_epsilon, double delta, double q, long long steps, const std::vector<double>& orders) {
  return calibrate_sigma_with_zcdp(target_epsilon, delta, q, steps, 0, orders);
}

double zcdp_epsilon(double rho, double delta) {
  check_delta(delta);
  if (!(rho >= 0) || !std::isfinite(rho)) throw InvalidInput("rho must be >= 0, got " + std::to_string(rho));
  // f over t = log(alpha - 1): a coarse grid, then golden-section search around its best point.
  auto f = [&](double t) {
    const double a = 1 + std::exp(t);
    return rho * a + std::log((a - 1) / a) - (std::log(delta) + std::log(a)) / (a - 1);
  };
  const double t_lo = -12, t_hi = 14, step = (t_hi - t_lo) / 520;
  double best_t = t_lo, best = f(t_lo);
  for (double t = t_lo; t <= t_hi; t += step)
    if (f(t) < best) best = f(t), best_t = t;
  double a = best_t - step, b = best_t + step;
  const double g = (std::sqrt(5.0) - 1) / 2;
  for (int it = 0; it < 100; ++it) {
    const double c = b - g * (b - a), d = a + g * (b - a);
    (f(c) < f(d) ? b : a) = (f(c) < f(d) ? d : c);
  }
  return std::max(0.0, std::min(best, f(0.5 * (a + b))));
}

double zcdp_rho(double epsilon, double delta) {
  if (!(epsilon > 0) || !std::isfinite(epsilon)) throw InvalidInput("epsilon must be positive, got " + std::to_string(epsilon));
  check_delta(delta);
  double lo = 0, hi = epsilon;
  while (zcdp_epsilon(hi, delta) <= epsilon) hi *= 2;
  for (int it = 0; it < 200 && hi - lo > 1e-15 * hi; ++it) {
    const double mid = 0.5 * (lo + hi);
    (zcdp_epsilon(mid, delta) <= epsilon ? lo : hi) = mid;
  }
  return lo;
}

}  // namespace medgen::privacy
