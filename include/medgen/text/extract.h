// Concepts out of a parsed note: problems and findings, medications with their sig (strength,
// dose, route, frequency, duration, as-needed), allergies, procedures, laboratory results and
// vital signs with values and UCUM units, each with its text span and context.
// The public entry point for other modules (e.g. SOAP drafts from transcripts):
//   const TextModel model = TextModel::load();                // once; share across threads
//   Note note = model.parse("note1", text);                   // text: valid UTF-8
//   std::vector<Concept> cs = extract(note, model);
// Thread safety: TextModel is immutable after load(); extract() is a pure function of its
// arguments and may run on many notes at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "medgen/text/context.h"
#include "medgen/text/lexicon.h"
#include "medgen/text/note.h"

namespace medgen::text {

enum class ConceptType { kProblem = 0, kMedication, kAllergy, kProcedure, kLab, kVital };
inline constexpr int kConceptTypes = 6;
const char* to_string(ConceptType t);
bool parse_concept_type(const std::string& s, ConceptType* t);

// A quantity as written and in UCUM.
struct Quantity {
  double value = 0;
  std::string comparator;  // "", "<", "<=", ">", ">="
  std::string unit;        // UCUM code ("" when none written and none implied)
  std::string unit_text;   // the unit as written ("" when implied by the test's usual unit)
};

struct MedicationSig {
  std::optional<Quantity> strength;   // "500 mg"
  std::optional<Quantity> dose;       // "2 tablets", "10 units" (strength when no separate dose)
  std::string route;                  // canonical route name ("oral", "intravenous", ...)
  std::string frequency_text;         // as written ("bid", "every 6 hours")
  int frequency = 0;                  // times per period (0: not stated)
  double period = 0;                  // with period_unit (UCUM: h, d, wk, mo)
  std::string period_unit;
  std::optional<Quantity> duration;   // "for 7 days": value 7, unit "d"
  bool as_needed = false;             // PRN
  std::string as_needed_for;          // "pain"
};

struct Concept {
  ConceptType type = ConceptType::kProblem;
  Span span;                // the concept's words in Note::text
  std::string text;         // those words
  int32_t entry = -1;       // index into the lexicon's entries
  std::string preferred, system, code, mapped;  // from the lexicon entry
  std::string section;      // section code ("" before any heading)
  size_t sentence = 0;      // index into Note::sentences
  ContextFlags context;
  std::vector<Span> cues;   // the triggers that set context flags (and the section heading is implied)
  Span extent;              // the concept with its value or sig (== span when none)
  // labs and vital signs
  std::optional<Quantity> value;
  std::optional<Quantity> value2;  // blood pressure: diastolic
  // medications (and the substance of an allergy)
  MedicationSig sig;
  // allergies
  std::string reaction;  // as written ("hives"), "" when not stated
};

// Units, routes, frequencies, dose forms and as-needed phrases (data/text/sig.tsv):
//   unit<TAB>alias<TAB>UCUM code             e.g. "unit  mg/dl  mg/dL"
//   route<TAB>alias<TAB>route name           e.g. "route  po  oral"
//   frequency<TAB>alias<TAB>N<TAB>P<TAB>U    N times per P U (UCUM h, d, wk, mo), e.g. "bid 2 1 d"
//   form<TAB>alias<TAB>UCUM annotation       e.g. "form  tabs  {tablet}"
//   prn<TAB>alias                            e.g. "prn  as needed"
//   duration<TAB>alias<TAB>UCUM unit         e.g. "duration  weeks  wk"
struct SigTables {
  struct Unit {
    std::string ucum;
    int kind = 0;  // 0 unit, 1 form, 2 duration
  };
  std::vector<std::string> routes, ucum_units, forms, duration_units;
  struct Freq {
    int n = 0;
    double period = 0;
    std::string unit;
  };
  std::vector<Freq> frequencies;
  PhraseMatcher units, route, frequency, form, prn, duration;  // values index the vectors above
  std::vector<std::string> sources;
  std::vector<std::string> words;  // every word of the phrases (known words: never spelling-mended)
  void load(const std::string& path);
};

struct TextModelOptions {
  LexiconOptions lexicon;
  std::string sections;       // "" = data/text/sections.tsv
  std::string context_rules;  // "" = data/text/context_rules.tsv
  std::vector<std::string> extra_rules;  // the user's rule files, loaded after the shipped ones
  std::string sig;            // "" = data/text/sig.tsv
};

struct TextModel {
  SectionRules sections;
  Lexicon lexicon;
  ContextRules context;
  SigTables sig;

  static TextModel load(const TextModelOptions& options = {});
  Note parse(std::string id, std::string text) const { return parse_note(std::move(id), std::move(text), sections); }
  // Provenance of everything loaded: one line per file.
  std::vector<std::string> sources() const;
};

// The concepts of a note in text order.
std::vector<Concept> extract(const Note& note, const TextModel& model);

// {"type", "text", "begin", "end", "preferred", "system", "code", "section", "context": [...],
//  "value": {...}, "sig": {...}, "reaction"} (fields present when set).
nlohmann::json to_json(const Concept& c);

}  // namespace medgen::text
