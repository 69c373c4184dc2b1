// De-identification of free-text clinical notes: the 18 HIPAA Safe Harbor identifiers
// (45 CFR 164.514(b)(2)) found by hand-written scanners (no regular-expression engine: one pass
// over the bytes keeps it above 5 MB/s), context cues (titles, credentials, header fields,
// relatives) and name lists loaded at run time, then replaced by tags or by consistent,
// keyed surrogates. Recall is favoured over precision: a missed name is a breach, an extra tag
// a nuisance (docs/text-deid.md). A learned tagger (tagger.h), when given, adds its detections to
// the rules'.
//
// Thread safety: DeidResources and Deidentifier are read-only after construction; detect()
// and deidentify() may run concurrently on one object.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::text::deid {

// The kinds reported. Safe Harbor's 18 map onto them: names -> kName; geographic units
// smaller than a state (street, city, ZIP, facility) -> kLocation; all date elements but the
// year -> kDate; ages over 89 -> kAge; telephone and fax -> kPhone; e-mail -> kEmail; SSN ->
// kSsn; medical record, health plan, account, certificate/licence, vehicle, device and any
// other unique numbers, biometric identifiers and photograph references -> kId; URLs -> kUrl;
// IP addresses -> kIp.
enum class PhiType { kName, kDate, kAge, kLocation, kPhone, kEmail, kSsn, kId, kUrl, kIp };
constexpr int kPhiTypes = 10;
const char* phi_type_name(PhiType t);         // "NAME", "DATE", ...
bool parse_phi_type(std::string_view s, PhiType* out);  // the inverse; false when unknown

// One identifier found in a note: bytes [begin, end).
struct PhiSpan {
  size_t begin = 0, end = 0;
  PhiType type = PhiType::kName;
  std::string replacement;  // filled by deidentify()
};

// Word lists the detector uses. Loaded once (load_default_resources) from installed packages:
//  - first and last names: the person providers of python3-fake-factory (Faker), every
//    Latin-script locale, parsed from /usr/lib/python3/dist-packages/faker/providers/person/*/
//    __init__.py (variables first_names*, last_names*), and of php-faker (Faker for PHP), every
//    locale, parsed from /usr/share/php/Faker/Provider/*/Person.php (arrays $firstName*,
//    $middleName*, $lastName*; entries of 3+ bytes), plus data/text/deid/names.txt (a small own
//    list, also the fallback when neither Faker is installed);
//  - English words (to require a cue before tagging "Will" or "Brown"): the lower-case entries of
//    /usr/share/hunspell/en_US.dic;
//  - medical words (never a name on a name-list hit alone: "pilar", "Allegra"): the lower-case
//    entries of /usr/share/hunspell/en_med_glut.dic (hunspell-en-med) plus
//    data/text/deid/medical_stop.txt; its capitalised entries (eponyms, brands) join `proper`.
// Missing packaged files are skipped (sources() says what was loaded).
struct DeidResources {
  // Lower-cased words; membership tests take lower-cased views.
  class WordSet;
  std::shared_ptr<const WordSet> first_names, last_names, english, medical;
  // Capitalised entries of en_US.dic and en_med_glut.dic (proper nouns: "English", "Texas", "Tylenol"): a capitalised
  // word in none of the sets is taken for a name; one in this set is not, unless a name list has it.
  std::shared_ptr<const WordSet> proper;
  std::vector<std::string> surrogate_first, surrogate_last, surrogate_cities, surrogate_streets;
  std::vector<std::string> sources;  // "path (N words)" for each file read

  // data_dir: the folder with names.txt and medical_stop.txt ("" = data/text/deid beside the
  // build's data folder).
  static DeidResources load_default(const std::string& data_dir = "");
  // The folder load_default reads: `given`, else $MEDGEN_TEXT_DATA/deid, else the installed or
  // source data/text/deid. The learned tagger's model is tagger.model there.
  static std::string data_dir(const std::string& given);
};

enum class DateOrder { kMonthFirst, kDayFirst };  // how 03/04/2020 is read

struct DeidOptions {
  bool tags = false;          // true: "[NAME]", "[DATE]"...; false: surrogates
  std::string key;            // the secret surrogates are keyed by (any bytes; "" is refused for surrogates)
  std::string patient;        // surrogates are consistent within one patient id
  DateOrder date_order = DateOrder::kMonthFirst;
  int max_shift_days = 365;   // the per-patient date shift is in [-max, max], never 0
  void validate() const;      // InvalidInput for an empty key in surrogate mode or a bad shift
};

struct DeidResult {
  std::string text;             // the note with every span replaced
  std::vector<PhiSpan> spans;   // in the input's byte offsets, sorted, disjoint
  int shift_days = 0;           // the patient's date shift (0 with tags)
  std::array<int, kPhiTypes> counts{};
  // {"counts": {"NAME": n, ...}, "spans": [{"begin","end","type","replacement"}], "date_shift_days"}
  // Original text is never written to the report.
  nlohmann::json report() const;
};

class Lexicon;      // every word list in one table (src/text/deid/lexicon.h)
class TaggerModel;  // the learned tagger (medgen/text/deid/tagger.h)

class Deidentifier {
 public:
  // model: the learned tagger whose detections are added to the rules' (null: the rules alone).
  explicit Deidentifier(DeidResources resources, std::shared_ptr<const TaggerModel> model = nullptr);
  // The same word lists (shared, not rebuilt) with another model (null: the rules alone).
  Deidentifier with_model(std::shared_ptr<const TaggerModel> model) const;
  // Every identifier in `text` (UTF-8; bytes outside ASCII are treated as letters), sorted and
  // merged so that no two overlap (the wider kind wins). With a model: the rules' spans, never
  // shrunk, plus the tokens the rules left alone that the model scores above its threshold.
  std::vector<PhiSpan> detect(std::string_view text) const;
  // The rules alone, whatever the model.
  std::vector<PhiSpan> detect_rules(std::string_view text) const;
  DeidResult deidentify(std::string_view text, const DeidOptions& options) const;
  const DeidResources& resources() const { return res_; }
  const std::shared_ptr<const TaggerModel>& model() const { return model_; }
  const Lexicon& lexicon() const { return *lex_; }

 private:
  DeidResources res_;
  std::shared_ptr<const Lexicon> lex_;  // built from res_ and the cue lists
  std::shared_ptr<const TaggerModel> model_;
};

// A keyed 64-bit pseudo-random function (SipHash-2-4 with a 128-bit key derived from `key`).
uint64_t keyed_hash(std::string_view key, std::string_view message);

}  // namespace medgen::text::deid
