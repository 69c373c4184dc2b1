// Lexicons of clinical concepts: problems and findings, medications, non-drug allergens,
// procedures, laboratory tests and vital signs, each with a code system, a code and where it
// came from. Loaded as data:
//   - the module's own lists, data/text/lexicon/*.tsv (format below; provenance in
//     data/text/README.md);
//   - packaged open code lists read from their installed paths when present: the WHO ATC
//     list and the ICPC-2 list (with ICD-10 mappings) that Debian's gnumed-server ships, and the
//     medical word list of hunspell-en-med (used to know real words, so only unknown words are
//     mended by the OCR-noise tolerant match);
//   - the user's own files in the same TSV format (extend or override).
// TSV format, one entry per line, '#' starts a comment line:
//   kind<TAB>system<TAB>code<TAB>preferred term[<TAB>synonyms separated by |[<TAB>unit[<TAB>flags]]]
//   kind: problem | medication | allergen | procedure | lab | vital
//   system: a code system URI or short name (icd10, atc, loinc, icpc2, snomed...; "-" for none)
//   unit: the UCUM unit a lab or vital is usually reported in ("-" for none)
//   flags: comma-separated; "value" = report the term only when a value follows it (short
//          abbreviations such as "T" or "P" in vital-sign lines)
// Synonyms written in capitals with at most 4 letters (abbreviations: "MI", "CHF") match only
// text in capitals (or a sentence written entirely in capitals).
// Matching: tokens normalised (case, plurals, digits in words), longest match first; for
// problems and procedures of 2+ content words, the same words in another order ("cancer of the
// lung" = "lung cancer"); for words of 6+ letters that are neither known words nor lexicon
// words, one edit away from a lexicon word (OCR noise, misspellings).
// Thread safety: immutable after loading; share freely.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "medgen/text/note.h"

namespace medgen::text {

enum class EntryKind { kProblem, kMedication, kAllergen, kProcedure, kLab, kVital };
const char* to_string(EntryKind k);

struct LexiconEntry {
  EntryKind kind = EntryKind::kProblem;
  std::string preferred;  // preferred term, as written in the source
  std::string system;     // code system URI ("" when none)
  std::string code;       // "" when none
  std::string unit;       // usual UCUM unit (labs, vitals)
  std::string mapped;     // a second code where the source maps one (ICPC-2 -> ICD-10), "system|code"
  std::string source;     // provenance: "file:line"
  bool needs_value = false;
};

struct LexiconOptions {
  bool packaged = true;  // also read the packaged lists below when they exist
  std::string atc_csv = "/var/lib/gnumed/server/sql/v14-v15/data/atc_only-utf8.csv";
  std::string icpc2_sql = "/var/lib/gnumed/server/sql/v15-ref-icpc2-data.sql";
  std::string word_list = "/usr/share/hunspell/en_med_glut.dic";
  std::vector<std::string> user_files;  // the user's own TSV lexicons, loaded last
};

class Lexicon {
 public:
  // The module's lexicon folder, then the packaged lists (when options.packaged and present),
  // then options.user_files. InvalidInput "file:line:column: ..." for a syntax error.
  static Lexicon load(const LexiconOptions& options = {});

  void load_tsv(const std::string& path);
  // gnumed-server's ATC list: "code","English","French","German" per line; level-5 codes
  // (7 characters) become medications.
  void load_atc_csv(const std::string& path);
  // gnumed-server's ICPC-2 SQL: components 1 (symptoms) and 7 (diagnoses) become problems, with
  // their inclusion terms as synonyms and the ICD-10 mapping.
  void load_icpc2_sql(const std::string& path);
  // A hunspell .dic word list: words known to be spelled right.
  void load_word_list(const std::string& path);
  // Builds the word-order and spelling indexes; call after the last load_* (load() does).
  void finish();

  struct Hit {
    int32_t entry = -1;  // index into entries()
    size_t length = 0;   // tokens
  };
  // The best match starting at tokens[pos] (not past `end`), or entry -1.
  Hit match(const std::vector<Token>& tokens, size_t pos, size_t end, bool all_caps) const;
  // A lexicon word one edit away from `norm` when norm is an unknown word of 6+ letters, else "".
  const std::string* mend(const std::string& norm) const;

  const std::vector<LexiconEntry>& entries() const { return entries_; }
  // Sources loaded: "path (N entries)".
  const std::vector<std::string>& sources() const { return sources_; }
  bool is_known_word(const std::string& norm) const { return known_.count(norm) > 0 || vocab_.count(norm) > 0; }
  void add_known_word(const std::string& norm) { known_.insert(norm); }

 private:
  int32_t add_entry(LexiconEntry e, const std::vector<std::string>& terms);
  std::vector<LexiconEntry> entries_;
  std::vector<std::string> sources_;
  PhraseMatcher matcher_;
  std::unordered_map<std::string, int32_t> term_index_;  // kind + normalised term -> entry (dedupe)
  std::unordered_map<std::string, int32_t> bags_;        // sorted content words -> entry
  std::unordered_set<std::string> bag_words_;
  std::unordered_set<std::string> vocab_;   // words of lexicon terms
  std::unordered_set<std::string> known_;   // word list
  std::vector<std::vector<std::string>> by_prefix_;  // lexicon words of 6+ letters by their first two letters
};

}  // namespace medgen::text
