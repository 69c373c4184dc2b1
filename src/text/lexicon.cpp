#include "medgen/text/lexicon.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/text/utf8.h"

namespace fs = std::filesystem;

namespace medgen::text {

std::vector<std::string> split_tabs(const std::string& line);  // note.cpp

const char* to_string(EntryKind k) {
  switch (k) {
    case EntryKind::kProblem: return "problem";
    case EntryKind::kMedication: return "medication";
    case EntryKind::kAllergen: return "allergen";
    case EntryKind::kProcedure: return "procedure";
    case EntryKind::kLab: return "lab";
    case EntryKind::kVital: return "vital";
  }
  return "?";
}

namespace {

size_t prefix_slot(const std::string& w) { return static_cast<size_t>(w[0] - 'a') * 26 + static_cast<size_t>(w[1] - 'a'); }

bool parse_kind(const std::string& s, EntryKind* k) {
  static const std::pair<const char*, EntryKind> kKinds[] = {
      {"problem", EntryKind::kProblem}, {"medication", EntryKind::kMedication}, {"allergen", EntryKind::kAllergen},
      {"procedure", EntryKind::kProcedure}, {"lab", EntryKind::kLab}, {"vital", EntryKind::kVital}};
  for (const auto& [n, v] : kKinds)
    if (s == n) {
      *k = v;
      return true;
    }
  return false;
}

std::string system_uri(const std::string& s) {
  if (s == "-" || s.empty()) return "";
  if (s == "icd10") return "http://hl7.org/fhir/sid/icd-10";
  if (s == "atc") return "http://www.whocc.no/atc";
  if (s == "loinc") return "http://loinc.org";
  if (s == "icpc2") return "http://hl7.org/fhir/sid/icpc-2";
  if (s == "snomed") return "http://snomed.info/sct";
  if (s == "rxnorm") return "http://www.nlm.nih.gov/research/umls/rxnorm";
  return s;
}

bool is_stop(const std::string& w) {
  return w == "of" || w == "the" || w == "in" || w == "to" || w == "with" || w == "a" || w == "an" || w == "," ||
         w == "-";
}

std::string bag_key(const std::vector<std::string>& words) {
  std::vector<std::string> w;
  for (const auto& x : words)
    if (!is_stop(x)) w.push_back(x);
  if (w.size() < 2) return "";
  std::sort(w.begin(), w.end());
  std::string k;
  for (const auto& x : w) k += x + ' ';
  return k;
}

std::string sentence_case(const std::string& upper) {
  std::string r;
  bool start = true;
  for (char c : upper) {
    if (c >= 'A' && c <= 'Z' && !start) c = static_cast<char>(c + 32);
    r += c;
    start = false;
  }
  return r;
}

// Parses a parenthesised SQL values tuple: 'strings' with '' escapes, NULL, numbers.
bool parse_sql_values(const std::string& s, size_t pos, std::vector<std::string>* out, std::vector<bool>* null) {
  size_t i = pos;
  if (i >= s.size() || s[i] != '(') return false;
  ++i;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) return false;
    if (s[i] == '\'') {
      std::string v;
      ++i;
      while (i < s.size()) {
        if (s[i] == '\'') {
          if (i + 1 < s.size() && s[i + 1] == '\'') {
            v += '\'';
            i += 2;
            continue;
          }
          break;
        }
        v += s[i++];
      }
      if (i >= s.size()) return false;
      ++i;
      out->push_back(v);
      null->push_back(false);
    } else {
      size_t j = i;
      while (j < s.size() && s[j] != ',' && s[j] != ')') ++j;
      std::string v = s.substr(i, j - i);
      while (!v.empty() && v.back() == ' ') v.pop_back();
      out->push_back(v == "NULL" ? "" : v);
      null->push_back(v == "NULL");
      i = j;
    }
    while (i < s.size() && s[i] == ' ') ++i;
    if (i < s.size() && s[i] == ',') {
      ++i;
      continue;
    }
    return i < s.size() && s[i] == ')';
  }
  return false;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '.' || s.back() == '\t')) s.pop_back();
  size_t b = 0;
  while (b < s.size() && s[b] == ' ') ++b;
  return s.substr(b);
}

