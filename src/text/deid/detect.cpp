// The detector: byte-level scanners for pattern identifiers, token-level scanners with cues and
// word lists for names, dates, ages and places. No regular-expression engine (speed). Every word
// list is one bit of the Lexicon; each token is looked up once (tokenize) and the rules test bits.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <vector>

#include "lexicon.h"
#include "scan.h"

namespace medgen::text::deid {

namespace {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
inline bool is_alpha(char c) { return is_upper(c) || is_lower(c) || static_cast<unsigned char>(c) >= 0x80; }
inline bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

class Scanner {
 public:
  Scanner(std::string_view text, const Lexicon& lx) : t_(text), lx_(lx) {}

  std::vector<PhiSpan> run() {
    tokenize();
    scan_chunks();
    scan_phones();
    scan_tokens();
    mentions();
    cyrillic_names();
    spelled_digits();
    extend_ids();
    scan_name_list();
    table_columns();
    initials_before_names();
    propagate_names();
    first_names_before_names();
    nicknames();
    ages_after_names();
    hl7_name_components();
    join_name_parts();
    initials_of_names();
    handles_beside_names();
    weekdays_before_dates();
    registration_numbers();
    signoff_initials();
    return merged();
  }

 private:
  std::string_view t_;
  const Lexicon& lx_;
  std::string lt_;                 // t_ lower-cased (ASCII), byte for byte
  std::vector<Tok> tk_;
  std::vector<PhiSpan> out_;
  std::vector<uint8_t> name_tok_;  // per token: inside a name span
  std::string buf_;                // scratch for phrases (labels, sign-off lines)
  std::vector<std::string_view> views_, table_;  // scratch for propagate_names (table_: initials_of_names too)
  std::vector<std::pair<size_t, size_t>> date_starts_;  // scratch for weekdays_before_dates

  // ---------- helpers ----------
  std::string_view sv(size_t i) const { return t_.substr(tk_[i].b, tk_[i].e - tk_[i].b); }
  std::string_view low(size_t i) const { return std::string_view(lt_).substr(tk_[i].b, tk_[i].e - tk_[i].b); }
  // the lower-cased text of bytes [b, e)
  std::string_view lower_at(size_t b, size_t e) const { return std::string_view(lt_).substr(b, e - b); }
  bool word(size_t i) const { return i < tk_.size() && tk_[i].kind == 'w'; }
  bool num(size_t i) const { return i < tk_.size() && tk_[i].kind == 'n'; }
  bool punct(size_t i, char c) const { return i < tk_.size() && tk_[i].kind == 'p' && t_[tk_[i].b] == c; }
  bool capital(size_t i) const { return word(i) && (tk_[i].cap || tk_[i].allcaps); }
  uint64_t flags(std::string_view lw) const { return lx_.flags(lw); }
  bool english(std::string_view lw) const { return flags(lw) & lex::kEnglish; }
  bool medical(std::string_view lw) const { return flags(lw) & lex::kMedical; }
  void add(size_t b, size_t e, PhiType type) {
    if (e > b) out_.push_back(PhiSpan{b, e, type, {}});
  }
  void add_tokens(size_t i, size_t j, PhiType type) {  // tokens [i, j)
    if (j <= i) return;
    add(tk_[i].b, tk_[j - 1].e, type);
    if (type == PhiType::kName)
      for (size_t k = i; k < j; ++k) name_tok_[k] = 1;
  }
  int int_value(size_t i) const {
    if (!num(i) || tk_[i].e - tk_[i].b > 6) return -1;
    int v = 0;
    for (size_t k = tk_[i].b; k < tk_[i].e; ++k) v = v * 10 + (t_[k] - '0');
    return v;
  }
  // tokens i-1 and i touch (no white space between)
  bool touch(size_t i) const { return i < tk_.size() && !tk_[i].space; }

  void tokenize() {
    const size_t n = t_.size();
    lt_.resize(n);
    // ASCII capitals, and Cyrillic ones byte for byte (the lower-case letter has as many bytes):
    // U+0400-040F -> U+0450-045F, U+0410-041F -> U+0430-043F, U+0420-042F -> U+0440-044F, and
    // the even letters of U+0460-04FF (Ү, Ө, Ң, Ғ, Қ, Һ ...) -> the odd one after them.
    for (size_t i = 0; i < n; ++i) {
      const auto a = static_cast<unsigned char>(t_[i]);
      if (a < 0xD0 || a > 0xD3 || i + 1 >= n) {
        lt_[i] = is_upper(t_[i]) ? static_cast<char>(a - 'A' + 'a') : t_[i];
        continue;
      }
      const auto b = static_cast<unsigned char>(t_[i + 1]);
      unsigned char la = a, lb = b;
      if (a == 0xD0 && b >= 0x80 && b <= 0x8F) {
        la = 0xD1, lb = static_cast<unsigned char>(b + 0x10);
      } else if (a == 0xD0 && b >= 0x90 && b <= 0x9F) {
        lb = static_cast<unsigned char>(b + 0x20);
      } else if (a == 0xD0 && b >= 0xA0 && b <= 0xAF) {
        la = 0xD1, lb = static_cast<unsigned char>(b - 0x20);
      } else if ((a == 0xD1 && b >= 0xA0 && b <= 0xBF && b % 2 == 0) ||
                 ((a == 0xD2 || a == 0xD3) && b >= 0x80 && b <= 0xBF && b % 2 == 0 &&
                  !(a == 0xD2 && b >= 0x82 && b <= 0x89) && !(a == 0xD3 && b >= 0x80 && b <= 0x8E))) {
        lb = static_cast<unsigned char>(b + 1);
      }
      lt_[i] = static_cast<char>(la);
      lt_[i + 1] = static_cast<char>(lb);
      ++i;
    }
    tk_.reserve(n / 4 + 16);
    bool nl = true, space = false;
    size_t i = 0;
    while (i < n) {
      const char c = t_[i];
      if (is_space(c)) {
        if (c == '\n') nl = true;
        space = true;
        ++i;
        continue;
      }
      Tok k;
      k.b = static_cast<uint32_t>(i);
      k.nl = nl;
      k.space = space || nl;
      if (is_alpha(c)) {
        size_t j = i + 1;
        bool any_lower = is_lower(c), any_upper = is_upper(c);
        while (j < n && (is_alpha(t_[j]) || ((t_[j] == '\'' || t_[j] == '-') && j + 1 < n && is_alpha(t_[j + 1])))) {
          any_lower |= is_lower(t_[j]);
          any_upper |= is_upper(t_[j]);
          ++j;
        }
        k.kind = 'w';
        k.e = static_cast<uint32_t>(j);
        k.cap = is_upper(c) || static_cast<unsigned char>(c) >= 0xC3;
        k.allcaps = !any_lower && any_upper;
        i = j;
      } else if (is_digit(c)) {
        size_t j = i + 1;
        while (j < n && is_digit(t_[j])) ++j;
        k.kind = 'n';
        k.e = static_cast<uint32_t>(j);
        i = j;
      } else {
        k.kind = 'p';
        k.e = static_cast<uint32_t>(i + 1);
        ++i;
      }
      tk_.push_back(k);
      nl = false;
      space = false;
    }
    name_tok_.assign(tk_.size(), 0);
    out_.reserve(tk_.size() / 8 + 4);
    // one look-up per token; no list holds a number
    for (Tok& k : tk_)
      if (k.kind != 'n') {
        k.fl = flags(std::string_view(lt_).substr(k.b, k.e - k.b));
        if (k.fl == 0 && k.kind == 'w') k.fl = hyphen_flags(k);
      }
  }

  // A hyphenated word no list holds ("Brennan-Walsh", "Jean-Baptiste", "Ruth-Ann") takes the
  // name bits of its parts, and the dictionary bits only when every part has them (a double-barrelled
  // name with one common-word part is still a name; "follow-up" stays a common word).
  uint64_t hyphen_flags(const Tok& k) const {
    const std::string_view w = std::string_view(lt_).substr(k.b, k.e - k.b);
    if (w.find('-') == std::string_view::npos) return 0;
    uint64_t any = 0, all = lex::kEnglish | lex::kMedical;
    size_t a = 0;
    while (a <= w.size()) {
      size_t b = w.find('-', a);
      if (b == std::string_view::npos) b = w.size();
      const uint64_t f = b > a ? flags(w.substr(a, b - a)) : 0;
      any |= f & (lex::kFirst | lex::kLast);
      all &= f;
      a = b + 1;
    }
    return any ? (any | all) : 0;
  }

  // ---------- chunk patterns: e-mail, URL, IP, SSN, numeric dates, identifiers ----------
  void scan_chunks() {
    const size_t n = t_.size();
    size_t i = 0;
    std::string_view prev_chunk;
    while (i < n) {
      while (i < n && (is_space(t_[i]) || chunk_sep(t_[i]))) ++i;
      size_t j = i;
      while (j < n && !is_space(t_[j]) && !chunk_sep(t_[j])) ++j;
      if (j == i) break;
      size_t b = i, e = j;
      while (b < e && std::strchr("([{<\"'*", t_[b])) ++b;
      while (e > b && std::strchr(")]}>\"',.;:!?*", t_[e - 1])) --e;
      if (e > b) chunk(b, e, prev_chunk, j);
      prev_chunk = t_.substr(b, e - b);
      i = j;
    }
  }

  // Field separators of delimited records (HL7 "|", "^" and "~", CSV "," and quotes, ";") end a chunk:
  // '6023318,"Nakamura, Hiroshi",1952-07-14' holds an identifier and a date.
  static bool chunk_sep(char c) { return c == '|' || c == '^' || c == ',' || c == ';' || c == '"' || c == '~'; }

  static bool ieq_prefix(std::string_view s, const char* p) {
    const size_t m = std::strlen(p);
    if (s.size() < m) return false;
    for (size_t k = 0; k < m; ++k)
      if (std::tolower(static_cast<unsigned char>(s[k])) != p[k]) return false;
    return true;
  }

  // Splits s into digit groups and separators; returns false if other characters occur.
  static bool digit_groups(std::string_view s, std::vector<int>* groups, std::string* seps) {
    groups->clear();
    seps->clear();
    size_t k = 0;
    while (k < s.size()) {
      if (is_digit(s[k])) {
        size_t m = k;
        while (m < s.size() && is_digit(s[m])) ++m;
        groups->push_back(static_cast<int>(m - k));
        k = m;
      } else {
        seps->push_back(s[k]);
        ++k;
      }
    }
    return true;
  }

  static int num_at(std::string_view s, size_t b, size_t len) {
    if (len > 9) return 999999999;  // above every range checked, and no int overflow
    int v = 0;
    for (size_t k = b; k < b + len; ++k) v = v * 10 + (s[k] - '0');
    return v;
  }

  bool numeric_date(std::string_view s) const {
    // d{1,4} sep d{1,2} sep d{2,4} (sep one of / - .), d{1,2}/d{4}, with plausible fields
    std::vector<int> g;
    std::string seps;
    for (char c : s)
      if (!is_digit(c) && c != '/' && c != '-' && c != '.') return false;
    digit_groups(s, &g, &seps);
    if (g.size() == 3 && seps.size() == 2 && seps[0] == seps[1]) {
      const int a = num_at(s, 0, g[0]), bb = num_at(s, g[0] + 1, g[1]), c = num_at(s, g[0] + g[1] + 2, g[2]);
      if (g[0] == 4) return bb >= 1 && bb <= 12 && c >= 1 && c <= 31 && a >= 1800 && a <= 2199 && g[1] <= 2 && g[2] <= 2;
      if (g[0] <= 2 && g[1] <= 2 && (g[2] == 2 || g[2] == 4)) {
        const bool md = a >= 1 && a <= 12 && bb >= 1 && bb <= 31, dm = bb >= 1 && bb <= 12 && a >= 1 && a <= 31;
        if (seps[0] == '.' && g[2] == 2) return (md || dm) && !(a == 0);  // 1.2.19 ok; versions are rare in notes
        return md || dm;
      }
      return false;
    }
    if (g.size() == 2 && seps.size() == 1 && (seps[0] == '/' || seps[0] == '-') && g[0] == 4 && g[1] == 2) {
      const int y = num_at(s, 0, 4), m = num_at(s, 5, 2);  // "2019-03": a month of a year
      return m >= 1 && m <= 12 && y >= 1800 && y <= 2199;
    }
    if (g.size() == 2 && seps.size() == 1 && (seps[0] == '/' || seps[0] == '-') && g[1] == 4 && g[0] <= 2) {
      const int m = num_at(s, 0, g[0]), y = num_at(s, g[0] + 1, 4);
      return m >= 1 && m <= 12 && y >= 1800 && y <= 2199;
    }
    return false;
  }

  // A compact date-time (HL7 TS, CDA, ISO basic): yyyymmddhhmm[ss][.fff] with an offset or "Z"
  // ("20251201143322+0800", "20251202101500Z"), or yyyymmdd with one ("20251202+0100").
  static bool compact_timestamp(std::string_view s) {
    size_t d = 0;
    while (d < s.size() && is_digit(s[d])) ++d;
    if (d != 8 && d != 12 && d != 14) return false;
    const int y = num_at(s, 0, 4), m = num_at(s, 4, 2), day = num_at(s, 6, 2);
    if (y < 1800 || y > 2199 || m < 1 || m > 12 || day < 1 || day > 31) return false;
    if (d >= 12 && (num_at(s, 8, 2) > 23 || num_at(s, 10, 2) > 59)) return false;
    size_t k = d;
    if (d == 14 && k < s.size() && s[k] == '.') {
      ++k;
      while (k < s.size() && is_digit(s[k])) ++k;
    }
    if (k == s.size()) return false;  // a bare run of digits stays an identifier
    if (s[k] == 'Z' || s[k] == 'z') return k + 1 == s.size();
    if (s[k] != '+' && s[k] != '-') return false;
    size_t o = k + 1;
    while (o < s.size() && is_digit(s[o])) ++o;
    return o == s.size() && o - k - 1 == 4 && num_at(s, k + 1, 2) <= 14;
  }

  static bool ipv4(std::string_view s) {
    int parts = 0, len = 0, v = 0;
    for (size_t k = 0; k <= s.size(); ++k) {
      if (k == s.size() || s[k] == '.') {
        if (len == 0 || len > 3 || v > 255) return false;
        ++parts;
        len = v = 0;
      } else if (is_digit(s[k])) {
        if (++len > 3) return false;  // also keeps v from overflowing
        v = v * 10 + (s[k] - '0');
      } else {
        return false;
      }
    }
    return parts == 4;
  }

  static bool ipv6(std::string_view s) {
    if (s.size() < 6) return false;
    int colons = 0;
    bool hexletter = false;
    for (char c : s) {
      if (c == ':')
        ++colons;
      else if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
        hexletter = true;
      else if (!is_digit(c))
        return false;
    }
    return colons >= 2 && (hexletter || s.find("::") != std::string_view::npos);
  }

  // Bytes [b, e) are all the line holds but white space (a letter's date line: "2/4").
  bool alone_on_line(size_t b, size_t e) const {
    while (b > 0 && (t_[b - 1] == ' ' || t_[b - 1] == '\t' || t_[b - 1] == '\r')) --b;
    while (e < t_.size() && (t_[e] == ' ' || t_[e] == '\t' || t_[e] == '\r')) ++e;
    return (b == 0 || t_[b - 1] == '\n') && (e == t_.size() || t_[e] == '\n');
  }

  // The chunk before is a credential in capitals: a signature's date follows ("Jane Roe, MD 1/10").
  bool after_credential(std::string_view prev, std::string_view prev_lower) const {
    if (prev.size() < 2) return false;
    for (char c : prev)
      if (!is_upper(c)) return false;
    return (flags(prev_lower) & lex::kCredential) != 0;
  }

  void chunk(size_t b, size_t e, std::string_view prev, size_t raw_end) {
    std::string_view s = t_.substr(b, e - b);
    // every pattern below needs a digit, '@', '.' or ':' (a plain word is none of them)
    {
      bool maybe = false;
      for (char c : s)
        if (is_digit(c) || c == '@' || c == '.' || c == ':') {
          maybe = true;
          break;
        }
      if (!maybe) return;
    }
    // e-mail
    if (size_t at = s.find('@'); at != std::string_view::npos && at > 0 && at + 1 < s.size()) {
      size_t lb = at;
      while (lb > 0 && (is_alnum(s[lb - 1]) || std::strchr("._%+-'", s[lb - 1]))) --lb;
      size_t re = at + 1;
      while (re < s.size() && (is_alnum(s[re]) || s[re] == '.' || s[re] == '-')) ++re;
      const std::string_view dom = s.substr(at + 1, re - at - 1);
      if (lb < at && dom.find('.') != std::string_view::npos) {
        add(b + lb, b + re, PhiType::kEmail);
        return;
      }
    }
    // URL
    if (ieq_prefix(s, "http://") || ieq_prefix(s, "https://") || ieq_prefix(s, "ftp://") || ieq_prefix(s, "www.")) {
      add(b, e, PhiType::kUrl);
      return;
    }
    {
      const size_t slash = s.find('/');
      std::string_view host = s.substr(0, slash);
      const size_t dot = host.rfind('.');
      if (dot != std::string_view::npos && dot > 0 && dot + 1 < host.size() && is_alpha(host[0])) {
        const std::string_view tld = lower_at(b + dot + 1, b + host.size());
        bool hosty = true;
        for (char c : host)
          if (!is_alnum(c) && c != '.' && c != '-') hosty = false;
        if (hosty && (flags(tld) & lex::kUrlTld) && host.find("..") == std::string_view::npos) {
          // "e.g" / "i.e" style abbreviations have 1-letter parts
          const size_t first_dot = host.find('.');
          if (first_dot >= 2) {
            add(b, e, PhiType::kUrl);
            return;
          }
        }
      }
    }
    // "key=value" (logs, query-like fields): the value ("ip=10.61.7.112", "gw=10.61.7.1")
    if (const size_t eq = s.rfind('='); eq != std::string_view::npos && eq > 0 && eq + 1 < s.size() && is_alpha(s[0])) {
      chunk(b + eq + 1, e, std::string_view(), raw_end);
      return;
    }
    // a check character in brackets after an identifier: "K123456(3)", "HN19004417(2)"
    if (s.size() >= 6 && s[s.size() - 2] == '(' && is_alnum(s.back()) && e < t_.size() && t_[e] == ')') {
      const size_t before = out_.size();
      chunk(b, e - 2, prev, e - 2);
      if (out_.size() > before && out_.back().type == PhiType::kId && out_.back().end == e - 2) out_.back().end = e + 1;
      return;
    }
    if (ipv4(s)) {
      add(b, e, PhiType::kIp);
      return;
    }
    if (ipv6(s)) {
      add(b, e, PhiType::kIp);
      return;
    }
    // SSN ddd-dd-dddd
    if (s.size() == 11 && s[3] == '-' && s[6] == '-') {
      bool ok = true;
      for (size_t k : {0, 1, 2, 4, 5, 7, 8, 9, 10})
        if (!is_digit(s[k])) ok = false;
      if (ok) {
        add(b, e, PhiType::kSsn);
        return;
      }
    }
    // a range of two dates: "3/4-3/6", "9/28-10/2"
    if (const size_t dash = s.find('-'); dash != std::string_view::npos && dash > 0 && s.find('/') < dash &&
                                         s.find('/', dash) != std::string_view::npos &&
                                         s.find('-', dash + 1) == std::string_view::npos) {
      bool plain = true;
      for (char c : s) plain &= is_digit(c) || c == '/' || c == '-';
      if (plain) {
        chunk(b, b + dash, prev, b + dash);
        chunk(b + dash + 1, e, std::string_view(), raw_end);
        return;
      }
    }
    if (numeric_date(s)) {
      add(b, e, PhiType::kDate);
      return;
    }
    // ISO date-time 2019-03-04T10:22
    if (s.size() > 11 && s[10] == 'T' && numeric_date(s.substr(0, 10))) {
      add(b, e, PhiType::kDate);
      return;
    }
    // d/m with a date cue before it or a time after it
    {
      std::vector<int> g;
      std::string seps;
      bool only = true;
      for (char c : s)
        if (!is_digit(c) && c != '/') only = false;
      if (only) {
        digit_groups(s, &g, &seps);
        if (g.size() == 2 && g[0] <= 2 && g[1] <= 2) {
          const int a = num_at(s, 0, g[0]), c = num_at(s, g[0] + 1, g[1]);
          std::string_view pl;  // "" for the note's first chunk
          if (!prev.empty()) {
            const size_t pb = static_cast<size_t>(prev.data() - t_.data());
            pl = lower_at(pb, pb + prev.size());
          }
          size_t q = raw_end;
          while (q < t_.size() && t_[q] == ' ') ++q;
          const bool time_after = q + 2 < t_.size() && is_digit(t_[q]) && (t_[q + 1] == ':' || t_[q + 2] == ':');
          // bare "9/2": a date unless it looks like a score ("4/5 strength", "6/10 pain") or a
          // fraction ("1/2 tab") -- a lower-case word after it, or a denominator of 4, 5 or 10
          size_t w = q;
          while (w < t_.size() && is_alpha(t_[w])) ++w;
          const std::string_view nw = lower_at(q, w);
          const bool word_after = w > q && is_lower(t_[q]) && raw_end == e && !(flags(nw) & lex::kDayMonthPrep);
          const bool scale = (c == 4 || c == 5 || c == 10 || a == 0) && a <= c;
          const bool not_fraction = a > c;  // scores and fractions have numerator <= denominator
          if (((a >= 1 && a <= 12 && c >= 1 && c <= 31) || (c >= 1 && c <= 12 && a >= 1 && a <= 31)) &&
              ((flags(pl) & lex::kDayMonthCue) || time_after || not_fraction || (!word_after && !scale) ||
               alone_on_line(b, raw_end) || after_credential(prev, pl))) {
            add(b, e, PhiType::kDate);
            return;
          }
        }
      }
    }
    // dd-Mon-yyyy, 12Mar2019, Mar-12-2019
    {
      size_t k = 0;
      while (k < s.size() && !is_alpha(s[k])) ++k;
      size_t m = k;
      while (m < s.size() && is_alpha(s[m])) ++m;
      if (k < m && (k > 0 || m < s.size())) {
        if (flags(lower_at(b + k, b + m)) & lex::kMonth) {
          bool digits_around = false, other = false;
          for (size_t q = 0; q < s.size(); ++q) {
            if (q >= k && q < m) continue;
            if (is_digit(s[q]))
              digits_around = true;
            else if (s[q] != '-' && s[q] != '/' && s[q] != '.' && s[q] != ',')
              other = true;
          }
          if (digits_around && !other) {
            add(b, e, PhiType::kDate);
            return;
          }
        }
      }
    }
    if (compact_timestamp(s)) {
      add(b, e, PhiType::kDate);
      return;
    }
    // identifiers: letters and digits with at least 4 digits and an upper-case letter or a
    // letter prefix, or 7+ digits
    int nd = 0, nl = 0, nupper = 0;
    bool ok = true;
    for (char c : s) {
      if (is_digit(c))
        ++nd;
      else if (is_alpha(c)) {
        ++nl;
        if (is_upper(c)) ++nupper;
      } else if (!std::strchr("-#/_.:", c))
        ok = false;
    }
    if (!ok || nd == 0) return;
    if (nl == 0) {
      // pure digits with separators: 7+ digits, no decimal point in a short number
      const bool decimal = s.find('.') != std::string_view::npos && nd < 9;
      if (nd >= 7 && !decimal && s.find('/') == std::string_view::npos) add(b, e, PhiType::kId);
      return;
    }
    if (nd >= 4 && s.size() >= 5) {
      // "1000mg", "500ml": a number followed by a lower-case unit is not an identifier
      size_t k = 0;
      while (k < s.size() && (is_digit(s[k]) || s[k] == '.')) ++k;
      bool unit_suffix = k > 0 && k < s.size();
      for (size_t q = k; q < s.size(); ++q)
        if (!is_lower(s[q]) && s[q] != '/') unit_suffix = false;
      if (unit_suffix) return;
      if (nupper > 0 || is_alpha(s[0]) || nd >= 6) add(b, e, PhiType::kId);
    }
  }

