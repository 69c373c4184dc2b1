// Evaluation of the de-identifier on annotated notes.
//
// Annotated note files (data/text/deid/eval/*.txt): UTF-8 text where each note starts with a line
// "### note ID" (anything after the ID on that line is ignored) and every identifier is written
// inline as ⟦TYPE|text⟧ with TYPE one of NAME, DATE, AGE, LOCATION, PHONE, EMAIL, SSN, ID, URL,
// IP. Lines before the first "### note" are comments.
//
// Scores are token-level (a token is a run of letters or digits): a gold token is recalled when
// any detected span covers it, whatever type the detector gave it (what matters for privacy is
// that it is gone); a detected token is correct when it lies inside any gold span. Per type:
// recall over that type's gold tokens, precision over the tokens the detector gave that type.
// Thread safety: pure functions.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/text/deid/deid.h"

namespace medgen::text::deid {

struct AnnotatedNote {
  std::string id;
  std::string text;            // markup removed
  std::vector<PhiSpan> gold;   // offsets into text
};

// Throws InvalidInput "FILE:LINE:COLUMN: ..." for malformed markup or an unknown type.
std::vector<AnnotatedNote> parse_annotated_notes(const std::string& content, const std::string& file);
std::vector<AnnotatedNote> read_annotated_notes(const std::string& path);

struct TypeScore {
  size_t gold_tokens = 0, gold_found = 0;  // recall
  size_t pred_tokens = 0, pred_correct = 0;  // precision
  double recall() const { return gold_tokens ? double(gold_found) / gold_tokens : 1.0; }
  double precision() const { return pred_tokens ? double(pred_correct) / pred_tokens : 1.0; }
  double f1() const {
    const double p = precision(), r = recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
  }
};

struct DeidScores {
  size_t notes = 0;
  std::array<TypeScore, kPhiTypes> by_type{};
  TypeScore all;
  // Gold spans with at least one token left uncovered: "note-id TYPE 'text'" (for error analysis).
  std::vector<std::string> missed;
  nlohmann::json to_json() const;
  std::string table() const;  // a fixed-width text table
};

DeidScores evaluate_deid(const Deidentifier& d, const std::vector<AnnotatedNote>& notes);

}  // namespace medgen::text::deid
