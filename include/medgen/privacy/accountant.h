// Rényi differential privacy (RDP) accounting for the sampled Gaussian mechanism, composition,
// conversion to (epsilon, delta), and noise calibration. Pure functions of their arguments:
// thread-safe, no global state.
//
// The sampled Gaussian mechanism (SGM) adds N(0, sigma^2) noise to a sum of L2-sensitivity-1
// contributions of a Poisson sample (each record with probability q). Its RDP at order alpha
// is log(A_alpha) / (alpha - 1) (Mironov, Talwar and Zhang 2019, "Rényi Differential Privacy
// of the Sampled Gaussian Mechanism"): for integer alpha the exact binomial series, for
// fractional alpha the two-sided series split at z0 = sigma^2 log(1/q - 1) + 1/2, summed in
// log space until the terms fall below 1e-16 of the sum. q = 1 is the Gaussian mechanism,
// alpha / (2 sigma^2) exactly; q = 0 costs nothing.
//
// Conversion to (epsilon, delta) uses Balle et al. 2020 ("Hypothesis testing interpretations
// and Rényi differential privacy", Theorem 21):
//   epsilon = rdp(alpha) + log((alpha - 1) / alpha) - (log delta + log alpha) / (alpha - 1)
// minimised over the orders of the grid.
#pragma once

#include <vector>

namespace medgen::privacy {

// One mechanism: `steps` rounds of the SGM with sampling rate q in [0, 1] and noise multiplier
// sigma > 0 (noise standard deviation over L2 sensitivity).
struct SampledGaussian {
  double q = 1.0;         // sampling rate
  double sigma = 1.0;     // noise multiplier
  long long steps = 1;    // compositions
};

// The default orders: 1.1, 1.2, ..., 10.9, then 11, 12, ..., 63, then 64, 80, 96, 128, 256, 512.
std::vector<double> default_orders();

// RDP at order alpha > 1 of one SGM step. InvalidInput on q outside [0, 1], sigma <= 0 or
// alpha <= 1.
double sgm_rdp(double q, double sigma, double alpha);

// RDP per order (parallel to `orders`) of the composition of every mechanism's steps.
std::vector<double> compose_rdp(const std::vector<SampledGaussian>& mechanisms, const std::vector<double>& orders);

struct PrivacySpent {
  double epsilon = 0;  // the smallest over the orders
  double order = 0;    // the order that gave it
};

// (epsilon, delta) from RDP values at `orders` (Balle et al. 2020). InvalidInput on delta
// outside (0, 1) or mismatched sizes.
PrivacySpent rdp_to_epsilon(const std::vector<double>& rdp, const std::vector<double>& orders, double delta);

// The composition of `mechanisms` at delta, over `orders` (default_orders() when empty).
PrivacySpent epsilon_spent(const std::vector<SampledGaussian>& mechanisms, double delta,
                           const std::vector<double>& orders = {});

// The smallest noise multiplier (to a relative 1e-4) for which `steps` SGM steps at rate q
// spend at most target_epsilon at delta. InvalidInput on target_epsilon <= 0, delta outside
// (0, 1), q outside (0, 1] or steps < 1.
double calibrate_sigma(double target_epsilon, double delta, double q, long long steps,
                       const std::vector<double>& orders = {});

// The composition of `mechanisms` with a rho-zCDP mechanism (RDP rho * alpha at every order,
// e.g. Gaussian histograms released before training) at delta. InvalidInput on rho < 0.
PrivacySpent epsilon_spent_with_zcdp(const std::vector<SampledGaussian>& mechanisms, double rho, double delta,
                                     const std::vector<double>& orders = {});

// calibrate_sigma for `steps` SGM steps composed with a rho-zCDP mechanism: the smallest noise
// multiplier for which the composition spends at most target_epsilon at delta. rho = 0 is
// calibrate_sigma. InvalidInput as calibrate_sigma, and when no multiplier up to 1e7 is enough
// (rho alone spends the target).
double calibrate_sigma_with_zcdp(double target_epsilon, double delta, double q, long long steps, double rho,
                                 const std::vector<double>& orders = {});

// zero-concentrated DP (Bun and Steinke 2016): rho-zCDP is RDP rho * alpha at every order.
// The epsilon at delta (the same Balle et al. conversion, minimised over alpha > 1 continuously),
// and its inverse, the largest rho whose epsilon at delta is at most `epsilon`.
double zcdp_epsilon(double rho, double delta);
double zcdp_rho(double epsilon, double delta);

// The zCDP cost of one Gaussian measurement of L2 sensitivity `sensitivity` with noise
// standard deviation `stddev`: sensitivity^2 / (2 stddev^2).
inline double gaussian_rho(double sensitivity, double stddev) { return sensitivity * sensitivity / (2 * stddev * stddev); }

}  // namespace medgen::privacy
