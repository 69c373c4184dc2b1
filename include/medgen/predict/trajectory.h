// Biomarker trajectories from long tables (one row per visit): per marker a linear mixed model
// (random intercept and slope in time, on the log scale for skewed positive markers) with
// population parameters estimated by the two-stage method (per-patient least squares, then their
// mean and covariance, shrunk to stay positive definite), and each patient's coefficients updated
// visit by visit by the conjugate Gaussian (Kalman) update. The forecast of the next value is the
// posterior predictive: mean and a 95% interval. Honest evaluation: patients are split in two
// halves; the population model of one half forecasts every visit of the other from its earlier
// visits only (one step ahead): MAE, 95% interval coverage, and last-value-carried-forward's MAE
// beside it.
// Thread safety: pure function.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/table.h"

namespace medgen::predict {

struct TrajectoryOptions {
  std::string id;                    // patient column
  std::string time;                  // visit time column (numerical)
  std::vector<std::string> markers;  // numerical biomarker columns
  size_t max_patients_listed = 1000; // latest forecasts listed per marker
};

nlohmann::json forecast_trajectories(const Table& table, const TrajectoryOptions& options, const std::string& source);

class Model;

// The risk implied by a forecast: for a survival model whose features are columns of the visits
// table (e.g. the Mayo model's age, edema, bili, albumin, protime), each patient's row at a visit
// with the markers replaced by their forecast at the next visit (the visit time plus the median
// gap between visits) gives the risk of the event within the model's horizon from then. The
// interval comes from `draws` joint draws of the markers from their 95% predictive distributions
// (independent across markers, a simplification), the point risk from the forecast means.
// Beside it, the risk from the values observed at that visit. The model was fitted on risks from
// baseline; applying it at a later visit assumes its hazard holds from any starting point (as the
// updated Mayo score does), which is not validated here.
// patient "": every patient's latest visit (at or before `at` when given; patients without a visit
// by then are left out); otherwise that patient after each of its visits (the risk updated as
// visits arrive). The forecasts use only the visits up to the forecast point. InvalidInput for a model without a horizon, a binary model,
// a feature column absent from the table, or an unknown patient.
struct ForecastRiskOptions {
  int draws = 200;          // Monte Carlo draws per forecast
  uint64_t seed = 0;        // for the draws
  std::string patient;      // "" = every patient's latest visit
  double at = std::numeric_limits<double>::quiet_NaN();  // without patient: each patient's latest visit at or before this time (NaN: latest)
};
nlohmann::json forecast_risk(const Table& table, const TrajectoryOptions& options, const Model& model,
                             const ForecastRiskOptions& risk, const std::string& source);

}  // namespace medgen::predict
