// Scoring probabilistic forecasts given as quantiles: the weighted interval score of Bracher,
// Ray, Gneiting & Reich (2021), with the median and the 11 central intervals used by the
// forecast hubs (23 quantile levels), interval coverage, and the absolute error of the median.
// Thread safety: pure functions.
#pragma once

#include <vector>

namespace medgen::epi {

// 0.01, 0.025, 0.05, 0.10, 0.15, ..., 0.90, 0.95, 0.975, 0.99 (23 levels, symmetric, 0.5 in the middle).
const std::vector<double>& quantile_levels();

// Quantiles at quantile_levels() of a sample (type 7, as R's default); the sample is sorted in place.
std::vector<double> sample_quantiles(std::vector<double>& sample);

// WIS = (0.5 |y - m| + sum_k (alpha_k / 2) IS_alpha_k(y)) / (K + 0.5), with the interval score
// IS_alpha = (u - l) + (2 / alpha)(l - y) 1{y < l} + (2 / alpha)(y - u) 1{y > u}; q at quantile_levels().
double weighted_interval_score(const std::vector<double>& q, double y);

// Whether y lies in the central interval of nominal coverage 1 - alpha (alpha = 0.5 or 0.05, ...; bounds included).
bool covered(const std::vector<double>& q, double y, double alpha);

double median_of(const std::vector<double>& q);

}  // namespace medgen::epi
