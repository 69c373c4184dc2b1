// A density-ratio filter for generated rows: discriminator rejection sampling (Azadi et al.,
// "Discriminator Rejection Sampling", ICLR 2019) with gradient-boosted trees as the
// discriminator. Fitted on real rows against rows the synthesizer generated, it estimates
// r(x) = p_real(x) / p_synthetic(x); a generated row is then kept with probability
// min(1, r(x) / cap), which moves the generated distribution towards the real one where the
// synthesizer puts too much mass (combinations of values that real rows rarely show).
//
// The trees are trained by XGBoost, then read from its JSON dump into plain arrays that medgen
// evaluates itself (medgen/tabular/trees.h): a model file holds them as JSON, validated like any untrusted input,
// and sampling needs no XGBoost. Internal to the records module.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/table.h"
#include "medgen/tabular/trees.h"

namespace medgen::records::detail {

class RatioFilter {
 public:
  // Learns from `real` and `synthetic` rows with the same columns (numbers as they are, a
  // category as its code; missing cells as missing). Deterministic from seed. Leaves the filter
  // empty (accepting every row) when either side has fewer than 20 rows.
  void fit(const Table& real, const Table& synthetic, uint64_t seed);
  bool empty() const { return trees_.empty(); }
  // Estimated p_real / p_synthetic per row of `rows` (the columns named at fit, by name).
  std::vector<double> ratio(const Table& rows) const;
  // Probability of keeping each row: min(1, ratio / cap).
  std::vector<double> keep_probability(const Table& rows) const;
  // Share of generated rows kept, measured at fit (for sizing draws).
  double acceptance() const { return acceptance_; }

  nlohmann::json to_json() const;
  // ModelFormat-style validation is the caller's: throws InvalidInput naming `where`.
  static RatioFilter from_json(const nlohmann::json& j, const std::string& where);

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> levels_;  // per column: a category's labels, sorted (its feature)
  std::vector<tabular::Tree> trees_;
  double log_prior_ = 0;  // log(synthetic rows / real rows) at fit: turns odds into a ratio
  double cap_ = 1;
  double acceptance_ = 1;
};

}  // namespace medgen::records::detail
