// Reversible data transformer shared by the neural synthesizers (and usable by any model
// that wants a fixed-width numeric matrix):
//  - numerical and datetime columns: mode-specific normalization. A variational Gaussian
//    mixture under a Dirichlet-process prior (BayesianGmm1d) is fitted per column; a value x
//    assigned to mode k (drawn from the posterior) becomes a scalar (x - mu_k) / (4 sigma_k),
//    plus a one-hot of k (not clipped: the round trip is exact). Missing values get an explicit 2-wide
//    null indicator span [present, missing] (only when the column has missing values).
//  - categorical and boolean columns: one-hot, with an explicit missing category when the
//    column has missing values. More than max_categories levels: the most frequent
//    (max_categories - 1) keep their own slot, the rest share an "other" slot; inverse maps
//    "other" back to one of the folded levels in proportion to their frequency. (The cap
//    counts levels; the missing slot, when present, comes on top.) Table columns are matched
//    to the schema by name, and dictionary labels to the schema's `values` by string; a used
//    label the schema does not list is InvalidInput.
//    A missing numeric value is encoded as the heaviest mode with scalar 0.
//  - identifier columns: not learned; regenerated on inverse (see synthetic_identifiers).
//  - text columns: excluded.
// inverse_transform takes argmax over each softmax span, rounds integers, clips to the
// observed range, and reproduces missing values where the null slot wins.
// Thread safety: fit mutates; a fitted transformer's const members may run concurrently (the
// randomness comes from the Rng the caller passes in, one per thread).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/rng.h"
#include "medgen/core/schema.h"
#include "medgen/core/table.h"
#include "medgen/tabular/bayesian_gmm.h"

namespace medgen::tabular {

struct TransformerParams {
  BgmParams gmm;              // per-column mixture settings
  int max_categories = 100;   // one-hot width cap per categorical column (>= 2)
  void validate() const;      // InvalidInput on absurd values
};

enum class SpanKind { kScalar, kSoftmax };

// A contiguous block of output dimensions.
struct Span {
  SpanKind kind = SpanKind::kScalar;
  size_t start = 0;  // first output dimension
  size_t width = 1;  // 1 for kScalar
  int column = -1;   // index into Schema::columns
  enum class Role { kValue, kMode, kCategory, kNull } role = Role::kValue;
};

class DataTransformer {
 public:
  void fit(const Table& table, const Schema& schema, const TransformerParams& params, Rng& rng);

  // rows x output_dim(), row-major.
  std::vector<float> transform(const Table& table, Rng& rng) const;
  // Back to a table with the schema's non-text columns, in schema order.
  Table inverse_transform(const float* data, size_t rows, Rng& rng) const;

  // inverse_transform in pieces: a table of `rows` rows filled block by block, so that a sampler
  // can turn each chunk it generates into rows while the chunk is still in cache, instead of
  // keeping all rows x output_dim() floats. The same table as inverse_transform on the whole
  // block, byte for byte (each column draws from its own stream, split from rng here, in row
  // order). The transformer must outlive it.
  class Inverse {
   public:
    Inverse(const DataTransformer& tr, size_t rows, Rng& rng);
    // Rows [first, first + count) from `count` rows of output_dim() floats.
    void write(const float* data, size_t first, size_t count);
    // Range limits, rounding and identifiers; call once, after every row is written.
    Table finish();

   private:
    const DataTransformer* tr_;
    size_t rows_;
    Table table_;
    std::vector<Rng> rngs_;                       // one per column state
    std::vector<std::vector<double>> other_cum_;  // per column state: folded levels' cumulative weights
  };

  size_t output_dim() const { return output_dim_; }
  const std::vector<Span>& spans() const { return spans_; }
  const Schema& schema() const { return schema_; }
  // Where a categorical/boolean value lives in the output: the index into spans() of the
  // column's category span, and the slot within it (a folded level shares the "other" slot).
  // InvalidInput for a column that is not categorical/boolean or a value not in the schema.
  struct CategorySlot {
    size_t span = 0;
    size_t slot = 0;
    int32_t level = 0;  // the value's index in the schema's values
  };
  CategorySlot category_slot(const std::string& column, const std::string& value) const;

  // What fit chose to say (e.g. which categorical columns were folded by max_categories).
  const std::vector<std::string>& warnings() const { return warnings_; }

  // privacy "coarse": rounds what the state holds from the data (the schema's bounds outward,
  // mode weights, means and spreads to 3 significant digits, folded-level frequencies to a
  // 1/200 grid of shares). Call after training: encoding no longer matches the fit exactly.
  void coarsen();

  nlohmann::json to_json() const;
  static DataTransformer from_json(const nlohmann::json& j);

 private:
  friend class Inverse;
  struct ColumnState {
    int schema_index = -1;
    // numerical / datetime
    std::vector<GaussianComponent> modes;
    bool has_null = false;
    // categorical / boolean: slot -> level code in the schema's `values` (-2 = "other", -1 = missing)
    std::vector<int32_t> slot_level;
    std::vector<int32_t> level_slot;     // level code -> slot
    std::vector<int32_t> other_levels;   // folded levels
    std::vector<double> other_weights;   // their frequencies
  };
  Schema schema_;
  TransformerParams params_;
  std::vector<ColumnState> columns_;
  std::vector<Span> spans_;
  size_t output_dim_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace medgen::tabular
