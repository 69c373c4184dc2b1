// Replacement of detected identifiers: tags, or keyed surrogates consistent within a patient.
#include "medgen/text/deid/deid.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "medgen/core/error.h"
#include "medgen/core/schema.h"
#include "lexicon.h"
#include "wordset.h"

namespace medgen::text::deid {

namespace {

const char* const kTypeNames[kPhiTypes] = {"NAME", "DATE", "AGE", "LOCATION", "PHONE",
                                           "EMAIL", "SSN", "ID", "URL", "IP"};

inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

// SipHash-2-4 (Aumasson and Bernstein, 2012), written from the paper's description.
uint64_t siphash(uint64_t k0, uint64_t k1, std::string_view m) {
  uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1, v2 = 0x6c7967656e657261ULL ^ k0,
           v3 = 0x7465646279746573ULL ^ k1;
  auto round = [&] {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  };
  const size_t n = m.size(), full = n / 8 * 8;
  for (size_t i = 0; i < full; i += 8) {
    uint64_t w = 0;
    for (int k = 7; k >= 0; --k) w = (w << 8) | static_cast<unsigned char>(m[i + k]);
    v3 ^= w;
    round();
    round();
    v0 ^= w;
  }
  uint64_t last = static_cast<uint64_t>(n & 0xff) << 56;
  for (size_t k = 0; k < n - full; ++k) last |= static_cast<uint64_t>(static_cast<unsigned char>(m[full + k])) << (8 * k);
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xff;
  for (int r = 0; r < 4; ++r) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

// ---- calendar: core's civil-date conversions (medgen/core/schema.h) ----
int days_in_month(int64_t y, int m) {
  static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return dm[m - 1];
}

const char* const kMonthFull[] = {"January", "February", "March",     "April",   "May",      "June",
                                  "July",    "August",   "September", "October", "November", "December"};
const std::string_view kMonthLower[] = {"january", "february", "march",     "april",   "may",      "june",
                                        "july",    "august",   "september", "october", "november", "december"};
// 1-12 for a month's name or its three-letter abbreviation (or "sept"), any case; else 0.
int month_of(std::string_view w) {
  if (w.size() < 3 || w.size() > 9) return 0;  // "september" is the longest
  char buf[9];
  for (size_t k = 0; k < w.size(); ++k) buf[k] = (w[k] >= 'A' && w[k] <= 'Z') ? static_cast<char>(w[k] - 'A' + 'a') : w[k];
  const std::string_view l(buf, w.size());
  for (int m = 0; m < 12; ++m) {
    const std::string_view f = kMonthLower[m];
    if (l == f || (l.size() <= 4 && f.compare(0, 3, l.substr(0, 3)) == 0 && (l.size() == 3 || l == "sept")))
      return m + 1;
  }
  return 0;
}

struct Piece {
  size_t b, e;
  bool number;
  int value;
};

// Words a date's text may hold besides a month's name (English): ordinal suffixes, articles, times,
// weekdays (kept as they are). Any other word (a month of another language or calendar, an era)
// makes the date unreadable here, so it is replaced whole rather than half shifted.
bool date_filler(std::string_view w) {
  std::string l(w);
  for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const char* const kOk[] = {"st", "nd", "rd", "th", "of", "the", "t", "z", "am", "pm", "utc", "gmt", "on",
                                    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                                    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"};
  for (const char* k : kOk)
    if (l == k) return true;
  return false;
}

// A date's text shifted by `shift` days, keeping its layout; "" when it cannot be read.
std::string shift_date(std::string_view s, int shift, DateOrder order) {
  std::vector<Piece> p;
  for (size_t i = 0; i < s.size();) {
    if (std::isdigit(static_cast<unsigned char>(s[i]))) {
      size_t j = i;
      int v = 0;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])) && j - i < 6) v = v * 10 + (s[j++] - '0');
      p.push_back({i, j, true, v});
      i = j;
    } else if (std::isalpha(static_cast<unsigned char>(s[i]))) {
      size_t j = i;
      while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) ++j;
      const std::string_view w = s.substr(i, j - i);
      const int m = month_of(w);
      if (m) p.push_back({i, j, false, m});
      else if (!date_filler(w)) return "";  // a month of another language or calendar: not shifted here
      i = j;
    } else if (static_cast<unsigned char>(s[i]) >= 0x80) {
      // letters of other scripts: only the counters of Korean, Japanese and Chinese dates are read
      size_t j = i;
      while (j < s.size() && static_cast<unsigned char>(s[j]) >= 0x80) ++j;
      const std::string_view w = s.substr(i, j - i);
      if (w != "\xEB\x85\x84" && w != "\xEC\x9B\x94" && w != "\xEC\x9D\xBC" && w != "\xE5\xB9\xB4" &&
          w != "\xE6\x9C\x88" && w != "\xE6\x97\xA5")  // 년 월 일 年 月 日
        return "";
      i = j;
    } else {
      ++i;
    }
  }
  int yi = -1, mi = -1, di = -1;
  int month_word = -1;
  for (size_t k = 0; k < p.size(); ++k)
    if (!p[k].number) month_word = static_cast<int>(k);
  std::vector<int> nums;
  for (size_t k = 0; k < p.size(); ++k)
    if (p[k].number) nums.push_back(static_cast<int>(k));
  // ordinals ("3rd") are dropped by the letter scan; times ("10:30") are not dates' parts
  if (nums.size() > 3) nums.resize(3);
  if (month_word >= 0) {
    mi = month_word;
    for (int k : nums) {
      const size_t len = p[k].e - p[k].b;
      if (len == 4 && yi < 0) yi = k;
      else if (len <= 2 && di < 0 && p[k].value >= 1 && p[k].value <= 31 && !(yi < 0 && k > mi && di >= 0)) di = k;
      else if (len == 2 && yi < 0) yi = k;
    }
    // "Mar-12-19": day then two-digit year
  } else if (nums.size() == 3) {
    const int a = nums[0], b = nums[1], c = nums[2];
    if (p[a].e - p[a].b == 4) {
      yi = a, mi = b, di = c;
    } else {
      yi = c;
      // full stops between the parts are the day-first usage everywhere ("2.12.2025", "2. 12. 2025")
      const bool dots = s.substr(p[a].e, p[b].b - p[a].e).find('.') != std::string_view::npos;
      const bool day_first = order == DateOrder::kDayFirst || dots ? p[b].value <= 12 || p[a].value > 12
                                                                   : p[a].value > 12;
      if (day_first) di = a, mi = b;
      else mi = a, di = b;
    }
  } else if (nums.size() == 2) {
    const int a = nums[0], b = nums[1];
    if (p[b].e - p[b].b == 4) {
      mi = a, yi = b;
    } else {
      const bool day_first = order == DateOrder::kDayFirst ? p[b].value <= 12 || p[a].value > 12 : p[a].value > 12;
      if (day_first) di = a, mi = b;
      else mi = a, di = b;
    }
  } else {
    return "";
  }
  if (mi < 0) return "";
  const int month = p[mi].value;
  if (month < 1 || month > 12) return "";
  int64_t year = yi >= 0 ? p[yi].value : 2001;
  const bool two_digit = yi >= 0 && p[yi].e - p[yi].b == 2;
  if (two_digit) year += year < 50 ? 2000 : 1900;
  if (year < 1 || year > 9999) return "";
  const int day = di >= 0 ? p[di].value : 15;
  if (day < 1 || day > days_in_month(year, month)) return "";
  int64_t ny;
  unsigned um, ud;
  medgen::civil_from_days(medgen::days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) + shift,
                          &ny, &um, &ud);
  const int nm = static_cast<int>(um), nd = static_cast<int>(ud);
  // rebuild in place, right to left
  struct Rep {
    size_t b, e;
    std::string s;
  };
  std::vector<Rep> reps;
  auto pad = [](int64_t v, size_t width) {
    std::string t = std::to_string(v);
    while (t.size() < width) t.insert(t.begin(), '0');
    return t;
  };
  if (yi >= 0) reps.push_back({p[yi].b, p[yi].e, two_digit ? pad(ny % 100, 2) : pad(ny, p[yi].e - p[yi].b)});
  if (di >= 0) {
    reps.push_back({p[di].b, p[di].e, pad(nd, p[di].e - p[di].b)});
    // an ordinal suffix follows the new day: "March 3rd" -> "February 9th"
    const size_t q = p[di].e;
    if (q + 2 <= s.size() && std::isalpha(static_cast<unsigned char>(s[q])) &&
        std::isalpha(static_cast<unsigned char>(s[q + 1])) &&
        (q + 2 == s.size() || !std::isalpha(static_cast<unsigned char>(s[q + 2])))) {
      std::string suf(s.substr(q, 2));
      for (char& c : suf) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (suf == "st" || suf == "nd" || suf == "rd" || suf == "th") {
        const char* want = (nd % 100 >= 11 && nd % 100 <= 13) ? "th" : nd % 10 == 1 ? "st" : nd % 10 == 2 ? "nd"
                                                                   : nd % 10 == 3 ? "rd" : "th";
        std::string w(want);
        if (std::isupper(static_cast<unsigned char>(s[q])))
          for (char& c : w) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        reps.push_back({q, q + 2, w});
      }
    }
  }
  if (p[mi].number) {
    reps.push_back({p[mi].b, p[mi].e, pad(nm, p[mi].e - p[mi].b)});
  } else {
    const std::string_view orig = s.substr(p[mi].b, p[mi].e - p[mi].b);
    std::string name = kMonthFull[nm - 1];
    if (orig.size() <= 4 && orig.size() < std::strlen(kMonthFull[month - 1])) name = name.substr(0, 3);
    const bool upper = std::all_of(orig.begin(), orig.end(), [](char c) { return std::isupper((unsigned char)c); });
    const bool lower = std::islower(static_cast<unsigned char>(orig[0]));
    for (char& c : name)
      c = upper ? static_cast<char>(std::toupper((unsigned char)c)) : lower ? static_cast<char>(std::tolower((unsigned char)c)) : c;
    reps.push_back({p[mi].b, p[mi].e, name});
  }
  std::sort(reps.begin(), reps.end(), [](const Rep& a, const Rep& b) { return a.b > b.b; });
  std::string out(s);
  for (const Rep& r : reps) out.replace(r.b, r.e - r.b, r.s);
  return out;
}

