// One table for every word list the detector consults (private to src/text/deid): a lower-cased
// word maps to a bit mask of the lists that hold it (name lists, dictionaries, cue words), and
// for month names to the month's number. The detector looks each token up once.
// Thread safety: read-only after construction.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "medgen/text/deid/deid.h"

namespace medgen::text::deid {

// The lists: one bit each. The entries of the cue lists are in lexicon.cpp.
namespace lex {
enum : uint64_t {
  // loaded (DeidResources)
  kFirst = 1ull << 0,
  kLast = 1ull << 1,
  kEnglish = 1ull << 2,
  kMedical = 1ull << 3,
  kProper = 1ull << 4,
  // names
  kTitle = 1ull << 5,          // "dr", "mrs", "nurse"
  kCredential = 1ull << 6,     // "md", "rn", "phd"
  kNotName = 1ull << 7,        // never starts or continues a name run
  kParticle = 1ull << 8,       // "van", "de", "bin"
  kNameLabel = 1ull << 9,      // "LABEL:" heads before a name ("attending", "signed by")
  kNameVerb1 = 1ull << 10,     // a name follows directly ("per", "cc", "notified")
  kRelative = 1ull << 11,      // "wife", "son"
  kByVerb = 1ull << 12,        // a name follows after by/with/to ("seen", "discussed")
  kSignoff = 1ull << 13,       // a whole sign-off line ("best regards")
  kSignoffHead = 1ull << 14,   // the first word of some sign-off line
  kEponymHead = 1ull << 15,    // "disease", "syndrome": the word before is an eponym
  // identifiers
  kIdCue = 1ull << 16,         // "mrn", "acct", "health card"
  kIdFiller = 1ull << 17,      // between an ID cue and the number ("no", "number", "#")
  kPhoneCue = 1ull << 18,      // "phone", "fax"
  kUrlTld = 1ull << 19,        // "com", "org"
  // places
  kStreetSuffix = 1ull << 20,  // "street", "ave"
  kUnitWord = 1ull << 21,      // "apt", "suite"
  kFacility = 1ull << 22,      // "hospital", "clinic"
  kFacility2 = 1ull << 23,     // "center", "home" (the second word of a facility)
  kFacilityGeneric = 1ull << 24,  // "the", "community": not a specific facility name
  kLocCue = 1ull << 25,        // "lives in", "visited" (one or two words)
  kLocCueHead = 1ull << 26,    // the first word of a two-word location cue
  kState = 1ull << 27,         // US and Canadian state codes, lower-cased ("il")
  kStateName = 1ull << 28,     // "ohio", "ontario"
  kLanguage = 1ull << 29,      // "spanish": "in Spanish" is no place
  // dates and ages
  kMonth = 1ull << 30,         // month names and abbreviations (several languages); month()
  kMonthAmbiguous = 1ull << 31,  // "may", "mar": also common words
  kDatePrep = 1ull << 32,      // "in", "since": before a bare month name
  kWeekday = 1ull << 33,
  kHoliday = 1ull << 34,
  kAgeWord = 1ull << 35,       // "year-old", "yo", "m"
  kUnitAfterNumber = 1ull << 36,  // "mg", "ml": a number before it is a dose
  kDayMonthCue = 1ull << 37,   // the chunk before a bare "9/2" that makes it a date ("on", "dob:")
  kDayMonthPrep = 1ull << 38,  // a lower-case word after "9/2" that does not make it a score ("by", "at")
  kNumberWord = 1ull << 39,    // numbers in words: "five", "oh", "double", "twenty-one", "third", "thousand"
  kMonthOther = 1ull << 40,    // a month of another calendar (Solar Hijri, Hebrew, Ethiopian): other years
};
constexpr int kMonthShift = 56;  // bits 56-59: the month number of kMonth entries
}  // namespace lex

class Lexicon {
 public:
  // The cue lists of lexicon.cpp plus the loaded lists of `r`.
  explicit Lexicon(const DeidResources& r);

  // The mask of `w`, which must already be lower-cased (0 when no list has it).
  uint64_t flags(std::string_view w) const { return flags(w, hash(w.data(), w.size())); }
  uint64_t flags(std::string_view w, uint64_t h) const {
    if (w.size() == 1) return single_[static_cast<unsigned char>(w[0])];
    if (w.empty() || w.size() > 0xffff) return 0;
    const uint16_t tag = static_cast<uint16_t>(h >> 48);
    for (size_t k = h & mask_;; k = (k + 1) & mask_) {
      const Slot& s = slots_[k];
      if (s.len == 0) return 0;
      if (s.tag == tag && s.len == w.size() && std::memcmp(keys_.data() + s.key, w.data(), w.size()) == 0)
        return s.flags;
    }
  }
  static int month(uint64_t flags) { return static_cast<int>((flags >> lex::kMonthShift) & 0xf); }

  static uint64_t hash(const char* p, size_t n) {
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
      h ^= h >> 31;
      p += 8;
      n -= 8;
    }
    uint64_t w = 0;
    for (size_t k = 0; k < n; ++k) w |= static_cast<uint64_t>(static_cast<unsigned char>(p[k])) << (8 * k);
    h = (h ^ w) * 0x94d049bb133111ebull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 32);
  }

 private:
  struct Slot {
    uint64_t flags = 0;
    uint32_t key = 0;  // offset into keys_
    uint16_t len = 0;  // 0: empty
    uint16_t tag = 0;  // the hash's top 16 bits
  };
  void add(std::string_view lower_word, uint64_t flags);
  void grow();

  std::vector<Slot> slots_;
  size_t mask_ = 0, used_ = 0;
  std::string keys_;
  uint64_t single_[256] = {};  // one-byte words ("#", "y", "m")
};

}  // namespace medgen::text::deid