  // ---------- telephone and fax numbers ----------
  void scan_phones() {
    const size_t n = t_.size();
    std::vector<int> groups;
    for (size_t i = 0; i < n; ++i) {
      const char c = t_[i];
      if (!(is_digit(c) || c == '(' || c == '+')) continue;
      if (i > 0 && (is_alnum(t_[i - 1]) || t_[i - 1] == '/' || t_[i - 1] == '.' || t_[i - 1] == '-' ||
                    t_[i - 1] == ':' || t_[i - 1] == ','))
        continue;
      size_t j = i;
      groups.clear();
      int digits = 0, cur = 0, seps = 0;
      bool plus = c == '+', paren = false, bad = false;
      while (j < n) {
        const char d = t_[j];
        if (plus && d == '(' && j + 2 < n && t_[j + 1] == '0' && t_[j + 2] == ')') {
          // the trunk prefix of an international number: "+44 (0)20 7946 0018", "+234 (0)1 555 0419"
          if (cur) groups.push_back(cur);
          cur = 0;
          j += 3;
          continue;
        }
        if (is_digit(d)) {
          ++cur;
          ++digits;
        } else if (d == '(' || d == ')' || d == '-' || d == '.' || d == ' ' || (d == '+' && j == i)) {
          if (d == ' ' && !(j + 1 < n && (is_digit(t_[j + 1]) || t_[j + 1] == '(') && j > i &&
                            (is_digit(t_[j - 1]) || t_[j - 1] == ')')))
            break;
          if (d == '.' && !(j + 1 < n && is_digit(t_[j + 1]))) break;
          if (d == '(') paren = true;
          if (cur) groups.push_back(cur);
          cur = 0;
          if (d != '+') ++seps;
        } else {
          break;
        }
        ++j;
        if (digits > 15) {
          bad = true;
          break;
        }
      }
      if (cur) groups.push_back(cur);
      while (j > i && !is_digit(t_[j - 1])) --j;
      if (bad || groups.empty()) continue;
      bool phone = false;
      const size_t ng = groups.size();
      if (digits >= 10 && digits <= 13 && ng >= 2 && ng <= (plus ? 6 : 5)) {  // "+33 1 23 45 67 89"
        phone = true;
        for (size_t g = 0; g < ng; ++g)
          if (groups[g] > (ng == 2 || plus ? 6 : 5) ||
              (groups[g] < 2 && !(g == 0 && (plus || digits > 10)) && !(g == 1 && plus)))
            phone = false;  // (international numbers have groups of 6: "+44 7700 900123")
        // dates such as 2019-03-04 10 are not numbers with 10+ digits in 2..5 groups of this shape
        if (groups[0] == 4 && ng >= 3 && groups[1] == 2 && groups[2] == 2) phone = false;
      } else if (digits == 7 && ng == 2 && groups[0] == 3 && groups[1] == 4) {
        const char sep = t_[i + 3];
        phone = sep == '-' || sep == '.';
      } else if (digits >= 10 && digits <= 12 && ng == 1) {
        // a bare 10-digit run only with a telephone cue before it
        phone = phone_cue_before(i);
      }
      // a mobile number with its trunk zero: "0301 5557732", "0917-5553821"
      if (!phone && ng == 2 && groups[0] == 4 && groups[1] == 7 && c == '0' && (t_[i + 4] == ' ' || t_[i + 4] == '-'))
        phone = true;
      (void)paren;
      (void)seps;
      if (phone) {
        size_t e = j;
        // extension: x123, ext. 123, ext 123
        size_t q = e;
        while (q < n && t_[q] == ' ') ++q;
        size_t w = q;
        while (w < n && is_alpha(t_[w])) ++w;
        const std::string_view ext = lower_at(q, w);
        if (ext == "x" || ext == "ext" || ext == "extension") {
          if (w < n && t_[w] == '.') ++w;
          while (w < n && t_[w] == ' ') ++w;
          size_t z = w;
          while (z < n && is_digit(t_[z])) ++z;
          if (z > w) e = z;
        }
        add(i, e, PhiType::kPhone);
        i = e;
      }
    }
  }

  bool phone_cue_before(size_t pos) const {
    size_t q = pos;
    int words = 0;
    while (q > 0 && words < 3) {
      while (q > 0 && !is_alpha(t_[q - 1])) {
        if (t_[q - 1] == '\n') return false;
        --q;
      }
      size_t w = q;
      while (w > 0 && is_alpha(t_[w - 1])) --w;
      if (w == q) break;
      if (flags(lower_at(w, q)) & lex::kPhoneCue) return true;
      q = w;
      ++words;
    }
    return false;
  }

  // ---------- names ----------
  // A run of name tokens from i; returns the end token (== i when none).
  size_t take_name(size_t i, int max_words, bool allow_lower_first, bool comma_form) const {
    size_t j = i;
    int words = 0;
    bool comma_used = false;
    while (j < tk_.size() && words < max_words) {
      if (j > i && tk_[j].nl) break;
      // a form's next column: three spaces or a tab ("Name: BOATENG, KWABENA        Acct #:")
      if (j > i && tk_[j].b >= tk_[j - 1].e + 3) break;
      if (j > i && t_[tk_[j].b - 1] == '\t') break;
      if (j > i && word(j) && (tk_[j].fl & lex::kIdCue) && (tk_[j].fl & lex::kEnglish) == 0) break;
      if (word(j)) {
        const uint64_t f = tk_[j].fl;
        if (f & (lex::kNotName | lex::kCredential | lex::kTitle)) {
          // "Dr. Mary Jones, MD": stop; a lone credential-like initial ("Ms") stops too; a title
          // that is also a surname closes a listed first name ("mum Gemma Nurse and")
          if (words == 1 && !(f & (lex::kNotName | lex::kCredential)) && tk_[j].e - tk_[j].b >= 4 &&
              closes_name(j, true)) {
            ++words;
            ++j;
            break;
          }
          if (!(tk_[j].e - tk_[j].b == 1 && tk_[j].cap)) break;
        }
        const bool upper = tk_[j].cap || tk_[j].allcaps;
        const bool listed = f & (lex::kFirst | lex::kLast);
        const bool eng = f & lex::kEnglish, med = f & lex::kMedical;
        if (words == 0) {
          if (!upper && !(allow_lower_first && !eng && !med)) break;
        } else if ((f & lex::kParticle) && particle_chain_to_capital(j)) {
          // particle: keep going (it does not count as a word: "Abdul Rahman bin Ismail", "Pieter
          // van der Merwe")
          --words;
        } else {
          // our cue words end a name ("Жена Ольга тел. ..."), and so does a Cyrillic word in lower
          // case (the token's capital flag is set for every non-Latin word)
          if (f & (lex::kPhoneCue | lex::kIdCue | lex::kRelative | lex::kByVerb)) break;
          const auto lead = static_cast<unsigned char>(t_[tk_[j].b]);
          if (lead >= 0xD0 && lead <= 0xD3 && !cyr_cap(j)) break;
          if (!upper) {
            // a listed name, or a word no list knows ("mrs agnes mcgillicuddy")
            if (!(allow_lower_first && !eng && (listed || lower_unknown(j)))) break;
            // (our cue words end it: "Жена Ольга тел. ...")
            if (f & (lex::kPhoneCue | lex::kIdCue | lex::kRelative | lex::kByVerb | lex::kNameLabel)) break;
          } else if (!listed && eng && tk_[j].e - tk_[j].b > 1 && !closes_name(j)) {
            break;
          }
          if (med && !listed && tk_[j].e - tk_[j].b > 1) break;
        }
        ++words;
        ++j;
        // an initial "J." or "St.", "Wm."; not a short surname ending a sentence ("Jasmine Wu. Sunny")
        if (punct(j, '.') && touch(j) &&
            (tk_[j - 1].e - tk_[j - 1].b == 1 || low(j - 1) == "st" || low(j - 1) == "wm"))
          ++j;
        continue;
      }
      if (punct(j, ',') && comma_form && !comma_used && words == 1 && word(j + 1) && !tk_[j + 1].nl &&
          (capital(j + 1) || allow_lower_first)) {
        if (tk_[j + 1].fl & (lex::kCredential | lex::kNotName | lex::kPhoneCue | lex::kIdCue | lex::kRelative)) break;
        comma_used = true;
        ++j;
        continue;
      }
      if ((punct(j, '-') || punct(j, '\'')) && touch(j) && word(j + 1) && touch(j + 1) && words > 0) {
        ++j;
        continue;
      }
      break;
    }
    // do not end on a comma or hyphen
    while (j > i && tk_[j - 1].kind == 'p' && !punct(j - 1, '.')) --j;
    return words > 0 ? j : i;
  }

  // Token j is a particle followed, on its line, by at most two more particles and then a
  // capitalised word ("van der Merwe", "de la Cruz", "DE LA FUENTE").
  bool particle_chain_to_capital(size_t j) const {
    for (size_t q = j + 1; q < tk_.size() && q <= j + 3 && !tk_[q].nl && word(q); ++q) {
      if (!(tk_[q].fl & lex::kParticle)) return capital(q);
      if (capital(q) && q + 1 < tk_.size() && !(word(q + 1) && (tk_[q + 1].fl & lex::kParticle)) && capital(q + 1))
        return true;  // ("DE LA FUENTE": a particle in capitals before a capitalised word)
    }
    return false;
  }

  // A lower-case word of 3+ letters with a vowel that no word list holds ("mcgillicuddy").
  bool lower_unknown(size_t j) const {
    // (a proper noun of the dictionaries is no common word: "brzezinski")
    if (!word(j) || tk_[j].cap || tk_[j].allcaps || (tk_[j].fl & ~lex::kProper) != 0 || tk_[j].e - tk_[j].b < 3)
      return false;
    return low(j).find_first_of("aeiouy") != std::string_view::npos && !known_stem(low(j)) && !drug_like(low(j));
  }

  // A lower-case word with a drug-name stem (INN suffixes: "apixaban", "lisinopril", "metoprolol"):
  // the dictionaries miss many drugs, and a drug is no name.
  static bool drug_like(std::string_view w) {
    for (std::string_view suffix : {"xaban", "pril", "olol", "sartan", "statin", "mab", "tinib", "dipine", "prazole",
                                    "cillin", "mycin", "cycline", "floxacin", "ciclovir", "gliptin", "gliflozin",
                                    "parin", "tidine", "azepam", "oxetine", "lukast", "terol", "glutide", "semide"})
      if (w.size() > suffix.size() + 2 && w.compare(w.size() - suffix.size(), suffix.size(), suffix) == 0) return true;
    return false;
  }

  // A British spelling of a dictionary word ("neighbour", "oedema", "anaemia", "centre", "organise").
  bool british_spelling(std::string_view w) const {
    if (w.size() < 5) return false;
    std::string a(w);
    bool changed = false;
    auto replace_all = [&](const char* from, const char* to) {
      for (size_t p = a.find(from); p != std::string::npos; p = a.find(from, p + std::strlen(to))) {
        a.replace(p, std::strlen(from), to);
        changed = true;
      }
    };
    replace_all("our", "or");
    replace_all("ae", "e");
    replace_all("oe", "e");
    replace_all("isation", "ization");
    if (a.size() > 4 && a.compare(a.size() - 3, 3, "ise") == 0) a.replace(a.size() - 3, 3, "ize"), changed = true;
    if (a.size() > 4 && a.compare(a.size() - 3, 3, "tre") == 0) a.replace(a.size() - 3, 3, "ter"), changed = true;
    return changed && (flags(a) & (lex::kEnglish | lex::kMedical));
  }

  // A word that is an inflection of a dictionary word ("wishes", "prayed", "ordering").
  bool known_stem(std::string_view w) const {
    constexpr uint64_t kDict = lex::kEnglish | lex::kMedical;
    if (british_spelling(w)) return true;
    for (std::string_view suffix : {"s", "es", "ed", "d", "ing", "ly", "er"})
      if (w.size() > suffix.size() + 2 && w.compare(w.size() - suffix.size(), suffix.size(), suffix) == 0 &&
          (flags(w.substr(0, w.size() - suffix.size())) & kDict))
        return true;
    for (std::string_view prefix : {"re", "un", "pre", "dis", "non"})  // hunspell's prefix flags: "recommend"
      if (w.size() > prefix.size() + 4 && w.compare(0, prefix.size(), prefix) == 0 &&
          (flags(w.substr(prefix.size())) & kDict))
        return true;
    for (std::string_view suffix : {"ies", "ied"})  // "denies" -> "deny", "worried" -> "worry"
      if (w.size() > 5 && w.compare(w.size() - 3, 3, suffix) == 0) {
        std::string stem(w.substr(0, w.size() - 3));
        stem += 'y';
        if (flags(stem) & kDict) return true;
      }
    if (w.size() > 5 && w.compare(w.size() - 3, 3, "ing") == 0) {  // "dilating" -> "dilate"
      std::string stem(w.substr(0, w.size() - 3));
      stem += 'e';
      if (flags(stem) & kDict) return true;
    }
    return false;
  }

  // A capitalised word that is also a common word ("Lo", "Hope") ends a name when it follows a
  // listed first name that is no common word and nothing but punctuation or the line's end comes
  // after it: "Scribe: Hannah Lo."
  // So does one before a spaced dash or a lower-case joining word ("Gemma Nurse and", "re Jasmine
  // Pepper - amoxicillin", "Lucy Walker who"). title: the word may be a title ("Nurse"), and the
  // caller vouches for the name before it.
  bool closes_name(size_t j, bool title = false) const {
    if (!tk_[j].cap || tk_[j].allcaps || j == 0 || !word(j - 1) || tk_[j].nl) return false;
    const uint64_t p = tk_[j - 1].fl;
    // (a title's caller has already taken the word before as a name)
    if (!title && (!(p & lex::kFirst) || (p & (lex::kEnglish | lex::kNotName)))) return false;
    const uint64_t never = lex::kNotName | lex::kCredential | lex::kMonth | lex::kWeekday | lex::kFacility |
                           lex::kStreetSuffix | (title ? uint64_t{0} : static_cast<uint64_t>(lex::kTitle));
    if (tk_[j].fl & never) return false;
    if (j + 1 >= tk_.size() || tk_[j + 1].nl) return true;
    if (tk_[j + 1].kind == 'p')
      return t_[tk_[j + 1].b] != '-' || (!touch(j + 1) && (j + 2 >= tk_.size() || !touch(j + 2)));
    if (!word(j + 1) || tk_[j + 1].cap || tk_[j + 1].allcaps) return false;
    const std::string_view w = low(j + 1);
    for (std::string_view c : {"and", "or", "who", "was", "is", "has", "had", "with", "says", "said", "called", "rang",
                               "phoned", "came", "will", "would"})
      if (w == c) return true;
    // (not after a title: "Smith Nurse in charge", "Nurse on call")
    if (!title)
      for (std::string_view c : {"re", "at", "on", "to", "for", "from", "in"})
        if (w == c) return true;
    return false;
  }

  // Lower-case names after a strong cue ("pt john doherty", "wife maureen"): up to two words no
  // dictionary knows (or that a name list has and no dictionary has as a common word), or one or
  // two listed first names and a listed surname even when they are common words too ("pt john
  // doherty", "pt fatima miller", "pt ana lucia ferreira").
  // strong: the cue is a relative or a verb of meeting ("spoke w/ nancy", "wife maria"), after which a
  // lone listed first name is a name when the dictionary also has it capitalised or not at all
  // ("nancy", "john", "joaquin"), though it is a common word too.
  size_t lower_name_run(size_t j, bool strong = false) const {
    constexpr uint64_t kNever = lex::kNotName | lex::kMonth | lex::kTitle | lex::kCredential | lex::kWeekday |
                                lex::kPhoneCue | lex::kIdCue;
    auto lower_word = [&](size_t q) {
      return word(q) && !tk_[q].cap && !tk_[q].allcaps && tk_[q].e - tk_[q].b >= 2 && !(tk_[q].fl & kNever);
    };
    size_t listed = 0;  // the longest match of this form (a particle may also be a listed name: "das")
    for (size_t firsts = 1; firsts <= 2; ++firsts) {
      size_t q = j;
      // the first word may be one no list knows ("pt eamon king")
      while (q < j + firsts && lower_word(q) && (q == j || !tk_[q].nl) &&
             ((tk_[q].fl & lex::kFirst) || (firsts == 1 && lower_unknown(q))))
        ++q;
      // the surname: listed, or a word no list knows ("pt yaw fairweather")
      if (q == j + firsts && lower_word(q) && !tk_[q].nl && ((tk_[q].fl & lex::kLast) || lower_unknown(q)))
        listed = q + 1;
    }
    if (strong && !listed && lower_word(j) && (tk_[j].fl & lex::kFirst) && tk_[j].e - tk_[j].b >= 3 &&
        ((tk_[j].fl & lex::kProper) || !(tk_[j].fl & lex::kEnglish)) &&
        !(tk_[j].fl & (lex::kRelative | lex::kByVerb | lex::kNameVerb1 | lex::kIdCue | lex::kPhoneCue |
                       lex::kUnitAfterNumber | lex::kDatePrep)))
      listed = j + 1;
    // a listed first name (or a word no list knows), then up to two particles, listed names or words
    // no list knows, then a listed surname: "maria das gracas oliveira", "joao da silva"
    if (lower_word(j) && ((tk_[j].fl & lex::kFirst) || lower_unknown(j))) {
      size_t best = 0;
      for (size_t q = j + 1; q < tk_.size() && q <= j + 3 && !tk_[q].nl; ++q) {
        const bool particle = word(q) && !tk_[q].cap && (tk_[q].fl & lex::kParticle);
        if (!particle && !lower_word(q)) break;
        // a surname after a particle may be a common word too ("da silva")
        if (!particle && (tk_[q].fl & lex::kLast) &&
            (!(tk_[q].fl & lex::kEnglish) || (word(q - 1) && (tk_[q - 1].fl & lex::kParticle))))
          best = q + 1;
        if (!particle && !(tk_[q].fl & (lex::kFirst | lex::kLast)) && !lower_unknown(q)) break;
      }
      if (best) return std::max(best, listed);
    }
    if (listed) return listed;
    size_t e = j;
    while (e < tk_.size() && e < j + 2 && word(e) && !tk_[e].cap && !tk_[e].allcaps && (e == j || !tk_[e].nl)) {
      // (no dictionary of ours knows Cyrillic common words: there, only capitals, "жена Ольга")
      const auto lead = static_cast<unsigned char>(t_[tk_[e].b]);
      if (lead >= 0xD0 && lead <= 0xD3 && !cyr_cap(e)) break;
      // a possessive of a known word: "signed by patient's son"
      if (name_key(e).size() < low(e).size() && (flags(name_key(e)) & (lex::kEnglish | lex::kMedical | lex::kNotName)))
        break;
      if (tk_[e].e - tk_[e].b < 2 ||
          (tk_[e].fl & (lex::kEnglish | lex::kMedical | lex::kNotName | lex::kMonth | lex::kTitle | lex::kCredential |
                     lex::kWeekday | lex::kPhoneCue | lex::kIdCue)))
        break;
      // inflections of common words and drug names are no names: "Pt states", "grandmother lived",
      // "treated with apixaban"
      if (!(tk_[e].fl & (lex::kFirst | lex::kLast)) && (known_stem(low(e)) || drug_like(low(e)))) break;
      ++e;
    }
    return e;
  }

  size_t skip_title(size_t i) const {  // past "Dr." / "Mrs" when token i is a title
    if (!word(i) || !(tk_[i].fl & lex::kTitle)) return i;
    size_t j = i + 1;
    if (punct(j, '.')) ++j;
    return j;
  }

  // More names joined to a name that ends before token e: "children Mark and Lisa", "sons Tom,
  // Ben and Sam". Each must be capitalised and a listed name or in no dictionary ("wife Mary and
  // Lasix" stops).
  void coordinated_names(size_t e) {
    while (e < tk_.size() && !tk_[e].nl) {
      size_t j = e;
      if (punct(j, ',') || punct(j, '&')) ++j;
      if (word(j) && low(j) == "and" && !tk_[j].nl) ++j;
      if (j == e || !capital(j) || tk_[j].nl || tk_[j].allcaps) return;
      const uint64_t f = tk_[j].fl;
      if ((f & (lex::kNotName | lex::kTitle | lex::kMonth | lex::kWeekday | lex::kRelative | lex::kPhoneCue |
                lex::kIdCue | lex::kByVerb)) ||
          !((f & (lex::kFirst | lex::kLast)) || !(f & (lex::kEnglish | lex::kMedical))))
        return;
      const auto lead = static_cast<unsigned char>(t_[tk_[j].b]);
      if (lead >= 0xD0 && lead <= 0xD3 && !cyr_cap(j)) return;  // a Cyrillic word in lower case
      const size_t q = take_name(j, 3, false, false);
      if (q <= j) return;
      add_tokens(j, q, PhiType::kName);
      e = q;
    }
  }

