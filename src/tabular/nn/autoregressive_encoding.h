// The autoregressive synthesizer's tokens (internal header): how each learned column maps to
// the outcomes of one categorical distribution and back (see include/medgen/tabular/
// autoregressive.h for the scheme). Free of torch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/rng.h"
#include "medgen/core/schema.h"
#include "medgen/core/table.h"

namespace medgen::tabular::ar {

constexpr int kMissingLevel = -1;  // slot_level entry of the "missing" token
constexpr int kOtherLevel = -2;    // slot_level entry of the "other" token (folded levels)

struct ColumnCode {
  int schema_index = -1;
  bool numeric = false;
  bool has_missing = false;  // the last token is "missing"
  // categorical / boolean: token -> level in the schema's values (or kMissingLevel / kOtherLevel)
  std::vector<int32_t> slot_level;
  std::vector<int32_t> other_levels;  // folded levels
  std::vector<double> other_weights;  // their training frequencies (shares under "coarse")
  std::vector<int32_t> level_slot;    // level -> token (derived)
  // numerical / datetime: tokens [0, atoms) are the atoms' values, then one per bin
  // [edges[b], edges[b + 1]) (the last bin closed), then "missing".
  std::vector<double> atoms;  // strictly increasing
  std::vector<double> edges;  // non-decreasing; empty (no bins) or at least 2
  bool integer = false;       // from the schema: bins draw whole numbers

  int64_t bins() const { return edges.empty() ? 0 : static_cast<int64_t>(edges.size()) - 1; }
  int64_t tokens() const {
    return numeric ? static_cast<int64_t>(atoms.size()) + bins() + (has_missing ? 1 : 0)
                   : static_cast<int64_t>(slot_level.size());
  }
  // The "missing" token, or -1.
  int64_t missing_token() const;
  // The token of a present numeric value (nearest bin or atom for values out of range).
  int64_t numeric_token(double x) const;
  // A value for a present numeric token (before the schema's rounding and clipping).
  double numeric_value(int64_t token, Rng& rng) const;
  // A level for a categorical token (kMissingLevel for "missing").
  int32_t level(int64_t token, Rng& rng) const;
};

class Encoding {
 public:
  // Learns the tokens of every numerical, datetime, categorical and boolean column of `schema`
  // from `table`. InvalidInput for a missing column, a wrong storage or an unknown label, and
  // "nothing to learn" when the schema has no such column.
  void fit(const Table& table, const Schema& schema, int bins, int max_categories, bool coarse,
           std::vector<std::string>* warnings);

  // rows x columns() tokens, row-major; a missing cell gets its column's "missing" token, or
  // -1 when the column has none (a column without missing values in training). present, when
  // given, receives 1 for present cells.
  std::vector<int64_t> encode(const Table& table, const Schema& schema, std::vector<uint8_t>* present = nullptr) const;

  // The learned column c for `rows` rows whose tokens are tokens[r * stride + c]: values drawn
  // within their bins, rounded and clipped by the schema.
  Column decode(size_t c, const int64_t* tokens, size_t stride, size_t rows, const Schema& schema, Rng& rng) const;

  // privacy "coarse" (see autoregressive.h); also rounds `schema`'s bounds outward.
  void coarsen(Schema* schema);

  size_t columns() const { return codes_.size(); }
  const ColumnCode& code(size_t c) const { return codes_[c]; }
  // Learned column of a schema column, or -1.
  int column_of(int schema_index) const;
  int64_t total_tokens() const { return total_; }
  int64_t offset(size_t c) const { return offsets_[c]; }
  int64_t max_tokens() const;

  nlohmann::json to_json() const;
  // ModelFormat for anything inconsistent with `schema` or beyond the limits (at most
  // max_bins + 1 tokens for a numeric column, max_categories + 1 for a categorical one).
  static Encoding from_json(const nlohmann::json& j, const Schema& schema, int max_bins, int max_categories);

 private:
  void finish(const Schema& schema);  // offsets and level_slot
  std::vector<ColumnCode> codes_;
  std::vector<int64_t> offsets_;
  int64_t total_ = 0;
};

}  // namespace medgen::tabular::ar
