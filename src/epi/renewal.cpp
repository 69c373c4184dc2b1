#include "medgen/epi/renewal.h"

#include <algorithm>
#include <cmath>

#include "medgen/epi/random.h"
#include "medgen/epi/score.h"

namespace medgen::epi {

namespace {

// Lambda at step s from x[0..s-1].
double infectiousness(const std::vector<double>& x, size_t s, const std::vector<double>& si) {
  double l = 0;
  for (size_t k = 1; k < si.size() && k <= s; ++k) l += si[k] * x[s - k];
  return l;
}

}  // namespace

REstimate estimate_r(const std::vector<double>& cases, size_t t, const std::vector<double>& si, const RenewalParams& p) {
  const size_t first = t + 1 >= static_cast<size_t>(p.window) ? t + 1 - p.window : 0;
  double sum_i = 0, sum_l = 0;
  for (size_t s = std::max<size_t>(first, 1); s <= t; ++s) {
    sum_i += cases[s];
    sum_l += infectiousness(cases, s, si);
  }
  REstimate r;
  r.shape = p.prior_shape + sum_i;
  r.scale = 1 / (1 / p.prior_scale + sum_l);
  return r;
}

std::vector<std::vector<double>> renewal_forecast(const std::vector<double>& cases, size_t t, const std::vector<double>& si,
                                                  const RenewalParams& p, int horizons, int draws, uint64_t seed) {
  const REstimate r = estimate_r(cases, t, si, p);
  Rng rng(seed);
  std::vector<std::vector<double>> samples(horizons);
  std::vector<double> x(cases.begin(), cases.begin() + t + 1);
  for (int d = 0; d < draws; ++d) {
    x.resize(t + 1);
    const double R = draw_gamma(rng, r.shape, r.scale);
    for (int h = 1; h <= horizons; ++h) {
      const double y = draw_poisson(rng, R * infectiousness(x, t + h, si));
      x.push_back(y);
      samples[h - 1].push_back(y);
    }
  }
  std::vector<std::vector<double>> q;
  for (auto& s : samples) q.push_back(sample_quantiles(s));
  return q;
}

std::vector<std::vector<double>> persistence_forecast(const std::vector<double>& cases, size_t t, int horizons) {
  std::vector<std::vector<double>> q;
  const double last = cases[t];
  for (int h = 1; h <= horizons; ++h) {
    std::vector<double> s{last};
    for (size_t i = h; i <= t; ++i) {
      const double d = cases[i] - cases[i - h];
      s.push_back(last + d);
      s.push_back(last - d);
    }
    for (double& v : s) v = std::max(0.0, v);
    q.push_back(sample_quantiles(s));
  }
  return q;
}

}  // namespace medgen::epi
