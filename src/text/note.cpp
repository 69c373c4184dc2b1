#include "medgen/text/note.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/version.h"
#include "medgen/text/utf8.h"

namespace fs = std::filesystem;

namespace medgen::text {
namespace {

bool is_ascii_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

// Length of a UTF-8 sequence that we treat as punctuation (bullets, dashes, degree, times,
// quotes), or 0 when the character at p is part of a word.
size_t punct_utf8(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c == 0xC2 && i + 1 < s.size()) {
    const auto d = static_cast<unsigned char>(s[i + 1]);
    if (d == 0xB0 || d == 0xB7 || d == 0xA0 || d == 0xAB || d == 0xBB) return 2;  // ° · nbsp « »
  }
  if (c == 0xC3 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x97) return 2;  // ×
  if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80) return 3;  // – — ‘ ’ “ ” • …
  if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x89) return 3;  // ≤ ≥
  return 0;
}

bool is_word_byte(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return is_ascii_alpha(c) || is_digit(c);
  return punct_utf8(s, i) == 0;
}

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string lower_ascii(std::string_view s) {
  std::string r(s);
  for (char& ch : r)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
  return r;
}

void finish_token(std::string_view text, Token* t) {
  std::string surface;
  if (t->kind == TokenKind::kWord && t->end - t->begin > 0 && text.substr(t->begin, t->end - t->begin).find('\n') != std::string_view::npos) {
    // a word hyphenated across a line break: its two parts without the hyphen and the break
    for (size_t i = t->begin; i < t->end; ++i)
      if (is_word_byte(text, i)) surface += text[i];
  } else {
    surface = std::string(text.substr(t->begin, t->end - t->begin));
  }
  bool has_upper = false, has_lower = false;
  for (unsigned char c : surface) {
    if (c >= 'A' && c <= 'Z') has_upper = true;
    if (c >= 'a' && c <= 'z') has_lower = true;
  }
  t->upper = has_upper && !has_lower;
  t->lower = lower_ascii(surface);
  t->norm = t->kind == TokenKind::kWord ? normalize_word(t->lower) : t->lower;
}

}  // namespace

std::string normalize_word(std::string_view word) {
  std::string w = lower_ascii(word);
  bool letters = false, digits = false;
  for (unsigned char c : w) {
    letters |= is_ascii_alpha(c);
    digits |= is_digit(c);
  }
  if (letters && digits && w.size() >= 4) {
    for (size_t i = 1; i + 1 < w.size(); ++i) {
      if (!is_ascii_alpha(static_cast<unsigned char>(w[i - 1])) || !is_ascii_alpha(static_cast<unsigned char>(w[i + 1])))
        continue;
      if (w[i] == '0') w[i] = 'o';
      if (w[i] == '1') w[i] = 'l';
    }
  }
  const size_t n = w.size();
  bool all_alpha = true;
  for (unsigned char c : w) all_alpha &= is_ascii_alpha(c);
  if (!all_alpha || n <= 3) return w;
  if (n > 4 && w.compare(n - 3, 3, "ies") == 0) return w.substr(0, n - 3) + "y";
  if (w[n - 1] == 's') {
    const char p = w[n - 2];
    if (p != 's' && p != 'u' && p != 'i') return w.substr(0, n - 1);
  }
  return w;
}

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> out;
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (is_space(c)) {
      ++i;
      continue;
    }
    Token t;
    t.begin = i;
    if (size_t pl = (c >= 0x80) ? punct_utf8(text, i) : 0; pl > 0) {
      if (pl == 2 && static_cast<unsigned char>(text[i + 1]) == 0xA0) {  // no-break space
        i += 2;
        continue;
      }
      t.kind = TokenKind::kPunct;
      t.end = i + pl;
    } else if (is_digit(c)) {
      size_t j = i;
      while (j < n && is_digit(static_cast<unsigned char>(text[j]))) ++j;
      // thousands separators (1,200) and one decimal part
      while (j + 3 < n + 0 && text[j] == ',' && is_digit(static_cast<unsigned char>(text[j + 1])) &&
             is_digit(static_cast<unsigned char>(text[j + 2])) && is_digit(static_cast<unsigned char>(text[j + 3])) &&
             (j + 4 >= n || !is_digit(static_cast<unsigned char>(text[j + 4]))))
        j += 4;
      if (j + 1 < n && text[j] == '.' && is_digit(static_cast<unsigned char>(text[j + 1]))) {
        ++j;
        while (j < n && is_digit(static_cast<unsigned char>(text[j]))) ++j;
      }
      t.kind = TokenKind::kNumber;
      t.end = j;
    } else if (c < 0x80 && !is_ascii_alpha(c)) {
      t.kind = TokenKind::kPunct;
      t.end = i + 1;
    } else {
      size_t j = i;
      while (j < n && is_word_byte(text, j)) {
        const auto d = static_cast<unsigned char>(text[j]);
        j += d < 0x80 ? 1 : d < 0xE0 ? 2 : d < 0xF0 ? 3 : 4;
      }
      if (j > n) j = n;
      // "pneu-\nmonia": a hyphen at the end of a line followed by a lower-case word part
      if (j + 1 < n && text[j] == '-') {
        size_t k = j + 1;
        while (k < n && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r')) ++k;
        if (k < n && text[k] == '\n') {
          ++k;
          while (k < n && (text[k] == ' ' || text[k] == '\t')) ++k;
          if (k < n && text[k] >= 'a' && text[k] <= 'z') {
            j = k;
            while (j < n && is_word_byte(text, j)) {
              const auto d = static_cast<unsigned char>(text[j]);
              j += d < 0x80 ? 1 : d < 0xE0 ? 2 : d < 0xF0 ? 3 : 4;
            }
            if (j > n) j = n;
          }
        }
      }
      t.kind = TokenKind::kWord;
      t.end = j;
    }
    i = t.end;
    finish_token(text, &t);
    out.push_back(std::move(t));
  }
  return out;
}

