// Rounding rules of the "coarse" privacy level shared by the synthesizers (internal header;
// the levels are described in include/medgen/tabular/copula.h and docs/formats.md).
#pragma once

#include <algorithm>
#include <cmath>

#include "medgen/core/schema.h"

namespace medgen::tabular::privacy {

// The smallest of 1, 2 or 5 times a power of ten that is at least x (> 0).
inline double nice_step(double x) {
  const double p = std::pow(10.0, std::floor(std::log10(x)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * p >= x * (1 - 1e-12)) return m * p;
  return 10 * p;
}

// k * step, computed so that multiples of 0.2 print as 0.6, not 0.6000000000000001.
inline double on_grid(double k, double step) { return step >= 1 ? k * step : k / std::round(1 / step); }

// The grid a column's bounds are rounded outward to: about 1/20 of its range (whole numbers
// for integers, whole days for dates).
inline double bounds_step(const ColumnSchema& cs, double lo, double hi) {
  const double range = hi > lo ? hi - lo : std::max(std::fabs(lo), 1.0);
  double step = nice_step(range / 20);
  if (cs.type == ColumnType::kDatetime) step = std::max(86400.0, std::ceil(step / 86400) * 86400);
  if (cs.integer) step = std::max(1.0, step);
  return step;
}
inline double round_down(double v, double step) { return on_grid(std::floor(v / step), step); }
inline double round_up(double v, double step) { return on_grid(std::ceil(v / step), step); }

// x rounded to 3 significant digits.
inline double round_significant(double x) {
  if (x == 0 || !std::isfinite(x)) return x;
  const double step = std::pow(10.0, std::floor(std::log10(std::fabs(x))) - 2);
  return on_grid(std::round(x / step), step);
}

// Rounds a column's min/max outward on bounds_step (numerical and datetime columns with bounds).
inline void round_bounds(ColumnSchema& c) {
  if ((c.type != ColumnType::kNumerical && c.type != ColumnType::kDatetime) || std::isnan(c.min) || std::isnan(c.max))
    return;
  const double step = bounds_step(c, c.min, c.max);
  c.min = round_down(c.min, step);
  c.max = round_up(c.max, step);
}

// A share in [0, 1] on a grid of 1/200.
inline double round_share(double p) { return std::round(p * 200) / 200; }

}  // namespace medgen::tabular::privacy