std::string match_case(std::string_view orig, std::string s) {
  bool all_upper = true, all_lower = true, any = false;
  for (char c : orig) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      any = true;
      if (std::islower(static_cast<unsigned char>(c))) all_upper = false;
      if (std::isupper(static_cast<unsigned char>(c))) all_lower = false;
    }
  }
  if (!any) return s;
  if (all_upper && orig.size() > 1)
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  else if (all_lower)
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Surrogates {
 public:
  Surrogates(const DeidResources& r, const Lexicon& lx, const DeidOptions& o) : r_(r), lx_(lx), o_(o) {
    const uint64_t a = siphash(0x0123456789abcdefULL, 0xfedcba9876543210ULL, o.key);
    const uint64_t b = siphash(0x0f1e2d3c4b5a6978ULL, 0x8796a5b4c3d2e1f0ULL, o.key);
    k0_ = a;
    k1_ = b;
    const int range = o.max_shift_days;
    const uint64_t h = hash("shift", "");
    shift_ = static_cast<int>(h % static_cast<uint64_t>(2 * range)) - range;
    if (shift_ >= 0) ++shift_;  // never 0
  }
  int shift() const { return shift_; }

  uint64_t hash(std::string_view kind, std::string_view value) const {
    std::string& m = msg_;
    m.clear();
    m += o_.patient;
    m += '\0';
    m += kind;
    m += '\0';
    m += value;
    return siphash(k0_, k1_, m);
  }

  std::string name(std::string_view span) {
    // word by word, so that "John Smith" and "Mr. Smith" keep one surrogate for "Smith"
    std::string out;
    size_t i = 0;
    while (i < span.size()) {
      const unsigned char c = static_cast<unsigned char>(span[i]);
      if (!(std::isalpha(c) || c >= 0x80)) {
        out += span[i++];
        continue;
      }
      size_t j = i;
      while (j < span.size() && (std::isalpha(static_cast<unsigned char>(span[j])) ||
                                 static_cast<unsigned char>(span[j]) >= 0x80))
        ++j;
      out += name_word(span.substr(i, j - i));
      i = j;
    }
    return out;
  }

  std::string name_word(std::string_view w) {
    std::string lw;
    lower_into(w, &lw);
    if (auto it = names_.find(lw); it != names_.end()) return match_case(w, it->second);
    std::string s;
    if (w.size() == 1) {
      s = std::string(1, static_cast<char>('A' + hash("initial", lw) % 26));
    } else {
      const uint64_t f = lx_.flags(lw);
      const bool first = (f & lex::kFirst) && !(f & lex::kLast);
      const auto& list = first ? r_.surrogate_first : r_.surrogate_last;
      uint64_t h = hash("name", lw);
      s = list[h % list.size()];
      std::string ls;
      lower_into(s, &ls);
      if (ls == lw) s = list[(h + 1) % list.size()];
    }
    names_[lw] = s;
    return match_case(w, s);
  }

  // Digits and letters replaced by keyed ones, the layout kept.
  std::string shape(std::string_view kind, std::string_view s, bool ssn) const {
    uint64_t h = hash(kind, s);
    std::string out(s);
    int digit_index = 0;
    for (char& c : out) {
      if (h < 1000) h = siphash(k0_, k1_, std::string_view(reinterpret_cast<const char*>(&h), sizeof h)) | (1ULL << 63);
      if (std::isdigit(static_cast<unsigned char>(c))) {
        c = static_cast<char>('0' + h % 10);
        if (ssn && digit_index == 0) c = '9';  // area numbers 9xx are never issued
        ++digit_index;
        h /= 10;
      } else if (std::isupper(static_cast<unsigned char>(c))) {
        c = static_cast<char>('A' + h % 26);
        h /= 26;
      } else if (std::islower(static_cast<unsigned char>(c))) {
        c = static_cast<char>('a' + h % 26);
        h /= 26;
      }
    }
    return out;
  }

  std::string replace(const PhiSpan& sp, std::string_view s) {
    switch (sp.type) {
      case PhiType::kName:
        return name(s);
      case PhiType::kDate: {
        std::string d = shift_date(s, shift_, o_.date_order);
        return d.empty() ? "[DATE]" : d;
      }
      case PhiType::kAge:
        return "90+";
      case PhiType::kLocation: {
        const uint64_t h = hash("loc", s);
        const bool street = std::any_of(s.begin(), s.end(), [](char c) { return std::isdigit((unsigned char)c); });
        if (street)
          return std::to_string(1 + h % 9899) + " " + r_.surrogate_streets[(h >> 16) % r_.surrogate_streets.size()];
        return r_.surrogate_cities[h % r_.surrogate_cities.size()];
      }
      case PhiType::kPhone:
      case PhiType::kId:
        return shape(phi_type_name(sp.type), s, false);
      case PhiType::kSsn:
        return shape("SSN", s, true);
      case PhiType::kEmail: {
        const uint64_t h = hash("email", s);
        std::string f = r_.surrogate_first[h % r_.surrogate_first.size()];
        std::string l = r_.surrogate_last[(h >> 20) % r_.surrogate_last.size()];
        std::string e = f + "." + l + "@example.org";
        for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return e;
      }
      case PhiType::kUrl: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%08llx", static_cast<unsigned long long>(hash("url", s) & 0xffffffffULL));
        return std::string("https://example.org/") + buf;
      }
      case PhiType::kIp:
        if (s.find(':') != std::string_view::npos) return "2001:db8::" + std::to_string(1 + hash("ip", s) % 9999);
        return "192.0.2." + std::to_string(1 + hash("ip", s) % 254);  // TEST-NET-1 (RFC 5737)
    }
    return "[PHI]";
  }

 private:
  const DeidResources& r_;
  const Lexicon& lx_;
  const DeidOptions& o_;
  mutable std::string msg_;  // scratch for hash()
  uint64_t k0_ = 0, k1_ = 0;
  int shift_ = 0;
  std::unordered_map<std::string, std::string> names_;
};

}  // namespace