size_t word_count(const std::string& s) {
  size_t n = 0;
  bool in = false;
  for (char c : s) {
    const bool w = c != ' ';
    if (w && !in) ++n;
    in = w;
  }
  return n;
}

}  // namespace

int32_t Lexicon::add_entry(LexiconEntry e, const std::vector<std::string>& terms) {
  const auto idx = static_cast<int32_t>(entries_.size());
  const bool ordered_ok = e.kind == EntryKind::kProblem || e.kind == EntryKind::kProcedure;
  bool any = false;
  for (const std::string& term : terms) {
    std::vector<Token> toks = tokenize(term);
    if (toks.empty()) continue;
    std::string key = std::string(to_string(e.kind)) + ":";
    std::vector<std::string> words;
    for (const Token& t : toks) {
      key += t.norm + ' ';
      words.push_back(t.norm);
      if (t.kind == TokenKind::kWord) vocab_.insert(t.norm);
    }
    auto [it, fresh] = term_index_.emplace(key, idx);
    if (!fresh && term == e.preferred && entries_[static_cast<size_t>(it->second)].code == e.code &&
        entries_[static_cast<size_t>(it->second)].preferred == e.preferred)
      continue;  // a second entry of the same concept (e.g. abbreviations that need a value)
    if (!fresh) {
      // a later file overrides an earlier one's entry for the same term (user lexicons)
      if (e.source.rfind("ATC", 0) == 0 || e.source.rfind("ICPC", 0) == 0) continue;
    }
    size_t letters = 0;
    bool caps = true;
    for (char c : term) {
      if ((c >= 'a' && c <= 'z')) caps = false;
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) ++letters;
    }
    const bool case_sensitive = caps && letters <= 4;
    if (!fresh) {
      it->second = idx;
    }
    matcher_.add(term, idx, case_sensitive);
    if (ordered_ok && !case_sensitive) {
      const std::string bk = bag_key(words);
      if (!bk.empty() && !bags_.count(bk)) {
        bags_[bk] = idx;
        for (const auto& w : words)
          if (!is_stop(w)) bag_words_.insert(w);
      }
    }
    any = true;
  }
  if (!any) return -1;
  entries_.push_back(std::move(e));
  return idx;
}

void Lexicon::load_tsv(const std::string& path) {
  const std::string data = read_file(path);
  require_utf8(data, path);
  std::istringstream in(data);
  std::string line;
  size_t lineno = 0, n = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = split_tabs(line);
    if (f.size() < 4 || f.size() > 7)
      throw InvalidInput(located(path, lineno, 1,
                                 "expected 4 to 7 tab-separated fields (kind, system, code, preferred, synonyms, unit, "
                                 "flags), got " + std::to_string(f.size())));
    LexiconEntry e;
    if (!parse_kind(f[0], &e.kind))
      throw InvalidInput(located(path, lineno, 1,
                                 "unknown kind '" + f[0] + "' (problem, medication, allergen, procedure, lab, vital)"));
    e.system = system_uri(f[1]);
    e.code = f[2] == "-" ? "" : f[2];
    e.preferred = f[3];
    const size_t col_pref = f[0].size() + f[1].size() + f[2].size() + 4;
    if (tokenize(e.preferred).empty()) throw InvalidInput(located(path, lineno, col_pref, "empty preferred term"));
    std::vector<std::string> terms{e.preferred};
    if (f.size() > 4) {
      std::string syn = f[4];
      size_t s = 0;
      while (s <= syn.size()) {
        const size_t b = syn.find('|', s);
        std::string t = trim(syn.substr(s, b == std::string::npos ? std::string::npos : b - s));
        if (!t.empty() && t != "-") terms.push_back(t);
        if (b == std::string::npos) break;
        s = b + 1;
      }
    }
    if (f.size() > 5 && f[5] != "-") e.unit = f[5];
    if (f.size() > 6) {
      if (f[6] == "value")
        e.needs_value = true;
      else if (f[6] != "-" && !f[6].empty())
        throw InvalidInput(located(path, lineno, line.size() - f[6].size() + 1, "unknown flag '" + f[6] + "' (value)"));
    }
    e.source = path + ":" + std::to_string(lineno);
    if (add_entry(std::move(e), terms) >= 0) ++n;
  }
  sources_.push_back(path + " (" + std::to_string(n) + " entries)");
}

