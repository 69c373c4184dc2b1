#include "medgen/text/extract.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/text/utf8.h"

namespace medgen::text {

std::vector<std::string> split_tabs(const std::string& line);  // note.cpp

namespace {
const char* kTypeNames[kConceptTypes] = {"problem", "medication", "allergy", "procedure", "lab", "vital"};
}

const char* to_string(ConceptType t) { return kTypeNames[static_cast<int>(t)]; }

bool parse_concept_type(const std::string& s, ConceptType* t) {
  for (int i = 0; i < kConceptTypes; ++i)
    if (s == kTypeNames[i]) {
      *t = static_cast<ConceptType>(i);
      return true;
    }
  return false;
}

// ------------------------------------------------------------------ sig tables

void SigTables::load(const std::string& path) {
  const std::string data = read_file(path);
  require_utf8(data, path);
  std::istringstream in(data);
  std::string line;
  size_t lineno = 0;
  auto add = [&](PhraseMatcher& m, const std::string& phrase, int32_t v, size_t col) {
    if (!m.add(phrase, v)) throw InvalidInput(located(path, lineno, col, "empty phrase"));
    for (const Token& t : tokenize(phrase))
      if (t.kind == TokenKind::kWord) words.push_back(t.norm);
  };
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> f = split_tabs(line);
    const std::string& k = f[0];
    const size_t col = k.size() + 2;
    auto want = [&](size_t n, const char* shape) {
      if (f.size() != n) throw InvalidInput(located(path, lineno, 1, "expected '" + std::string(shape) + "'"));
    };
    if (k == "unit") {
      want(3, "unit<TAB>alias<TAB>UCUM");
      ucum_units.push_back(f[2]);
      add(units, f[1], static_cast<int32_t>(ucum_units.size() - 1), col);
    } else if (k == "route") {
      want(3, "route<TAB>alias<TAB>name");
      routes.push_back(f[2]);
      add(route, f[1], static_cast<int32_t>(routes.size() - 1), col);
    } else if (k == "form") {
      want(3, "form<TAB>alias<TAB>UCUM annotation");
      forms.push_back(f[2]);
      add(form, f[1], static_cast<int32_t>(forms.size() - 1), col);
    } else if (k == "duration") {
      want(3, "duration<TAB>alias<TAB>UCUM unit");
      duration_units.push_back(f[2]);
      add(duration, f[1], static_cast<int32_t>(duration_units.size() - 1), col);
    } else if (k == "prn") {
      want(2, "prn<TAB>alias");
      add(prn, f[1], 0, col);
    } else if (k == "frequency") {
      want(5, "frequency<TAB>alias<TAB>times<TAB>period<TAB>unit");
      Freq q;
      char* e1 = nullptr;
      char* e2 = nullptr;
      q.n = static_cast<int>(std::strtol(f[2].c_str(), &e1, 10));
      q.period = std::strtod(f[3].c_str(), &e2);
      q.unit = f[4];
      if (f[2].empty() || *e1 || q.n <= 0 || f[3].empty() || *e2 || q.period <= 0)
        throw InvalidInput(located(path, lineno, col + f[1].size() + 1, "times and period must be positive numbers"));
      if (q.unit != "h" && q.unit != "d" && q.unit != "wk" && q.unit != "mo" && q.unit != "min")
        throw InvalidInput(located(path, lineno, line.size() - q.unit.size() + 1, "period unit must be min, h, d, wk or mo"));
      frequencies.push_back(q);
      add(frequency, f[1], static_cast<int32_t>(frequencies.size() - 1), col);
    } else {
      throw InvalidInput(located(path, lineno, 1, "unknown kind '" + k + "' (unit, route, frequency, form, prn, duration)"));
    }
  }
  sources.push_back(path);
}

TextModel TextModel::load(const TextModelOptions& o) {
  TextModel m;
  const std::string dir = text_data_dir();
  m.sections.load(o.sections.empty() ? dir + "/sections.tsv" : o.sections);
  m.context.load(o.context_rules.empty() ? dir + "/context_rules.tsv" : o.context_rules);
  for (const auto& f : o.extra_rules) m.context.load(f);
  m.sig.load(o.sig.empty() ? dir + "/sig.tsv" : o.sig);
  m.lexicon = Lexicon::load(o.lexicon);
  // words of rules and sig phrases are known words: never "mended" into lexicon terms
  for (const auto& r : m.context.rules())
    for (const Token& t : tokenize(r.phrase)) m.lexicon.add_known_word(t.norm);
  for (const auto& w : m.sig.words) m.lexicon.add_known_word(w);
  return m;
}

