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

}  // namespace medgen::predict
