#include "medgen/text/context.h"

#include <sstream>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/text/utf8.h"

namespace medgen::text {

std::vector<std::string> split_tabs(const std::string& line);  // note.cpp

namespace {
const char* kCategoryNames[kContextCategories] = {"negated", "uncertain", "historical", "hypothetical", "family"};
// ConceptType order (extract.h); spelled here so that context does not depend on extraction
const char* kTypeNames[] = {"problem", "medication", "allergy", "procedure", "lab", "vital"};

// "problem,lab" -> bit mask; false on an unknown or empty name.
bool parse_types(const std::string& s, uint8_t* mask) {
  *mask = 0;
  size_t p = 0;
  while (p <= s.size()) {
    size_t q = s.find(',', p);
    if (q == std::string::npos) q = s.size();
    const std::string name = s.substr(p, q - p);
    bool known = false;
    for (int t = 0; t < 6; ++t)
      if (name == kTypeNames[t]) {
        *mask |= static_cast<uint8_t>(1u << t);
        known = true;
      }
    if (!known) return false;
    p = q + 1;
  }
  return *mask != 0;
}
}

const char* to_string(ContextCategory c) { return kCategoryNames[static_cast<int>(c)]; }

bool parse_context_category(const std::string& s, ContextCategory* c) {
  for (int i = 0; i < kContextCategories; ++i)
    if (s == kCategoryNames[i]) {
      *c = static_cast<ContextCategory>(i);
      return true;
    }
  return false;
}

bool ContextFlags::get(ContextCategory c) const {
  switch (c) {
    case ContextCategory::kNegated: return negated;
    case ContextCategory::kUncertain: return uncertain;
    case ContextCategory::kHistorical: return historical;
    case ContextCategory::kHypothetical: return hypothetical;
    case ContextCategory::kFamily: return family;
  }
  return false;
}

void ContextFlags::set(ContextCategory c, bool v) {
  switch (c) {
    case ContextCategory::kNegated: negated = v; break;
    case ContextCategory::kUncertain: uncertain = v; break;
    case ContextCategory::kHistorical: historical = v; break;
    case ContextCategory::kHypothetical: hypothetical = v; break;
    case ContextCategory::kFamily: family = v; break;
  }
}

void ContextRules::load(const std::string& path) {
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
    if (f[0] == "@window") {
      if (f.size() != 2 || f[1].empty() || f[1].size() > 4 || f[1].find_first_not_of("0123456789") != std::string::npos)
        throw InvalidInput(located(path, lineno, 1, "@window takes a whole number of tokens"));
      window_ = std::stoul(f[1]);
      continue;
    }
    if (f[0] == "@both_window") {
      if (f.size() != 2 || f[1].empty() || f[1].size() > 4 || f[1].find_first_not_of("0123456789") != std::string::npos)
        throw InvalidInput(located(path, lineno, 1, "@both_window takes a whole number of tokens"));
      back_window_ = std::stoul(f[1]);
      continue;
    }
    if (f[0] == "@types") {
      ContextCategory c;
      uint8_t mask = 0;
      if (f.size() != 3 || !parse_context_category(f[1], &c) || !parse_types(f[2], &mask))
        throw InvalidInput(located(path, lineno, 1,
                                   "@types takes a category and concept types (problem, medication, allergy, procedure, lab, vital)"));
      category_types_[static_cast<int>(c)] = mask;
      continue;
    }
    if (f.size() != 3 && f.size() != 4)
      throw InvalidInput(located(path, lineno, 1,
                                 "expected 'category<TAB>direction<TAB>phrase[<TAB>types]', got " + std::to_string(f.size()) +
                                     " fields"));
    Rule r;
    ContextCategory c;
    if (f[0] == "all")
      r.category = -1;
    else if (parse_context_category(f[0], &c))
      r.category = static_cast<int>(c);
    else
      throw InvalidInput(located(path, lineno, 1,
                                 "unknown category '" + f[0] + "' (negated, uncertain, historical, hypothetical, family, all)"));
    const std::string& d = f[1];
    if (d == "forward") r.direction = Direction::kForward;
    else if (d == "backward") r.direction = Direction::kBackward;
    else if (d == "both") r.direction = Direction::kBoth;
    else if (d == "terminate") r.direction = Direction::kTerminate;
    else if (d == "pseudo") r.direction = Direction::kPseudo;
    else
      throw InvalidInput(located(path, lineno, f[0].size() + 2,
                                 "unknown direction '" + d + "' (forward, backward, both, terminate, pseudo)"));
    if (r.category < 0 && r.direction != Direction::kTerminate && r.direction != Direction::kPseudo)
      throw InvalidInput(located(path, lineno, 1, "category 'all' is only for terminate and pseudo rules"));
    r.phrase = f[2];
    if (f.size() == 4 && !parse_types(f[3], &r.types))
      throw InvalidInput(located(path, lineno, f[0].size() + f[1].size() + f[2].size() + 4,
                                 "unknown concept type in '" + f[3] + "' (problem, medication, allergy, procedure, lab, vital)"));
    r.source = path + ":" + std::to_string(lineno);
    if (!matcher_.add(r.phrase, static_cast<int32_t>(rules_.size())))
      throw InvalidInput(located(path, lineno, f[0].size() + f[1].size() + 3, "empty phrase"));
    rules_.push_back(std::move(r));
  }
  sources_.push_back(path);
}

ContextRules ContextRules::load_default() {
  ContextRules r;
  r.load(text_data_dir() + "/context_rules.tsv");
  return r;
}

