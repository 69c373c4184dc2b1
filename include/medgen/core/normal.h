// Standard normal distribution helpers.
// Pure functions; thread-safe.
#pragma once

#include <cmath>

namespace medgen {

// P(Z <= x), accurate in both tails.
inline double normal_cdf(double x) { return 0.5 * std::erfc(-x * M_SQRT1_2); }

// P(Z > x), accurate for large x.
inline double normal_sf(double x) { return 0.5 * std::erfc(x * M_SQRT1_2); }

// Inverse of normal_cdf for p in (0, 1): Acklam's rational approximation (relative error
// 1.15e-9) refined by one Halley step to near machine precision. p <= 0 -> -inf, p >= 1 -> +inf.
double normal_quantile(double p);

}  // namespace medgen