const char* phi_type_name(PhiType t) { return kTypeNames[static_cast<int>(t)]; }

bool parse_phi_type(std::string_view s, PhiType* out) {
  for (int i = 0; i < kPhiTypes; ++i)
    if (s == kTypeNames[i]) {
      *out = static_cast<PhiType>(i);
      return true;
    }
  return false;
}

uint64_t keyed_hash(std::string_view key, std::string_view message) {
  const uint64_t a = siphash(0x0123456789abcdefULL, 0xfedcba9876543210ULL, key);
  const uint64_t b = siphash(0x0f1e2d3c4b5a6978ULL, 0x8796a5b4c3d2e1f0ULL, key);
  return siphash(a, b, message);
}

void DeidOptions::validate() const {
  if (!tags && key.empty())
    throw InvalidInput("de-identification with surrogates needs a secret key (--key-file FILE, or --tags)");
  if (max_shift_days < 1 || max_shift_days > 3650)
    throw InvalidInput("the date shift range must be between 1 and 3650 days, got " + std::to_string(max_shift_days));
}

Deidentifier::Deidentifier(DeidResources resources, std::shared_ptr<const TaggerModel> model)
    : res_(std::move(resources)), model_(std::move(model)) {
  MEDGEN_ASSERT(res_.first_names && res_.last_names && res_.english && res_.medical && res_.proper);
  lex_ = std::make_shared<const Lexicon>(res_);
}