std::vector<std::string> TextModel::sources() const {
  std::vector<std::string> s = sections.sources;
  for (const auto& x : context.sources()) s.push_back(x);
  for (const auto& x : sig.sources) s.push_back(x);
  for (const auto& x : lexicon.sources()) s.push_back(x);
  return s;
}

// ------------------------------------------------------------------ extraction

namespace {

bool parse_number(const Token& t, double* v) {
  if (t.kind != TokenKind::kNumber) return false;
  std::string s;
  for (char c : t.lower)
    if (c != ',') s += c;
  *v = std::strtod(s.c_str(), nullptr);
  return true;
}

struct Ctx {
  const Note& note;
  const TextModel& m;
  const std::vector<Token>& tok;
};

// A unit phrase at k: returns tokens used (0 when none) and sets *ucum / *text.
size_t unit_at(const Ctx& c, size_t k, size_t end, std::string* ucum, std::string* text) {
  if (k >= end) return 0;
  const PhraseMatcher::Match u = c.m.sig.units.longest(c.tok, k, end, true);
  if (u.value < 0) return 0;
  *ucum = c.m.sig.ucum_units[static_cast<size_t>(u.value)];
  *text = c.note.text.substr(c.tok[k].begin, c.tok[k + u.length - 1].end - c.tok[k].begin);
  return u.length;
}

bool is_filler(const Token& t) {
  static const char* kFill[] = {":", "=", "-", "of", "was", "is", "at", "level", "value", "result", "now", "today",
                                "measured", "reading", "were", "are", "(", "remain", "remains", "count", "(s)"};
  for (const char* f : kFill)
    if (t.lower == f) return true;
  return false;
}

// Value of a lab/vital whose name ends at token k. Returns the end token of the value (k when none).
size_t read_value(const Ctx& c, size_t k, size_t end, const LexiconEntry& e, Concept* out) {
  size_t p = k;
  int skipped = 0;
  while (p < end && skipped < 4 && is_filler(c.tok[p])) {
    ++p;
    ++skipped;
  }
  Quantity q;
  if (p < end && c.tok[p].kind == TokenKind::kPunct) {
    const std::string& s = c.tok[p].lower;
    if (s == "<" || s == ">" || s == "\xE2\x89\xA4" || s == "\xE2\x89\xA5") {
      q.comparator = s == "<" ? "<" : s == ">" ? ">" : s == "\xE2\x89\xA4" ? "<=" : ">=";
      ++p;
      if (p < end && c.tok[p].lower == "=") {
        q.comparator += "=";
        ++p;
      }
    }
  }
  double v = 0;
  if (p >= end || !parse_number(c.tok[p], &v)) return k;
  // a negative value: "-2.1" (base excess); only when the minus touches the number
  if (p > k && c.tok[p - 1].lower == "-" && c.tok[p - 1].end == c.tok[p].begin && skipped > 1) v = -v;
  q.value = v;
  ++p;
  if (p + 1 < end && c.tok[p].lower == "/" && c.tok[p + 1].kind == TokenKind::kNumber &&
      c.tok[p].begin == c.tok[p - 1].end) {
    Quantity q2;
    parse_number(c.tok[p + 1], &q2.value);
    out->value2 = q2;
    p += 2;
  }
  std::string ucum, text;
  const size_t ul = unit_at(c, p, end, &ucum, &text);
  if (ul > 0) {
    q.unit = ucum;
    q.unit_text = text;
    p += ul;
  } else {
    q.unit = e.unit;
    if (q.unit == "Cel" && q.value > 50) q.unit = "[degF]";
  }
  if (out->value2) {
    out->value2->unit = q.unit;
    out->value2->unit_text = q.unit_text;
  }
  out->value = q;
  return p;
}

// The sig after a medication name ending at k, up to `end` (the next medication or the sentence end).
size_t read_sig(const Ctx& c, size_t k, size_t end, MedicationSig* sig) {
  const SigTables& st = c.m.sig;
  size_t last = k;
  size_t p = k;
  size_t gap = 0;  // tokens since the last sig element
  while (p < end && gap < 6) {
    const Token& t = c.tok[p];
    double v = 0;
    if (parse_number(t, &v)) {
      // number + unit / form
      std::string ucum, text;
      size_t q = p + 1;
      if (q < end && c.tok[q].lower == "-" && q + 1 < end && c.tok[q + 1].kind == TokenKind::kNumber) q += 2;  // 1-2 tabs
      const size_t ul = unit_at(c, q, end, &ucum, &text);
      if (ul > 0) {
        Quantity qt{v, "", ucum, text};
        if (!sig->strength)
          sig->strength = qt;
        else if (!sig->dose)
          sig->dose = qt;
        p = last = q + ul;
        gap = 0;
        continue;
      }
      const PhraseMatcher::Match f = st.form.longest(c.tok, q, end, true);
      if (f.value >= 0) {
        sig->dose = Quantity{v, "", st.forms[static_cast<size_t>(f.value)],
                             c.note.text.substr(c.tok[q].begin, c.tok[q + f.length - 1].end - c.tok[q].begin)};
        p = last = q + f.length;
        gap = 0;
        continue;
      }
    }
    // every 6 hours / q 6 h / for 7 days / x 10 days
    if ((t.lower == "every" || t.lower == "q" || t.lower == "each") && p + 2 < end + 1 && p + 1 < end &&
        parse_number(c.tok[p + 1], &v)) {
      const PhraseMatcher::Match d = st.duration.longest(c.tok, p + 2, end, true);
      if (d.value >= 0 && v > 0) {
        sig->frequency = 1;
        sig->period = v;
        sig->period_unit = st.duration_units[static_cast<size_t>(d.value)];
        sig->frequency_text = c.note.text.substr(t.begin, c.tok[p + 1 + d.length].end - t.begin);
        p = last = p + 2 + d.length;
        gap = 0;
        continue;
      }
    }
    if ((t.lower == "for" || t.lower == "x" || t.lower == "\xC3\x97") && p + 1 < end && parse_number(c.tok[p + 1], &v)) {
      const PhraseMatcher::Match d = st.duration.longest(c.tok, p + 2, end, true);
      if (d.value >= 0) {
        sig->duration = Quantity{v, "", st.duration_units[static_cast<size_t>(d.value)],
                                 c.note.text.substr(c.tok[p + 2].begin, c.tok[p + 1 + d.length].end - c.tok[p + 2].begin)};
        p = last = p + 2 + d.length;
        gap = 0;
        continue;
      }
    }
    if (const auto r = st.route.longest(c.tok, p, end, true); r.value >= 0 && sig->route.empty()) {
      sig->route = st.routes[static_cast<size_t>(r.value)];
      p = last = p + r.length;
      gap = 0;
      continue;
    }
    if (const auto f = st.frequency.longest(c.tok, p, end, true); f.value >= 0 && sig->frequency == 0) {
      const SigTables::Freq& fq = st.frequencies[static_cast<size_t>(f.value)];
      sig->frequency = fq.n;
      sig->period = fq.period;
      sig->period_unit = fq.unit;
      sig->frequency_text = c.note.text.substr(t.begin, c.tok[p + f.length - 1].end - t.begin);
      p = last = p + f.length;
      gap = 0;
      continue;
    }
    if (const auto f = st.prn.longest(c.tok, p, end, true); f.value >= 0) {
      sig->as_needed = true;
      p = last = p + f.length;
      gap = 0;
      {
        // the indication: "prn pain", "as needed for shortness of breath"
        const size_t q = p < end && c.tok[p].lower == "for" ? p + 1 : p;
        size_t e = q;
        while (e < end && e < q + 4 && c.tok[e].kind == TokenKind::kWord && c.tok[e].lower != "and" &&
               c.m.sig.route.longest(c.tok, e, end, true).value < 0 && c.m.sig.frequency.longest(c.tok, e, end, true).value < 0)
          ++e;
        if (e > q) {
          sig->as_needed_for = c.note.text.substr(c.tok[q].begin, c.tok[e - 1].end - c.tok[q].begin);
          p = last = e;
        }
      }
      continue;
    }
    if (t.kind == TokenKind::kPunct && (t.lower == ";" || t.lower == "(" || t.lower == ")")) {
      if (t.lower == ";") break;
    }
    ++p;
    ++gap;
  }
  return last;
}

bool in_allergy_context(const Ctx& c, const Sentence& s, size_t k) {
  for (size_t q = s.first_token; q < k; ++q) {
    const std::string& w = c.tok[q].norm;
    if (w.rfind("allerg", 0) == 0 || w == "intolerant" || w == "intolerance" || w == "anaphylaxi" ||
        w == "anaphylaxis" || w == "reaction")
      return true;
  }
  // "penicillin allergy"
  return false;
}

}  // namespace

