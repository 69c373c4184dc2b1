// Building blocks of the evaluation: distribution distances, correlations, ROC AUC and the
// nearest-neighbour search behind the privacy metrics. Exposed so that tests can check each
// one against values computed by hand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "medgen/core/ranks.h"

namespace medgen::eval {

// Two-sample Kolmogorov–Smirnov statistic sup_x |F_a(x) − F_b(x)| of two samples (taken by
// value: they are sorted). 0 when both are empty, 1 when exactly one is.
double ks_statistic(std::vector<double> a, std::vector<double> b);

// Total variation distance ½ Σ |p_i − q_i| between two histograms given as counts (each is
// normalised by its own total). 0 when both are empty, 1 when exactly one is.
double total_variation(const std::vector<double>& a_counts, const std::vector<double>& b_counts);

// Pearson correlation of two equally long samples; 0 when either is constant.
double pearson(const std::vector<double>& x, const std::vector<double>& y);

// Mid-ranks and ROC AUC live in core (medgen/core/ranks.h), shared with cart's leaf-size check.
using medgen::mid_ranks;
using medgen::roc_auc;

// Standard error of an AUC estimate (Hanley & McNeil 1982) for n_pos positives and n_neg
// negatives.
double auc_standard_error(double auc, size_t n_pos, size_t n_neg);

// Rows encoded for the record distance of the privacy metrics: one float per evaluated
// column, chosen so that min(|a − b|, 1) is that column's distance (numeric: value / range,
// categorical: 2 × code, missing: a sentinel far from every value). Stored column-major so
// that the distance loop runs over many rows at once.
struct DistanceMatrix {
  size_t rows = 0, cols = 0;
  std::vector<float> data;  // data[c * rows + r]
  float at(size_t r, size_t c) const { return data[c * rows + r]; }
};

// For each query row (queries.at(q, ·)), the k smallest distances to the rows of `refs`
// (mean over columns of min(|q_c − r_c|, 1)), ascending: out[q * k + i]; +inf where refs has
// fewer than k rows. Exact (every pair is computed), vectorised over reference rows. When
// `nearest` is given it receives each query's nearest reference row (the first on ties).
std::vector<float> nearest_distances(const DistanceMatrix& queries, const DistanceMatrix& refs, size_t k,
                                     std::vector<size_t>* nearest = nullptr);

}  // namespace medgen::eval
