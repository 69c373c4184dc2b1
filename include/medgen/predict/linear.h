// Linear-predictor models fitted by Newton–Raphson: Cox proportional hazards (Efron's handling
// of tied event times, as R's survival::coxph) and logistic regression (IRLS), each with an
// optional ridge (L2) penalty on standardised coefficients. Linear algebra: Cholesky from
// medgen/core/linalg.h (LAPACK).
// Thread safety: the fitted structs are values; fitting and prediction are pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::predict {

struct NewtonParams {
  double l2 = 0;             // ridge penalty on coefficients of standardised features (0 = none)
  int max_iter = 50;         // Newton steps
  double tolerance = 1e-10;  // stop when the relative change of the log-likelihood is below this
};

struct LinearFit {
  std::vector<double> beta;   // one per feature, on the original scale
  double intercept = 0;       // logistic only
  std::vector<double> se;     // standard errors (inverse information; with a penalty, of the penalised fit)
  double loglik = 0, loglik0 = 0;  // at the estimate and with every coefficient 0
  int iterations = 0;
  bool converged = false;
  std::vector<std::string> warnings;  // non-convergence, separation (coefficients diverging)
};

// Cox partial likelihood with Efron ties. x: n x p row-major (no NaN), time > 0, event 0/1.
LinearFit fit_cox(const std::vector<double>& x, size_t n, size_t p, const std::vector<double>& time,
                  const std::vector<int>& event, const NewtonParams& params = {});

// Efron-adjusted cumulative baseline hazard (Breslow's estimator when there are no ties) at the
// distinct event times, for linear predictors `eta` (centred as the caller wishes; the hazard is
// for eta = 0). times ascending, cumhaz non-decreasing.
struct BaselineHazard {
  std::vector<double> times, cumhaz;
  double at(double t) const;  // step function, 0 before the first event time
  nlohmann::json to_json() const;
  static BaselineHazard from_json(const nlohmann::json& j, const std::string& where);
};
BaselineHazard baseline_hazard(const std::vector<double>& eta, const std::vector<double>& time,
                               const std::vector<int>& event);

// Logistic regression by IRLS; y 0/1.
LinearFit fit_logistic(const std::vector<double>& x, size_t n, size_t p, const std::vector<double>& y,
                       const NewtonParams& params = {});

// Solves a x = b for symmetric positive-definite a (d x d) by Cholesky; inverse() likewise.
std::vector<double> spd_solve(const std::vector<double>& a, size_t d, const std::vector<double>& b);
std::vector<double> spd_inverse(const std::vector<double>& a, size_t d);

}  // namespace medgen::predict