void Lexicon::load_atc_csv(const std::string& path) {
  const std::string data = read_file(path);
  require_utf8(data, path);
  std::istringstream in(data);
  std::string line;
  size_t lineno = 0, n = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.size() < 12 || line[0] != '"') continue;
    const size_t q1 = line.find('"', 1);
    if (q1 == std::string::npos || q1 != 8) continue;  // level-5 codes have 7 characters
    const std::string code = line.substr(1, 7);
    if (line.compare(q1, 3, "\",\"") != 0) throw InvalidInput(located(path, lineno, q1 + 1, "expected \",\" after the code"));
    const size_t q2 = line.find('"', q1 + 3);
    if (q2 == std::string::npos) throw InvalidInput(located(path, lineno, q1 + 3, "unterminated name"));
    std::string name = line.substr(q1 + 3, q2 - q1 - 3);
    if (name.find("COMBINATION") != std::string::npos || name.find("VARIOUS") != std::string::npos ||
        name.find("OTHER") != std::string::npos || name.find(',') != std::string::npos || word_count(name) > 3)
      continue;
    std::string lower;
    for (char c : name) lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    LexiconEntry e;
    e.kind = EntryKind::kMedication;
    e.preferred = lower;
    e.system = system_uri("atc");
    e.code = code;
    e.source = "ATC " + path + ":" + std::to_string(lineno);
    if (add_entry(std::move(e), {lower}) >= 0) ++n;
  }
  sources_.push_back(path + " (" + std::to_string(n) + " entries, WHO ATC via gnumed-server)");
}

void Lexicon::load_icpc2_sql(const std::string& path) {
  const std::string data = read_file(path);
  require_utf8(data, path);
  std::istringstream in(data);
  std::string line;
  size_t lineno = 0, n = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.rfind("INSERT INTO staging.icpc", 0) != 0) continue;
    const size_t v = line.find("VALUES (");
    if (v == std::string::npos) throw InvalidInput(located(path, lineno, 1, "INSERT without VALUES"));
    std::vector<std::string> f;
    std::vector<bool> null;
    if (!parse_sql_values(line, v + 7, &f, &null) || f.size() != 11)
      throw InvalidInput(located(path, lineno, v + 8, "expected 11 values (component ... code)"));
    const std::string& comp = f[0];
    if (comp != "1" && comp != "7") continue;
    const std::string desc = f[1];
    std::vector<std::string> terms;
    auto usable = [](const std::string& t) {
      if (t.empty() || word_count(t) > 4) return false;
      for (const char* bad : {"/", "(", "NOS", "OTHER", "other", " nos", "unspecified", "Other", ";", "["})
        if (t.find(bad) != std::string::npos) return false;
      return true;
    };
    if (usable(desc)) terms.push_back(sentence_case(desc));
    std::string incl = f[5];
    size_t s = 0;
    while (s <= incl.size()) {
      size_t b = incl.find_first_of(",;", s);
      std::string t = trim(incl.substr(s, b == std::string::npos ? std::string::npos : b - s));
      if (usable(t) && t.size() >= 4) terms.push_back(t);
      if (b == std::string::npos) break;
      s = b + 1;
    }
    if (terms.empty()) continue;
    LexiconEntry e;
    e.kind = EntryKind::kProblem;
    e.preferred = sentence_case(desc);
    e.system = system_uri("icpc2");
    e.code = f[10];
    if (!f[3].empty()) {
      std::string icd = f[3].substr(0, f[3].find_first_of(", "));
      e.mapped = system_uri("icd10") + "|" + icd;
    }
    e.source = "ICPC-2 " + path + ":" + std::to_string(lineno);
    if (add_entry(std::move(e), terms) >= 0) ++n;
  }
  sources_.push_back(path + " (" + std::to_string(n) + " entries, ICPC-2 via gnumed-server)");
}

void Lexicon::load_word_list(const std::string& path) {
  const std::string data = read_file(path);
  std::istringstream in(data);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == ' ' || line[0] == '\t') continue;
    line = line.substr(0, line.find('/'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || find_invalid_utf8(line) != std::string::npos) continue;
    known_.insert(normalize_word(line));
    ++n;
  }
  sources_.push_back(path + " (" + std::to_string(n) + " known words, hunspell-en-med)");
}

