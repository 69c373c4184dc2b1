// The rules' tokens and spans of one note, for the learned tagger (private to src/text/deid).
// Thread safety: values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lexicon.h"

namespace medgen::text::deid {

// One token of the rules' tokenizer: a run of letters (with inner ' and -), a run of digits, or
// one punctuation byte.
struct Tok {
  uint64_t fl = 0;  // the Lexicon flags of the lower-cased text (0 for numbers)
  uint32_t b = 0, e = 0;
  char kind = 'p';  // 'w' word, 'n' number, 'p' punctuation
  bool cap = false, allcaps = false;
  bool nl = false;      // a line break between the previous token and this one
  bool space = false;   // white space between the previous token and this one
};

struct RuleScan {
  std::string lower;           // the text lower-cased (ASCII), byte for byte
  std::vector<Tok> tokens;
  std::vector<PhiSpan> spans;  // the rules' spans: sorted, disjoint
};

// The rules' detector (detect.cpp) with its tokens kept.
RuleScan scan_rules(std::string_view text, const Lexicon& lx);

}  // namespace medgen::text::deid