// ------------------------------------------------------------------ PhraseMatcher

bool PhraseMatcher::add(std::string_view phrase, int32_t value, bool case_sensitive) {
  std::vector<Token> toks = tokenize(phrase);
  if (toks.empty()) return false;
  Phrase p;
  for (const Token& t : toks) p.norms.push_back(t.norm);
  p.value = value;
  p.case_sensitive = case_sensitive;
  by_first_[p.norms[0]].push_back(std::move(p));
  ++count_;
  return true;
}

void PhraseMatcher::find(const std::vector<Token>& tokens, size_t pos, size_t end, bool all_caps,
                         std::vector<Match>* out) const {
  if (pos >= end) return;
  auto it = by_first_.find(tokens[pos].norm);
  if (it == by_first_.end()) return;
  const size_t before = out->size();
  for (const Phrase& p : it->second) {
    const size_t len = p.norms.size();
    if (pos + len > end) continue;
    bool ok = true;
    for (size_t k = 1; k < len && ok; ++k) ok = tokens[pos + k].norm == p.norms[k];
    if (ok && p.case_sensitive && !all_caps)
      for (size_t k = 0; k < len && ok; ++k) ok = tokens[pos + k].kind != TokenKind::kWord || tokens[pos + k].upper;
    if (ok) out->push_back({p.value, len});
  }
  for (size_t i = before + 1; i < out->size(); ++i)  // few matches: insertion sort, longest first, stable
    for (size_t j = i; j > before && (*out)[j - 1].length < (*out)[j].length; --j) std::swap((*out)[j - 1], (*out)[j]);
}

PhraseMatcher::Match PhraseMatcher::longest(const std::vector<Token>& tokens, size_t pos, size_t end, bool all_caps) const {
  if (pos >= end) return {};
  auto it = by_first_.find(tokens[pos].norm);
  if (it == by_first_.end()) return {};
  Match best;
  for (const Phrase& p : it->second) {
    const size_t len = p.norms.size();
    if (pos + len > end || len < best.length) continue;  // equal length: the later phrase wins (user files)
    bool ok = true;
    for (size_t k = 1; k < len && ok; ++k) ok = tokens[pos + k].norm == p.norms[k];
    if (ok && p.case_sensitive && !all_caps)
      for (size_t k = 0; k < len && ok; ++k) ok = tokens[pos + k].kind != TokenKind::kWord || tokens[pos + k].upper;
    if (ok) best = {p.value, len};
  }
  return best;
}

