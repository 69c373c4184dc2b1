// Rolling-origin evaluation of outbreak forecasts: the SEIR particle filter's hyperparameters
// are chosen on the first train_share of the series (and chosen again every refit_every origins on
// the data up to that origin, as a forecaster would as data arrive); then at every later step t (the origin)
// each method forecasts t + 1 .. t + horizons from the data up to t only, and every forecast
// whose target lies in the series is scored against it (weighted interval score, coverage of the
// 50% and 95% intervals, absolute error of the median), per method and horizon. Methods: "seir",
// "renewal" (Cori et al.'s R(t), projected), "persistence". Also the forecast beyond the series'
// end from all of it.
// Thread safety: pure function.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "medgen/epi/renewal.h"
#include "medgen/epi/seir.h"
#include "medgen/epi/series.h"

namespace medgen::epi {

struct EvaluateOptions {
  double train_share = 0.5;  // share of the steps used to choose the SEIR's hyperparameters (never scored)
  int horizons = 0;          // steps ahead; 0 = 7 for daily series, 4 for weekly ones
  int particles = 1000;      // particles of the SEIR filter
  int draws = 1000;          // forecast paths per origin (SEIR and renewal)
  int window = 0;            // renewal window; 0 = 7 for daily, 3 for weekly
  int refit_every = 0;       // re-choose the SEIR's hyperparameters on the data so far every this many origins
                             // (0 = once, at the end of training)
  // InvalidInput for train_share outside [0.2, 0.9], horizons outside 0..60, particles < 50,
  // draws < 50, window outside 0..60, refit_every outside 0..10000.
  void validate() const;
};

nlohmann::json evaluate_forecasts(const Series& series, const EvaluateOptions& options, uint64_t seed);

}  // namespace medgen::epi
