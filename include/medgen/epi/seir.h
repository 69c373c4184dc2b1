// An SEIR model with time-varying transmission, fitted to incidence by particle filtering.
//
// Each particle carries S, E, I (on the scale of reported cases: the population is an effective,
// reported-scale one, so that under-reporting needs no separate parameter) and log beta, the
// transmission rate, which follows a Gaussian random walk from step to step. Within a step the
// deterministic SEIR equations, with infections (beta I + iota) S/N: dS = -infections,
// dE = infections - sigma E, dI = sigma E - gamma I
// (plus waning immunity R -> S at rate `waning` where a series spans several seasons: SEIRS)
// are integrated by fixed-step RK4 (substeps chosen so that rate x substep <= 0.5): the only
// randomness is in beta and in the observation, so a fixed step is accurate to far below the
// observation noise, and thousands of particles x hundreds of steps stay cheap (an adaptive
// solver such as CVODE would cost far more in set-up per particle-step than the integration).
// iota is a small importation (0.1 cases per step) so that transmission can restart after a
// trough. The step's incidence is the flow E -> I; the observation is negative binomial around
// it (plus 0.1) with size `dispersion`. sigma = 1 / latent, gamma = 1 / infectious, with
// latent = infectious = half the serial interval's mean (the SEIR's mean generation time is
// their sum).
//
// The bootstrap particle filter (Gordon et al. 1993: propagate, weight by the observation,
// systematic resampling) gives the marginal likelihood of the hyperparameters (random-walk sd,
// dispersion, effective population, waning), scored on a grid by likelihood on the training
// steps only; forecasts propagate the filtered particles h steps ahead (beta keeps walking) and
// draw observations, pooled over the most likely settings by their posterior weights, so the
// intervals carry the uncertainty of the hyperparameters, the state, the transmission's future
// path and the observation.
// Thread safety: pure functions; each run uses its own Rng from the seed it is given.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::epi {

struct SeirParams {
  double latent = 1;        // mean latent period (steps)
  double infectious = 1;    // mean infectious period (steps)
  double rw_sd = 0.1;       // sd of the log-beta random walk per step
  double dispersion = 10;   // negative binomial size of the observations
  double population = std::numeric_limits<double>::infinity();  // effective population; inf = no depletion
  double waning = 0;        // immunity lost per step (R -> S, SEIRS); fit_seir tries 0 and this
  int particles = 1000;     // particles in the filter
};

// Forecast quantiles (quantile_levels()) of the incidence h = 1..horizons steps after an origin.
struct OriginForecast {
  size_t origin = 0;                          // the last step assimilated
  std::vector<std::vector<double>> quantiles; // [h - 1][level]
  std::vector<std::vector<double>> samples;   // [h - 1][path]: the draws behind the quantiles (pooled by forecast_mixture)
};

struct FilterResult {
  double loglik = 0;                     // log marginal likelihood of the steps filtered
  std::vector<double> r_effective;       // per step: filtered mean of beta / gamma x S / N
  std::vector<OriginForecast> forecasts; // one per requested origin
};

// Filters steps 0..last (inclusive) of `cases`; at each origin in `origins` (ascending, <= last)
// forecasts `horizons` steps ahead from `draws` particle paths. InvalidInput for bad params.
FilterResult run_filter(const std::vector<double>& cases, size_t last, const SeirParams& params,
                        const std::vector<size_t>& origins, int horizons, int draws, uint64_t seed);

struct SeirFit {
  SeirParams params;    // the setting of highest likelihood
  double loglik = 0;
  nlohmann::json grid;  // every setting tried with its log-likelihood
  // The settings of highest likelihood with their posterior weights (a uniform prior over the
  // grid: weight proportional to exp(loglik)), as many as carry 95% of the weight, at most 8.
  std::vector<std::pair<SeirParams, double>> mixture;
};

// Chooses rw_sd (0.05 .. 0.6), dispersion (3 .. 100), population (2x, 5x, 20x, 100x the training
// cases: never unbounded, since a walk that reaches R = 20 after one super-spreading day would
// otherwise forecast growth without end) and waning (0, or base.waning where it is > 0: multi-season series) on a grid by
// the filter's log-likelihood over steps 0..train_end-1 (common random numbers across settings).
// `base` gives the durations and the particle count.
SeirFit fit_seir(const std::vector<double>& cases, size_t train_end, const SeirParams& base, uint64_t seed);

// Forecasts pooled over the mixture's settings (model averaging over the hyperparameters, so that
// the intervals carry their uncertainty too): each setting is filtered and gives a share of the
// `draws` paths in proportion to its weight (largest remainders). r_effective and loglik are the
// first (most likely) setting's.
FilterResult forecast_mixture(const std::vector<double>& cases, size_t last,
                              const std::vector<std::pair<SeirParams, double>>& mixture,
                              const std::vector<size_t>& origins, int horizons, int draws, uint64_t seed);

}  // namespace medgen::epi
