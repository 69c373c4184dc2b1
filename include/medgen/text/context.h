// Context of a concept mention (after ConText, Harkema et al. 2009, and NegEx, Chapman et al.
// 2001): negated, uncertain, historical, hypothetical, or experienced by someone else (family).
// Rules are data (data/text/context_rules.tsv), one per line, '#' starts a comment line:
//   category<TAB>direction<TAB>phrase
//   category:  negated | uncertain | historical | hypothetical | family | all (terminators and
//              pseudo-triggers only)
//   direction: forward   the trigger's scope runs to the right, to the end of the sentence
//              backward  the scope runs to the left, to the start of the sentence
//              both      both ways
//              terminate ends the scope of the category's triggers ("but", "however", "which")
//              pseudo    a phrase that contains a trigger but is none ("no increase", "not only",
//                        "gram negative"): its tokens trigger nothing of that category
//   types:     optional fourth field, the concept types the trigger applies to, comma-separated
//              (problem, medication, allergy, procedure, lab, vital): "negative" after a lab is
//              its result, not a negation; "concern for" makes a problem uncertain, not the scan
//              that raised it. Without it, the category's types (below), else every type.
// plus optional settings lines: "@window<TAB>N" (a scope covers at most N tokens; 0 = to the
// sentence end, the default) and "@types<TAB>category<TAB>types" (the types a category's
// triggers apply to when a rule names none), "@both_window<TAB>N" (the backward half of a
// 'both' trigger covers at most N tokens: "losartan if the swelling persists", "prerenal vs
// ATN"; 0 = to the sentence start).
// A forward trigger with nothing but punctuation after it in its scope ("vomiting - no",
// "dysuria: denies") governs the tokens before it instead.
// A scope also ends where a trigger of another category starts. Sections can give every
// concept in them a category (sections.tsv "@context" lines: family history, past history).
// Thread safety: immutable after loading; apply() is const.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "medgen/text/note.h"

namespace medgen::text {

enum class ContextCategory { kNegated = 0, kUncertain, kHistorical, kHypothetical, kFamily };
inline constexpr int kContextCategories = 5;
const char* to_string(ContextCategory c);
// "negated" etc. -> category; false when unknown.
bool parse_context_category(const std::string& s, ContextCategory* c);

struct ContextFlags {
  bool negated = false, uncertain = false, historical = false, hypothetical = false, family = false;
  bool get(ContextCategory c) const;
  void set(ContextCategory c, bool v);
  bool any() const { return negated || uncertain || historical || hypothetical || family; }
};

// One trigger found in a sentence, with its scope in tokens.
struct ContextCue {
  ContextCategory category;
  size_t begin_token = 0, end_token = 0;  // the trigger
  size_t scope_begin = 0, scope_end = 0;  // the tokens it governs
  uint8_t types = 0x3F;                   // bit t: applies to ConceptType t
};

class ContextRules {
 public:
  enum class Direction { kForward, kBackward, kBoth, kTerminate, kPseudo };
  struct Rule {
    int category = 0;  // ContextCategory, or -1 for "all" (terminate / pseudo)
    Direction direction = Direction::kForward;
    std::string phrase;
    std::string source;  // file:line
    uint8_t types = 0;   // bit t: applies to ConceptType t; 0 = the category's types
  };

  // InvalidInput "file:line:column: ..." on a syntax error.
  void load(const std::string& path);
  // data/text/context_rules.tsv.
  static ContextRules load_default();

  // The cues of tokens [begin, end) (a sentence), with their scopes.
  std::vector<ContextCue> cues(const std::vector<Token>& tokens, size_t begin, size_t end) const;
  // The flags of a concept covering tokens [cb, ce) given the sentence's cues; type is the
  // concept's ConceptType as an int (-1: every cue applies).
  static ContextFlags flags_for(const std::vector<ContextCue>& cues, size_t cb, size_t ce, int type = -1);

  const std::vector<Rule>& rules() const { return rules_; }
  const std::vector<std::string>& sources() const { return sources_; }
  size_t window() const { return window_; }

 private:
  std::vector<Rule> rules_;
  std::vector<std::string> sources_;
  PhraseMatcher matcher_;  // phrase -> rule index
  size_t window_ = 0;
  size_t back_window_ = 0;  // @both_window
  uint8_t category_types_[kContextCategories] = {0x3F, 0x3F, 0x3F, 0x3F, 0x3F};
};

}  // namespace medgen::text
