// The primary analysis of a two-arm comparison, as a trial's statistician runs it: the hazard
// ratio of treated vs control from a Cox model with the arm as its only term (Efron ties,
// Newton–Raphson: medgen/predict/linear.h), its Wald test and 95% interval, and the log-rank test.
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::trial {

struct Comparison {
  size_t n = 0, events = 0;
  double log_hr = 0, se = 0;      // Cox estimate of log(hazard ratio), treated vs control, and its SE
  double hr = 1, lo95 = 0, hi95 = 0;
  double wald_p = 1;              // two-sided Wald p-value
  double logrank_chi2 = 0, logrank_p = 1;
  bool converged = false;
  nlohmann::json to_json() const;
};

// treated[i] = 1 for the treated arm, 0 for control; time > 0; event 0/1. Without events in
// both arms the estimate is not finite: converged is false and the p-values are 1.
Comparison compare_arms(const std::vector<int>& treated, const std::vector<double>& time,
                        const std::vector<int>& event);

// The log-rank statistic (observed minus expected events in the treated arm, hypergeometric
// variance at each distinct event time); chi-square with 1 degree of freedom.
double logrank_chi2(const std::vector<int>& treated, const std::vector<double>& time, const std::vector<int>& event);

// Two-sided p-value of a standard normal z, and the upper tail of chi-square(1).
double normal_two_sided_p(double z);
double chi2_1_upper(double x);

}  // namespace medgen::trial