Deidentifier Deidentifier::with_model(std::shared_ptr<const TaggerModel> model) const {
  Deidentifier d(*this);
  d.model_ = std::move(model);
  return d;
}

DeidResult Deidentifier::deidentify(std::string_view text, const DeidOptions& options) const {
  options.validate();
  DeidResult r;
  r.spans = detect(text);
  std::unique_ptr<Surrogates> sur;
  if (!options.tags) {
    sur = std::make_unique<Surrogates>(res_, *lex_, options);
    r.shift_days = sur->shift();
  }
  r.text.reserve(text.size() + text.size() / 16);
  size_t at = 0;
  for (PhiSpan& s : r.spans) {
    r.text.append(text.substr(at, s.begin - at));
    const std::string_view orig = text.substr(s.begin, s.end - s.begin);
    s.replacement = options.tags ? std::string("[") + phi_type_name(s.type) + "]" : sur->replace(s, orig);
    r.text += s.replacement;
    ++r.counts[static_cast<int>(s.type)];
    at = s.end;
  }
  r.text.append(text.substr(at));
  return r;
}

nlohmann::json DeidResult::report() const {
  nlohmann::json counts = nlohmann::json::object();
  for (int i = 0; i < kPhiTypes; ++i) counts[kTypeNames[i]] = this->counts[i];
  nlohmann::json spans = nlohmann::json::array();
  for (const PhiSpan& s : this->spans)
    spans.push_back({{"begin", s.begin}, {"end", s.end}, {"type", phi_type_name(s.type)},
                     {"replacement", s.replacement}});
  return {{"counts", counts}, {"date_shift_days", shift_days}, {"spans", spans}};
}

}  // namespace medgen::text::deid