std::vector<Concept> extract(const Note& note, const TextModel& m) {
  std::vector<Concept> out;
  out.reserve(note.sentences.size());
  // spelling-mended copy of the tokens, made only when a word needs mending
  const std::vector<Token>* tp = &note.tokens;
  std::vector<Token> mended;
  for (size_t k = 0; k < note.tokens.size(); ++k) {
    const Token& t = note.tokens[k];
    if (t.kind != TokenKind::kWord || t.norm.size() < 6) continue;
    if (const std::string* w = m.lexicon.mend(t.norm)) {
      if (mended.empty()) mended = note.tokens;
      mended[k].norm = *w;
      tp = &mended;
    }
  }
  const std::vector<Token>& tok = *tp;
  Ctx c{note, m, tok};
  const auto& entries = m.lexicon.entries();

  for (size_t si = 0; si < note.sentences.size(); ++si) {
    const Sentence& s = note.sentences[si];
    const Section& sec = note.sections[s.section];
    const bool allergy_section = sec.code == "allergies";
    // lexicon hits first (the sig of a medication stops at the next one)
    struct HitAt {
      size_t b, e;
      int32_t entry;
    };
    std::vector<HitAt> hits;
    for (size_t k = s.first_token; k < s.end_token;) {
      const Lexicon::Hit h = m.lexicon.match(tok, k, s.end_token, s.all_caps);
      if (h.entry >= 0) {
        const EntryKind kind = entries[static_cast<size_t>(h.entry)].kind;
        // "500 mg": a lab abbreviation right after a number is a unit ("Mg")
        if ((kind == EntryKind::kLab || kind == EntryKind::kVital) && k > s.first_token &&
            tok[k - 1].kind == TokenKind::kNumber && m.sig.units.longest(tok, k, s.end_token, true).length >= h.length) {
          k += h.length;
          continue;
        }
        hits.push_back({k, k + h.length, h.entry});
        k += h.length;
      } else {
        ++k;
      }
    }
    if (hits.empty()) continue;
    const std::vector<ContextCue> cues = m.context.cues(tok, s.first_token, s.end_token);
    auto sec_ctx = m.sections.context.find(sec.code);
    size_t consumed_until = s.first_token;  // tokens read as a value or sig
    bool allergy_seen = false;
    for (size_t h = 0; h < hits.size(); ++h) {
      const HitAt& hit = hits[h];
      if (hit.b < consumed_until) continue;
      const LexiconEntry& e = entries[static_cast<size_t>(hit.entry)];
      Concept cn;
      cn.entry = hit.entry;
      cn.span = {tok[hit.b].begin, tok[hit.e - 1].end};
      cn.preferred = e.preferred;
      cn.system = e.system;
      cn.code = e.code;
      cn.mapped = e.mapped;
      cn.section = sec.code;
      cn.sentence = si;
      size_t ext_end = hit.e;
      // a medication's sig runs to the next medication; a value to the next concept
      size_t next_b = s.end_token;
      for (size_t q = h + 1; q < hits.size(); ++q) {
        const EntryKind nk = entries[static_cast<size_t>(hits[q].entry)].kind;
        if (e.kind != EntryKind::kMedication || nk == EntryKind::kMedication || nk == EntryKind::kAllergen) {
          next_b = hits[q].b;
          break;
        }
      }
      const bool allergy_ctx = allergy_section || in_allergy_context(c, s, hit.b) ||
                               (hit.e < s.end_token && tok[hit.e].norm.rfind("allerg", 0) == 0);
      switch (e.kind) {
        case EntryKind::kProblem:
          if (allergy_seen && allergy_ctx) {
            // a reaction of the allergy before it: "penicillin (hives)"
            Concept& a = out.back();
            if (a.type == ConceptType::kAllergy && a.reaction.empty()) {
              a.reaction = note.text.substr(cn.span.begin, cn.span.end - cn.span.begin);
              a.extent.end = cn.span.end;
              continue;
            }
          }
          cn.type = ConceptType::kProblem;
          break;
        case EntryKind::kProcedure: cn.type = ConceptType::kProcedure; break;
        case EntryKind::kAllergen:
          if (!allergy_ctx) continue;
          cn.type = ConceptType::kAllergy;
          break;
        case EntryKind::kMedication:
          if (allergy_ctx) {
            cn.type = ConceptType::kAllergy;
            if (hit.e < s.end_token && tok[hit.e].norm.rfind("allerg", 0) == 0) ext_end = hit.e + 1;
          } else {
            cn.type = ConceptType::kMedication;
            ext_end = std::max(ext_end, read_sig(c, hit.e, next_b, &cn.sig));
          }
          break;
        case EntryKind::kLab:
        case EntryKind::kVital: {
          cn.type = e.kind == EntryKind::kLab ? ConceptType::kLab : ConceptType::kVital;
          const size_t ve = read_value(c, hit.e, std::min(next_b + 0, s.end_token), e, &cn);
          if (ve == hit.e && e.needs_value) continue;
          ext_end = std::max(ext_end, ve);
          break;
        }
      }
      cn.text = note.text.substr(cn.span.begin, cn.span.end - cn.span.begin);
      cn.extent = {cn.span.begin, tok[ext_end - 1].end};
      cn.context = ContextRules::flags_for(cues, hit.b, hit.e, static_cast<int>(cn.type));
      for (const ContextCue& cue : cues)
        if (cn.context.get(cue.category) && (cue.types & (1u << static_cast<int>(cn.type))) &&
            hit.b >= cue.scope_begin && hit.b < cue.scope_end)
          cn.cues.push_back({tok[cue.begin_token].begin, tok[cue.end_token - 1].end});
      if (sec_ctx != m.sections.context.end())
        for (const std::string& f : sec_ctx->second) {
          ContextCategory cat;
          if (parse_context_category(f, &cat)) cn.context.set(cat, true);
        }
      if (cn.type == ConceptType::kAllergy) allergy_seen = true;
      consumed_until = ext_end;
      out.push_back(std::move(cn));
    }
  }
  return out;
}

