#include "medgen/trial/analysis.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "medgen/predict/linear.h"

namespace medgen::trial {

double normal_two_sided_p(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

// chi-square(1) is the square of a standard normal.
double chi2_1_upper(double x) { return x <= 0 ? 1.0 : std::erfc(std::sqrt(x / 2.0)); }

double logrank_chi2(const std::vector<int>& treated, const std::vector<double>& time, const std::vector<int>& event) {
  const size_t n = time.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return time[a] < time[b]; });
  double at_risk = static_cast<double>(n), at_risk1 = 0;
  for (size_t i = 0; i < n; ++i) at_risk1 += treated[i] ? 1 : 0;
  double o_minus_e = 0, var = 0;
  for (size_t i = 0; i < n;) {
    const double t = time[order[i]];
    double d = 0, d1 = 0, leaving = 0, leaving1 = 0;
    size_t k = i;
    for (; k < n && time[order[k]] == t; ++k) {
      const size_t r = order[k];
      leaving += 1;
      leaving1 += treated[r] ? 1 : 0;
      if (event[r]) d += 1, d1 += treated[r] ? 1 : 0;
    }
    if (d > 0 && at_risk > 0) {
      o_minus_e += d1 - d * at_risk1 / at_risk;
      if (at_risk > 1) var += d * (at_risk1 / at_risk) * (1 - at_risk1 / at_risk) * (at_risk - d) / (at_risk - 1);
    }
    at_risk -= leaving;
    at_risk1 -= leaving1;
    i = k;
  }
  return var > 0 ? o_minus_e * o_minus_e / var : 0.0;
}

Comparison compare_arms(const std::vector<int>& treated, const std::vector<double>& time, const std::vector<int>& event) {
  Comparison c;
  c.n = time.size();
  size_t e0 = 0, e1 = 0;
  std::vector<double> x(c.n);
  for (size_t i = 0; i < c.n; ++i) {
    x[i] = treated[i] ? 1.0 : 0.0;
    if (event[i]) (treated[i] ? e1 : e0)++;
  }
  c.events = e0 + e1;
  if (e0 == 0 || e1 == 0) {
    c.log_hr = e1 == 0 ? -INFINITY : INFINITY;
    c.hr = std::exp(c.log_hr);
    c.se = NAN;
    return c;
  }
  predict::NewtonParams np;
  np.max_iter = 30;
  np.tolerance = 1e-9;
  const predict::LinearFit fit = predict::fit_cox(x, c.n, 1, time, event, np);
  c.converged = fit.converged;
  c.log_hr = fit.beta[0];
  c.se = fit.se[0];
  c.hr = std::exp(c.log_hr);
  c.lo95 = std::exp(c.log_hr - 1.959963984540054 * c.se);
  c.hi95 = std::exp(c.log_hr + 1.959963984540054 * c.se);
  c.wald_p = normal_two_sided_p(c.log_hr / c.se);
  c.logrank_chi2 = logrank_chi2(treated, time, event);
  c.logrank_p = chi2_1_upper(c.logrank_chi2);
  return c;
}

nlohmann::json Comparison::to_json() const {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"n", n},           {"events", events},          {"hr", num(hr)},
          {"lo95", num(lo95)}, {"hi95", num(hi95)},        {"log_hr", num(log_hr)},
          {"se", num(se)},     {"wald_p", wald_p},         {"logrank_chi2", logrank_chi2},
          {"logrank_p", logrank_p}, {"converged", converged}};
}

}  // namespace medgen::trial
