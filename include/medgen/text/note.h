// The clinical note model and its pipeline: a note's text is cut into sections (headings are
// data: data/text/sections.tsv), sentences and tokens, each keeping its byte span in the text.
// Robust to all-caps notes, bullet and numbered lists, "Label: value" templates, lines wrapped
// mid-sentence and OCR-like noise (digits inside words, words hyphenated across lines).
// Thread safety: SectionRules and PhraseMatcher are immutable once loaded and may be shared by
// threads; parse_note is a pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace medgen::text {

// Byte offsets [begin, end) into Note::text.
struct Span {
  size_t begin = 0;
  size_t end = 0;
};

enum class TokenKind { kWord, kNumber, kPunct };

struct Token {
  size_t begin = 0, end = 0;  // span in the note text (a word hyphenated across a line break covers both parts)
  TokenKind kind = TokenKind::kWord;
  std::string lower;  // surface lower-cased (ASCII), for exact phrase matches
  std::string norm;   // lower, OCR digits in words mended, plural ending removed: lexicon keys
  bool upper = false;  // written in capitals (at least one letter, no lower-case letter)
};

struct Sentence {
  size_t begin = 0, end = 0;              // span in the note text
  size_t first_token = 0, end_token = 0;  // tokens [first_token, end_token) of Note::tokens
  size_t section = 0;                     // index into Note::sections
  bool all_caps = false;                  // every letter of the sentence is a capital
};

struct Section {
  std::string code;     // e.g. "hpi", "pmh", "medications", "allergies", "family_history"; "" before the first heading
  std::string heading;  // the heading as written ("" for the implicit first section)
  size_t begin = 0, end = 0;  // span of the heading and body in the note text
  size_t body_begin = 0;      // where the body starts (after the heading and its colon)
};

struct Note {
  std::string id;          // e.g. the file stem
  std::string patient_id;  // the patient the note belongs to (registry rows per patient)
  std::string text;        // the note, UTF-8
  std::vector<Section> sections;
  std::vector<Sentence> sentences;
  std::vector<Token> tokens;
};

// Normalised key of one word as Token::norm holds it: ASCII lower case, digits inside words
// mended (0->o, 1->l when surrounded by letters), plural endings removed ("ies"->"y", "s" after a
// non-s letter when the word is longer than 3 letters and does not end in "us"/"is"/"ss").
std::string normalize_word(std::string_view word);

// Splits `text` into tokens the way notes are tokenised (used for lexicon and rule phrases so
// that both sides match). Offsets are relative to `text`.
std::vector<Token> tokenize(std::string_view text);

// Phrases (each a token sequence keyed by Token::norm) found at a token position, longest first.
// Used for lexicon terms, context triggers, sig words and section headings.
class PhraseMatcher {
 public:
  // Adds a phrase; `value` is returned on a match. Returns false for a phrase with no token.
  bool add(std::string_view phrase, int32_t value, bool case_sensitive = false);
  struct Match {
    int32_t value = -1;
    size_t length = 0;  // tokens
  };
  // Every phrase starting at tokens[pos] and ending before `end`; `all_caps` lets case-sensitive
  // phrases match in a sentence written in capitals only. Appends to *out, longest first.
  void find(const std::vector<Token>& tokens, size_t pos, size_t end, bool all_caps, std::vector<Match>* out) const;
  // The longest match at pos (value -1 when none).
  Match longest(const std::vector<Token>& tokens, size_t pos, size_t end, bool all_caps = false) const;
  size_t size() const { return count_; }

 private:
  struct Phrase {
    std::vector<std::string> norms;
    std::string surface;  // case-sensitive phrases: the exact one-token surface
    int32_t value;
    bool case_sensitive;
  };
  std::unordered_map<std::string, std::vector<Phrase>> by_first_;
  size_t count_ = 0;
};

// Section headings (data/text/sections.tsv: "code<TAB>heading variant" per line, plus optional
// "@context<TAB>code<TAB>flag" lines giving the context every concept of that section takes).
struct SectionRules {
  std::vector<std::string> codes;            // distinct section codes
  PhraseMatcher headings;                    // heading variants -> index into codes
  std::unordered_map<std::string, std::vector<std::string>> context;  // code -> default flags
  std::vector<std::string> sources;          // files loaded, for provenance

  // Loads one file; InvalidInput "file:line:column: ..." on a syntax error.
  void load(const std::string& path);
  // The shipped rules (data/text/sections.tsv; MEDGEN_TEXT_DATA overrides the folder).
  static SectionRules load_default();
};

// The data folder of the text module: $MEDGEN_TEXT_DATA, else the build's data/text, else
// ./data/text.
std::string text_data_dir();

// Cuts a note into sections, sentences and tokens. `text` must be valid UTF-8 (see utf8.h).
Note parse_note(std::string id, std::string text, const SectionRules& rules);

}  // namespace medgen::text