// ------------------------------------------------------------------ sections

std::string text_data_dir() {
  if (const char* e = std::getenv("MEDGEN_TEXT_DATA"); e && *e) return e;
  const std::string built = std::string(MEDGEN_DATA_DIR) + "/text";
  if (fs::is_directory(built)) return built;
  return "data/text";
}

// Splits a data-file line on tabs.
std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> f;
  size_t s = 0;
  while (true) {
    const size_t t = line.find('\t', s);
    f.push_back(line.substr(s, t == std::string::npos ? std::string::npos : t - s));
    if (t == std::string::npos) break;
    s = t + 1;
  }
  return f;
}

void SectionRules::load(const std::string& path) {
  const std::string data = read_file(path);
  require_utf8(data, path);
  std::istringstream in(data);
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> f = split_tabs(line);
    if (f[0] == "@context") {
      static const char* kFlags[] = {"negated", "uncertain", "historical", "hypothetical", "family"};
      if (f.size() != 3) throw InvalidInput(located(path, lineno, 1, "@context takes a section code and a flag"));
      if (std::find_if(std::begin(kFlags), std::end(kFlags), [&](const char* k) { return f[2] == k; }) == std::end(kFlags))
        throw InvalidInput(located(path, lineno, f[0].size() + f[1].size() + 3,
                                   "unknown context flag '" + f[2] + "' (negated, uncertain, historical, hypothetical, family)"));
      context[f[1]].push_back(f[2]);
      continue;
    }
    if (f.size() != 2 || f[0].empty() || f[1].empty())
      throw InvalidInput(located(path, lineno, 1, "expected 'section_code<TAB>heading'"));
    for (char ch : f[0])
      if (!((ch >= 'a' && ch <= 'z') || ch == '_' || (ch >= '0' && ch <= '9')))
        throw InvalidInput(located(path, lineno, 1, "section code '" + f[0] + "' must be lower-case letters, digits or _"));
    auto it = std::find(codes.begin(), codes.end(), f[0]);
    const auto idx = static_cast<int32_t>(it - codes.begin());
    if (it == codes.end()) codes.push_back(f[0]);
    if (!headings.add(f[1], idx)) throw InvalidInput(located(path, lineno, f[0].size() + 2, "empty heading"));
  }
  sources.push_back(path);
}

SectionRules SectionRules::load_default() {
  SectionRules r;
  r.load(text_data_dir() + "/sections.tsv");
  return r;
}

// ------------------------------------------------------------------ parse_note

namespace {

bool is_bullet(const Token& t, std::string_view text) {
  if (t.kind != TokenKind::kPunct) return t.kind == TokenKind::kWord && t.lower == "o" && t.end < text.size() && text[t.end] == ' ';
  const std::string_view s = text.substr(t.begin, t.end - t.begin);
  return s == "-" || s == "*" || s == "+" || s == ">" || s == "#" || s == "\xE2\x80\xA2" || s == "\xC2\xB7" ||
         s == "\xE2\x80\x93" || s == "\xE2\x80\x94";
}

bool is_abbrev_before_period(const Token& t) {
  static const char* kAbbr[] = {"dr", "mr", "mrs", "ms", "vs", "e", "i", "g", "etc", "approx", "st", "jr", "sr",
                                "p", "r", "n", "b", "t", "q", "d", "h", "s", "a", "m", "o", "c", "x", "no", "fig"};
  if (t.kind != TokenKind::kWord) return false;
  for (const char* a : kAbbr)
    if (t.lower == a) return true;
  return false;
}

}  // namespace

