// The renewal-equation baseline: the instantaneous reproduction number R(t) estimated as in
// Cori, Ferguson, Fraser & Cauchemez (2013) (EpiEstim): over a window of tau steps ending at t,
// with a Gamma(shape a, scale b) prior, the posterior is Gamma(a + sum I_s, 1 / (1/b + sum Lambda_s))
// where Lambda_s = sum_k w_k I_{s-k} is the infectiousness of past cases weighted by the serial
// interval w. Forecasts draw R from that posterior and project I_{t+h} ~ Poisson(R Lambda_{t+h})
// forward, feeding each draw back into Lambda.
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace medgen::epi {

struct RenewalParams {
  int window = 7;            // tau, steps in the estimation window
  double prior_shape = 1;    // a
  double prior_scale = 5;    // b
};

struct REstimate {
  double shape = 0, scale = 0;  // posterior Gamma
  double mean() const { return shape * scale; }
};

// R over the window ending at step t (inclusive), from cases[0..t].
REstimate estimate_r(const std::vector<double>& cases, size_t t, const std::vector<double>& si, const RenewalParams& p);

// Quantiles (quantile_levels()) of the incidence at t + 1 .. t + horizons from `draws` projections.
std::vector<std::vector<double>> renewal_forecast(const std::vector<double>& cases, size_t t,
                                                  const std::vector<double>& si, const RenewalParams& p, int horizons,
                                                  int draws, uint64_t seed);

// The naive baseline: the last value persists; its quantiles are the last value plus the
// quantiles of the past h-step changes (the changes and their negatives, over cases[0..t]),
// floored at 0.
std::vector<std::vector<double>> persistence_forecast(const std::vector<double>& cases, size_t t, int horizons);

}  // namespace medgen::epi