  // Names after a title, a label, a verb of seeing, a relative or a sign-off.
  void scan_tokens() {
    const size_t n = tk_.size();
    for (size_t i = 0; i < n; ++i) {
      const Tok& k = tk_[i];
      if (k.kind == 'w') {
        const std::string_view lw = low(i);
        const uint64_t f = tk_[i].fl;
        // titles
        if ((f & lex::kTitle) && (tk_[i].cap || tk_[i].allcaps || lw == "dr" || lw == "mr" || lw == "mrs" ||
                                  lw == "ms" || lw == "mister" || lw == "doctor" || lw == "nurse")) {
          size_t j = i + 1;
          if (punct(j, '.')) ++j;
          // "nurse practitioner kowalski", "Nurse Practitioner Ade"
          if (lw == "nurse" && word(j) && (low(j) == "practitioner" || low(j) == "specialist" || low(j) == "manager" ||
                                           low(j) == "educator" || low(j) == "navigator"))
            ++j;
          const bool weak = lw == "nurse" || lw == "sister" || lw == "doctor" || lw == "judge" || lw == "miss" ||
                            lw == "chaplain" || lw == "pastor" || lw == "rabbi" || lw == "imam" || lw == "officer" ||
                            lw == "coach" || lw == "deacon";
          if (j < n && !tk_[j].nl) {
            const size_t e = take_name(j, 3, !weak, false);
            // dictated "doctor amara osei", "mister harold finch": a first name and a surname
            const size_t le = weak || lw == "mister" || lw == "mr" || lw == "mrs" || lw == "ms"
                                  ? (word(j) && !capital(j) && !tk_[i].cap && !tk_[i].allcaps ? lower_name_run(j) : j)
                                  : j;
            if (le > j + 1) {
              add_tokens(j, le, PhiType::kName);
            } else if (e > j && !(weak && !capital(j))) {
              add_tokens(j, e, PhiType::kName);
            } else if (!weak && word(j) && !capital(j) && tk_[j].e - tk_[j].b >= 3 && (tk_[j].fl & lex::kLast) &&
                       !(tk_[j].fl & (lex::kNotName | lex::kMonth | lex::kWeekday | lex::kCredential))) {
              // a listed surname that is also a common word, in lower case: "f/u w dr. baker"
              add_tokens(j, j + 1, PhiType::kName);
            } else if (weak && !tk_[i].cap && !tk_[i].allcaps && word(j) && !capital(j) && tk_[j].e - tk_[j].b >= 3 &&
                       (lower_unknown(j) || ((tk_[j].fl & (lex::kLast | lex::kMedical)) &&
                                             !(tk_[j].fl & (lex::kEnglish | lex::kNotName | lex::kMonth |
                                                            lex::kWeekday | lex::kCredential))))) {
              // dictated "doctor huang": a lower-case word that is no English word (the medical
              // dictionary holds surnames too: "huang")
              add_tokens(j, j + 1, PhiType::kName);
            }
          }
        }
        // credentials after a name: "Jane Doe, MD", "J. Smith RN", "A. Ng, M.D."
        if ((lw == "m" && punct(i + 1, '.') && word(i + 2) && low(i + 2) == "d" && touch(i + 1) && touch(i + 2)) ||
            (lw == "d" && punct(i + 1, '.') && word(i + 2) && low(i + 2) == "o" && touch(i + 1) && touch(i + 2) &&
             i > 0 && punct(i - 1, ','))) {
          size_t j = i;
          if (j > 0 && punct(j - 1, ',')) --j;
          size_t b = j;
          int words = 0;
          while (b > 0 && words < 4 && !tk_[b].nl) {
            const size_t p = b - 1;
            if (punct(p, '.') && p > 0 && word(p - 1) && tk_[p - 1].e - tk_[p - 1].b == 1) {
              b = p - 1;
              ++words;
              continue;
            }
            if (!capital(p) || (tk_[p].fl & (lex::kNotName | lex::kTitle))) break;
            b = p;
            ++words;
          }
          if (words > 0) add_tokens(b, j, PhiType::kName);
        }
        if ((f & lex::kCredential) && (tk_[i].allcaps || lw == "phd" || lw == "pharmd" || lw == "psyd" ||
                                       lw == "mbchb")) {
          size_t j = i;
          if (j > 0 && punct(j - 1, ',')) --j;
          size_t b = j;
          int words = 0;
          while (b > 0 && words < 4 && !tk_[b].nl) {
            const size_t p = b - 1;
            if (punct(p, '.') && p > 0 && word(p - 1) && tk_[p - 1].e - tk_[p - 1].b == 1) {
              b = p - 1;
              ++words;
              continue;
            }
            if (!capital(p)) break;
            const uint64_t pf = tk_[p].fl;
            if (pf & (lex::kNotName | lex::kCredential | lex::kTitle)) break;
            if ((pf & lex::kEnglish) && !(pf & (lex::kFirst | lex::kLast)) && words > 0) break;
            b = p;
            ++words;
          }
          if (words > 0 && (lw != "md" || words >= 1)) {
            // reject state codes: "Boston, MD 21201" (a ZIP follows)
            if (!(num(i + 1) && tk_[i + 1].e - tk_[i + 1].b == 5)) add_tokens(b, j, PhiType::kName);
          }
        }
        // relatives: "her daughter Anna", "wife, Mary", "son named Tom"
        if (f & lex::kRelative) {
          size_t j = i + 1;
          if (punct(j, ',') || punct(j, ':') || punct(j, '(')) ++j;
          if (word(j) && (low(j) == "named" || low(j) == "is")) ++j;
          j = skip_title(j);
          if (j < n && word(j) && !capital(j) && !tk_[j].nl) {
            const size_t e = lower_name_run(j, true);
            if (e > j) add_tokens(j, e, PhiType::kName);
          }
          if (j < n && capital(j) && !tk_[j].nl) {
            size_t e = j;
            if (!(tk_[j].fl & (lex::kNotName | lex::kMonth))) {  // a relative's cue is strong: "neighbor Hope"
              e = take_name(j, 3, false, false);
            } else if (j == i + 1 && tk_[j].cap && !tk_[j].allcaps && (tk_[j].fl & lex::kFirst) &&
                       !(tk_[j].fl & (lex::kRelative | lex::kWeekday | lex::kIdCue | lex::kAgeWord))) {
              // a first name that is also a function word, right after the cue: "her husband Will"
              e = j + 1;
            }
            if (e > j) {
              add_tokens(j, e, PhiType::kName);
              coordinated_names(e);
            }
          }
        }
        // "name is X", "named X", "Patient X tolerated"
        if ((lw == "name" && word(i + 1) && low(i + 1) == "is") || lw == "patient" || lw == "pt" || lw == "named") {
          size_t j = lw == "name" ? i + 2 : i + 1;
          {  // initials: "pt R.D.", "patient J.K.L."
            size_t q = j;
            int letters = 0;
            while (word(q) && tk_[q].e - tk_[q].b == 1 && is_upper(t_[tk_[q].b]) && punct(q + 1, '.') && touch(q + 1) &&
                   !tk_[q].nl && (q == j || touch(q))) {
              ++letters;
              q += 2;
            }
            if (letters >= 2) add_tokens(j, q, PhiType::kName);
          }
          if (j < n && word(j) && !capital(j) && !tk_[j].nl) {
            const size_t e = lower_name_run(j);
            if (e > j) add_tokens(j, e, PhiType::kName);
          }
          if (j < n && capital(j) && !tk_[j].nl && !(tk_[j].fl & (lex::kNotName | lex::kTitle))) {
            const uint64_t nf = tk_[j].fl;
            if ((nf & (lex::kFirst | lex::kLast)) || !(nf & lex::kEnglish) || lw == "name" || lw == "named") {
              const size_t e = take_name(j, 3, false, true);  // "PATIENT JOHNSON-MBEKI, THABO"
              if (e > j) add_tokens(j, e, PhiType::kName);
            }
          }
        }
        // "seen by X", "discussed with X", "per X", "cc X" (a block left by break, so that the rules
        // after it still see the token: "Brookline Primary Care" is a facility though "care" is a verb)
        if (f & (lex::kByVerb | lex::kNameVerb1)) do {
          size_t j = i + 1;
          if (f & lex::kByVerb) {
            if (word(j) && (low(j) == "by" || low(j) == "with" || low(j) == "to" || low(j) == "of")) ++j;
            else if (word(j) && low(j) == "w" && punct(j + 1, '/')) j += 2;  // "spoke w/ brenda"
            if (j < n && word(j) && !capital(j) && !tk_[j].nl && j > i + 1) {
              const size_t e = lower_name_run(j, true);
              if (e > j) add_tokens(j, e, PhiType::kName);
            }
            if (word(j) && (low(j) == "and")) j += 2;
            if (j == i + 1 && lw != "d/w" && !(f & lex::kNameVerb1)) break;  // ("called X": a V1 word too)
          }
          if (punct(j, ':') || punct(j, ',')) ++j;
          if (word(j) && (low(j) == "dr" || low(j) == "the")) break;  // the title rule does it
          if ((f & lex::kNameVerb1) && word(j) && low(j) == "for" && (lw == "ask" || lw == "asked")) ++j;
          if ((f & lex::kNameVerb1) && j < n && word(j) && !capital(j) && !tk_[j].nl && !name_tok_[j]) {
            // lower case: "ask for mohammed at reception", "texted keisha" (a listed first name only)
            const size_t e = lower_name_run(j, true);
            if (e > j && (tk_[j].fl & lex::kFirst)) add_tokens(j, e, PhiType::kName);
          }
          if (j < n && capital(j) && !tk_[j].nl) {
            const uint64_t nf = tk_[j].fl;
            // (a short acronym is a service: "brought by EMS")
            const bool acronym = tk_[j].allcaps && tk_[j].e - tk_[j].b <= 4 && !(nf & (lex::kFirst | lex::kLast));
            if (((nf & (lex::kFirst | lex::kLast)) || !(nf & lex::kEnglish)) && !(nf & lex::kNotName) && !acronym) {
              const size_t e = take_name(j, 3, false, false);
              size_t q = e;  // an eponym: "living with Parkinson disease"
              if (word(q) && (low(q) == "s" || low(q) == "'s")) ++q;
              const bool eponym = word(q) && (tk_[q].fl & lex::kEponymHead);
              if (e > j && !eponym) {
                add_tokens(j, e, PhiType::kName);
                coordinated_names(e);  // "discussed with Hope and Faith"
              }
            }
          }
        } while (false);
        if (lw == "for" && i > 0) name_after_document_for(i);
        if (lw == "from" && i > 0) {
          name_from_department(i);
          name_after_message_from(i);
        }
        if (lw == "its" || lw == "it's" || lw == "im" || lw == "i'm" ||
            (i > 0 && word(i - 1) && ((lw == "is" && low(i - 1) == "this") || (lw == "am" && low(i - 1) == "i"))))
          self_introduction(i);
        if (lw == "user" || lw == "username" || lw == "login" || lw == "userid") user_name(i);
        if (lw == "initials") {
          initials_after_cue(i);
          // "by KT (initials)": the capitals before
          if (i >= 2 && punct(i - 1, '(') && word(i - 2) && tk_[i - 2].allcaps && tk_[i - 2].e - tk_[i - 2].b >= 2 &&
              tk_[i - 2].e - tk_[i - 2].b <= 4)
            add_tokens(i - 2, i - 1, PhiType::kName);
        }
        // ID cues
        if ((f & lex::kIdCue) || lw == "mr") id_after_cue(i, lw);
        if (f & lex::kPhoneCue) phone_after_cue(i);
        if (lw == "zip" || lw == "postal" || lw == "postcode" || lw == "zipcode") zip_after_cue(i);
        // dates with month names
        if (f & lex::kMonth) month_date(i, lw);
        if (f & (lex::kMonth | lex::kNumberWord)) words_date(i, lw);
        // (in lower-case notes too: "see you monday", "back after christmas")
        if ((f & lex::kHoliday) && (capital(i) || lw.size() >= 6)) {
          // with its day, week or eve: "Anzac Day", "NAIDOC Week", "Christmas Eve"
          const bool more = word(i + 1) && !tk_[i + 1].nl &&
                            (low(i + 1) == "day" || low(i + 1) == "week" || low(i + 1) == "eve");
          add_tokens(i, i + (more ? 2 : 1), PhiType::kDate);
        }
        if (lw == "inst" || lw == "ult" || lw == "prox") ordinal_before_inst(i);
        if (lw == "ending" || lw == "last") last_digits(i, lw);
        role_initials(i, lw);
        initials_before_credential(i);
        if ((capital(i) || lw.size() >= 6 || (i + 1 < n && num(i + 1) && !tk_[i + 1].nl) ||
             (i > 0 && word(i - 1) && (tk_[i - 1].fl & lex::kDatePrep))) &&
            (f & lex::kWeekday)) {  // "Friday", "Tuesday the 12th" (i2b2 counts weekdays as dates)
          size_t e = i + 1;
          if (punct(e, '.') && touch(e)) ++e;
          size_t q = e;
          if (punct(q, ',')) ++q;
          if (word(q) && low(q) == "the") ++q;
          if (num(q) && int_value(q) >= 1 && int_value(q) <= 31 && tk_[q].e - tk_[q].b <= 2) {
            e = q + 1;
            if (word(e) && touch(e) && (low(e) == "st" || low(e) == "nd" || low(e) == "rd" || low(e) == "th")) ++e;
          }
          add_tokens(i, e, PhiType::kDate);
        }
        if (capital(i) && !tk_[i].allcaps && short_weekday(lw) && short_weekday_date(i)) {
          // "Thu 12/5", "practice Sat."; with an ordinal day: "Tue 9th"
          const bool ord = lw_is_ordinal_day(i + 1) && !tk_[i + 1].nl;
          add_tokens(i, ord ? i + 3 : i + 1, PhiType::kDate);
        }
        holiday_phrase(i, lw);
        if (lw == "code" || lw == "pin") access_code(i);
        if (lw == "the" && i > 0 && word(i - 1) && (tk_[i - 1].fl & lex::kDatePrep) && lw_is_ordinal_day(i + 1))
          add_tokens(i, i + 3, PhiType::kDate);  // "on the 14th" (the month is implied)
        if (lw == "the" && i > 0 && word(i - 1) && (tk_[i - 1].fl & lex::kDatePrep) && word(i + 1) &&
            (tk_[i + 1].fl & lex::kNumberWord) && !tk_[i + 1].nl) {  // "on the twelfth", "by the twenty-first"
          int v = 0;
          const size_t e = number_words(i + 1, true, &v);
          if (e > i + 1 && v >= 1 && v <= 31 && (!word(e) || tk_[e].nl || after_day_word(low(e))))
            add_tokens(i, e, PhiType::kDate);
        }
        // a lower-case credential before a name: "np okafor", "rn sarah" (handover notes)
        if ((f & lex::kCredential) && !tk_[i].cap && !tk_[i].allcaps &&
            (lw == "rn" || lw == "np" || lw == "lpn" || lw == "lvn" || lw == "cna" || lw == "crna" || lw == "aprn" ||
             lw == "fnp" || lw == "md" || lw == "rrt" || lw == "rph") &&
            word(i + 1) && !capital(i + 1) && !tk_[i + 1].nl) {
          const size_t e = lower_name_run(i + 1, true);
          if (e > i + 1) add_tokens(i + 1, e, PhiType::kName);
        }
        // "Rose (wife)", "Tunde (son)": a relative in brackets after a capitalised word
        if ((f & lex::kRelative) && i >= 2 && punct(i - 1, '(') && punct(i + 1, ')') && capital(i - 2) &&
            !tk_[i - 1].nl && !(tk_[i - 2].fl & (lex::kNotName | lex::kTitle | lex::kMonth | lex::kWeekday))) {
          size_t b = i - 2;
          while (b > 0 && capital(b - 1) && !tk_[b].nl && i - b < 5 &&
                 !(tk_[b - 1].fl & (lex::kNotName | lex::kTitle | lex::kCredential)))
            --b;
          add_tokens(b, i - 1, PhiType::kName);
        }
        if (lw.find('-') != std::string_view::npos) month_with_prefix(i, lw);  // "mid-December"
        if ((lw == "new" && word(i + 1) && low(i + 1) == "year's" && capital(i)))
          add_tokens(i, i + 2, PhiType::kDate);
        // ages in words: ninety-two-year-old, a hundred and one
        if (lw.rfind("ninety", 0) == 0 || lw.rfind("hundred", 0) == 0 || lw == "nonagenarian" ||
            lw == "centenarian" || lw == "nineties")
          add_tokens(i, i + 1, PhiType::kAge);
        // facilities
        if (((f & lex::kFacility) || ((f & lex::kFacility2) && i > 0 && capital(i - 1) && !tk_[i].nl)) && capital(i))
          facility(i);
        // "on Sycamore Road", "at Elm St." (a street without a number)
        if ((f & lex::kStreetSuffix) && capital(i) && i >= 2 && capital(i - 1) && !tk_[i].nl && !tk_[i - 1].nl &&
            lw != "pt" && lw != "dr") {
          size_t b = i - 1;
          while (b > 0 && capital(b - 1) && !tk_[b].nl && i - b < 3) --b;
          if (word(b - 1) && (low(b - 1) == "on" || low(b - 1) == "at" || low(b - 1) == "off" || low(b - 1) == "near" ||
                              low(b - 1) == "of" || low(b - 1) == "from")) {
            size_t e = i + 1;
            if (punct(e, '.') && touch(e)) ++e;
            add_tokens(b, e, PhiType::kLocation);
          }
        }
        // P.O. Box / PO Box
        if ((lw == "box") && capital(i) && num(i + 1)) {
          size_t b = i;
          if (b >= 1 && word(b - 1) && (low(b - 1) == "po" || low(b - 1) == "o")) {
            b = b - 1;
            while (b > 0 && (punct(b - 1, '.') || (word(b - 1) && tk_[b - 1].e - tk_[b - 1].b == 1))) --b;
          }
          add_tokens(b, i + 2, PhiType::kLocation);
        }
        // US state codes and names after "City," with an optional ZIP
        if ((tk_[i].allcaps && tk_[i].e - tk_[i].b == 2 && (f & lex::kState)) ||
            (capital(i) && (f & lex::kStateName)))
          city_state(i);
        // UK postcodes: SW1A 1AA
        if (tk_[i].allcaps || (tk_[i].cap && tk_[i].e - tk_[i].b <= 2)) uk_postcode(i);
      } else if (k.kind == 'n') {
        age(i);
        street(i);
        dotted_year_first_date(i);
        dotted_day_month(i);
        cjk_date(i);
        vietnamese_date(i);
        if (i > 0 && word(i - 1) && lw_is_ordinal_day(i) && !tk_[i].nl) {
          // "on 16th and ...", "by 3rd" (the month is implied; "the" is not needed)
          const std::string_view pw = low(i - 1);
          if (pw == "on" || pw == "by" || pw == "from" || pw == "until" || pw == "till" || pw == "since" ||
              pw == "before" || pw == "after" || pw == "due" || pw == "dated")
            add_tokens(i, i + 2, PhiType::kDate);
        }
      } else if (t_[k.b] == ':') {
        label_name(i);
      } else if (t_[k.b] == '#' && !(i > 0 && touch(i) && word(i - 1) && (tk_[i - 1].fl & lex::kIdCue))) {
        id_after_cue(i, "#");  // "pt #: 884-221" (after a cue word, that word's rule does it)
      }
      if (k.nl || i == 0) {
        signoff(i);
        chat_handle(i);
      }
      if ((k.nl || i == 0) && (punct(i, '-') || punct(i, '/') || punct(i, '~'))) {  // "-- Name", "/s/ Name"
        size_t j = i;
        while (j < n && (j == i || !tk_[j].nl) && tk_[j].kind == 'p' && j - i < 4) ++j;
        if (word(j) && low(j) == "s" && punct(j + 1, '/')) j += 2;
        if (j < n && !tk_[j].nl && j > i) {
          j = skip_title(j);
          const size_t e = take_name(j, 4, false, false);
          if (e > j) add_tokens(j, e, PhiType::kName);
        }
      }
      if (k.kind == 'w' && (tk_[i].fl & (lex::kLocCue | lex::kLocCueHead))) location_cue(i);
      if (k.kind == 'w' && (sv(i) == "in" || sv(i) == "near") && i + 1 < n && tk_[i + 1].cap && !tk_[i + 1].allcaps &&
          !tk_[i + 1].nl && !name_tok_[i + 1]) {
        if (!(tk_[i + 1].fl & (lex::kEnglish | lex::kMedical | lex::kMonth | lex::kNotName | lex::kLanguage)) &&
            tk_[i + 1].e - tk_[i + 1].b > 2) {
          size_t e = i + 2;
          while (e < n && e < i + 4 && tk_[e].cap && !tk_[e].allcaps && !tk_[e].nl && !(tk_[e].fl & lex::kEnglish)) ++e;
          add_tokens(i + 1, e, PhiType::kLocation);
        }
      }
    }
  }

  // A caller or writer naming themselves: "this is Bronwyn", "hey its jess", "I'm Tavita": a listed
  // first name (in lower case one the dictionary knows capitalised or not at all).
  void self_introduction(size_t i) {
    const size_t j = i + 1;
    if (!word(j) || tk_[j].nl || name_tok_[j]) return;
    const uint64_t f = tk_[j].fl;
    if (!(f & lex::kFirst) || (f & (lex::kNotName | lex::kTitle | lex::kMonth | lex::kWeekday | lex::kRelative |
                                    lex::kCredential | lex::kByVerb | lex::kNameVerb1 | lex::kDatePrep)))
      return;
    if (capital(j)) {
      const size_t e = take_name(j, 3, false, false);
      add_tokens(j, e > j ? e : j + 1, PhiType::kName);
    } else if ((f & lex::kProper) || !(f & lex::kEnglish)) {
      const size_t e = lower_name_run(j, true);
      add_tokens(j, e > j ? e : j + 1, PhiType::kName);
    }
  }

  // "dictation for harold finch", "clinic note for Desmond Achterberg", "letter for Mrs Obi": a name
  // after "for" when the word before is a document.
  void name_after_document_for(size_t i) {
    if (!word(i - 1) || tk_[i].nl) return;
    const std::string_view p = low(i - 1);
    bool doc = false;
    for (std::string_view w : {"dictation", "note", "letter", "report", "consult", "consultation", "summary",
                               "referral", "prescription", "prescriptions", "appointment", "results", "records",
                               "paperwork", "forms", "form", "orders", "discharge", "notes", "reminder", "statement"})
      doc |= p == w;
    if (!doc) return;
    const size_t j = skip_title(i + 1);
    if (!word(j) || tk_[j].nl || name_tok_[j]) return;
    if (capital(j)) {
      const uint64_t nf = tk_[j].fl;
      if (!(nf & (lex::kFirst | lex::kLast)) && (nf & (lex::kEnglish | lex::kMedical))) return;
      if (nf & (lex::kNotName | lex::kMonth | lex::kWeekday | lex::kTitle)) return;
      if (tk_[j].allcaps && tk_[j].e - tk_[j].b <= 4 && !(nf & (lex::kFirst | lex::kLast))) return;
      const size_t e = take_name(j, 3, false, false);
      if (e > j) add_tokens(j, e, PhiType::kName);
    } else if (tk_[j].fl & lex::kFirst) {  // in lower case a listed first name must start it ("for review")
      const size_t e = lower_name_run(j, true);
      if (e > j) add_tokens(j, e, PhiType::kName);
    }
  }

  // "voicemail from Delphine", "message from Dr. Ruiz", "letter from Okafor": a name after "from"
  // when the word before is a message or a call.
  void name_after_message_from(size_t i) {
    if (!word(i - 1) || tk_[i].nl) return;
    const std::string_view p = low(i - 1);
    bool message = false;
    for (std::string_view w : {"voicemail", "message", "msg", "vm", "call", "calls", "email", "e-mail", "letter",
                               "text", "texts", "referral", "note", "fax", "page", "sms", "phonecall", "visit",
                               "visits", "request", "card", "gift", "flowers"})
      message |= p == w;
    if (!message) return;
    size_t j = skip_title(i + 1);
    if (!capital(j) || tk_[j].nl) return;
    const uint64_t nf = tk_[j].fl;
    if (!(nf & (lex::kFirst | lex::kLast)) && (nf & (lex::kEnglish | lex::kMedical))) return;
    if (nf & (lex::kNotName | lex::kMonth | lex::kWeekday | lex::kTitle | lex::kFacility | lex::kFacility2)) return;
    if (tk_[j].allcaps && tk_[j].e - tk_[j].b <= 4 && !(nf & (lex::kFirst | lex::kLast))) return;  // "from ICU"
    const size_t e = take_name(j, 3, false, false);
    if (e > j) add_tokens(j, e, PhiType::kName);
  }

  // A first name before "from" and a department: "fyi benny from pharmacy", "this is sam from the cath
  // lab", "Jen from PT". A lower-case word must be a listed first name that the dictionary knows
  // capitalised or not at all.
  void name_from_department(size_t i) {
    const size_t p = i - 1;
    if (!word(p) || name_tok_[p] || tk_[i].nl || tk_[p].e - tk_[p].b < 3) return;
    const uint64_t f = tk_[p].fl;
    if (!(f & lex::kFirst) || (f & (lex::kNotName | lex::kTitle | lex::kMonth | lex::kWeekday | lex::kRelative |
                                    lex::kCredential | lex::kByVerb | lex::kNameVerb1 | lex::kDatePrep)))
      return;
    if (!capital(p) && !((f & lex::kProper) || !(f & lex::kEnglish))) return;
    size_t j = i + 1;
    if (word(j) && low(j) == "the") ++j;
    if (!word(j) || tk_[j].nl) return;
    const uint64_t d = tk_[j].fl;
    const bool dept = (d & (lex::kFacility | lex::kFacility2)) || (tk_[j].allcaps && tk_[j].e - tk_[j].b <= 4) ||
                      ((d & lex::kNotName) && (d & lex::kMedical)) ||
                      (j > i + 1 && word(j + 1) && !tk_[j + 1].nl && (tk_[j + 1].fl & (lex::kFacility | lex::kFacility2 |
                                                                                    lex::kNotName)));
    if (dept) add_tokens(p, p + 1, PhiType::kName);
  }

