// Evaluation of the free-text action parser against a set of phrasings with the parse a clinician
// means (tests/sim/data/parse_set.tsv): accuracy per field (kind, what, dose, unit, route, rate) and of
// the whole parse, per split (dev: tuned on; heldout, hand: reported only).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "medgen/sim/catalog.h"

namespace medgen::sim {

struct ParseEvalParams {
  std::string condition = "septic_shock";  // history topics are the condition's
  double weight_kg = 70;                   // for per-kg doses
  size_t max_failures = 30;                // failures listed per split
};

struct ParseEvalSplit {
  size_t rows = 0, exact = 0;               // exact: every field right
  std::map<std::string, size_t> correct;    // field -> rows right
  std::vector<std::string> failures;        // "phrase: field expected X, got Y"
};

struct ParseEvalReport {
  std::map<std::string, ParseEvalSplit> splits;  // "dev", "heldout", "hand", "all"
  nlohmann::json to_json() const;
  std::string to_text() const;
};

// The fields, in the TSV's order after phrase and split.
const std::vector<std::string>& parse_eval_fields();

// Reads the TSV (header: phrase, split, kind, what, dose, unit, route, rate); a malformed row is an
// InvalidInput naming file:line:column.
ParseEvalReport evaluate_parser(const std::string& tsv_path, const Catalog& catalog, const ParseEvalParams& p = {});

}  // namespace medgen::sim
