// Evaluation of extraction against annotated notes, and against the NegEx test set format.
//
// Annotated notes are plain text with inline marks: [[words|type|flags]], where type is a
// concept type (problem, medication, allergy, procedure, lab, vital) and flags, optional, a
// comma-separated subset of neg, unc, hist, hyp, fam. The note the extractor sees is the text
// with the marks replaced by their words; the marks give the gold spans. "[[" never occurs in
// notes otherwise.
// Scoring: a prediction matches a gold concept of the same type whose span overlaps (strict:
// same span); each is used once. Context classes are scored on the matched pairs (a negated
// flag on a prediction that matches a gold concept without it is a false positive).
// Thread safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "medgen/text/extract.h"

namespace medgen::text {

struct GoldConcept {
  Span span;
  ConceptType type = ConceptType::kProblem;
  ContextFlags context;
};

struct AnnotatedNote {
  std::string id;
  std::string text;  // without the marks
  std::vector<GoldConcept> gold;
};

// InvalidInput "source:line:column: ..." for a malformed mark.
AnnotatedNote parse_annotated(std::string_view marked, const std::string& source, std::string id);

struct Counts {
  size_t tp = 0, fp = 0, fn = 0;
  double precision() const { return tp + fp ? static_cast<double>(tp) / static_cast<double>(tp + fp) : 0; }
  double recall() const { return tp + fn ? static_cast<double>(tp) / static_cast<double>(tp + fn) : 0; }
  double f1() const {
    const double p = precision(), r = recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
  }
};

struct EvalReport {
  size_t notes = 0, bytes = 0;
  Counts overall, overall_exact;
  Counts by_type[kConceptTypes], by_type_exact[kConceptTypes];
  Counts by_context[kContextCategories];
  nlohmann::json to_json() const;
  // Lists of false positives / negatives (for error analysis), up to 5000.
  std::vector<std::string> errors;
};

EvalReport evaluate(const std::vector<AnnotatedNote>& notes, const TextModel& model);

// The NegEx annotated test set (tab-separated: report number, concept, sentence, "Negated" or
// "Affirmed", a header line first). Each concept is located in its sentence (the set writes it
// in capitals) and its negation judged by the context rules. Returns {rows, located,
// tp, fp, fn, tn, sensitivity, ppv, specificity, npv, accuracy}.
nlohmann::json evaluate_negex(const std::string& path, const TextModel& model);

}  // namespace medgen::text