  // "LABEL: Name" with up to 4 label words before the colon (same line).
  void label_name(size_t colon) {
    if (colon == 0) return;
    size_t b = colon;
    int words = 0;
    while (b > 0 && words < 5 && (word(b - 1) || punct(b - 1, '\'') || punct(b - 1, '/'))) {
      --b;
      if (word(b)) ++words;
      if (tk_[b].nl) break;
    }
    // longest suffix of the label words that is a name label
    for (size_t s = b; s < colon; ++s) {
      if (!word(s)) continue;
      std::string& label = buf_;
      label.clear();
      for (size_t q = s; q < colon; ++q) {
        if (!label.empty() && word(q) && tk_[q].space) label += ' ';
        label += low(q);
      }
      const uint64_t lf = flags(label);
      if (lf & lex::kNameLabel) {
        size_t j = colon + 1;
        if (j < tk_.size() && tk_[j].nl) return;
        j = skip_title(j);
        size_t e = take_name(j, 4, true, true);
        // after who checked or dispensed, capitals followed by more text are a measurement or a
        // unit ("Checked: BP stable"), not initials
        if (e == j + 1 && signer_label(label) && tk_[j].allcaps && tk_[j].e - tk_[j].b <= 3 && !initials_alone(j)) e = j;
        if (e > j) {
          add_tokens(j, e, PhiType::kName);
        } else if (initials_alone(j)) {
          // initials alone on the line or in their column: "Sonographer: LR", "Checked: TS   Next:"
          add_tokens(j, j + 1, PhiType::kName);
        }
        // two signers' initials: "checked: SB / NR"
        if (name_tok_[j] && e <= j + 1 && punct(j + 1, '/') && initials_alone(j + 2)) add_tokens(j + 2, j + 3, PhiType::kName);
        return;
      }
      if ((lf & lex::kIdCue) || label.find("number") != std::string::npos || label.find("id") == label.size() - 2)
        break;
    }
  }

  // The labels of who checked, dispensed or witnessed (lexicon.cpp's last name labels).
  static bool signer_label(std::string_view l) {
    for (std::string_view w : {"checked", "dispensed", "counselled", "counseled", "administered", "witnessed", "issued",
                               "collected", "collector", "received", "packed", "released", "authorised", "authorized",
                               "signed off", "labelled", "labeled", "checker", "second check"})
      if (l.compare(0, w.size(), w) == 0 || (l.size() > w.size() && l.find(w) != std::string_view::npos)) return true;
    return false;
  }

  // Token j is initials in capitals (2-3 letters) standing alone: the line or the form's column
  // ends after it (end of line, two spaces or a tab), or a "/", ",", ";" or ")" follows.
  bool initials_alone(size_t j) const {
    if (!word(j) || !tk_[j].allcaps || tk_[j].e - tk_[j].b > 3 || (tk_[j].fl & lex::kNotName) || tk_[j].nl) return false;
    if (j + 1 >= tk_.size() || tk_[j + 1].nl) return true;
    const size_t e = tk_[j].e;
    if (e + 1 < t_.size() && ((t_[e] == ' ' && t_[e + 1] == ' ') || t_[e] == '\t')) return true;
    if (tk_[j + 1].kind == 'p' && std::strchr("/,;)", t_[tk_[j + 1].b]) && (j + 2 >= tk_.size() || tk_[j + 2].nl || !touch(j + 2) || punct(j + 1, '/')))
      return true;
    return false;
  }

  // Secure-chat and log lines: "[chat 16:04] rachel.t: ...", "09:12 jsmith2: ..." -- a handle
  // that no dictionary knows, after a time stamp at the line's start and before a colon.
  void chat_handle(size_t i) {
    size_t j = i;
    bool stamp = false;
    if (punct(j, '[')) {  // "[...]" on this line
      size_t q = j + 1;
      while (q < tk_.size() && !tk_[q].nl && !punct(q, ']')) ++q;
      if (!punct(q, ']')) return;
      for (size_t r = j + 1; r < q; ++r)
        if (punct(r, ':') && num(r - 1) && num(r + 1)) stamp = true;
      j = q + 1;
    } else {
      // "09:12", "2025-11-28 09:12", "28/11/2025 09:12:40"
      if (num(j) && (punct(j + 1, '-') || punct(j + 1, '/') || punct(j + 1, '.')) && touch(j + 1) && num(j + 2) &&
          touch(j + 2)) {
        size_t q = j + 3;
        while (q + 1 < tk_.size() && tk_[q].kind == 'p' && t_[tk_[q].b] != ':' && touch(q) && num(q + 1) && touch(q + 1))
          q += 2;
        if (num(q) || !tk_[q].nl) j = q;
      }
      if (num(j) && punct(j + 1, ':') && num(j + 2) && touch(j + 1) && touch(j + 2)) {
        stamp = true;
        j += 3;
        while (punct(j, ':') && num(j + 1) && touch(j) && touch(j + 1)) j += 2;  // seconds
      }
    }
    // a handle in brackets after the stamp: "09:02 [kwong.mh] Remote session"
    if (stamp && punct(j, '[') && word(j + 1) && !tk_[j + 1].nl) {
      const size_t b = tk_[j + 1].b;
      size_t e = b;
      while (e < t_.size() && (is_lower(t_[e]) || is_digit(t_[e]) || t_[e] == '.' || t_[e] == '_' || t_[e] == '-')) ++e;
      if (e < t_.size() && t_[e] == ']' && e - b >= 3 &&
          !(e == tk_[j + 1].e && (tk_[j + 1].fl & (lex::kEnglish | lex::kMedical | lex::kNotName))))
        add(b, e, PhiType::kName);
      return;
    }
    if (!stamp || !word(j) || tk_[j].nl || tk_[j].cap || tk_[j].allcaps) return;
    // the handle: letters, digits, '.', '_', '-' up to a colon
    const size_t b = tk_[j].b;
    size_t e = b;
    while (e < t_.size() && (is_alnum(t_[e]) || t_[e] == '.' || t_[e] == '_' || t_[e] == '-')) ++e;
    if (e >= t_.size() || t_[e] != ':' || e - b < 3) return;
    if (e == tk_[j].e && (tk_[j].fl & (lex::kEnglish | lex::kMedical | lex::kNotName))) return;
    add(b, e, PhiType::kName);
  }

  void signoff(size_t i) {
    // the line is a sign-off ("Sincerely," / "Best regards,") -> the next line's name
    auto skip = [&](size_t q) { return punct(q, ',') || punct(q, '.') || punct(q, '-') || punct(q, '!'); };
    size_t j = i;
    // the line's first word must start a sign-off (most lines stop here)
    while (j < tk_.size() && (j == i || !tk_[j].nl) && !word(j) && skip(j)) ++j;
    if (!word(j) || (j != i && tk_[j].nl) || !(tk_[j].fl & lex::kSignoffHead)) return;
    j = i;
    std::string& line = buf_;
    line.clear();
    while (j < tk_.size() && (j == i || !tk_[j].nl) && line.size() < 40) {
      if (word(j)) {
        if (!line.empty()) line += ' ';
        line += low(j);
      } else if (!skip(j)) {
        return;
      }
      ++j;
    }
    if (line.empty() || !(flags(line) & lex::kSignoff) || j >= tk_.size()) return;
    j = skip_title(j);
    const size_t e = take_name(j, 4, false, false);
    if (e > j) add_tokens(j, e, PhiType::kName);
  }

  void id_after_cue(size_t i, std::string_view lw) {
    const bool ssn = lw == "ssn" || lw == "ss#" || lw == "social" || lw == "sin";
    size_t j = i + 1;
    int steps = 0;
    while (j < tk_.size() && steps < 8 && !(tk_[j].nl && steps > 0)) {
      // a remark in brackets between the cue and the number: "SSN (last 4): 4418", "MRN (old): ..."
      if (punct(j, '(') && !num(j + 1)) {
        size_t q = j + 1;
        while (q < tk_.size() && q < j + 5 && !tk_[q].nl && !punct(q, ')')) ++q;
        if (punct(q, ')')) {
          j = q + 1;
          ++steps;
          continue;
        }
      }
      // ('*': a masked number, "NRIC ****417F")
      if (tk_[j].kind == 'p' && std::strchr(":#.-=(*", t_[tk_[j].b])) {
        ++j;
        ++steps;
        continue;
      }
      if (word(j) && (tk_[j].fl & lex::kIdFiller)) {
        ++j;
        ++steps;
        continue;
      }
      break;
    }
    if (j >= tk_.size() || tk_[j].nl) return;
    // the identifier: a chunk with a digit
    const size_t b = tk_[j].b;
    size_t e = b;
    bool digit = false;
    while (e < t_.size() && (is_alnum(t_[e]) || ((t_[e] == '-' || t_[e] == '/' || t_[e] == '.' || t_[e] == '_') &&
                                                 e + 1 < t_.size() && is_alnum(t_[e + 1])))) {
      if (is_digit(t_[e])) digit = true;
      ++e;
    }
    // short numbers after the weak cues "no"/"number"/"#" are doses and counts, not identifiers
    const bool weak = lw == "no" || lw == "number" || lw == "#" || lw == "nbr" || lw == "num" || lw == "case" ||
                      lw == "plan" || lw == "model" || lw == "order" || lw == "bed" || lw == "group" ||
                      lw == "visit" || lw == "ref" || lw == "lot" || lw == "tag" || weak_id_cue(lw);
    // capitals only (also Greek or Cyrillic ones: "ΑΚ 441729"), one to four letters
    bool caps = !digit && tk_[j].e == e && e - b <= 8 && (tk_[j].allcaps || (tk_[j].cap && e - b == 1));
    if (!digit && !caps && tk_[j].e == e && e - b >= 2 && e - b <= 8 && static_cast<unsigned char>(t_[b]) >= 0x80) {
      caps = true;
      for (size_t q = b; q < e; ++q)
        if (is_lower(t_[q])) caps = false;
    }
    if (caps) {
      // letters, then digit groups, maybe closed by letters: "member ID XGH 4471 2290", vehicle
      // plates and device serials "reg HGZ 418 EC", "serial NKR 416 338 H", a file "C 28 417 093"
      size_t nd = 0;
      bool tail = false;
      const size_t x = letter_digit_groups(e, &nd, &tail);
      // ("MR. RVSP 42" is a measurement; after a weak cue, a plate needs its closing letters)
      if (nd >= 6 || (nd >= 3 && (tail || !weak) && e - b >= 2)) {
        add(b, x, PhiType::kId);
        return;
      }
      // letters, then one chunk with a slash or a dash: "reg. no. E 1417/19", "Case no. CIRM 25/4417"
      if (nd == 0 && e + 1 < t_.size() && t_[e] == ' ' && is_digit(t_[e + 1])) {
        size_t z = e + 1, dz = 0;
        bool sep = false;
        while (z < t_.size() && (is_digit(t_[z]) || ((t_[z] == '/' || t_[z] == '-') && z + 1 < t_.size() &&
                                                      is_digit(t_[z + 1])))) {
          if (is_digit(t_[z])) ++dz;
          else sep = true;
          ++z;
        }
        // ("BP 120/80" after "plan": a weak cue needs more)
        // (a single letter's measurement is rarer: "K 2291/18" is a file, "BP 140/100" a pressure)
        if (sep && dz >= 5 && (!weak || (dz >= 6 && e - b != 2)) && (z >= t_.size() || !is_alpha(t_[z])))
          add(b, z, PhiType::kId);
      }
      return;
    }
    // a number in groups that starts with one digit: "NIR 2 66 07 69 383 417 29", "Thai ID 3 5099 00441 72 9"
    if (digit && e - b == 1 && !weak) {
      const size_t x = extend_digit_groups(e);
      size_t nd = 0;
      for (size_t q = b; q < x; ++q) nd += is_digit(t_[q]);
      if (nd >= 8) add(b, x, ssn ? PhiType::kSsn : PhiType::kId);
      return;
    }
    if (!digit || e - b < (weak ? 4u : 2u)) return;
    bool letters = false;
    for (size_t q = b; q < e; ++q) letters = letters || is_alpha(t_[q]);
    if ((weak || lw == "id") && !letters) {  // "ID: 12 mm" -- skip numbers with a unit after them ("lot 7K2R9 L deltoid" is no measurement)
      size_t q = e;
      while (q < t_.size() && t_[q] == ' ') ++q;
      size_t w = q;
      while (w < t_.size() && is_alpha(t_[w])) ++w;
      if (flags(lower_at(q, w)) & lex::kUnitAfterNumber) return;
    }
    add(b, ssn ? e : extend_digit_groups(e), ssn ? PhiType::kSsn : PhiType::kId);
  }

  // After the letters of an identifier ending at byte e: groups of 2+ digits after single spaces on
  // the line, then maybe one closing group of 1-3 capitals ("HGZ 418 EC", "NKR 416 338 H") that ends
  // the line, the sentence or the bracket. A digit group followed by a lower-case word is a
  // measurement, not part of it. Returns the end; *digits counts the digits, *tail the closing letters.
  size_t letter_digit_groups(size_t e, size_t* digits, bool* tail) const {
    const size_t n = t_.size();
    while (e + 2 < n && t_[e] == ' ' && is_alnum(t_[e + 1])) {
      size_t z = e + 1;
      if (is_digit(t_[z])) {
        while (z < n && is_digit(t_[z])) ++z;
        if (z - e - 1 < 2 || (z < n && (is_alpha(t_[z]) || t_[z] == '.' || t_[z] == '/' || t_[z] == '%'))) break;
        if (z + 1 < n && t_[z] == ' ' && is_lower(t_[z + 1])) break;  // "42 mm"
        *digits += z - e - 1;
        e = z;
        continue;
      }
      if (!is_upper(t_[z]) || *digits == 0) break;
      while (z < n && is_upper(t_[z])) ++z;
      if (z - e - 1 > 3 || (z < n && !(is_space(t_[z]) || std::strchr(".,;)]|", t_[z])))) break;
      if (z < n && t_[z] == ' ' && z + 1 < n && is_alnum(t_[z + 1])) break;  // a word follows: no closing group
      *tail = true;
      e = z;
      break;
    }
    return e;
  }

  // An identifier written in groups: "W0366 24 118830", "ID 884 2291 0073": the groups of 2+
  // digits after byte e, each after one space, on the same line; a group followed by a unit
  // ("12 mg") or a decimal point is no part of it.
  size_t extend_digit_groups(size_t e) const {
    const size_t n = t_.size();
    while (e + 2 < n && t_[e] == ' ' && is_digit(t_[e + 1])) {
      size_t z = e + 1;
      while (z < n && is_digit(t_[z])) ++z;
      if (z < n && (is_alpha(t_[z]) || t_[z] == '/' || t_[z] == ':' || t_[z] == '%')) break;
      // a one-digit group only at the end ("2123 45670 1", a check digit): no word after it
      if (z - e - 1 < 2 && !(z >= n || t_[z] == '\n' || t_[z] == '\r' || ((t_[z] == '.' || t_[z] == ',' ||
                                                                       t_[z] == ';' || t_[z] == ')') &&
                                                                      (z + 1 >= n || is_space(t_[z + 1])))))
        break;
      if (z + 1 < n && (t_[z] == '.' || t_[z] == ',') && is_digit(t_[z + 1])) break;
      size_t q = z;
      while (q < n && t_[q] == ' ') ++q;
      size_t w = q;
      while (w < n && is_alpha(t_[w])) ++w;
      if (w > q && (flags(lower_at(q, w)) & lex::kUnitAfterNumber)) break;
      e = z;
    }
    return e;
  }

  // Identifiers found by their shape continue over digit groups: "W0366 24 118830".
  void extend_ids() {
    for (PhiSpan& s : out_)
      if (s.type == PhiType::kId) s.end = extend_digit_groups(s.end);
  }

  // Cue words that are also common words: 4+ characters after them ("study 2" is no identifier).
  static bool weak_id_cue(std::string_view w) {
    for (std::string_view c : {"job", "study", "subject", "donor", "batch", "sample", "protocol", "referral",
                               "authorization", "authorisation", "auth", "transaction", "invoice", "receipt",
                               "voucher", "booking", "numbers", "nos", "prescription", "permit", "participant",
                               "enrollment", "enrolment", "dictation", "inmate", "nr", "numero", "número", "numéro",
                               "nummer", "file", "reference", "registration", "reg", "unit", "kit", "ids", "collar",
                               "warrant"})
      if (w == c) return true;
    return false;
  }

  // A log-in name after "user", "username", "login", "user id": "user mgreene", "login: jsmith2".
  void user_name(size_t i) {
    size_t j = i + 1;
    if (word(j) && (low(j) == "name" || low(j) == "id")) ++j;
    if (punct(j, ':') || punct(j, '=')) ++j;
    if (!word(j) || tk_[j].nl) return;
    size_t e = tk_[j].b;
    bool joined = false;  // digits, '.', '_' or '-' inside: "dr_shah01", "k.osei", "mgreene2"
    while (e < t_.size() && (is_alnum(t_[e]) || ((t_[e] == '.' || t_[e] == '_' || t_[e] == '-') && e + 1 < t_.size() &&
                                                 is_alnum(t_[e + 1])))) {
      if (!is_alpha(t_[e])) joined = true;
      ++e;
    }
    if (joined && e - tk_[j].b >= 4) {
      add(tk_[j].b, e, PhiType::kName);
      return;
    }
    if (tk_[j].e - tk_[j].b < 3) return;
    // a user name is one lower-case word no dictionary knows (nor its stem: "reports"), maybe with
    // digits, dots or underscores
    if (tk_[j].cap || tk_[j].allcaps || (tk_[j].fl & (lex::kEnglish | lex::kMedical | lex::kNotName))) return;
    const std::string_view w = low(j);
    for (std::string_view suffix : {"s", "es", "ed", "d", "ing", "ly", "er"})
      if (w.size() > suffix.size() + 2 && w.compare(w.size() - suffix.size(), suffix.size(), suffix) == 0 &&
          (flags(w.substr(0, w.size() - suffix.size())) & (lex::kEnglish | lex::kMedical)))
        return;
    add(tk_[j].b, e, PhiType::kName);
  }

  void phone_after_cue(size_t i) {
    size_t j = i + 1;
    int steps = 0;
    while (j < tk_.size() && steps < 4 && (tk_[j].kind == 'p' || (word(j) && ((tk_[j].fl & lex::kPhoneCue) ||
                                                                              low(j) == "no" || low(j) == "is" ||
                                                                              low(j) == "number" || low(j) == "at")))) {
      if (punct(j, '(') || punct(j, '+')) break;
      ++j;
      ++steps;
    }
    if (j >= tk_.size() || !(num(j) || punct(j, '(') || punct(j, '+'))) return;
    size_t b = tk_[j].b, e = b;
    int digits = 0;
    while (e < t_.size() && (is_digit(t_[e]) || std::strchr("()-.+ ", t_[e]))) {
      if (t_[e] == ' ' && !(e + 1 < t_.size() && (is_digit(t_[e + 1]) || t_[e + 1] == '('))) break;
      if (is_digit(t_[e])) ++digits;
      ++e;
    }
    while (e > b && !is_digit(t_[e - 1])) --e;
    if (digits >= 7 && digits <= 15) {
      add(b, e, PhiType::kPhone);
    } else if ((digits == 4 || digits == 5) && e - b == static_cast<size_t>(digits) && short_number_cue(i)) {
      add(b, e, PhiType::kPhone);  // "pager 4421", "ext. 2214"
    }
  }

  bool short_number_cue(size_t i) const {
    const std::string_view w = low(i);
    return w == "pager" || w == "ext" || w == "extension" || w == "beeper" || w == "bleep";
  }

  void zip_after_cue(size_t i) {
    size_t j = i + 1;
    while (j < tk_.size() && j < i + 4 && !num(j)) ++j;
    if (num(j) && tk_[j].e - tk_[j].b == 5) add_tokens(j, j + 1, PhiType::kLocation);
  }

  static bool short_weekday(std::string_view lw) {
    return lw == "mon" || lw == "tue" || lw == "wed" || lw == "thu" || lw == "sat" || lw == "sun";
  }
  // A capitalised weekday abbreviation that is also a word ("Sat", "Sun", "Wed") is a date before a
  // number ("Thu 12/5"), after a date preposition ("on Sat") or before a full stop or comma that
  // touches it ("at practice Sat.").
  bool short_weekday_date(size_t i) const {
    if (i == 0 || tk_[i].nl) return num(i + 1) && !tk_[i + 1].nl;
    if (num(i + 1) && !tk_[i + 1].nl) return true;
    if (word(i - 1) && (tk_[i - 1].fl & lex::kDatePrep)) return true;
    return (punct(i + 1, '.') || punct(i + 1, ',')) && touch(i + 1) && !punct(i - 1, '.');
  }
  // A year-first date with a full stop and a space after each part (Korean and Hungarian usage):
  // "2025. 12. 2.", "2025. 12. 02".
  void dotted_year_first_date(size_t i) {
    if (tk_[i].e - tk_[i].b != 4 || int_value(i) < 1800 || int_value(i) > 2199) return;
    size_t j = i;
    int v[2];
    for (int part = 0; part < 2; ++part) {
      if (!punct(j + 1, '.') || !touch(j + 1) || !num(j + 2) || tk_[j + 2].nl || touch(j + 2) ||
          tk_[j + 2].b != tk_[j + 1].e + 1 || tk_[j + 2].e - tk_[j + 2].b > 2)
        return;
      v[part] = int_value(j + 2);
      j += 2;
    }
    if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 31) return;
    if (punct(j + 1, '.') && touch(j + 1)) ++j;
    add_tokens(i, j + 1, PhiType::kDate);
  }

  // Tokens i, i+1: a day 1-31 and its ordinal suffix ("14th"), not followed by a word ("the 5th
  // percentile", "the 2nd dose" are no dates).
  bool lw_is_ordinal_day(size_t i) const {
    if (!num(i) || tk_[i].e - tk_[i].b > 2 || int_value(i) < 1 || int_value(i) > 31) return false;
    if (!word(i + 1) || !touch(i + 1)) return false;
    const std::string_view s = low(i + 1);
    if (s != "st" && s != "nd" && s != "rd" && s != "th") return false;
    return !word(i + 2) || tk_[i + 2].nl || after_day_word(low(i + 2));
  }
  // Words that may follow a day of an implied month ("on the 12th and again", "by the third at noon").
  static bool after_day_word(std::string_view w) {
    for (std::string_view x : {"and", "or", "at", "but", "when", "through", "thru", "till", "until", "before", "after",
                               "then", "so", "because", "since", "we", "he", "she", "they", "i", "inst", "ult", "prox"})
      if (w == x) return true;
    return false;
  }
  // "mid-December", "early-March", "late-Nov".
  void month_with_prefix(size_t i, std::string_view lw) {
    for (std::string_view p : {"mid-", "early-", "late-"})
      if (lw.size() > p.size() + 2 && lw.compare(0, p.size(), p) == 0 && (flags(lw.substr(p.size())) & lex::kMonth) &&
          is_upper(t_[tk_[i].b + p.size()])) {
        add_tokens(i, i + 1, PhiType::kDate);
        return;
      }
  }

