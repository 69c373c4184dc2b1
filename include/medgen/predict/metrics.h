// Performance measures for risk predictions: discrimination (AUROC; Harrell's concordance with
// censoring; cumulative/dynamic time-dependent AUC with inverse-probability-of-censoring
// weights, Uno et al. 2007), calibration (logistic recalibration slope and intercept, Brier
// score, observed vs predicted by risk group; for survival at a horizon with IPCW, Graf et al.
// 1999), decision curves (net benefit, Vickers & Elkin 2006), Kaplan–Meier, and percentile
// bootstrap confidence intervals.
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::predict {

// Kaplan–Meier survival S(t) (right-continuous step function).
struct KaplanMeier {
  std::vector<double> times, surv;
  double at(double t) const;       // S(t)
  double before(double t) const;   // S(t-)
};
KaplanMeier kaplan_meier(const std::vector<double>& time, const std::vector<int>& event,
                         const std::vector<double>* weights = nullptr);
// The censoring distribution G (Kaplan–Meier with censoring as the event).
KaplanMeier censoring_km(const std::vector<double>& time, const std::vector<int>& event);

// Harrell's c: over pairs where the shorter time is an event, the share where the shorter time
// has the higher risk (ties in risk count one half). O(n log n). NaN without comparable pairs.
double harrell_c(const std::vector<double>& risk, const std::vector<double>& time, const std::vector<int>& event);

// Cumulative/dynamic AUC at horizon t: cases have an event by t (weighted 1/G(T_i-)), controls
// are still event-free after t. NaN without cases or controls.
double time_auc(const std::vector<double>& risk, const std::vector<double>& time, const std::vector<int>& event,
                double horizon);

// The status at a horizon: 1 event by then, 0 event-free past it, -1 censored before it
// (unknown); weights 1/G(T_i-) for cases, 1/G(horizon) for controls, 0 unknown.
void horizon_status(const std::vector<double>& time, const std::vector<int>& event, double horizon,
                    std::vector<int>* status, std::vector<double>* weight);

struct Calibration {
  double slope = 0, intercept = 0;  // logistic recalibration: logit(obs) ~ a + b logit(p); ideal 0 and 1
  double citl = 0;                  // calibration-in-the-large: intercept with logit(p) as offset; ideal 0
  double brier = 0;                 // mean (p - y)^2 (IPC-weighted for survival)
  double observed = 0, expected = 0;  // mean outcome and mean prediction (O and E)
  // Risk groups (deciles or fewer): mean predicted and observed risk, and rows.
  std::vector<double> bin_predicted, bin_observed;
  std::vector<size_t> bin_n;
  nlohmann::json to_json() const;
};
// p: predicted probabilities; y: 0/1; w: weights (empty = 1).
Calibration calibration(const std::vector<double>& p, const std::vector<double>& y, const std::vector<double>& w,
                        int bins = 10);
// For survival at a horizon: outcome from horizon_status, IPC weights; bins' observed risk is
// 1 - Kaplan–Meier at the horizon within each risk group.
Calibration survival_calibration(const std::vector<double>& risk_at_h, const std::vector<double>& time,
                                 const std::vector<int>& event, double horizon, int bins = 10);

// Net benefit at thresholds (0.01 .. 0.99): model, treat-all; treat-none is 0.
struct DecisionCurve {
  std::vector<double> threshold, model, treat_all;
  nlohmann::json to_json() const;
};
DecisionCurve decision_curve(const std::vector<double>& p, const std::vector<double>& y);
DecisionCurve survival_decision_curve(const std::vector<double>& risk_at_h, const std::vector<double>& time,
                                      const std::vector<int>& event, double horizon);

// Percentile bootstrap over rows: statistic(idx) on `reps` resamples of 0..n-1 (NaN results
// skipped). Returns {estimate on all rows, lower 2.5%, upper 97.5%}.
struct Interval {
  double value = 0, lo = 0, hi = 0;
  nlohmann::json to_json() const;
};
Interval bootstrap(size_t n, int reps, uint64_t seed, const std::function<double(const std::vector<size_t>&)>& statistic);

}  // namespace medgen::predict