void Lexicon::finish() {
  by_prefix_.assign(26 * 26, {});
  for (const std::string& w : vocab_) {
    if (w.size() < 6) continue;
    bool alpha = true;
    for (char c : w) alpha &= c >= 'a' && c <= 'z';
    if (alpha) by_prefix_[prefix_slot(w)].push_back(w);
  }
  for (auto& b : by_prefix_) std::sort(b.begin(), b.end());
}

namespace {

// True when a and b are one edit apart: one letter inserted, dropped, replaced, or two
// neighbouring letters swapped.
bool one_edit(const std::string& a, const std::string& b) {
  const size_t n = a.size(), m = b.size();
  if (n == m) {
    size_t i = 0;
    while (i < n && a[i] == b[i]) ++i;
    if (i == n) return false;
    if (a.compare(i + 1, std::string::npos, b, i + 1, std::string::npos) == 0) return true;  // replaced
    return i + 1 < n && a[i] == b[i + 1] && a[i + 1] == b[i] &&
           a.compare(i + 2, std::string::npos, b, i + 2, std::string::npos) == 0;  // swapped
  }
  if (n + 1 != m && m + 1 != n) return false;
  const std::string& s = n < m ? a : b;
  const std::string& l = n < m ? b : a;
  size_t i = 0;
  while (i < s.size() && s[i] == l[i]) ++i;
  return s.compare(i, std::string::npos, l, i + 1, std::string::npos) == 0;
}


}  // namespace

const std::string* Lexicon::mend(const std::string& norm) const {
  if (norm.size() < 6 || by_prefix_.empty()) return nullptr;
  for (char c : norm)
    if (c < 'a' || c > 'z') return nullptr;
  if (vocab_.count(norm) || known_.count(norm)) return nullptr;
  // candidates share the first two letters (OCR noise and typos rarely hit them; checking them
  // would multiply the work)
  const std::string* found = nullptr;
  for (const std::string& w : by_prefix_[prefix_slot(norm)]) {
    if (w.size() + 1 < norm.size() || w.size() > norm.size() + 1) continue;
    if (one_edit(norm, w)) {
      if (found) return nullptr;  // ambiguous
      found = &w;
    }
  }
  return found;
}

Lexicon::Hit Lexicon::match(const std::vector<Token>& tokens, size_t pos, size_t end, bool all_caps) const {
  const PhraseMatcher::Match m = matcher_.longest(tokens, pos, end, all_caps);
  Hit best{m.value, m.length};
  // the same content words in another order (problems, procedures): 2-6 tokens
  if (bag_words_.count(tokens[pos].norm)) {
    std::vector<std::string> words;
    for (size_t len = 1; len <= 6 && pos + len <= end; ++len) {
      const Token& t = tokens[pos + len - 1];
      if (t.kind == TokenKind::kPunct && t.lower != "," && t.lower != "-") break;
      words.push_back(t.norm);
      if (len < 2 || len <= best.length || is_stop(t.norm)) continue;
      if (!is_stop(t.norm) && !bag_words_.count(t.norm)) break;
      auto it = bags_.find(bag_key(words));
      if (it != bags_.end()) best = {it->second, len};
    }
  }
  return best;
}

Lexicon Lexicon::load(const LexiconOptions& options) {
  Lexicon lx;
  const fs::path dir = fs::path(text_data_dir()) / "lexicon";
  if (!fs::is_directory(dir)) throw InvalidInput(dir.string() + ": text lexicon folder not found");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".tsv") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) lx.load_tsv(f);
  if (options.packaged) {
    std::error_code ec;
    if (!options.atc_csv.empty() && fs::is_regular_file(options.atc_csv, ec)) lx.load_atc_csv(options.atc_csv);
    if (!options.icpc2_sql.empty() && fs::is_regular_file(options.icpc2_sql, ec)) lx.load_icpc2_sql(options.icpc2_sql);
    if (!options.word_list.empty() && fs::is_regular_file(options.word_list, ec)) lx.load_word_list(options.word_list);
  }
  for (const auto& f : options.user_files) lx.load_tsv(f);
  lx.finish();
  return lx;
}

}  // namespace medgen::text
