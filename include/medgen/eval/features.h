// How the evaluation sees a table: which columns it scores, how numbers are binned for
// contingency tables, and the two encodings (model features, record distances) shared by
// the fidelity, utility and privacy metrics. Everything is fitted on the real (training)
// table and applied unchanged to the synthetic and holdout tables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "medgen/core/schema.h"
#include "medgen/core/table.h"
#include "medgen/eval/metrics.h"
#include "medgen/eval/models.h"

namespace medgen::eval {

enum class Kind { kNumeric, kCategorical };

// Levels of a categorical column beyond this many (by real frequency) share one "other" bin
// in contingency tables and one-hot features, so high-cardinality columns cost bounded time.
constexpr size_t kMaxLevels = 20;
// Quantile bins of a numeric column in contingency tables (pair trends, k-anonymity charts).
constexpr size_t kNumericBins = 10;

// One scored column. Identifier and free-text columns are never scored.
struct EvalColumn {
  std::string name;
  size_t index = 0;  // position in the tables (every table is typed by the same schema)
  Kind kind = Kind::kNumeric;
  bool datetime = false;
  bool any_missing = false;  // some table has missing values here: a missing-indicator feature
  // kNumeric, from the real table's present values.
  double min = 0, max = 0, mean = 0, sd = 1;
  std::vector<double> cuts;  // inner decile cut points (distinct, ascending): bin = #cuts <= x
  // kCategorical: code -> bin (the kMaxLevels − 1 most frequent real levels keep their own
  // bin when there are more than kMaxLevels levels; the rest share the last bin).
  std::vector<int32_t> level_bin;
  std::vector<std::string> bin_labels;  // kCategorical: label of each bin ("(other)" for the shared one)
  size_t bins = 0;                      // number of bins

  double range() const { return max > min ? max - min : 1.0; }
};

// The scored columns of `schema` (everything but identifier and text), described from `real`;
// `others` (synthetic, holdout) only contribute to any_missing.
std::vector<EvalColumn> describe_columns(const Table& real, const Schema& schema,
                                         const std::vector<const Table*>& others);

// Bin of each row of a column (see EvalColumn), −1 where missing.
std::vector<int32_t> bin_codes(const Table& t, const EvalColumn& c);

// Model features of rows `rows` of t: numbers standardised by the real mean and sd (missing:
// 0 and an indicator column), categorical bins one-hot (missing: all zero). Column `skip`
// (an index into cols; −1 none) is left out, for the utility target.
Matrix feature_matrix(const Table& t, const std::vector<EvalColumn>& cols, const std::vector<size_t>& rows,
                      int skip = -1);

// Distance encoding of rows `rows` of t over the columns `use` (indices into cols): numbers
// (x − min) / range, categorical 2 × code, missing a far sentinel; see DistanceMatrix.
DistanceMatrix distance_matrix(const Table& t, const std::vector<EvalColumn>& cols, const std::vector<size_t>& rows,
                               const std::vector<size_t>& use);

// 0, 1, ..., n − 1.
std::vector<size_t> all_rows(size_t n);

}  // namespace medgen::eval
