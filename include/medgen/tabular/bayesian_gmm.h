// One-dimensional variational Gaussian mixture with a (truncated, stick-breaking)
// Dirichlet-process prior on the weights, fitted by coordinate-ascent variational inference
// (Blei & Jordan 2006; Bishop PRML ch. 10). Components whose expected weight falls below
// weight_threshold are dropped and the remaining weights renormalised.
//
// Fitting details (part of the contract, since they bound the cost):
//  - the values are compressed to distinct values with multiplicities (exact); when more than
//    10,000 distinct values remain, the fit uses a uniform subsample of 10,000 points drawn
//    without replacement from rng (so the cost per column is bounded, ~40 ms on one core);
//  - priors are data driven: on standardised data, mean prior 0 with precision 1 pseudo-point,
//    Gamma(1/2, .) precision prior with variance scale 1/100 of the data variance;
//  - initialisation: weighted k-means++ seeding (from rng) and a few Lloyd steps;
//  - after CAVI converges, merge moves pool two components and are kept when the bound rises
//    (each CAVI run stops at max_iter passes or when the bound moves less than tol per point;
//    the whole fit, merge trials included, makes at most 3 * max_iter passes: iterations());
//  - components are returned sorted by mean; std = sqrt(1 / E[precision]), floored at 1e-4 of
//    the data std; a constant input gives one component with std 1e-6 * max(1, |value|).
// Thread safety: fit mutates the object and draws from the caller's Rng; const members of a
// fitted mixture may run concurrently. No global state.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/rng.h"

namespace medgen::tabular {

struct BgmParams {
  int max_components = 10;                   // truncation level of the DP
  double weight_threshold = 0.005;           // drop components lighter than this
  double weight_concentration_prior = 1e-3;  // DP concentration gamma
  int max_iter = 100;                        // CAVI iterations at most
  double tol = 1e-3;                         // stop when the lower bound improves less (per point)
  void validate() const;                     // InvalidInput on absurd values
};

struct GaussianComponent {
  double weight = 0.0;
  double mean = 0.0;
  double std = 1.0;  // > 0
};

class BayesianGmm1d {
 public:
  // x must be finite and non-empty. Deterministic given rng state.
  void fit(const std::vector<double>& x, const BgmParams& params, Rng& rng);
  const std::vector<GaussianComponent>& components() const { return components_; }
  void set_components(std::vector<GaussianComponent> c) { components_ = std::move(c); }
  // Posterior responsibilities of each kept component for value x (sums to 1).
  void posterior(double x, double* out) const;
  int iterations() const { return iterations_; }

 private:
  std::vector<GaussianComponent> components_;
  int iterations_ = 0;
};

}  // namespace medgen::tabular
