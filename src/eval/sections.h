// The report's sections, one source file each (fidelity.cpp, utility.cpp, privacy.cpp),
// assembled by evaluate.cpp. Private to src/eval.
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

#include "medgen/core/context.h"
#include "medgen/core/rng.h"
#include "medgen/core/table.h"
#include "medgen/eval/evaluate.h"
#include "medgen/eval/features.h"

namespace medgen::eval {

using ojson = nlohmann::ordered_json;

// A JSON number, or null for NaN / inf (JSON has neither).
inline ojson num(double v) { return std::isfinite(v) ? ojson(v) : ojson(nullptr); }

// k distinct indices of [0, n) in random order (all of them, shuffled, when k >= n).
std::vector<size_t> sample_indices(size_t n, size_t k, Rng& rng);

// Column shapes, pair trends, quality and (options.detection) the detection classifiers of
// `other` against `real`. charts: also the per-column histograms and the pair-score matrix.
ojson fidelity_section(const Table& real, const Table& other, const std::vector<EvalColumn>& cols,
                       const EvalOptions& options, const Context& ctx, Rng rng, bool charts);

// SDMetrics 0.29's Column Pair Trends (sdmetrics.cpp): {"score", "pairs_scored",
// "pairs_without_score", "pairs"}.
ojson sdmetrics_pair_trends(const Table& real, const Table& other, const std::vector<EvalColumn>& cols, bool spearman);

// SDMetrics 0.29's LogisticDetection (sdmetrics.cpp) of `other` against `real`, all rows of
// both: {"definition", "auc", "auc_folds", "score", "rows_real", "rows_other", "features",
// "unknown_levels"}, or {"skipped": why}.
ojson sdmetrics_logistic_detection(const Table& real, const Table& other, const std::vector<EvalColumn>& cols, Rng rng);

// TSTR against TRTR on the holdout for options.target (an index into cols).
ojson utility_section(const Table& real, const Table& synthetic, const Table& holdout,
                      const std::vector<EvalColumn>& cols, size_t target, const EvalOptions& options,
                      const Context& ctx, Rng rng);

// Exact copies, DCR, NNDR, share closer to train, membership and attribute inference,
// k-anonymity. holdout may be null.
ojson privacy_section(const Table& real, const Table& synthetic, const Table* holdout,
                      const std::vector<EvalColumn>& cols, const std::vector<size_t>& sensitive,
                      const std::vector<size_t>& quasi, const EvalOptions& options, Rng rng);

}  // namespace medgen::eval