// ------------------------------------------------------------------ JSON

namespace {
nlohmann::json quantity_json(const Quantity& q) {
  nlohmann::json j{{"value", q.value}};
  if (!q.comparator.empty()) j["comparator"] = q.comparator;
  if (!q.unit.empty()) j["unit"] = q.unit;
  if (!q.unit_text.empty()) j["unit_text"] = q.unit_text;
  return j;
}
}  // namespace

nlohmann::json to_json(const Concept& c) {
  nlohmann::json j{{"type", to_string(c.type)}, {"text", c.text}, {"begin", c.span.begin}, {"end", c.span.end},
                   {"preferred", c.preferred}};
  if (!c.system.empty()) j["system"] = c.system;
  if (!c.code.empty()) j["code"] = c.code;
  if (!c.mapped.empty()) j["mapped"] = c.mapped;
  j["section"] = c.section;
  nlohmann::json ctx = nlohmann::json::array();
  for (int i = 0; i < kContextCategories; ++i)
    if (c.context.get(static_cast<ContextCategory>(i))) ctx.push_back(to_string(static_cast<ContextCategory>(i)));
  j["context"] = ctx;
  if (c.value) j["value"] = quantity_json(*c.value);
  if (c.value2) j["value2"] = quantity_json(*c.value2);
  if (c.type == ConceptType::kMedication) {
    nlohmann::json s = nlohmann::json::object();
    if (c.sig.strength) s["strength"] = quantity_json(*c.sig.strength);
    if (c.sig.dose) s["dose"] = quantity_json(*c.sig.dose);
    if (!c.sig.route.empty()) s["route"] = c.sig.route;
    if (c.sig.frequency > 0)
      s["frequency"] = {{"text", c.sig.frequency_text}, {"times", c.sig.frequency}, {"period", c.sig.period},
                        {"period_unit", c.sig.period_unit}};
    if (c.sig.duration) s["duration"] = quantity_json(*c.sig.duration);
    if (c.sig.as_needed) {
      s["as_needed"] = true;
      if (!c.sig.as_needed_for.empty()) s["as_needed_for"] = c.sig.as_needed_for;
    }
    j["sig"] = s;
  }
  if (!c.reaction.empty()) j["reaction"] = c.reaction;
  return j;
}

}  // namespace medgen::text