Note parse_note(std::string id, std::string text, const SectionRules& rules) {
  Note note;
  note.id = std::move(id);
  note.text = std::move(text);
  const std::string_view tx = note.text;
  note.tokens = tokenize(tx);
  std::vector<Token>& tok = note.tokens;
  const size_t nt = tok.size();

  // line of each token (a token spanning a hyphenated break belongs to its first line)
  std::vector<size_t> line_of(nt);
  std::vector<size_t> line_start{0};
  for (size_t i = 0; i < tx.size(); ++i)
    if (tx[i] == '\n') line_start.push_back(i + 1);
  {
    size_t line = 0;
    for (size_t k = 0; k < nt; ++k) {
      while (line + 1 < line_start.size() && line_start[line + 1] <= tok[k].begin) ++line;
      line_of[k] = line;
    }
  }
  auto line_end_of = [&](size_t line) {
    size_t e = line + 1 < line_start.size() ? line_start[line + 1] - 1 : tx.size();
    while (e > line_start[line] && (tx[e - 1] == '\r' || tx[e - 1] == ' ' || tx[e - 1] == '\t')) --e;
    return e;
  };

  // headings: at the start of a line (after a bullet), a known heading followed by ':' / '-' /
  // the end of the line, or an unknown short capitalised label alone on its line ending in ':'.
  std::vector<int> heading_at(nt, 0);   // tokens the heading covers (incl. colon) when a heading starts here
  std::vector<int> heading_code(nt, -1);
  for (size_t k = 0; k < nt; ++k) {
    if (k > 0 && line_of[k - 1] == line_of[k]) continue;
    size_t s = k;
    size_t le = k;
    while (le < nt && line_of[le] == line_of[k]) ++le;
    while (s < le && tok[s].kind == TokenKind::kPunct && (is_bullet(tok[s], tx) || tok[s].lower == "=")) ++s;
    if (s >= le) continue;
    const PhraseMatcher::Match m = rules.headings.longest(tok, s, le, true);
    size_t after = s + m.length;
    if (m.value >= 0) {
      if (after == le || tok[after].lower == ":" || (tok[after].lower == "-" && after + 1 < le)) {
        if (after < le && (tok[after].lower == ":" || tok[after].lower == "-")) ++after;
        heading_at[k] = static_cast<int>(after - k);
        heading_code[k] = m.value;
        continue;
      }
    }
    // unknown label alone on its line: "Hospital Course:"
    if (le - s >= 2 && le - s <= 6 && tok[le - 1].lower == ":" && tok[s].kind == TokenKind::kWord &&
        tx[tok[s].begin] >= 'A' && tx[tok[s].begin] <= 'Z') {
      bool words = true;
      for (size_t q = s; q + 1 < le; ++q) words &= tok[q].kind == TokenKind::kWord || tok[q].lower == "/" || tok[q].lower == "&";
      if (words) {
        heading_at[k] = static_cast<int>(le - k);
        heading_code[k] = -2;
      }
    }
  }

  note.sections.push_back({"", "", 0, tx.size(), 0});
  size_t sent_start = 0;
  auto close_sentence = [&](size_t end_tok) {
    if (end_tok > sent_start) {
      Sentence s;
      s.first_token = sent_start;
      s.end_token = end_tok;
      s.begin = tok[sent_start].begin;
      s.end = tok[end_tok - 1].end;
      s.section = note.sections.size() - 1;
      bool any_letter = false, all_upper = true;
      for (size_t q = sent_start; q < end_tok; ++q)
        if (tok[q].kind == TokenKind::kWord) {
          for (unsigned char ch : tok[q].lower)
            if (is_ascii_alpha(ch)) any_letter = true;
          if (!tok[q].upper && !tok[q].lower.empty() && is_ascii_alpha(static_cast<unsigned char>(tok[q].lower[0]))) all_upper = false;
        }
      s.all_caps = any_letter && all_upper;
      note.sentences.push_back(s);
    }
    sent_start = end_tok;
  };

  for (size_t k = 0; k < nt; ++k) {
    if (heading_at[k] > 0) {
      close_sentence(k);
      Section& prev = note.sections.back();
      prev.end = tok[k].begin;
      const size_t hend = k + static_cast<size_t>(heading_at[k]);
      Section sec;
      size_t hs = k;
      while (hs < hend && tok[hs].kind == TokenKind::kPunct && is_bullet(tok[hs], tx)) ++hs;
      size_t he = hend;
      while (he > hs && tok[he - 1].kind == TokenKind::kPunct) --he;
      sec.heading = std::string(tx.substr(tok[hs].begin, tok[he > hs ? he - 1 : hs].end - tok[hs].begin));
      sec.code = heading_code[k] >= 0 ? rules.codes[static_cast<size_t>(heading_code[k])] : "other";
      sec.begin = tok[hs].begin;
      sec.end = tx.size();
      sec.body_begin = tok[hend - 1].end;
      if (prev.begin == prev.end && note.sections.size() == 1 && prev.code.empty())
        note.sections.back() = sec;
      else
        note.sections.push_back(sec);
      k = hend - 1;
      sent_start = hend;
      continue;
    }
    const Token& t = tok[k];
    // a line that starts with a bullet or a list number starts a sentence
    if (k > sent_start && line_of[k] != line_of[k - 1]) {
      const size_t prev_line = line_of[k - 1];
      const size_t pl_begin = line_start[prev_line], pl_end = line_end_of(prev_line);
      size_t first_nonblank = pl_begin;
      while (first_nonblank < pl_end && (tx[first_nonblank] == ' ' || tx[first_nonblank] == '\t')) ++first_nonblank;
      const bool blank_between = line_of[k] > prev_line + 1;
      const char last = pl_end > pl_begin ? tx[pl_end - 1] : '\n';
      // a long line, or one that ends in a comma (a list carried over), runs on into the next
      bool cont = !blank_between && (pl_end - first_nonblank >= 45 || last == ',') && last != ':' && last != '.' &&
                  !is_bullet(t, tx) && t.kind == TokenKind::kWord;
      if (cont && k + 1 < nt && line_of[k + 1] == line_of[k] && tok[k + 1].lower == ":") cont = false;  // "Label:"
      if (cont && k + 2 < nt && line_of[k + 2] == line_of[k] && tok[k + 2].lower == ":") cont = false;
      // a value or a parenthesis carried over to the next line continues the sentence ("RR\n14")
      const bool open_end = !blank_between && last != ':' && last != '.' && last != ';' && last != '!' && last != '?';
      if (!cont && open_end && t.kind == TokenKind::kNumber &&
          !(k + 1 < nt && line_of[k + 1] == line_of[k] && (tok[k + 1].lower == "." || tok[k + 1].lower == ")")))
        cont = true;
      if (!cont && open_end && t.lower == "(") cont = true;
      if (!cont) close_sentence(k);
    }
    if (t.kind == TokenKind::kPunct && (t.lower == "." || t.lower == "!" || t.lower == "?")) {
      const bool at_end = k + 1 >= nt;
      const bool space_after = at_end || (t.end < tx.size() && is_space(static_cast<unsigned char>(tx[t.end])));
      const bool abbrev = t.lower == "." && k > sent_start && is_abbrev_before_period(tok[k - 1]) &&
                          tok[k - 1].lower.size() > 1 && tok[k - 1].lower != "no";
      bool next_lower = false;
      if (!at_end && tok[k + 1].kind == TokenKind::kWord) {
        const char nc = tx[tok[k + 1].begin];
        next_lower = nc >= 'a' && nc <= 'z';
      }
      // "p.r.n." / "b.i.d.": single letters between periods do not end a sentence
      const bool letter_abbrev = t.lower == "." && k > sent_start && tok[k - 1].kind == TokenKind::kWord &&
                                 tok[k - 1].lower.size() == 1 && (next_lower || (k >= 2 && tok[k - 2].lower == "."));
      // "1. " numbering a list item at the start of a line
      const bool list_number = t.lower == "." && k > 0 && tok[k - 1].kind == TokenKind::kNumber &&
                               (k - 1 == 0 || line_of[k - 2] != line_of[k - 1] ||
                                (k >= 2 && is_bullet(tok[k - 2], tx) && (k - 2 == 0 || line_of[k - 3] != line_of[k - 2])));
      // "? pneumonia": a question mark written before a word queries it and ends nothing
      const bool query_prefix = t.lower == "?" && !at_end && space_after && t.begin > 0 &&
                                is_space(static_cast<unsigned char>(tx[t.begin - 1])) && tok[k + 1].kind == TokenKind::kWord;
      if (space_after && !abbrev && !query_prefix && !letter_abbrev && !list_number && !(next_lower && t.lower == "." && k > sent_start && tok[k - 1].lower.size() <= 3 && tok[k-1].kind == TokenKind::kWord && tok[k-1].lower.size() == 1))
        close_sentence(k + 1);
    }
  }
  close_sentence(nt);
  note.sections.back().end = tx.size();
  return note;
}

}  // namespace medgen::text