  // ---------- numbers and dates written in words ----------
  // "zero".."nine" (and "oh"/"o" inside a run of digits): the digit, else -1.
  static int digit_word(std::string_view w) {
    static constexpr std::string_view kDigits[] = {"zero", "one", "two", "three", "four",
                                                   "five", "six", "seven", "eight", "nine"};
    for (int d = 0; d < 10; ++d)
      if (w == kDigits[d]) return d;
    if (w == "nought" || w == "nil") return 0;
    return -1;
  }
  // "one".."nineteen" -> 1..19, "twenty".."ninety" -> 20..90; else -1.
  static int cardinal_word(std::string_view w) {
    static constexpr std::string_view kTeens[] = {"ten", "eleven", "twelve", "thirteen", "fourteen",
                                                  "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
    static constexpr std::string_view kTens[] = {"twenty", "thirty", "forty", "fifty", "sixty", "seventy",
                                                 "eighty", "ninety"};
    if (const int d = digit_word(w); d > 0 && w != "nil" && w != "nought") return d;
    for (int k = 0; k < 10; ++k)
      if (w == kTeens[k]) return 10 + k;
    for (int k = 0; k < 8; ++k)
      if (w == kTens[k]) return 20 + 10 * k;
    return -1;
  }
  // "first".."nineteenth", "twentieth", "thirtieth" -> 1..30; else -1.
  static int ordinal_word(std::string_view w) {
    static constexpr std::string_view kOrd[] = {
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
        "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
        "eighteenth", "nineteenth", "twentieth"};
    for (int k = 0; k < 20; ++k)
      if (w == kOrd[k]) return k + 1;
    if (w == "thirtieth") return 30;
    return -1;
  }
  // A number 1..99 in words from token i: "four", "twenty two", "twenty-two", "sixty"; ordinal
  // forms when `ordinal` ("fourth", "twenty first", "thirty-first"). Returns the end token (i when
  // none) and the value.
  size_t number_words(size_t i, bool ordinal, int* value) const {
    if (!word(i)) return i;
    const std::string_view w = low(i);
    auto one = [&](std::string_view x) { return ordinal ? ordinal_word(x) : cardinal_word(x); };
    if (const size_t dash = w.find('-'); dash != std::string_view::npos) {  // "twenty-first"
      const int t = cardinal_word(w.substr(0, dash)), u = one(w.substr(dash + 1));
      if (t >= 20 && t % 10 == 0 && u >= 1 && u <= 9) {
        *value = t + u;
        return i + 1;
      }
      return i;
    }
    const int t = cardinal_word(w);
    if (t >= 20 && t % 10 == 0 && word(i + 1) && !tk_[i + 1].nl) {  // "twenty first"
      const int u = one(low(i + 1));
      if (u >= 1 && u <= 9) {
        *value = t + u;
        return i + 2;
      }
    }
    const int v = one(w);
    if (v > 0) {
      *value = v;
      return i + 1;
    }
    return i;
  }
  // A year in words from token i: "nineteen sixty two", "nineteen sixty-two", "twenty oh five",
  // "nineteen eighty", "two thousand and five", "two thousand". Returns the end token (i when none).
  size_t year_words(size_t i) const {
    if (!word(i) || tk_[i].nl) return i;
    const std::string_view w = low(i);
    if (w == "two" && word(i + 1) && low(i + 1) == "thousand") {
      size_t j = i + 2;
      if (word(j) && low(j) == "and") ++j;
      int v = 0;
      const size_t e = number_words(j, false, &v);
      return e > j ? e : i + 2;
    }
    const int c = cardinal_word(w);
    if (!(c == 18 || c == 19 || c == 20)) return i;
    size_t j = i + 1;
    if (!word(j) || tk_[j].nl) return i;
    if (low(j) == "oh" || low(j) == "o" || low(j) == "hundred") {
      if (low(j) == "hundred") return j + 1;
      const int d = digit_word(word(j + 1) ? low(j + 1) : std::string_view());
      return d >= 0 ? j + 2 : i;
    }
    int v = 0;
    const size_t e = number_words(j, false, &v);
    return (e > j && v >= 10) ? e : i;
  }
  // Dates in words: "march fourth nineteen sixty two", "May the third", "the 3rd of May",
  // "fourth of July", "twenty-first of March, 2019", "May the 3rd".
  void words_date(size_t i, std::string_view lw) {
    const uint64_t f = tk_[i].fl;
    if (f & lex::kMonth) {
      const bool upper = tk_[i].cap || tk_[i].allcaps;
      size_t j = i + 1;
      if (punct(j, '.') && touch(j)) ++j;
      const bool the = word(j) && low(j) == "the" && !tk_[j].nl;
      if (the) ++j;
      if (j >= tk_.size() || tk_[j].nl) return;
      int v = 0;
      size_t e = number_words(j, true, &v);
      bool ordinal = e > j;
      if (!ordinal && !the) e = number_words(j, false, &v);  // "march four": cardinals without "the"
      if (e == j && the && num(j) && lw_is_ordinal_day_any(j)) {  // "May the 3rd"
        e = j + 2;
        v = int_value(j);
        ordinal = true;
      } else if (e == j && !the && num(j) && tk_[j].e - tk_[j].b <= 2) {  // "October 9th, nineteen eighty"
        e = lw_is_ordinal_day_any(j) ? j + 2 : j + 1;
        v = int_value(j);
        ordinal = true;
      }
      if (e == j || v < 1 || v > 31) return;
      // lower-case or ambiguous months need an ordinal or a year after ("you may four" is no date)
      const bool ambiguous = (f & lex::kMonthAmbiguous) || !upper;
      size_t y = e;
      if (punct(y, ',')) ++y;
      size_t ye = year_words(y);
      if (ye == y && num(y) && tk_[y].e - tk_[y].b == 4 && !tk_[y].nl) ye = y + 1;
      if (ambiguous && !ordinal && ye == y) return;
      // "you may first want...": the verbs need "the" or a year after the ordinal
      if (!upper && (lw == "may" || lw == "march") && !the && ye == y) return;
      add_tokens(i, ye > y ? ye : e, PhiType::kDate);
      return;
    }
    // "[the] third of May [, 1990]", "twenty-first of March"
    int v = 0;
    const size_t e = number_words(i, true, &v);
    if (e == i || v < 1 || v > 31) return;
    size_t j = e;
    if (word(j) && low(j) == "of" && !tk_[j].nl) ++j;
    if (!word(j) || tk_[j].nl || !(tk_[j].fl & lex::kMonth)) return;
    // an abbreviation that is a common word must be capitalised ("the first of may" is too)
    if (j == e && !(tk_[j].cap || tk_[j].allcaps)) return;
    size_t b = i;
    if (b > 0 && word(b - 1) && low(b - 1) == "the" && !tk_[b].nl) --b;
    size_t end = j + 1;
    size_t y = end;
    if (punct(y, ',')) ++y;
    const size_t ye = year_words(y);
    if (ye > y) end = ye;
    else if (num(y) && tk_[y].e - tk_[y].b == 4 && !tk_[y].nl) end = y + 1;
    (void)lw;
    add_tokens(b, end, PhiType::kDate);
  }
  // Tokens i, i+1: a day 1-31 and its ordinal suffix ("3rd"), whatever follows.
  bool lw_is_ordinal_day_any(size_t i) const {
    if (!num(i) || tk_[i].e - tk_[i].b > 2 || int_value(i) < 1 || int_value(i) > 31) return false;
    if (!word(i + 1) || !touch(i + 1)) return false;
    const std::string_view s = low(i + 1);
    return s == "st" || s == "nd" || s == "rd" || s == "th";
  }

  // Digits spoken or written one by one: "five five two one", "oh seven seven double four",
  // "5 5 1 9 0 3 2". Seven or more digits are an identifier or a telephone number anywhere;
  // three to six only after a telephone or identifier cue ("extension five five two one",
  // "medical record number five one nine").
  void spelled_digits() {
    const size_t n = tk_.size();
    for (size_t i = 0; i < n; ++i) {
      if (!(tk_[i].fl & lex::kNumberWord) && !(num(i) && tk_[i].e - tk_[i].b == 1)) continue;
      const bool spelled = word(i) && (digit_word(low(i)) >= 0 ||
                                       ((low(i) == "oh" || low(i) == "double") && word(i + 1) && digit_word(low(i + 1)) >= 0));
      const bool single = num(i) && tk_[i].e - tk_[i].b == 1;
      if (!spelled && !single) continue;
      if (single && i > 0 && (num(i - 1) || (punct(i - 1, '.') || punct(i - 1, ',') || punct(i - 1, '/')) ) && touch(i))
        continue;
      size_t j = i;
      int digits = 0;
      while (j < n && (j == i || !tk_[j].nl)) {
        if (spelled) {
          if (word(j) && (digit_word(low(j)) >= 0 || ((low(j) == "oh" || low(j) == "o") && (digits > 0 || j == i)))) {
            ++digits;
            ++j;
          } else if (word(j) && (low(j) == "double" || low(j) == "triple") && word(j + 1) &&
                     digit_word(low(j + 1)) >= 0) {
            digits += low(j) == "double" ? 2 : 3;
            j += 2;
          } else if ((punct(j, '-') || punct(j, ',')) && digits > 0 && word(j + 1) && digit_word(low(j + 1)) >= 0) {
            ++j;
          } else {
            break;
          }
        } else {
          if (num(j) && tk_[j].e - tk_[j].b == 1 && (j == i || (tk_[j].space && tk_[j].b == tk_[j - 1].e + 1))) {
            ++digits;
            ++j;
          } else {
            break;
          }
        }
      }
      while (j > i && !(word(j - 1) || num(j - 1))) --j;
      if (digits >= 7) {
        add_tokens(i, j, cue_before(i, lex::kPhoneCue) ? PhiType::kPhone : PhiType::kId);
      } else if (digits >= 3 && (cue_before(i, lex::kPhoneCue) || cue_before(i, lex::kIdCue))) {
        add_tokens(i, j, cue_before(i, lex::kPhoneCue) ? PhiType::kPhone : PhiType::kId);
      } else if (single && digits >= 5) {
        add_tokens(i, j, PhiType::kId);  // "5 5 1 9 0": no measurement is written so
      }
      i = j > i ? j - 1 : i;
    }
  }
  // A word with `bit` among the three words before token i on its line ("extension", "number is").
  bool cue_before(size_t i, uint64_t bit) const {
    int words = 0;
    for (size_t p = i; p-- > 0 && words < 3;) {
      if (tk_[p + 1].nl) return false;
      if (word(p)) {
        if (tk_[p].fl & bit) return true;
        ++words;
      } else if (num(p)) {
        return false;
      }
    }
    return false;
  }

  void month_date(size_t i, std::string_view lw) {
    const bool upper = tk_[i].cap || tk_[i].allcaps;
    // a month of another calendar has its own years: Solar Hijri 13xx-14xx, Hebrew 57xx-58xx,
    // Ethiopian (about 8 years behind)
    const bool other = tk_[i].fl & lex::kMonthOther;
    auto year_at = [&](size_t q) {
      if (!num(q) || tk_[q].e - tk_[q].b != 4) return false;
      const int y = int_value(q);
      return (y >= 1800 && y <= 2199) || (other && ((y >= 1300 && y <= 1499) || (y >= 5700 && y <= 5899)));
    };
    const bool full = lw.size() > 3 && lw != "sept";
    if (!upper && (!full || lw == "may" || lw == "march" || lw == "mayo" || lw == "mars")) {
      // lower-case month names: only "jan 3" shapes, or a day before and a year after ("5 mars 1962")
      const bool day_before = i > 0 && num(i - 1) && tk_[i - 1].e - tk_[i - 1].b <= 2 && int_value(i - 1) >= 1 &&
                              int_value(i - 1) <= 31 && !tk_[i].nl;
      // (after an abbreviation's full stop too: "28 nov. 2025")
      const size_t y = punct(i + 1, '.') && touch(i + 1) ? i + 2 : i + 1;
      const bool year_after = year_at(y) && !tk_[y].nl;
      if (!(num(i + 1) && int_value(i + 1) <= 31) && !(day_before && year_after)) return;
    }
    size_t b = i, e = i + 1;
    if (punct(e, '.') && touch(e)) ++e;
    bool attached = false;
    // day before: "3 March", "3rd of March", "03-Mar"
    {
      size_t p = i;
      // ("5 de marzo de 1970": Spanish and Portuguese "de")
      const bool de = p > 0 && word(p - 1) && low(p - 1) == "de";
      if (p > 0 && word(p - 1) && (low(p - 1) == "of" || de)) --p;
      if (p > 0 && (punct(p - 1, '-') || punct(p - 1, '/'))) --p;
      // "12. März 2024" (not a numbered list's "2. May have...", nor an ambiguous month)
      else if (p > 1 && punct(p - 1, '.') && num(p - 2) && touch(p - 1) && !tk_[p - 2].nl &&
               !(tk_[i].fl & lex::kMonthAmbiguous))
        --p;
      size_t d = p;
      if (d > 0 && word(d - 1) && touch(d - 1) && (low(d - 1) == "st" || low(d - 1) == "nd" ||
                                                          low(d - 1) == "rd" || low(d - 1) == "th"))
        --d;
      if (d > 0 && num(d - 1) && int_value(d - 1) >= 1 && int_value(d - 1) <= 31 && tk_[d - 1].e - tk_[d - 1].b <= 2 &&
          !(d - 1 > 0 && (punct(d - 2, '.') || punct(d - 2, ',')) && touch(d - 1))) {
        b = d - 1;
        attached = true;
        // a range of days before: "5th-7th March", "5-7 March"
        size_t r = b;
        if (r >= 2 && punct(r - 1, '-') && touch(r) && touch(r - 1)) {
          size_t q = r - 1;
          if (q > 0 && word(q - 1) && touch(q - 1) && (low(q - 1) == "st" || low(q - 1) == "nd" || low(q - 1) == "rd" ||
                                                       low(q - 1) == "th"))
            --q;
          if (q > 0 && num(q - 1) && tk_[q - 1].e - tk_[q - 1].b <= 2 && int_value(q - 1) >= 1 && int_value(q - 1) <= 31)
            b = q - 1;
        }
        // "the 23rd of August": the article belongs to the date
        if (b > 0 && word(b - 1) && low(b - 1) == "the" && !tk_[b].nl) --b;
      }
    }
    // day and/or year after
    size_t j = e;
    if (punct(j, ',') || punct(j, '-') || punct(j, '/')) ++j;
    if (num(j) && tk_[j].e - tk_[j].b <= 2 && int_value(j) >= 1 && int_value(j) <= 31) {
      e = j + 1;
      attached = true;
      if (word(e) && touch(e) && (low(e) == "st" || low(e) == "nd" || low(e) == "rd" || low(e) == "th")) ++e;
      size_t y = e;
      if (punct(y, ',') || punct(y, '-') || punct(y, '/')) ++y;
      if (year_at(y)) e = y + 1;
      else if (punct(y, '\'') && num(y + 1) && tk_[y + 1].e - tk_[y + 1].b == 2) e = y + 2;
      else if ((num(y) && tk_[y].e - tk_[y].b == 2 && (punct(y - 1, '-') || punct(y - 1, '/'))) ||
               (num(y) && tk_[y].e - tk_[y].b == 1 && punct(y - 1, '-') && int_value(y) > int_value(j))) {
        // "Mar-12-19", or a range of days: "June 3-4"
        e = y + 1;
        // a range of days with its year: "March 18-19, 2024"
        if (punct(e, ',') && num(e + 1) && tk_[e + 1].e - tk_[e + 1].b == 4 && int_value(e + 1) >= 1800 &&
            int_value(e + 1) <= 2199 && !tk_[e + 1].nl)
          e += 2;
      }
    } else if (year_at(j)) {
      e = j + 1;
      attached = true;
    } else if (word(j) && low(j) == "de" && year_at(j + 1) && !tk_[j + 1].nl) {
      e = j + 2;  // "março de 2026", "marzo de 2025"
      attached = true;
    } else if (punct(j, '\'') && num(j + 1) && tk_[j + 1].e - tk_[j + 1].b == 2) {
      e = j + 2;
      attached = true;
    } else if (b < i) {
      // "3 March" with a year after: "3 March, 2019", "5 de marzo de 1970"
      if (word(j) && low(j) == "de" && num(j + 1) && tk_[j + 1].e - tk_[j + 1].b == 4) ++j;
      if (num(j) && tk_[j].e - tk_[j].b == 4) e = j + 1;
    }
    // a year first, with a full stop (Hungarian): "1948. március 9."
    if (b == i && i >= 2 && punct(i - 1, '.') && touch(i - 1) && year_at(i - 2) && !tk_[i - 1].nl && !tk_[i].nl) {
      b = i - 2;
      attached = true;
    }
    // a year first with its marker (Lithuanian "2025 m. gruodžio 2 d.", Latvian "2025. gada 2. decembrī",
    // Kazakh "2025 жылғы 2 желтоқсан", Armenian "2025 թ. դեկտեմբերի 2", Uzbek "2025-yil 2-dekabr")
    {
      size_t p = b;
      if (p == i && p > 1 && punct(p - 1, '.') && num(p - 2) && tk_[p - 2].e - tk_[p - 2].b <= 2) p -= 2;  // "24. novembra"
      int steps = 0;
      while (p > 0 && steps < 3 && !tk_[p].nl) {
        const size_t q = p - 1;
        if (tk_[q].kind == 'p' && (t_[tk_[q].b] == '.' || t_[tk_[q].b] == '-')) {
          --p;
          ++steps;
          continue;
        }
        if (word(q)) {
          const std::string_view w = low(q);
          if (w == "m" || w == "gada" || w == "g" || w == "yil" || w == "god" || w == "godine" ||
              w == "\xD0\xB3" || w == "\xD0\xB6\xD1\x8B\xD0\xBB\xD2\x93\xD1\x8B" ||  // г, жылғы
              w == "\xD0\xBE\xD0\xBD\xD1\x8B" || w == "\xD5\xA9") {  // оны, թ
            --p;
            ++steps;
            continue;
          }
        }
        break;
      }
      if (steps > 0 && p > 0 && year_at(p - 1) && !tk_[p].nl) {
        b = p - 1;
        attached = true;
      }
    }
    // a marker after the day or the year: "2 d." (Lithuanian), "2025 г." (Russian), "2025-ci il"
    if (attached && num(e - 1) && word(e) && !tk_[e].nl && (low(e) == "d" || low(e) == "\xD0\xB3") &&
        punct(e + 1, '.'))
      e += 1;
    // an era after the year: "2018 E.C." (Ethiopian), "5786 AM"
    if (attached && e > i + 1 && num(e - 1) && word(e) && !tk_[e].nl && tk_[e].e - tk_[e].b == 1 && low(e) == "e" &&
        punct(e + 1, '.') && word(e + 2) && low(e + 2) == "c" && touch(e + 1) && touch(e + 2))
      e += 3;
    if (!attached && upper && i > 0 && punct(i - 1, '(') && touch(i) && punct(e, ')') && touch(e)) {
      add_tokens(i, e, PhiType::kDate);  // a month alone in brackets: "HbA1c 9.1% (Aug)"
      return;
    }
    if (!attached && other) return;  // "Mehr", "Adar", "Sene" alone are words and names
    if (!attached) {
      // a lower-case full month name that is no common word, after a date word: "back in june"
      if (!upper && !(full && !(tk_[i].fl & lex::kMonthAmbiguous) && i > 0 && word(i - 1) &&
                      (tk_[i - 1].fl & lex::kDatePrep)))
        return;
      if (tk_[i].fl & lex::kMonthAmbiguous) {
        // "May" alone is a date only after a date preposition; never at a sentence start
        if (i == 0 || !word(i - 1) || !(tk_[i - 1].fl & lex::kDatePrep)) return;
        if (lw == "jan" && capital(i + 1)) return;  // "Jan Kowalski": a name (the name rules see it)
      }
    }
    add_tokens(b, e, PhiType::kDate);
  }

  // Holidays of two or three words: "Boxing Day", "Lunar New Year", "Spring Festival", "Día de Reyes".
  void holiday_phrase(size_t i, std::string_view lw) {
    if (!capital(i)) return;
    auto is = [&](size_t q, const char* w) { return word(q) && !tk_[q].nl && low(q) == w; };
    size_t e = 0;
    if (lw == "boxing" && is(i + 1, "day")) e = i + 2;
    else if (lw == "lunar" && is(i + 1, "new") && is(i + 2, "year")) e = i + 3;
    else if (lw == "spring" && is(i + 1, "festival")) e = i + 2;
    else if ((lw == "dia" || lw == "día") && is(i + 1, "de") && (is(i + 2, "reis") || is(i + 2, "reyes") ||
                                                                is(i + 2, "muertos") || is(i + 2, "finados")))
      e = i + 3;
    else if ((lw == "mid" || lw == "mid-autumn") && is(i + 1, "autumn") && is(i + 2, "festival")) e = i + 3;
    else if (lw == "mid-autumn" && is(i + 1, "festival")) e = i + 2;
    else if (capital(i + 1) && is(i + 1, "day")) {
      // national and named days: "Flag Day", "Liberation Day", "World AIDS Day"
      static constexpr std::string_view kDays[] = {
          "flag", "liberation", "transfer", "midwinter", "independence", "constitution", "labour", "labor",
          "victory", "memorial", "veterans", "veterans'", "mother's", "father's", "national", "settlement",
          "unity", "republic", "heroes", "martyrs", "aids", "remembrance", "reconciliation", "emancipation",
          "australia", "canada", "family", "armistice", "columbus", "presidents'", "commonwealth", "africa",
          "europe", "children's", "women's", "valentine's", "patriots'", "juneteenth", "revolution"};
      for (std::string_view d : kDays)
        if (lw == d) e = i + 2;
      if (e && i > 0 && word(i - 1) && !tk_[i].nl && (low(i - 1) == "world" || low(i - 1) == "international") &&
          capital(i - 1)) {
        add_tokens(i - 1, e, PhiType::kDate);
        return;
      }
    }
    if (e) add_tokens(i, e, PhiType::kDate);
  }

  // A key safe's or a lockbox's code: "key safe fitted, code 2719", "LOCKBOX ... CODE 1937".
  void access_code(size_t i) {
    size_t j = i + 1;
    if (punct(j, ':') || punct(j, '#')) ++j;
    if (word(j) && low(j) == "is") ++j;
    if (!num(j) || tk_[j].nl || tk_[j].e - tk_[j].b < 4 || tk_[j].e - tk_[j].b > 8) return;
    bool cue = false;
    for (size_t q = i; q-- > 0 && q + 12 > i;)
      if (word(q)) {
        const std::string_view w = low(q);
        if (w == "lockbox" || w == "keysafe" || w == "keybox" || w == "safe" || w == "door" || w == "gate" ||
            w == "alarm" || w == "entry" || w == "keypad")
          cue = true;
      }
    if (cue) add_tokens(j, j + 1, PhiType::kId);
  }

  // Dates written with the counters of Korean, Japanese and Chinese: "2025년 12월 2일 화요일",
  // "令和7年12月2日", "11月30日", with a lunar mark before ("음력 3월 10일"); and Vietnamese
  // "02 tháng 12 năm 2025".
  void cjk_date(size_t i) {
    auto unit = [&](size_t q) -> int {  // 1 year, 2 month, 3 day
      if (!word(q) || !touch(q)) return 0;
      const std::string_view w = sv(q);
      auto starts = [&](const char* u) { return w.substr(0, std::strlen(u)) == u; };
      if (starts("\xEB\x85\x84") || starts("\xE5\xB9\xB4")) return 1;  // 년 年
      if (starts("\xEC\x9B\x94") || starts("\xE6\x9C\x88")) return 2;  // 월 月
      if (starts("\xEC\x9D\xBC") || starts("\xE6\x97\xA5")) return 3;  // 일 日
      return 0;
    };
    if (i > 1 && unit(i - 1) > 0 && num(i - 2)) return;  // inside a run already taken
    size_t q = i, parts = 0, last = 0;
    int prev = 0;
    while (num(q) && !tk_[q].nl) {
      const int u = unit(q + 1);
      if (u == 0 || u <= prev) break;
      prev = u;
      ++parts;
      q += 2;
      last = q;
    }
    if (parts >= 2 || (parts == 1 && prev == 2)) {
      size_t b = i;
      // the era or the lunar mark before: "令和", "음력"
      if (b > 0 && word(b - 1) && touch(b) && static_cast<unsigned char>(t_[tk_[b - 1].b]) >= 0x80) --b;
      else if (b > 0 && word(b - 1) && low(b - 1) == "\xEC\x9D\x8C\xEB\xA0\xA5") --b;  // 음력
      size_t e = last;
      // a weekday after: "화요일", "(火)"
      if (word(e) && !tk_[e].nl) {
        const std::string_view w = sv(e);
        if (w.size() >= 9 && w.substr(w.size() - 6) == "\xEC\x9A\x94\xEC\x9D\xBC") ++e;  // ...요일
      }
      add_tokens(b, e, PhiType::kDate);
    }
  }

  void vietnamese_date(size_t i) {
    // "02 tháng 12 năm 2025", "ngày 2 tháng 12"
    if (!(num(i) && word(i + 1) && low(i + 1) == "th\xC3\xA1ng" && num(i + 2))) return;
    const int d = int_value(i), m = int_value(i + 2);
    if (d < 1 || d > 31 || m < 1 || m > 12) return;
    size_t e = i + 3;
    if (word(e) && low(e) == "n\xC4\x83m" && num(e + 1) && tk_[e + 1].e - tk_[e + 1].b == 4) e += 2;
    add_tokens(i, e, PhiType::kDate);
  }

  // Letters' "the 3rd inst." (this month), "the 14th ult." (last month), "prox." (next month): the
  // ordinal day is the date.
  void ordinal_before_inst(size_t i) {
    if (i >= 2 && punct(i + 1, '.') && !tk_[i].nl && lw_is_ordinal_day(i - 2)) add_tokens(i - 2, i, PhiType::kDate);
  }

  // The last digits of a card or a social security number: "card ending 4417", "ending in 0931",
  // "Last 4: 4418", "last four 2231" -- exactly four digits.
  void last_digits(size_t i, std::string_view lw) {
    size_t j = i + 1;
    if (lw == "last") {
      if (!(num(j) && int_value(j) == 4 && tk_[j].e - tk_[j].b == 1) && !(word(j) && low(j) == "four")) return;
      ++j;
      if (word(j) && (low(j) == "digits" || low(j) == "of")) ++j;
    } else {
      // a card or an account before it: "Visa card ending 4417", "acct ending in 2231"
      bool card = false;
      for (size_t q = i; q-- > 0 && q + 4 > i && !tk_[q + 1].nl;)
        if (word(q) && (low(q) == "card" || low(q) == "visa" || low(q) == "mastercard" || low(q) == "amex" ||
                        low(q) == "account" || low(q) == "acct" || low(q) == "ssn" || low(q) == "number"))
          card = true;
      if (!card) return;
      if (word(j) && (low(j) == "in" || low(j) == "with")) ++j;
    }
    while (j < tk_.size() && tk_[j].kind == 'p' && std::strchr(":#-=(", t_[tk_[j].b]) && j < i + 5) ++j;
    if (!num(j) || tk_[j].nl || tk_[j].e - tk_[j].b != 4) return;
    if (j + 1 < tk_.size() && (punct(j + 1, '.') || punct(j + 1, ',') || punct(j + 1, '/')) && touch(j + 1) &&
        num(j + 2) && touch(j + 2))
      return;  // "ending 2024.5", a number, not four digits
    add_tokens(j, j + 1, PhiType::kId);
  }

  // Staff initials after a role, in logs and handovers: "cpht rk out sick", "pharmacist dm
  // counselled", "read back MS 05:11", "nurses LT / SF": two or three letters, all lower or all
  // capitals, that are no word.
  void role_initials(size_t i, std::string_view lw) {
    const bool role = lw == "cpht" || lw == "pharmacist" || lw == "pharmacists" || lw == "nurses" ||
                      lw == "tech" || lw == "technician" || lw == "scribe" || lw == "clerk" || lw == "porter" ||
                      lw == "delegate" || lw == "scrub" || lw == "runner" ||
                      (lw == "back" && i > 0 && word(i - 1) && low(i - 1) == "read") ||
                      // "handed over by NE to TF", "handover from NE to TF"
                      ((lw == "by" || lw == "from") && i > 0 && word(i - 1) &&
                       (low(i - 1) == "over" || low(i - 1) == "handover" || low(i - 1) == "handoff"));
    if (!role) return;
    size_t j = i + 1;
    for (int k = 0; k < 3; ++k) {
      if (!word(j) || tk_[j].nl) return;
      const size_t len = tk_[j].e - tk_[j].b;
      const bool lower = !tk_[j].cap && !tk_[j].allcaps;
      if (len < 2 || len > 3 || !(lower || tk_[j].allcaps)) return;
      for (size_t q = tk_[j].b; q < tk_[j].e; ++q)
        if (!is_upper(t_[q]) && !is_lower(t_[q])) return;
      // (two lower-case letters may be a medical abbreviation too: "pharmacist dm" is a person here)
      if (lower && (tk_[j].fl & (lex::kEnglish | lex::kNotName | lex::kCredential | (len == 3 ? static_cast<uint64_t>(lex::kMedical) : uint64_t{0}))))
        return;
      if (tk_[j].allcaps && (tk_[j].fl & lex::kCredential)) return;
      add_tokens(j, j + 1, PhiType::kName);
      // "LT / SF", "LT and SF"
      if ((punct(j + 1, '/') || punct(j + 1, ',')) && word(j + 2)) j += 2;
      else if (word(j + 1) && (low(j + 1) == "and" || low(j + 1) == "&" || (low(j + 1) == "to" && lw != "scrub"))) j += 2;
      else return;
    }
  }

  // Initials signing an entry at the end of its line, after the entry's last sentence: "...please
  // issue. KT", "can they switch? - BW". Two or three capitals (no credential, title or state code),
  // the line's last token, after a full stop, question or exclamation mark or a spaced dash, in a line
  // of at least five words in mixed case.
  void signoff_initials() {
    for (size_t i = 2; i < tk_.size(); ++i) {
      if (!word(i) || !tk_[i].allcaps || tk_[i].nl || name_tok_[i]) continue;
      const size_t len = tk_[i].e - tk_[i].b;
      if (len < 2 || len > 3 || (i + 1 < tk_.size() && !tk_[i + 1].nl)) continue;
      bool caps = true;
      for (size_t q = tk_[i].b; q < tk_[i].e; ++q) caps = caps && is_upper(t_[q]);
      if (!caps || (tk_[i].fl & (lex::kCredential | lex::kTitle | lex::kNotName | lex::kState | lex::kMedical)))
        continue;
      // (the abbreviations a line ends with: "... refer back to GP", "... then CT")
      bool abbreviation = false;
      for (std::string_view a : {"gp", "ed", "ae", "er", "or", "ct", "mri", "bp", "hr", "rr", "ot", "pt", "mdt", "icu",
                                 "hdu", "ent", "opd", "ok", "am", "pm", "nb", "ps", "tbc", "tba", "nad", "dna", "wnl",
                                 "po", "iv", "im", "sc", "prn", "od", "bd", "tds", "qds", "ga", "la", "sho", "reg",
                                 "uk", "us", "nhs", "cc", "ecg", "ekg", "cxr", "fbc", "ue", "lft", "crp", "inr", "usg"})
        abbreviation = abbreviation || low(i) == a;
      if (abbreviation) continue;
      const size_t p = i - 1;
      if (tk_[p].kind != 'p' || touch(i)) continue;
      const char c = t_[tk_[p].b];
      if (!(c == '.' || c == '?' || c == '!' || (c == '-' && !touch(p)))) continue;
      size_t words = 0, lower = 0;
      for (size_t q = p;; --q) {  // back to the line's first token
        if (word(q)) {
          ++words;
          lower += !tk_[q].allcaps;
        }
        if (tk_[q].nl || q == 0) break;
      }
      if (words >= 5 && lower >= 3) add_tokens(i, i + 1, PhiType::kName);
    }
  }

  // Initials before a credential at the end of an entry: "- MP, CPhT", "checked JT, RN".
  void initials_before_credential(size_t i) {
    if (!tk_[i].allcaps || tk_[i].e - tk_[i].b < 2 || tk_[i].e - tk_[i].b > 3 || tk_[i].nl || i == 0) return;
    if (!punct(i + 1, ',') || !touch(i + 1) || !word(i + 2) || !(tk_[i + 2].fl & lex::kCredential) || tk_[i + 2].nl)
      return;
    if ((tk_[i].fl & (lex::kCredential | lex::kTitle)) || !(punct(i - 1, '-') || word(i - 1))) return;
    for (size_t q = tk_[i].b; q < tk_[i].e; ++q)
      if (!is_upper(t_[q])) return;
    add_tokens(i, i + 1, PhiType::kName);
  }

  // A day and month with full stops and no year (German and Central European usage): "vom 24.11.
  // bis 02.12.2025", "am Mo., 15.12.", "on 27. 11.": after a date cue or a weekday only.
  void dotted_day_month(size_t i) {
    const size_t m = i + 2;
    if (!punct(i + 1, '.') || !touch(i + 1) || !num(m) || tk_[m].nl || !punct(m + 1, '.') || !touch(m + 1)) return;
    if (tk_[i].e - tk_[i].b > 2 || tk_[m].e - tk_[m].b > 2) return;
    const int d = int_value(i), mo = int_value(m);
    if (d < 1 || d > 31 || mo < 1 || mo > 12) return;
    if (num(m + 2) && touch(m + 2)) return;  // "24.11.2025": the chunk scanner's
    if (i > 0 && touch(i) && (num(i - 1) || punct(i - 1, '.'))) return;  // inside a longer number
    // with a year after a space: "2. 12. 2025", "3. 7. 1961" (Czech, Slovak, Croatian usage)
    if (!touch(m) && num(m + 2) && !tk_[m + 2].nl && tk_[m + 2].e - tk_[m + 2].b == 4 && int_value(m + 2) >= 1800 &&
        int_value(m + 2) <= 2199) {
      add_tokens(i, m + 3, PhiType::kDate);
      return;
    }
    // the cue: a word before, past a comma and a weekday abbreviation's full stop
    size_t q = i;
    if (q > 0 && punct(q - 1, ',')) --q;
    if (q > 0 && punct(q - 1, '.') && touch(q - 1)) --q;
    if (q == 0 || !word(q - 1)) return;
    const std::string_view c = low(q - 1);
    // German weekday abbreviations ("Mo.", "Di.", ...) are cues and, capitalised, part of the date
    const bool de_day = c == "mo" || c == "di" || c == "mi" || c == "do" || c == "fr" || c == "sa" || c == "so";
    const bool cue = (tk_[q - 1].fl & (lex::kWeekday | lex::kDayMonthCue | lex::kDatePrep)) || de_day ||
                     c == "vom" || c == "am" || c == "bis" || c == "ab" || c == "seit" || c == "zum" || c == "le" ||
                     c == "du" || c == "au" || c == "el" || c == "del" || c == "al" || c == "dal" || c == "dne" ||
                     c == "od";
    if (!cue) return;
    add_tokens(de_day && q < i && capital(q - 1) ? q - 1 : i, m + 1, PhiType::kDate);  // "Mo., 15.12."
  }

  // Names in Cyrillic script: a surname with initials ("Соколов А. В.", "Ц.Энхтуяа", "Д. Нурланұлы"),
  // a run with a patronymic ("Абенова Асель Кайратовна", "Жұмабаев Ерлан Серікұлы"), a Mongolian
  // father's name in the genitive before the given name ("Батсүхийн Оюунчимэг"), or two or three
  // capitalised words one of which has a surname's ending ("Пламен Ганчев"). Cyrillic letters are
  // two bytes (lead byte 0xD0-0xD3); capitals: 0xD0 0x80-0xAF, and the even code points of 0xD2-0xD3
  // (the Kazakh and Mongolian letters).
  bool cyr_cap(size_t q) const {
    if (!word(q) || tk_[q].e - tk_[q].b < 2) return false;
    const auto a = static_cast<unsigned char>(t_[tk_[q].b]), c = static_cast<unsigned char>(t_[tk_[q].b + 1]);
    return (a == 0xD0 && c >= 0x80 && c <= 0xAF) || ((a == 0xD2 || a == 0xD3) && c % 2 == 0);
  }
  bool cyr_ends(size_t q, std::initializer_list<std::string_view> suffixes) const {
    const std::string_view w = sv(q);
    for (std::string_view x : suffixes)
      if (w.size() > x.size() + 2 && w.substr(w.size() - x.size()) == x) return true;
    return false;
  }
  bool cyr_initial(size_t q) const {  // one capital letter and a full stop
    return cyr_cap(q) && tk_[q].e - tk_[q].b == 2 && punct(q + 1, '.') && touch(q + 1);
  }
  void cyrillic_names() {
    const size_t n = tk_.size();
    for (size_t i = 0; i < n; ++i) {
      if (!cyr_cap(i)) continue;
      // initials first: "Ц.Энхтуяа", "Д. Нурланұлы", "А.К. Жакупов"
      if (cyr_initial(i)) {
        size_t j = i + 2;
        if (cyr_initial(j) && !tk_[j].nl) j += 2;
        if (cyr_cap(j) && !tk_[j].nl && tk_[j].e - tk_[j].b >= 6) {
          add_tokens(i, j + 1, PhiType::kName);
          i = j;
        }
        continue;
      }
      if (tk_[i].e - tk_[i].b < 6) continue;
      // a surname with initials after it: "Соколов А. В.", "Сейтказиев Б. Т."
      if (cyr_initial(i + 1) && !tk_[i + 1].nl) {
        size_t j = i + 3;
        if (cyr_initial(j) && !tk_[j].nl) j += 2;
        add_tokens(i, j, PhiType::kName);
        i = j - 1;
        continue;
      }
      // a run of capitalised Cyrillic words on the line
      size_t j = i;
      while (j < n && j < i + 4 && cyr_cap(j) && (j == i || !tk_[j].nl) && tk_[j].e - tk_[j].b >= 4) ++j;
      if (j - i < 2) continue;
      auto pat = [&](size_t q) {
        return cyr_ends(q, {"овна", "евна", "ична", "ович", "евич", "івна", "ївна", "ұлы", "қызы", "кызы", "улы"});
      };
      auto sur = [&](size_t q) {
        return cyr_ends(q, {"ов", "ев", "ова", "ева", "ин", "ина", "ский", "ская", "ски", "ска", "енко", "ук", "юк",
                            "швили", "дзе", "ян"});
      };
      auto genitive = [&](size_t q) { return q + 1 < j && cyr_ends(q, {"ийн", "ын", "гийн"}); };
      size_t first = j, last = j;
      for (size_t q = i; q < j; ++q)
        if (pat(q) || sur(q) || genitive(q)) {
          if (first == j) first = q;
          last = q;
        }
      if (first == j) continue;
      size_t b = first, e = last + 1;
      if (genitive(last)) ++e;                             // "Батсүхийн Оюунчимэг"
      if (pat(first) && first > i) --b;                    // "Ирина Павловна"
      else if (j - i == 2 && first == i + 1) b = i;        // "Пламен Ганчев"
      else if (first == last && sur(first) && e < j) ++e;  // "Семенова Ирина"
      add_tokens(b, e, PhiType::kName);
      i = j - 1;
    }
  }

  // "@cwhitman can you chase...": a mention in a chat, not an e-mail address (nothing before the @).
  void mentions() {
    const size_t n = t_.size();
    for (size_t a = 0; a + 3 < n; ++a) {
      if (t_[a] != '@' || (a > 0 && (is_alnum(t_[a - 1]) || t_[a - 1] == '.' || t_[a - 1] == '_' || t_[a - 1] == '-')))
        continue;
      size_t e = a + 1;
      while (e < n && (is_alnum(t_[e]) || ((t_[e] == '.' || t_[e] == '_' || t_[e] == '-') && e + 1 < n &&
                                           is_alnum(t_[e + 1]))))
        ++e;
      if (e - a - 1 < 3 || (e < n && t_[e] == '@')) continue;
      const std::string_view h = lower_at(a + 1, e);
      if (flags(h) & (lex::kEnglish | lex::kMedical | lex::kNotName)) continue;  // "@home", "@risk"
      add(a + 1, e, PhiType::kName);
    }
  }

  void age(size_t i) {
    const int v = int_value(i);
    if (v < 90 || v > 150 || tk_[i].e - tk_[i].b > 3) return;
    if (i > 0 && (punct(i - 1, '.') || punct(i - 1, '/')) && touch(i)) return;
    size_t j = i + 1;
    bool hit = false;
    if (j < tk_.size()) {
      if (punct(j, '-') && touch(j)) ++j;
      if (word(j) && (tk_[j].fl & lex::kAgeWord) && (touch(j) || tk_[j].e - tk_[j].b > 1 || low(j) == "y")) {
        const std::string_view w = low(j);
        // "92 m" is an age only when attached ("92M") or followed by "male"; "92 years" needs "old"/"of age" or a cue
        if (w == "m" || w == "f") hit = touch(j) && !(word(j + 1) && touch(j + 1));
        else if (w == "years" || w == "year" || w == "yrs" || w == "yr" || w == "y") {
          hit = true;
          if (word(j + 1) && (low(j + 1) == "ago" || low(j + 1) == "later" || low(j + 1) == "before")) hit = false;
          if (!(word(j + 1) && (low(j + 1) == "old" || low(j + 1) == "of")) && !punct(j + 1, '/') &&
              !(punct(j + 1, '.') && word(j + 2)) && !age_cue_before(i) && w != "y")
            hit = word(j + 1) && low(j + 1) == "old";
        } else {
          hit = true;
        }
      }
    }
    if (!hit) hit = age_cue_before(i);
    if (!hit && i > 0 && word(i - 1) && (low(i - 1) == "her" || low(i - 1) == "his" || low(i - 1) == "their" ||
                                         low(i - 1) == "late" || low(i - 1) == "mid" || low(i - 1) == "early") &&
        word(i + 1) && touch(i + 1) && (low(i + 1) == "s" || low(i + 1) == "'s"))
      hit = true;
    if (hit) add_tokens(i, i + 1, PhiType::kAge);
  }

  bool age_cue_before(size_t i) const {
    size_t p = i;
    if (p > 0 && (punct(p - 1, ':') || punct(p - 1, '='))) --p;
    if (p > 0 && word(p - 1) && low(p - 1) == "is") --p;
    if (p > 0 && word(p - 1)) {
      const std::string_view w = low(p - 1);
      return w == "age" || w == "aged" || w == "ages" || w == "alter" || w == "âge" || w == "edad";
    }
    return false;
  }

  void street(size_t i) {
    const int len = static_cast<int>(tk_[i].e - tk_[i].b);
    if (len > 6) return;
    if (i > 0 && touch(i) && (tk_[i - 1].kind != 'p' || punct(i - 1, '.') || punct(i - 1, '/'))) return;
    size_t j = i + 1;
    if (word(j) && touch(j) && tk_[j].e - tk_[j].b == 1) ++j;        // 12B
    if (punct(j, '-') && touch(j) && num(j + 1)) j += 2;             // 12-14
    int words = 0;
    size_t suffix = 0;
    while (j < tk_.size() && words < 6 && !tk_[j].nl) {
      if (word(j)) {
        const std::string_view w = low(j);
        if (words > 0 && (tk_[j].fl & lex::kStreetSuffix)) {
          suffix = j;
          break;
        }
        if (!(tk_[j].cap || tk_[j].allcaps)) {
          if (!(words == 0 && (w == "n" || w == "s" || w == "e" || w == "w"))) return;
        }
        if ((tk_[j].fl & lex::kUnitAfterNumber) && words == 0) return;
        ++words;
        ++j;
        if (punct(j, '.') && touch(j)) ++j;
        continue;
      }
      if (num(j) && words == 0 && word(j + 1) && touch(j + 1)) {  // "5th Avenue"
        ++words;
        j += 2;
        continue;
      }
      return;
    }
    if (!suffix) return;
    size_t e = suffix + 1;
    if (punct(e, '.') && touch(e)) ++e;
    if (word(e) && !tk_[e].nl && tk_[e].allcaps && tk_[e].e - tk_[e].b <= 2 &&
        std::strchr("NSEW", t_[tk_[e].b]))
      ++e;  // NW
    // unit
    size_t u = e;
    if (punct(u, ',')) ++u;
    if (u < tk_.size() && !tk_[u].nl && ((word(u) && (tk_[u].fl & lex::kUnitWord)) || punct(u, '#'))) {
      size_t v = u + 1;
      if (punct(v, '.')) ++v;
      if (punct(v, '#')) ++v;
      if (v < tk_.size() && (num(v) || (word(v) && tk_[v].e - tk_[v].b <= 3))) {
        e = v + 1;
        if (word(e) && touch(e) && tk_[e].e - tk_[e].b == 1) ++e;
      }
    }
    // city, state, zip (possibly on the next line)
    size_t c = e;
    if (punct(c, ',')) ++c;
    size_t ce = c;
    int cw = 0;
    while (ce < tk_.size() && cw < 3 && capital(ce) && (ce == c || !tk_[ce].nl) &&
           !(tk_[ce].allcaps && tk_[ce].e - tk_[ce].b == 2 && (tk_[ce].fl & lex::kState))) {
      ++ce;
      ++cw;
    }
    if (cw > 0) {
      e = ce;
      size_t s = ce;
      if (punct(s, ',')) ++s;
      if (word(s) && !tk_[s].nl && ((tk_[s].allcaps && (tk_[s].fl & lex::kState)) || (tk_[s].fl & lex::kStateName))) {
        e = s + 1;
        if (num(e) && tk_[e].e - tk_[e].b == 5) {
          e = e + 1;
          if (punct(e, '-') && num(e + 1) && tk_[e + 1].e - tk_[e + 1].b == 4) e += 2;
        }
      } else if (num(s) && tk_[s].e - tk_[s].b == 5) {
        e = s + 1;
      }
    }
    add_tokens(i, e, PhiType::kLocation);
  }

  void city_state(size_t st) {
    // "Springfield, IL 62704" / "Boston, Massachusetts"
    const bool zip = num(st + 1) && tk_[st + 1].e - tk_[st + 1].b == 5 && !tk_[st + 1].nl;
    const std::string_view code = sv(st);
    if ((code == "MD" || code == "DO" || code == "PA" || code == "ME" || code == "IN" || code == "OR" ||
         code == "OK" || code == "ID" || code == "CO" || code == "DE" || code == "MS" || code == "LA" ||
         code == "NP" || code == "ON") &&
        !zip)
      return;
    size_t p = st;
    if (p == 0 || !punct(p - 1, ',')) {
      if (zip) add_tokens(st + 1, st + 2, PhiType::kLocation);
      return;
    }
    --p;
    size_t b = p;
    int w = 0;
    while (b > 0 && w < 3 && capital(b - 1) && !tk_[b].nl) {
      if ((tk_[b - 1].fl & lex::kNotName) && low(b - 1) != "city") break;
      --b;
      ++w;
      if (tk_[b].nl) break;
    }
    if (w == 0) {
      if (zip) add_tokens(st + 1, st + 2, PhiType::kLocation);
      return;
    }
    size_t e = zip ? st + 2 : st + 1;
    if (zip && punct(e, '-') && num(e + 1) && tk_[e + 1].e - tk_[e + 1].b == 4) e += 2;
    add_tokens(b, e, PhiType::kLocation);
  }

  void uk_postcode(size_t i) {
    // outward code: 1-2 letters, a digit, optional letter/digit; inward: digit + 2 letters
    const std::string_view a = t_.substr(tk_[i].b);
    size_t k = 0;
    while (k < a.size() && is_upper(a[k]) && k < 2) ++k;
    if (k == 0 || k >= a.size() || !is_digit(a[k])) return;
    size_t m = k + 1;
    if (m < a.size() && (is_digit(a[m]) || is_upper(a[m]))) ++m;
    if (m >= a.size() || a[m] != ' ') return;
    if (m + 4 > a.size()) return;
    if (!(is_digit(a[m + 1]) && is_upper(a[m + 2]) && is_upper(a[m + 3]))) return;
    if (m + 4 < a.size() && is_alnum(a[m + 4])) return;
    if (i > 0 && touch(i) && word(i - 1)) return;
    add(tk_[i].b, tk_[i].b + m + 4, PhiType::kLocation);
  }

  void facility(size_t i) {
    size_t e = i + 1;
    if (word(e) && (tk_[e].fl & lex::kFacility2) && !tk_[e].nl) ++e;
    // "University of Michigan", "Hospital of St. Raphael"
    if (word(e) && low(e) == "of" && capital(e + 1)) {
      size_t q = e + 1;
      int w = 0;
      while (q < tk_.size() && w < 4 && !tk_[q].nl && (capital(q) || punct(q, '.'))) {
        ++q;
        if (word(q - 1)) ++w;
      }
      e = q;
      while (e > i && punct(e - 1, '.')) --e;
    }
    size_t b = i;
    int w = 0, specific = 0;
    // "care" is also a common word: before it a capitalised common word is no place ("SEEK CARE")
    const bool weak_head = low(i) == "care";
    while (b > 0 && w < 5 && !tk_[b].nl) {
      const size_t p = b - 1;
      if (capital(p) || (word(p) && (low(p) == "and" || low(p) == "of")) || punct(p, '&') ||
          (punct(p, '.') && p > 0 && word(p - 1) && low(p - 1) == "st") || (punct(p, '-') && touch(p))) {
        if (word(p) && (low(p) == "and" || low(p) == "of") && !capital(p - 1)) break;
        b = p;
        if (word(p)) {
          ++w;
          const std::string_view lw = low(p);
          if (!(tk_[p].fl & (lex::kFacilityGeneric | lex::kNotName)) && lw != "and" && lw != "of" &&
              !(weak_head && (tk_[p].fl & lex::kEnglish) && !(tk_[p].fl & (lex::kFirst | lex::kLast))))
            ++specific;
        }
        continue;
      }
      break;
    }
    while (b < i && (punct(b, '&') || (word(b) && (low(b) == "and" || low(b) == "of" || low(b) == "the")))) ++b;
    if (specific == 0 && e == i + 1) return;
    if (specific == 0 && !(word(i + 1) && low(i + 1) == "of")) return;
    add_tokens(b, e, PhiType::kLocation);
  }

  void location_cue(size_t i) {
    if (!word(i + 1)) {
      if (!(word(i) && low(i) == "visited")) return;
    }
    size_t j = i + 1;
    if (!(tk_[i].fl & lex::kLocCue)) {
      if (!word(i + 1)) return;
      std::string& two = buf_;
      two.assign(low(i));
      two += ' ';
      two += low(i + 1);
      if (!(flags(two) & lex::kLocCue)) return;
      j = i + 2;
    }
    if (word(j) && low(j) == "the") ++j;
    if (j >= tk_.size() || tk_[j].nl || !capital(j)) return;
    size_t e = j;
    int w = 0;
    while (e < tk_.size() && w < 4 && !tk_[e].nl) {
      if (capital(e)) {
        if (tk_[e].fl & (lex::kMonth | lex::kNotName | lex::kTitle)) break;
        if (tk_[e].allcaps && tk_[e].e - tk_[e].b <= 3 && w == 0 && !(tk_[e].fl & lex::kState)) break;  // ICU, ED
        ++e;
        ++w;
        continue;
      }
      if (word(e) && (low(e) == "of" || low(e) == "de") && capital(e + 1) && w > 0) {
        ++e;
        continue;
      }
      if (punct(e, ',') && capital(e + 1) && w > 0 && !tk_[e + 1].nl) {  // "Springfield, Ohio"
        ++e;
        continue;
      }
      break;
    }
    while (e > j && !word(e - 1)) --e;
    if (w > 0) add_tokens(j, e, PhiType::kLocation);
  }

  // ---------- name lists ----------
  void scan_name_list() {
    const size_t n = tk_.size();
    for (size_t i = 0; i < n; ++i) {
      if (!word(i) || name_tok_[i]) continue;
      const Tok& k = tk_[i];
      const size_t len = k.e - k.b;
      bool lower = true;  // every letter in lower case ("mIU" is a unit)
      for (size_t q = k.b; q < k.e; ++q) lower &= !is_upper(t_[q]);
      if (len >= 5 && lower && tk_[i].fl == 0 && initial_surname_handle(i)) {
        // a user name made of an initial and a surname: "agarcia2", "tadeyemi", "hwong"
        add_tokens(i, num(i + 1) && touch(i + 1) ? i + 2 : i + 1, PhiType::kName);
        continue;
      }
      if (len >= 3 && lower) {  // lower-case notes: "spoke w/ brenda", "pt john doherty"
        const uint64_t f = tk_[i].fl;
        if ((f & lex::kFirst) &&
            !(f & (lex::kEnglish | lex::kMedical | lex::kNotName | lex::kMonth | lex::kWeekday))) {
          size_t e = i + 1;
          if (word(e) && !tk_[e].nl && !tk_[e].cap) {
            const uint64_t nf = tk_[e].fl;
            if (((nf & (lex::kLast | lex::kFirst)) && !(nf & (lex::kEnglish | lex::kMedical))) || lower_unknown(e))
              ++e;  // "desmond achterberg"
          }
          add_tokens(i, e, PhiType::kName);
          i = e - 1;
        }
        continue;
      }
      if (len < 2 || !(k.cap || k.allcaps)) continue;
      if (k.allcaps && len <= 3) {  // ED, AL, BP; but "LIU, Wen", "NG, Mei Ling" (surname first, in capitals)
        if ((tk_[i].fl & lex::kLast) && punct(i + 1, ',') && capital(i + 2) && !tk_[i + 2].allcaps &&
            !tk_[i + 2].nl && (tk_[i + 2].fl & lex::kFirst) &&
            !(tk_[i + 2].fl & (lex::kNotName | lex::kMonth | lex::kWeekday | lex::kTitle))) {
          const size_t e = take_name(i + 2, 2, false, false);
          add_tokens(i, e > i + 2 ? e : i + 3, PhiType::kName);
          i = (e > i + 2 ? e : i + 3) - 1;
        }
        continue;
      }
      std::string_view lw = low(i);
      uint64_t lf = tk_[i].fl;
      if (lw.size() > 2 && lw.compare(lw.size() - 2, 2, "'s") == 0) {
        lw.remove_suffix(2);
        lf = flags(lw);
      }
      if (lf & (lex::kNotName | lex::kTitle | lex::kCredential | lex::kMonth)) continue;
      const bool f = lf & lex::kFirst, l = lf & lex::kLast;
      if (!f && !l) {
        // a word in capitals no list knows beside a listed name in capitals: "OKAFOR, JOHN"
        if (k.allcaps && len >= 4 && !(lf & (lex::kEnglish | lex::kMedical | lex::kProper)) &&
            lw.find_first_of("aeiouy") != std::string_view::npos && lw.find('-') == std::string_view::npos &&
            !known_stem(lw) && caps_name_beside(i)) {
          add_tokens(i, i + 1, PhiType::kName);
          continue;
        }
        if (unknown_capitalised(i, lw, lf)) {
          const size_t e = take_name(i, 3, false, false);
          add_tokens(i, e > i ? e : i + 1, PhiType::kName);
          i = (e > i ? e : i + 1) - 1;
        }
        continue;
      }
      // our own cue words are common words even where the dictionary lacks them ("Read by:",
      // derived by a hunspell affix rule, is no surname there)
      const bool eng = lf & (lex::kEnglish | lex::kByVerb | lex::kNameVerb1 | lex::kRelative | lex::kIdCue |
                             lex::kPhoneCue),
                 med = lf & lex::kMedical;
      bool hit = false;
      if (!eng && !med) {
        hit = true;
      } else if (!med || !eng) {
        // a common word that is also a name: needs a capitalised listed neighbour ("Will Turner")
        const bool next = capital(i + 1) && !tk_[i + 1].nl &&
                          (((tk_[i + 1].fl & (lex::kLast | lex::kFirst)) &&
                            !(tk_[i + 1].fl & (lex::kEnglish | lex::kMedical))) ||
                           (word(i + 1) && unknown_capitalised(i + 1, low(i + 1), tk_[i + 1].fl)));  // "Ruth-Ann Coker"
        // (or a surname in capitals before a comma: "OKAFOR, JOHN")
        const bool prev = (i > 0 && name_tok_[i - 1] && !tk_[i].nl) ||
                          (f && i >= 2 && punct(i - 1, ',') && name_tok_[i - 2] && tk_[i - 2].allcaps == k.allcaps &&
                           !tk_[i].nl && !tk_[i - 1].nl && !(i >= 3 && name_tok_[i - 3]));
        // a first name that is a medical word but no English one ("Kamala") before any listed surname
        const bool next_listed = capital(i + 1) && !tk_[i + 1].nl && (tk_[i + 1].fl & lex::kLast) &&
                                 !(tk_[i + 1].fl & (lex::kNotName | lex::kTitle | lex::kCredential | lex::kMonth));
        hit = (f && next) || prev || (f && med && !eng && next_listed);
      }
      // eponyms: "Parkinson's disease", "Wilson disease"
      if (hit && word(i + 1)) {
        size_t q = i + 1;
        if (word(q) && (low(q) == "s" || low(q) == "'s")) ++q;
        if (word(q) && (tk_[q].fl & lex::kEponymHead)) hit = false;
      }
      if (hit && sv(i).find("'s") == sv(i).size() - 2 && word(i + 1) && low(i + 1) == "disease") hit = false;
      // an eponymous sign after "positive"/"negative" ("positive Lachman, negative McMurray")
      if (hit && i > 0 && word(i - 1) && !tk_[i].nl) {
        const std::string_view pw = low(i - 1);
        if (pw == "positive" || pw == "negative" || pw == "pos" || pw == "neg" || pw == "equivocal") hit = false;
      }
      // a word in capitals found on a list alone, in a line that is not in capitals, is an acronym
      // ("MICU", "ARDS") unless a name in capitals is next to it
      if (hit && k.allcaps && !caps_line(i) && !caps_name_beside(i)) hit = false;
      if (!hit) continue;
      const size_t e = take_name(i, 3, false, false);
      add_tokens(i, e > i ? e : i + 1, PhiType::kName);
      i = (e > i ? e : i + 1) - 1;
    }
  }

  // Token i (lower case, in no word list) is an initial and a listed surname of 4+ letters that is
  // no common word: a user name ("agarcia", "tadeyemi").
  bool initial_surname_handle(size_t i) const {
    const std::string_view lw = low(i);
    if (lw.find_first_of("-'") != std::string_view::npos || static_cast<unsigned char>(lw[0]) >= 0x80) return false;
    const uint64_t f = flags(lw.substr(1));
    return (f & lex::kLast) && !(f & (lex::kEnglish | lex::kMedical | lex::kNotName | lex::kMonth | lex::kWeekday)) &&
           !known_stem(lw);
  }

  // A listed name in capitals next to token i, maybe across one "^", "," or "-" ("VALDEZ^ROSARIO").
  bool caps_name_beside(size_t i) const {
    // (or a listed name in Titlecase that is no common word: "DUPONT Marie")
    auto listed_caps = [&](size_t q) {
      if (q < name_tok_.size() && name_tok_[q] && word(q) && (tk_[q].allcaps || tk_[q].cap)) return true;
      return word(q) && tk_[q].e - tk_[q].b >= 2 && (tk_[q].fl & (lex::kFirst | lex::kLast)) &&
             !(tk_[q].fl & (lex::kNotName | lex::kCredential | lex::kTitle)) &&
             (tk_[q].allcaps || (tk_[q].cap && !(tk_[q].fl & (lex::kEnglish | lex::kMedical))));
    };
    auto sep = [&](size_t q) { return punct(q, '^') || punct(q, ',') || punct(q, '-'); };
    if (i + 1 < tk_.size() && !tk_[i + 1].nl) {
      if (listed_caps(i + 1)) return true;
      if (sep(i + 1) && i + 2 < tk_.size() && !tk_[i + 2].nl && listed_caps(i + 2)) return true;
    }
    if (i >= 1 && !tk_[i].nl) {
      if (listed_caps(i - 1)) return true;
      if (i >= 2 && sep(i - 1) && !tk_[i - 1].nl && listed_caps(i - 2)) return true;
    }
    return false;
  }

  // Most letters of token i's line are capitals (a note or header written in capitals).
  bool caps_line(size_t i) const {
    size_t b = tk_[i].b, e = tk_[i].e;
    while (b > 0 && t_[b - 1] != '\n') --b;
    while (e < t_.size() && t_[e] != '\n') ++e;
    size_t up = 0, lo = 0;
    for (size_t q = b; q < e; ++q) {
      up += is_upper(t_[q]);
      lo += is_lower(t_[q]);
    }
    return up >= 3 * lo && up >= 8;
  }

  // A Titlecase word no word list knows ("Bronagh", "Nwachukwu"): most likely a name or a place.
  // lw: the token lower-cased without "'s"; lf: its flags.
  bool unknown_capitalised(size_t i, std::string_view lw, uint64_t lf) const {
    const Tok& k = tk_[i];
    if (!k.cap || k.allcaps || lw.size() < 3) return false;
    if (lw.find_first_of("aeiouy") == std::string_view::npos) return false;
    for (size_t q = k.b + 1; q < k.e; ++q)
      if (is_upper(t_[q]) && t_[q - 1] != '-' && t_[q - 1] != '\'' && !(q == k.b + 2 && t_[k.b] == 'M' && t_[k.b + 1] == 'c'))
        return false;  // "pH", "HbA", "eGFR"-like mixed case
    if (i > 0 && num(i - 1) && touch(i)) return false;  // "5Fr"
    constexpr uint64_t kKnown = lex::kEnglish | lex::kMedical | lex::kProper | lex::kNotName | lex::kMonth |
                                lex::kStreetSuffix | lex::kFacility | lex::kFacility2;
    auto known = [&](std::string_view w) { return (flags(w) & kKnown) != 0; };
    if (lf & kKnown) return false;
    // hyphenated words are known when every part is ("Follow-up", "Non-Hodgkin")
    if (lw.find('-') != std::string_view::npos) {
      bool all = true;
      size_t a = 0;
      while (a <= lw.size()) {
        size_t b = lw.find('-', a);
        if (b == std::string_view::npos) b = lw.size();
        if (b > a && !known(lw.substr(a, b - a))) all = false;
        a = b + 1;
      }
      if (all) return false;
    }
    // plurals and verb forms of known words ("Labs", "Meds", "Vitals")
    if (lw.size() > 3 && lw.back() == 's' && known(lw.substr(0, lw.size() - 1))) return false;
    // other inflections of dictionary words at a sentence start ("Prayed", "Wishes", "Ordering")
    if (known_stem(lw)) return false;
    return true;
  }

  // Initials before a name found: "by K. Wu", "A. J. Kowalski" ("K." alone is no name).
  void initials_before_names() {
    for (size_t i = 2; i < tk_.size(); ++i) {
      if (!name_tok_[i] || name_tok_[i - 1] || tk_[i].nl) continue;
      size_t b = i;
      while (b >= 2 && punct(b - 1, '.') && touch(b - 1) && !tk_[b - 1].nl && word(b - 2) &&
             tk_[b - 2].e - tk_[b - 2].b == 1 && is_upper(t_[tk_[b - 2].b]) && !name_tok_[b - 2] &&
             (b == i || !tk_[b].nl))
        b -= 2;
      // one capital without a full stop: "K Patel", "C Lindqvist" (not "A"/"I" starting a sentence)
      if (b == i && word(i - 1) && tk_[i - 1].e - tk_[i - 1].b == 1 && is_upper(t_[tk_[i - 1].b]) &&
          !name_tok_[i - 1] && tk_[i - 1].e + 1 == tk_[i].b && !tk_[i].nl) {
        const char c = t_[tk_[i - 1].b];
        const bool start = tk_[i - 1].nl || i < 2 || punct(i - 2, '.') || punct(i - 2, '!') || punct(i - 2, '?');
        if (!((c == 'A' || c == 'I') && start)) b = i - 1;
      }
      if (b < i) add_tokens(b, i + 1, PhiType::kName);
    }
  }

  // ---------- tables: CSV, TSV, pipe and Markdown rows under a header line ----------
  // A header line ("mrn,name,dob,visit_date", "| Date | Visitor | Notes |") names its columns; every
  // field of the rows below it in a column whose name says name, date, identifier, telephone,
  // e-mail or place is tagged so, whatever it holds ("1003", "Kwame", "02139"). The table ends at a
  // line with another number of fields.
  enum class Col { kNone, kName, kDate, kId, kPhone, kEmail, kPlace };

  static Col column_kind(std::string_view field) {
    std::string h;
    for (char c : field) {
      const char d = is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
      if (d == '_' || d == '-' || d == '.' || d == '/' || d == ' ' || d == '(' || d == ')') {
        if (!h.empty() && h.back() != ' ') h += ' ';
      } else {
        h += d;
      }
    }
    while (!h.empty() && h.back() == ' ') h.pop_back();
    if (h.empty()) return Col::kNone;
    std::vector<std::string_view> w;
    for (size_t a = 0; a < h.size();) {
      size_t b = h.find(' ', a);
      if (b == std::string::npos) b = h.size();
      w.push_back(std::string_view(h).substr(a, b - a));
      a = b + 1;
    }
    auto has = [&](std::initializer_list<std::string_view> xs) {
      for (std::string_view x : w)
        for (std::string_view y : xs)
          if (x == y) return true;
      return false;
    };
    if (has({"email", "e-mail", "mail"})) return Col::kEmail;
    if (has({"phone", "tel", "telephone", "fax", "mobile", "cell", "pager", "contact#"})) return Col::kPhone;
    if (has({"dob", "date", "dod", "birthdate", "dt", "birthday", "admitted", "discharged", "dos"}) ||
        h == "birth" || h == "born" || h == "admit" || h == "discharge" || h == "visit" || h == "seen")
      return Col::kDate;
    if (has({"id", "mrn", "acct", "account", "ssn", "npi", "no", "nr", "num", "number", "#", "csn", "fin",
             "encounter", "policy", "member", "record", "chart", "accession", "uid", "uuid", "nhs", "medicare",
             "medicaid", "passport", "licence", "license", "serial", "patid", "ptid", "patientid"}))
      return Col::kId;
    if (has({"address", "addr", "street", "city", "town", "zip", "zipcode", "postcode", "postal", "county",
             "residence", "hometown", "birthplace"}))
      return Col::kPlace;
    if (has({"name", "surname", "forename", "firstname", "lastname", "fname", "lname", "patient", "pt",
             "provider", "physician", "doctor", "dr", "nurse", "attending", "pcp", "visitor", "guarantor", "nok",
             "kin", "mother", "father", "guardian", "spouse", "parent", "prescriber", "clinician", "author",
             "caller", "contact", "staff", "therapist", "surgeon", "resident", "rn", "md", "signed", "by",
             "client", "subscriber", "insured", "caregiver", "carer", "relative", "son", "daughter", "wife",
             "husband", "partner", "interpreter", "witness", "referrer", "referring", "consultant"}) ||
        h == "first" || h == "last" || h == "middle" || h == "given" || h == "family")
      return Col::kName;
    return Col::kNone;
  }

  // The fields of one line split at `sep` (commas and semicolons inside double quotes do not split);
  // a leading and a trailing empty field of a pipe row are dropped.
  void split_fields(size_t b, size_t e, char sep, std::vector<std::pair<size_t, size_t>>* out) const {
    out->clear();
    bool quoted = false;
    size_t f = b;
    for (size_t k = b; k <= e; ++k) {
      if (k < e && t_[k] == '"' && sep != '|' && sep != '\t') quoted = !quoted;
      if (k == e || (t_[k] == sep && !quoted)) {
        out->emplace_back(f, k);
        f = k + 1;
      }
    }
    auto blank = [&](std::pair<size_t, size_t> r) {
      for (size_t k = r.first; k < r.second; ++k)
        if (!is_space(t_[k])) return false;
      return true;
    };
    if (sep == '|' && !out->empty() && blank(out->front())) out->erase(out->begin());
    if (sep == '|' && !out->empty() && blank(out->back())) out->pop_back();
  }

  void table_columns() {
    const size_t n = t_.size();
    std::vector<Col> cols;
    std::vector<std::pair<size_t, size_t>> fields;
    char sep = 0;
    for (size_t pos = 0; pos < n;) {
      size_t le = t_.find('\n', pos);
      if (le == std::string_view::npos) le = n;
      size_t lb = pos, lend = le;
      while (lend > lb && (t_[lend - 1] == '\r' || t_[lend - 1] == ' ')) --lend;
      pos = le + 1;
      if (!cols.empty()) {
        bool rule = lend > lb;  // a Markdown rule row: "|---|:---|"
        for (size_t k = lb; k < lend; ++k)
          if (!std::strchr("|-:+ \t", t_[k])) rule = false;
        if (rule) continue;
        split_fields(lb, lend, sep, &fields);
        if (fields.size() == cols.size()) {
          for (size_t c = 0; c < cols.size(); ++c)
            if (cols[c] != Col::kNone) table_field(fields[c].first, fields[c].second, cols[c]);
          continue;
        }
        cols.clear();
      }
      // a header: 2+ separators of one kind, every field a short label
      size_t counts[4] = {0, 0, 0, 0};
      for (size_t k = lb; k < lend; ++k) {
        const char c = t_[k];
        counts[0] += c == '|';
        counts[1] += c == '\t';
        counts[2] += c == ',';
        counts[3] += c == ';';
      }
      const char seps[4] = {'|', '\t', ',', ';'};
      for (int si = 0; si < 4; ++si) {
        const char sp = seps[si];
        if (counts[si] < 2) continue;
        if (lend - lb > 40 * (counts[si] + 1)) break;  // prose with commas, not a row of short labels
        split_fields(lb, lend, sp, &fields);
        bool labels = fields.size() >= 2, any = false;
        std::vector<Col> kinds;
        for (const auto& [fb, fe] : fields) {
          size_t a = fb, z = fe;
          while (a < z && (is_space(t_[a]) || t_[a] == '"')) ++a;
          while (z > a && (is_space(t_[z - 1]) || t_[z - 1] == '"')) --z;
          bool letter = false;
          for (size_t k = a; k < z && labels; ++k) {
            const char c = t_[k];
            if (is_alpha(c)) letter = true;
            else if (!(c == ' ' || c == '_' || c == '-' || c == '.' || c == '/' || c == '#' || c == '(' || c == ')' ||
                       c == '\''))
              labels = false;
          }
          if (!letter || z - a > 32) labels = false;
          if (!labels) break;
          kinds.push_back(column_kind(t_.substr(a, z - a)));
          any |= kinds.back() != Col::kNone;
        }
        if (labels && any) {
          cols = std::move(kinds);
          sep = sp;
        }
        break;
      }
    }
  }

  void table_field(size_t b, size_t e, Col kind) {
    while (b < e && (is_space(t_[b]) || t_[b] == '"' || t_[b] == '\'')) ++b;
    while (e > b && (is_space(t_[e - 1]) || t_[e - 1] == '"' || t_[e - 1] == '\'')) --e;
    if (e <= b) return;
    bool digit = false, letter = false;
    for (size_t k = b; k < e; ++k) {
      digit |= is_digit(t_[k]);
      letter |= is_alpha(t_[k]);
    }
    const std::string_view lv = lower_at(b, e);
    if (lv == "n/a" || lv == "na" || lv == "none" || lv == "unknown" || lv == "null" || lv == "-") return;
    switch (kind) {
      case Col::kName: {
        if (!letter) return;
        // a credential after a comma is no part of the name ("Akua Asante, RN")
        const size_t comma = t_.substr(b, e - b).rfind(',');
        if (comma != std::string_view::npos) {
          size_t a = b + comma + 1;
          while (a < e && t_[a] == ' ') ++a;
          if (flags(lower_at(a, e)) & lex::kCredential) {
            e = b + comma;
            while (e > b && t_[e - 1] == ' ') --e;
          }
        }
        add(b, e, PhiType::kName);
        for (size_t k = 0; k < tk_.size(); ++k)  // tokens inside (for propagation)
          if (tk_[k].b >= b && tk_[k].e <= e && word(k)) name_tok_[k] = 1;
        return;
      }
      case Col::kDate:
        if (digit) add(b, e, PhiType::kDate);
        return;
      case Col::kId:
        if (digit) add(b, e, PhiType::kId);
        return;
      case Col::kPhone:
        if (digit) add(b, e, PhiType::kPhone);
        return;
      case Col::kEmail:
        if (t_.substr(b, e - b).find('@') != std::string_view::npos) add(b, e, PhiType::kEmail);
        return;
      case Col::kPlace:
        add(b, e, PhiType::kLocation);
        return;
      case Col::kNone:
        return;
    }
  }

  static bool function_word(std::string_view w) {
    for (std::string_view f : {"she", "he", "his", "her", "they", "their", "the", "an", "and", "or", "of", "in",
                               "on", "at", "to", "for", "with", "by", "is", "was", "who", "we", "my", "me", "you",
                               "it", "its", "as", "if", "but", "then", "this", "that", "no", "not", "yes", "has",
                               "had", "have", "are", "be", "been", "our", "your", "him", "them", "from", "also"})
      if (w == f) return true;
    return false;
  }

  // A capitalised listed first name right before a name found, on its line, is part of it even when
  // it is a common word or a cue ("Per Gustafsson", "Will Turner", "Said Haddad"); so is a short
  // listed surname before a hyphenated given name ("Ho Yuk-lan").
  void first_names_before_names() {
    // (a cue word may be a first name too: "Per", "Will")
    constexpr uint64_t kNever = lex::kTitle | lex::kCredential | lex::kMonth | lex::kWeekday | lex::kRelative |
                                lex::kIdCue | lex::kPhoneCue | lex::kNameLabel;
    for (size_t i = tk_.size(); i-- > 1;) {
      if (!name_tok_[i] || name_tok_[i - 1] || tk_[i].nl || !word(i) || !word(i - 1)) continue;
      const size_t p = i - 1;
      if (tk_[p].e + 1 != tk_[i].b || t_[tk_[p].e] != ' ') continue;  // one space between
      // (or a short listed surname before a hyphenated given name, surname first: "Ho Yuk-lan",
      // "Kim Min-jun")
      const bool surname_first = (tk_[p].fl & lex::kLast) && tk_[p].e - tk_[p].b <= 3 &&
                                 std::memchr(t_.data() + tk_[i].b, '-', tk_[i].e - tk_[i].b) != nullptr;
      if (!((tk_[p].fl & lex::kFirst) || surname_first) || (tk_[p].fl & kNever) || tk_[p].e - tk_[p].b < 2) continue;
      if ((tk_[p].fl & lex::kNotName) && function_word(low(p))) continue;  // "SHE DENIES"
      if (!(tk_[p].cap && !tk_[p].allcaps && !tk_[i].allcaps) && !(tk_[p].allcaps && tk_[i].allcaps) &&
          !(surname_first && tk_[p].allcaps && tk_[i].cap))  // "LAU Wing-sze", "LEE Kam-chuen"
        continue;
      add_tokens(p, p + 1, PhiType::kName);
      add(tk_[p].b, tk_[i].e, PhiType::kName);
    }
  }

  // Nicknames: a word in quotes or brackets right before or after a name found ('"Tiny" (Raymond
  // Oduya)', 'Robert "Bobby" Lee', 'Margaret (Peggy) Ross'), and a word after "goes by", "known as",
  // "nickname", "nicknamed", "prefers" ('goes by "Duke"', 'known as Bud').
  void nicknames() {
    constexpr uint64_t kNever = lex::kNotName | lex::kTitle | lex::kCredential | lex::kMonth | lex::kWeekday |
                                lex::kRelative | lex::kUnitAfterNumber;
    const size_t n = tk_.size();
    auto quote = [&](size_t q) {
      if (q >= n) return false;
      if (tk_[q].kind == 'p') return std::strchr("\"'(", t_[tk_[q].b]) != nullptr || t_[tk_[q].b] == ')';
      return false;
    };
    auto curly = [&](size_t b) {  // U+201C/U+201D/U+2018/U+2019 start at byte b
      return b + 2 < t_.size() && static_cast<unsigned char>(t_[b]) == 0xE2 &&
             static_cast<unsigned char>(t_[b + 1]) == 0x80 &&
             (static_cast<unsigned char>(t_[b + 2]) >= 0x98 && static_cast<unsigned char>(t_[b + 2]) <= 0x9D);
    };
    for (size_t i = 0; i < n; ++i) {
      if (!word(i) || name_tok_[i] || (tk_[i].fl & kNever) || tk_[i].e - tk_[i].b < 2 || tk_[i].allcaps) continue;
      // most words have neither a quote, a bracket nor a cue word beside them
      if (!(i > 0 && tk_[i - 1].kind == 'p') && !(i + 1 < n && tk_[i + 1].kind == 'p') &&
          static_cast<unsigned char>(t_[tk_[i].b]) != 0xE2 && static_cast<unsigned char>(t_[tk_[i].e - 1]) < 0x80 &&
          !(i > 0 && word(i - 1) && (low(i - 1) == "by" || low(i - 1) == "as" ||
                                                            low(i - 1) == "nickname" || low(i - 1) == "nicknamed" ||
                                                            low(i - 1) == "prefers")))
        continue;
      // the word's own bytes may hold curly quotes (they are letters to the tokenizer)
      size_t wb = tk_[i].b, we = tk_[i].e;
      bool curly_open = false, curly_close = false;
      if (curly(wb)) {
        wb += 3;
        curly_open = true;
      }
      if (we >= wb + 3 && curly(we - 3)) {
        we -= 3;
        curly_close = true;
      }
      if (we <= wb + 1) continue;
      const bool open = curly_open || (i > 0 && quote(i - 1) && touch(i));
      const bool close = curly_close || (quote(i + 1) && touch(i + 1));
      const bool cap = is_upper(t_[wb]) || static_cast<unsigned char>(t_[wb]) >= 0xC3;
      bool hit = false;
      if (open && close && cap) {
        // a name found within two tokens before or after, on the line
        for (size_t q = i + 2; q < n && q <= i + 4 && !tk_[q].nl; ++q)
          if (name_tok_[q]) hit = true;
        for (size_t q = i; q-- > 0 && q + 4 >= i;) {
          if (name_tok_[q]) hit = true;
          if (tk_[q].nl) break;
        }
      }
      // "goes by X", "known as X", "nickname X", "nicknamed X", "prefers X"
      size_t c = curly_open || !(i > 0 && quote(i - 1) && touch(i)) ? i : i - 1;
      if (!hit && c >= 1 && word(c - 1) && !tk_[c].nl && (cap || open)) {
        const std::string_view a = low(c - 1);
        const std::string_view b2 = c >= 2 && word(c - 2) ? low(c - 2) : std::string_view();
        hit = (a == "by" && b2 == "goes") || (a == "as" && b2 == "known") || a == "nickname" ||
              a == "nicknamed" || a == "prefers" || (a == "called" && open);
      }
      if (hit) add(wb, we, PhiType::kName), name_tok_[i] = 1;
    }
  }

  // An age over 89 between commas after a name: "Mrs Pryce, 96, of ...", "Mr. Lefebvre, 94, lives".
  void ages_after_names() {
    for (size_t i = 2; i + 1 < tk_.size(); ++i) {
      if (!num(i) || tk_[i].e - tk_[i].b > 3 || !punct(i - 1, ',') || !name_tok_[i - 2] || tk_[i].nl) continue;
      const int v = int_value(i);
      if (v < 90 || v > 120) continue;
      if (punct(i + 1, ',') || punct(i + 1, ')') || punct(i + 1, ';')) add_tokens(i, i + 1, PhiType::kAge);
    }
  }

  // HL7 name fields join components with '^' ("VALDEZ^ROSARIO^M"): a word joined so to a name
  // found is part of it (the middle initial), and so is a suffix or degree of up to four capitals
  // after empty components ("DELA CRUZ^RODEL^^JR", "ANG^KATHERINE^^^^DRA"). The number before an
  // HL7 person's name is the person's identifier ("|004417^VILLANUEVA^RAMON^P|").
  void hl7_name_components() {
    for (size_t i = 2; i < tk_.size(); ++i) {
      if (!word(i) || name_tok_[i] || !capital(i) || !punct(i - 1, '^') || !touch(i - 1) || !touch(i)) continue;
      size_t p = i - 1;
      while (p > 0 && punct(p - 1, '^') && touch(p) && i - p < 5) --p;
      if (p == 0 || !touch(p) || !name_tok_[p - 1]) continue;
      if (p < i - 1 && !(tk_[i].allcaps && tk_[i].e - tk_[i].b <= 4)) continue;
      add_tokens(i, i + 1, PhiType::kName);
    }
    for (size_t i = 0; i + 2 < tk_.size(); ++i) {
      if (!num(i) || tk_[i].e - tk_[i].b < 3 || !punct(i + 1, '^') || !touch(i + 1) || !touch(i + 2) || !name_tok_[i + 2])
        continue;
      if (i > 0 && !(punct(i - 1, '|') || punct(i - 1, '~')) ) continue;
      add_tokens(i, i + 1, PhiType::kId);
    }
  }

  // Token q is a single capital letter ("R", the initial of "R. van der Merwe").
  bool initial_letter(size_t q) const { return word(q) && tk_[q].e - tk_[q].b == 1 && is_upper(t_[tk_[q].b]); }
  // Tokens q-2 .. q are a connector of the Malaysian and Singaporean legal name forms: "s/o", "a/l",
  // "a/p" (son of, anak lelaki, anak perempuan), in any case.
  bool legal_connector_end(size_t q) const {
    if (q < 2 || !word(q) || !punct(q - 1, '/') || !word(q - 2) || !touch(q) || !touch(q - 1)) return false;
    if (tk_[q].e - tk_[q].b != 1 || tk_[q - 2].e - tk_[q - 2].b != 1) return false;
    const char a = lt_[tk_[q - 2].b], b = lt_[tk_[q].b];
    return (a == 's' && b == 'o') || (a == 'a' && (b == 'l' || b == 'p'));
  }

  // The words between two parts of one name, on one line and one space apart: particles ("Dr R. van
  // der Merwe", "Hernández Ruiz de Alarcón", "G. ap Iorwerth"), the legal connectors ("Selvam a/l
  // Arumugam", "Rajendran s/o Muthusamy"; "W/o", "B/o" and "d/o" name a relation and stay
  // outside), capitalised words beside a particle ("Sanne van den Berg-de Vries"), and "Ma." or
  // "Mª" (María) before a name ("Ma. Cristina Dela Cruz").
  void join_name_parts() {
    const size_t n = tk_.size();
    auto one_space = [&](size_t k) { return k < n && !tk_[k].nl && tk_[k].b <= tk_[k - 1].e + 1; };
    for (size_t i = 1; i < n; ++i) {
      if (i >= 3 && name_tok_[i] && name_tok_[i - 2] && punct(i - 1, '/') && legal_connector_end(i) &&
          !tk_[i].nl && !tk_[i - 1].nl) {
        add_tokens(i - 2, i + 1, PhiType::kName);  // "Arjun A/L Rajoo" found as "Arjun A" and "L Rajoo"
        continue;
      }
      if (!name_tok_[i] || name_tok_[i - 1] || tk_[i].nl || !word(i) || !one_space(i)) continue;
      size_t p = i;
      int parts = 0, particles = 0;
      while (p > 0 && parts < 4 && !tk_[p].nl) {
        const size_t q = p - 1;
        if (name_tok_[q]) break;
        if (legal_connector_end(q) && one_space(p)) {
          p = q - 2;
          ++particles;
        } else if (word(q) && (tk_[q].fl & lex::kParticle) && one_space(p)) {
          p = q;
          ++particles;
        } else if (word(q) && capital(q) && !tk_[q].allcaps && one_space(p) && tk_[q].e - tk_[q].b >= 2 &&
                   !(tk_[q].fl & (lex::kNotName | lex::kTitle | lex::kCredential | lex::kMonth | lex::kWeekday)) &&
                   ((tk_[q].fl & (lex::kFirst | lex::kLast)) || !(tk_[q].fl & (lex::kEnglish | lex::kMedical)))) {
          p = q;
        } else {
          break;
        }
        ++parts;
      }
      if (p == i || p == 0 || tk_[p].nl || !one_space(p)) {
        // "Ma." / "Mª" right before the name
        if (i >= 2 && punct(i - 1, '.') && touch(i - 1) && sv(i - 2) == "Ma" && capital(i) && !tk_[i - 1].nl)
          add_tokens(i - 2, i + 1, PhiType::kName);
        else if (word(i - 1) && sv(i - 1) == "M\xC2\xAA" && one_space(i))
          add_tokens(i - 1, i + 1, PhiType::kName);
        continue;
      }
      if (particles == 0) continue;
      const size_t q = p - 1;  // a part of the name before: a name found or an initial ("G.")
      if (name_tok_[q]) {
        add_tokens(q, i + 1, PhiType::kName);
      } else if (punct(q, '.') && touch(q) && q >= 1 && initial_letter(q - 1)) {
        add_tokens(q - 1, i + 1, PhiType::kName);
      }
    }
  }

  // Initials beside the name they stand for, and their other uses in the note: "TH = Thao Huynh",
  // "Thao Huynh (TH)", "JW - Jasmine Wu", then "checked: TH". A word in capitals of 2-4 letters
  // whose letters are the first letters of the adjacent name's words, in order.
  void initials_of_names() {
    const size_t n = tk_.size();
    std::vector<std::string_view>& found = table_;
    found.clear();
    auto initials_of_run = [&](size_t b, size_t e, std::string& out) {  // name words of tokens [b, e)
      out.clear();
      for (size_t k = b; k < e; ++k)
        if (word(k)) {
          const char c = t_[tk_[k].b];
          if (!is_upper(c)) return false;
          out += c;
          // a hyphenated given name gives one letter per part ("Siu-ming": SM)
          for (size_t x = tk_[k].b + 1; x + 1 < tk_[k].e; ++x)
            if (t_[x] == '-' && is_alpha(t_[x + 1])) out += static_cast<char>(std::toupper(static_cast<unsigned char>(t_[x + 1])));
        }
      return !out.empty();
    };
    std::string ini;
    for (size_t i = 0; i < n; ++i) {
      if (!word(i) || name_tok_[i] || !tk_[i].allcaps || tk_[i].e - tk_[i].b < 2 || tk_[i].e - tk_[i].b > 4) continue;
      const std::string_view w = sv(i);
      bool hit = false;
      // after: "TH = Thao Huynh", "TH - Thao Huynh", "TH: Thao Huynh"
      size_t j = i + 1;
      if (j < n && (punct(j, '=') || punct(j, '-') || punct(j, ':')) && !tk_[j].nl) ++j;
      if (j > i + 1 && j < n && name_tok_[j] && !tk_[j].nl) {
        size_t e = j;
        while (e < n && name_tok_[e] && (e == j || !tk_[e].nl)) ++e;
        hit = initials_of_run(j, e, ini) && ini == w;
      }
      // before: "Thao Huynh (TH)"
      if (!hit && i >= 2 && punct(i - 1, '(') && punct(i + 1, ')') && name_tok_[i - 2] && !tk_[i].nl && !tk_[i - 1].nl) {
        size_t b = i - 2;
        while (b > 0 && name_tok_[b - 1] && !tk_[b].nl) --b;
        hit = initials_of_run(b, i - 1, ini) && ini == w;
      }
      if (hit) found.push_back(w);
    }
    if (found.empty()) return;
    for (size_t i = 0; i < n; ++i)
      if (word(i) && !name_tok_[i] && tk_[i].allcaps &&
          std::find(found.begin(), found.end(), sv(i)) != found.end())
        add_tokens(i, i + 1, PhiType::kName);
  }

  // User names beside a name found: a lower-case handle that continues a name over a full stop
  // ("maryam.k", "kwong.mh"), and one in brackets right after a name ("LAU Wing-sze (lws418)").
  void handles_beside_names() {
    const size_t n = tk_.size();
    for (size_t i = 0; i + 2 < n; ++i) {
      if (!name_tok_[i] || !word(i) || tk_[i].cap || tk_[i].allcaps) continue;
      if (!punct(i + 1, '.') || !touch(i + 1) || !word(i + 2) || !touch(i + 2) || name_tok_[i + 2]) continue;
      if (tk_[i + 2].cap || tk_[i + 2].allcaps || tk_[i + 2].e - tk_[i + 2].b > 3) continue;
      if (i + 3 < n && touch(i + 3) && !(tk_[i + 3].kind == 'p' && std::strchr("]):,|\"", t_[tk_[i + 3].b]))) continue;
      add_tokens(i, i + 3, PhiType::kName);
    }
    for (size_t i = 1; i + 2 < n; ++i) {
      if (!punct(i, '(') || !name_tok_[i - 1] || tk_[i].nl || name_tok_[i + 1]) continue;
      // letters then digits, lower case, up to ')': "(lws418)", "(csm221)"
      size_t b = tk_[i].e, e = b, letters = 0, digits = 0;
      while (e < t_.size() && is_lower(t_[e]) && digits == 0) ++e, ++letters;
      while (e < t_.size() && is_digit(t_[e])) ++e, ++digits;
      if (e >= t_.size() || t_[e] != ')' || letters < 2 || digits == 0 || letters + digits > 12) continue;
      add(b, e, PhiType::kName);
    }
  }

  // A clinician's registration number after the name, on its line: an acronym in capitals (a
  // council, maybe with a region: "CRM-SP") and a number of 4-8 digits, within eight tokens after
  // the name and its credentials ("Dr Muhammad Syafiq bin Zulkifli (MMC 61447)", "Sr. Mercy Atieno
  // (KRCHN, NCK 60917)", "Dr Rebekah Farrugia (BST), MCM 4471", "(HPCSA ANT 0044128)").
  void registration_numbers() {
    const size_t n = tk_.size();
    for (size_t i = 1; i < n; ++i) {
      if (!num(i) || name_tok_[i] || tk_[i].e - tk_[i].b < 4 || tk_[i].e - tk_[i].b > 8 || tk_[i].nl) continue;
      if (i + 1 < n && touch(i + 1) && !(tk_[i + 1].kind == 'p' && std::strchr("),;.", t_[tk_[i + 1].b]))) continue;
      if (word(i + 1) && !tk_[i + 1].nl && (tk_[i + 1].fl & lex::kUnitAfterNumber)) continue;
      // the acronym right before the number: "MMC 61447", "CRM-SP 144172", "HPCSA ANT 0044128"
      size_t a = i - 1;
      if (!word(a) || !tk_[a].allcaps || tk_[a].e - tk_[a].b < 2 || tk_[a].e - tk_[a].b > 6 || touch(i)) continue;
      if (a >= 2 && punct(a - 1, '-') && touch(a) && touch(a - 1) && word(a - 2) && tk_[a - 2].allcaps) a -= 2;
      // a name found before it on the line, across brackets, commas and acronyms only
      bool name = false;
      for (size_t q = a, steps = 0; q-- > 0 && steps < 8; ++steps) {
        if (tk_[q + 1].nl) break;
        if (name_tok_[q]) {
          name = true;
          break;
        }
        if (!((word(q) && tk_[q].allcaps) || punct(q, '(') || punct(q, ')') || punct(q, ',') ||
              (word(q) && (tk_[q].fl & lex::kCredential))))
          break;
      }
      if (name) add_tokens(i, i + 1, PhiType::kId);
    }
  }

  // A weekday right before a date found is part of it: "WED 03-DEC-2025", "Tue, 4 March".
  void weekdays_before_dates() {
    const size_t n = tk_.size();
    std::vector<std::pair<size_t, size_t>>& d = date_starts_;  // (begin, index in out_) of the date spans
    d.clear();
    for (size_t k = 0; k < out_.size(); ++k)
      if (out_[k].type == PhiType::kDate) d.emplace_back(out_[k].begin, k);
    if (d.empty()) return;
    std::sort(d.begin(), d.end());
    for (size_t i = 0; i + 1 < n; ++i) {
      if (!word(i) || !(tk_[i].fl & lex::kWeekday || (tk_[i].e - tk_[i].b == 3 && short_weekday(low(i))))) continue;
      size_t j = i + 1;
      if (punct(j, '.') && touch(j)) ++j;
      if (punct(j, ',')) ++j;
      if (j >= n || tk_[j].nl || tk_[j].b > tk_[j - 1].e + 2) continue;
      const auto it = std::lower_bound(d.begin(), d.end(), std::make_pair(static_cast<size_t>(tk_[j].b), size_t{0}));
      if (it == d.end() || it->first != tk_[j].b) continue;
      out_[it->second].begin = tk_[i].b;
    }
  }

  // Initials after "initials": "(initials R.T.K.)", "initials: JM".
  void initials_after_cue(size_t i) {
    size_t j = i + 1;
    if (punct(j, ':')) ++j;
    if (!word(j) || tk_[j].nl) return;
    size_t e = j;
    int letters = 0;
    while (e < tk_.size() && !(e > j && !touch(e))) {
      if (word(e) && tk_[e].allcaps && tk_[e].e - tk_[e].b <= 4) letters += tk_[e].e - tk_[e].b;
      else if (!punct(e, '.')) break;
      ++e;
    }
    if (letters >= 2 && letters <= 4) add_tokens(j, e, PhiType::kName);
  }

  // The lower-cased token without "'s".
  std::string_view name_key(size_t i) const {
    std::string_view lw = low(i);
    if (lw.size() > 2 && lw.compare(lw.size() - 2, 2, "'s") == 0) lw.remove_suffix(2);
    return lw;
  }

  void propagate_names() {
    std::vector<std::string_view>& found = views_;
    found.clear();
    for (size_t i = 0; i < tk_.size(); ++i) {
      if (!name_tok_[i] || !word(i) || tk_[i].e - tk_[i].b < 2) continue;
      const std::string_view lw = name_key(i);
      const uint64_t f = lw.size() == tk_[i].e - tk_[i].b ? tk_[i].fl : flags(lw);
      if (f & (lex::kNotName | lex::kTitle | lex::kCredential | lex::kParticle)) continue;
      found.push_back(lw);
    }
    if (found.empty()) return;
    // an open-addressing set of the names found (load <= 1/2)
    size_t cap = 16;
    while (cap < 2 * found.size()) cap *= 2;
    std::vector<std::string_view>& table = table_;
    table.assign(cap, std::string_view());
    auto slot = [&](std::string_view w) {
      size_t k = Lexicon::hash(w.data(), w.size()) & (cap - 1);
      while (table[k].data() && table[k] != w) k = (k + 1) & (cap - 1);
      return k;
    };
    for (std::string_view w : found) table[slot(w)] = w;
    for (size_t i = 0; i < tk_.size(); ++i) {
      if (name_tok_[i] || !word(i)) continue;
      const std::string_view lw = name_key(i);
      if (!table[slot(lw)].data()) continue;
      const bool upper = tk_[i].cap || tk_[i].allcaps;
      if (!upper) {
        const uint64_t f = lw.size() == tk_[i].e - tk_[i].b ? tk_[i].fl : flags(lw);
        if (f & (lex::kEnglish | lex::kMedical)) continue;
      }
      size_t b = i;
      if (i >= 2 && punct(i - 1, '.') && word(i - 2) && tk_[i - 2].e - tk_[i - 2].b == 1 && tk_[i - 2].cap) b = i - 2;
      add_tokens(b, i + 1, PhiType::kName);
    }
  }

  std::vector<PhiSpan> merged() {
    // Of two equal spans the more specific pattern keeps its type (an IP address or a telephone
    // number is also a run of digits); among the others the one found first (stable), whatever
    // the number of spans in the note.
    auto rank = [](PhiType t) {
      switch (t) {
        case PhiType::kIp: return 0;
        case PhiType::kUrl: return 1;
        case PhiType::kEmail: return 2;
        case PhiType::kSsn: return 3;
        case PhiType::kDate: return 4;
        case PhiType::kPhone: return 5;
        case PhiType::kId: return 6;
        default: return 7;
      }
    };
    std::stable_sort(out_.begin(), out_.end(), [&](const PhiSpan& a, const PhiSpan& b) {
      if (a.begin != b.begin) return a.begin < b.begin;
      if (a.end != b.end) return a.end > b.end;
      return rank(a.type) < rank(b.type);
    });
    // in place: out_[0, m) holds the merged spans
    size_t m = 0;
    for (size_t k = 0; k < out_.size(); ++k) {
      const PhiSpan& s = out_[k];
      if (m > 0 && s.begin < out_[m - 1].end) {
        PhiSpan& p = out_[m - 1];
        if (s.end - s.begin > p.end - p.begin) p.type = s.type;
        p.end = std::max(p.end, s.end);
        continue;
      }
      if (m != k) out_[m] = s;
      ++m;
    }
    out_.resize(m);
    return std::move(out_);
  }

 public:
  // after run(): the tokens and the lower-cased text
  std::vector<Tok> take_tokens() { return std::move(tk_); }
  std::string take_lower() { return std::move(lt_); }
};

}  // namespace

RuleScan scan_rules(std::string_view text, const Lexicon& lx) {
  Scanner s(text, lx);
  RuleScan r;
  r.spans = s.run();
  r.tokens = s.take_tokens();
  r.lower = s.take_lower();
  return r;
}

std::vector<PhiSpan> Deidentifier::detect_rules(std::string_view text) const { return Scanner(text, *lex_).run(); }

}  // namespace medgen::text::deid
