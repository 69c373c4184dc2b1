// What a model file reveals about the data it was trained on, read from its header alone
// (no LibTorch, no sampling): for `medgen info` and the evaluation report.
//
// A model file is as sensitive as its training data unless it was fitted with privacy
// "coarse", and even then it is derived from the data (labels, rounded bounds, correlations,
// network weights). See docs/formats.md, "What a model file reveals".
// Pure functions of the header; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace medgen::tabular {

// {"privacy": "exact"|"coarse", "real_values": number of values stored as they occur in the
//  data (empirical quantile-table entries and discrete numeric levels with privacy "exact";
//  with "coarse", numeric levels seen at least 5 times), "quantile_entries", "bounded_columns"
//  (columns whose min/max are stored), "bounds": "exact"|"rounded outward", "labels" (category
//  labels stored), "counts": "exact"|"rounded to 1/200 shares", "weights": true for neural
//  models (network weights trained on the rows), "summary": one line}
// Never throws on a header load_model accepted; fields it cannot find count as 0.
nlohmann::json model_disclosure_json(const nlohmann::json& header);

// The one-line summary (no trailing newline), e.g. "privacy exact: stores 418 real values ...".
std::string model_disclosure(const nlohmann::json& header);

}  // namespace medgen::tabular