std::vector<ContextCue> ContextRules::cues(const std::vector<Token>& tokens, size_t begin, size_t end) const {
  struct Found {
    const Rule* rule;
    size_t b, e;
  };
  std::vector<Found> found;
  std::vector<PhraseMatcher::Match> ms;
  // blocked[k] bit c: token k is inside a pseudo-trigger of category c (bit 5: all)
  std::vector<uint8_t> blocked(end - begin, 0);
  for (size_t k = begin; k < end;) {
    ms.clear();
    matcher_.find(tokens, k, end, true, &ms);
    if (ms.empty()) {
      ++k;
      continue;
    }
    // the longest phrase wins; pseudo-triggers of the same length win over triggers
    const Rule* best = &rules_[static_cast<size_t>(ms[0].value)];
    for (const auto& m : ms) {
      if (m.length != ms[0].length) break;
      const Rule* r = &rules_[static_cast<size_t>(m.value)];
      if (r->direction == Direction::kPseudo) best = r;
    }
    const size_t len = ms[0].length;
    if (best->direction == Direction::kPseudo) {
      const uint8_t bit = best->category < 0 ? 0x3F : static_cast<uint8_t>(1u << best->category);
      for (size_t q = k; q < k + len; ++q) blocked[q - begin] |= bit;
      // a pseudo-trigger for one category does not hide triggers of others inside it
      if (best->category >= 0) {
        for (const auto& m : ms) {
          const Rule* r = &rules_[static_cast<size_t>(m.value)];
          if (r->category != best->category && r->direction != Direction::kPseudo) {
            found.push_back({r, k, k + m.length});
            break;
          }
        }
        // shorter triggers of other categories starting inside (e.g. "no" in "no history of")
        for (size_t q = k; q < k + len; ++q) {
          std::vector<PhraseMatcher::Match> inner;
          matcher_.find(tokens, q, k + len, true, &inner);
          for (const auto& m : inner) {
            const Rule* r = &rules_[static_cast<size_t>(m.value)];
            if (r->category >= 0 && r->category != best->category && r->direction != Direction::kPseudo &&
                r->direction != Direction::kTerminate) {
              found.push_back({r, q, q + m.length});
              break;
            }
          }
        }
      }
      k += len;
      continue;
    }
    // every rule of this phrase (the same words can trigger two categories or directions)
    for (const auto& m : ms) {
      if (m.length != len) break;
      found.push_back({&rules_[static_cast<size_t>(m.value)], k, k + len});
    }
    k += len;
  }

  std::vector<ContextCue> out;
  for (size_t i = 0; i < found.size(); ++i) {
    const Found& f = found[i];
    const Rule& r = *f.rule;
    if (r.direction == Direction::kTerminate || r.direction == Direction::kPseudo) continue;
    if (blocked[f.b - begin] & (1u << r.category)) continue;
    auto stops = [&](const Found& o) {
      if (&o == &f) return false;
      if (o.rule->direction == Direction::kTerminate) return o.rule->category < 0 || o.rule->category == r.category;
      if (o.rule->direction == Direction::kPseudo) return false;
      return o.rule->category != r.category && r.category != static_cast<int>(ContextCategory::kFamily) &&
             o.rule->category != static_cast<int>(ContextCategory::kFamily);
    };
    ContextCue cue;
    cue.category = static_cast<ContextCategory>(r.category);
    cue.begin_token = f.b;
    cue.end_token = f.e;
    cue.types = r.types ? r.types : category_types_[r.category];
    // the backward scope of this trigger: to the sentence start or the nearest stop before it
    auto back_from = [&](size_t limit) {
      size_t sb = begin;
      for (const Found& o : found)
        if (o.e <= f.b && o.e > sb && stops(o)) sb = o.e;
      if (window_ > 0 && f.b > sb + window_) sb = f.b - window_;
      if (limit > 0 && f.b > sb + limit) sb = f.b - limit;
      ContextCue back = cue;
      back.scope_begin = sb;
      back.scope_end = f.b;
      out.push_back(back);
    };
    if (r.direction == Direction::kForward || r.direction == Direction::kBoth) {
      size_t se = end;
      for (const Found& o : found)
        if (o.b >= f.e && o.b < se && stops(o)) se = o.b;
      if (window_ > 0 && se > f.e + window_) se = f.e + window_;
      cue.scope_begin = f.e;
      cue.scope_end = se;
      // a forward trigger that ends its clause ("vomiting - no;", "dysuria: denies") looks back
      bool trailing = r.direction == Direction::kForward;
      for (size_t q = f.e; q < se && trailing; ++q) trailing = tokens[q].kind == TokenKind::kPunct;
      if (trailing) back_from(0);
      else out.push_back(cue);
    }
    if (r.direction == Direction::kBackward) back_from(0);
    if (r.direction == Direction::kBoth) back_from(back_window_);
  }
  return out;
}

ContextFlags ContextRules::flags_for(const std::vector<ContextCue>& cues, size_t cb, size_t ce, int type) {
  ContextFlags fl;
  for (const ContextCue& c : cues) {
    if (type >= 0 && !(c.types & (1u << type))) continue;
    if (cb < c.end_token && ce > c.begin_token) continue;  // the concept is the trigger itself
    if (cb >= c.scope_begin && cb < c.scope_end) fl.set(c.category, true);
    else if (ce > c.scope_begin && ce <= c.scope_end && cb < c.scope_begin) fl.set(c.category, true);
  }
  return fl;
}

}  // namespace medgen::text
