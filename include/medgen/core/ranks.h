// Rank statistics shared by the modules (evaluation, cart's leaf-size check).
// Thread safety: pure functions.
#pragma once

#include <vector>

namespace medgen {

// Mid-ranks (ties share the average rank, 1-based), for Spearman's correlation.
std::vector<double> mid_ranks(const std::vector<double>& x);

// ROC AUC: the probability that a random positive (label != 0) scores above a random
// negative, ties counting one half (the Mann–Whitney statistic). 0.5 when a class is empty.
double roc_auc(const std::vector<double>& score, const std::vector<int>& label);

}  // namespace medgen
