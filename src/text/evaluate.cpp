#include "medgen/text/evaluate.h"

#include <algorithm>
#include <sstream>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/text/utf8.h"

using json = nlohmann::json;

namespace medgen::text {

std::vector<std::string> split_tabs(const std::string& line);  // note.cpp

AnnotatedNote parse_annotated(std::string_view in, const std::string& source, std::string id) {
  AnnotatedNote a;
  a.id = std::move(id);
  size_t line = 1, line_start = 0;
  size_t i = 0;
  auto fail = [&](size_t at, const std::string& what) {
    throw InvalidInput(located(source, line, at - line_start + 1, what));
  };
  while (i < in.size()) {
    if (in[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
    if (in.compare(i, 2, "[[") != 0) {
      a.text += in[i++];
      continue;
    }
    const size_t close = in.find("]]", i + 2);
    if (close == std::string_view::npos) fail(i, "unclosed [[ mark");
    const std::string_view body = in.substr(i + 2, close - i - 2);
    if (body.find("[[") != std::string_view::npos) fail(i, "marks cannot nest");
    for (size_t q = 0; q < body.size(); ++q)
      if (body[q] == '\n') {
        ++line;
        line_start = i + 2 + q + 1;
      }
    const size_t b1 = body.find('|');
    if (b1 == std::string_view::npos) fail(i, "a mark needs [[words|type]]");
    const size_t b2 = body.find('|', b1 + 1);
    const std::string words(body.substr(0, b1));
    const std::string type(body.substr(b1 + 1, b2 == std::string_view::npos ? std::string_view::npos : b2 - b1 - 1));
    const std::string flags = b2 == std::string_view::npos ? "" : std::string(body.substr(b2 + 1));
    GoldConcept g;
    if (words.empty()) fail(i, "empty mark");
    if (!parse_concept_type(type, &g.type)) fail(i + 3 + b1, "unknown concept type '" + type + "'");
    size_t s = 0;
    while (s < flags.size()) {
      size_t e = flags.find(',', s);
      if (e == std::string::npos) e = flags.size();
      const std::string f = flags.substr(s, e - s);
      if (f == "neg") g.context.negated = true;
      else if (f == "unc") g.context.uncertain = true;
      else if (f == "hist") g.context.historical = true;
      else if (f == "hyp") g.context.hypothetical = true;
      else if (f == "fam") g.context.family = true;
      else fail(i + 3 + b2 + s, "unknown flag '" + f + "' (neg, unc, hist, hyp, fam)");
      s = e + 1;
    }
    g.span = {a.text.size(), a.text.size() + words.size()};
    a.text += words;
    a.gold.push_back(g);
    i = close + 2;
  }
  return a;
}

json EvalReport::to_json() const {
  auto cj = [](const Counts& c) {
    return json{{"tp", c.tp}, {"fp", c.fp}, {"fn", c.fn}, {"precision", c.precision()}, {"recall", c.recall()},
                {"f1", c.f1()}};
  };
  json j{{"notes", notes}, {"bytes", bytes}, {"overall", cj(overall)}, {"overall_exact", cj(overall_exact)}};
  for (int t = 0; t < kConceptTypes; ++t) {
    j["types"][to_string(static_cast<ConceptType>(t))] = cj(by_type[t]);
    j["types_exact"][to_string(static_cast<ConceptType>(t))] = cj(by_type_exact[t]);
  }
  for (int c = 0; c < kContextCategories; ++c) j["context"][to_string(static_cast<ContextCategory>(c))] = cj(by_context[c]);
  return j;
}

EvalReport evaluate(const std::vector<AnnotatedNote>& notes, const TextModel& model) {
  EvalReport r;
  for (const AnnotatedNote& an : notes) {
    ++r.notes;
    r.bytes += an.text.size();
    const Note note = model.parse(an.id, an.text);
    const std::vector<Concept> pred = extract(note, model);
    auto show = [&](const char* what, Span s, ConceptType t, const std::string& extra) {
      if (r.errors.size() < 5000)
        r.errors.push_back(std::string(what) + " " + an.id + " " + to_string(t) + " '" +
                           an.text.substr(s.begin, s.end - s.begin) + "'" + extra);
    };
    for (int strict = 0; strict < 2; ++strict) {
      std::vector<bool> used(pred.size(), false);
      for (const GoldConcept& g : an.gold) {
        int best = -1;
        for (size_t k = 0; k < pred.size(); ++k) {
          if (used[k] || pred[k].type != g.type) continue;
          const bool hit = strict ? (pred[k].span.begin == g.span.begin && pred[k].span.end == g.span.end)
                                  : (pred[k].span.begin < g.span.end && g.span.begin < pred[k].span.end);
          if (hit) {
            best = static_cast<int>(k);
            break;
          }
        }
        Counts& ct = strict ? r.by_type_exact[static_cast<int>(g.type)] : r.by_type[static_cast<int>(g.type)];
        Counts& ov = strict ? r.overall_exact : r.overall;
        if (best < 0) {
          ++ct.fn;
          ++ov.fn;
          if (!strict) show("FN", g.span, g.type, "");
          continue;
        }
        used[static_cast<size_t>(best)] = true;
        ++ct.tp;
        ++ov.tp;
        if (strict) continue;
        const Concept& p = pred[static_cast<size_t>(best)];
        for (int c = 0; c < kContextCategories; ++c) {
          const auto cat = static_cast<ContextCategory>(c);
          const bool gv = g.context.get(cat), pv = p.context.get(cat);
          if (gv && pv) ++r.by_context[c].tp;
          else if (pv) {
            ++r.by_context[c].fp;
            show("CTX-FP", g.span, g.type, std::string(" ") + to_string(cat));
          } else if (gv) {
            ++r.by_context[c].fn;
            show("CTX-FN", g.span, g.type, std::string(" ") + to_string(cat));
          }
        }
      }
      for (size_t k = 0; k < pred.size(); ++k)
        if (!used[k]) {
          Counts& ct = strict ? r.by_type_exact[static_cast<int>(pred[k].type)] : r.by_type[static_cast<int>(pred[k].type)];
          ++ct.fp;
          ++(strict ? r.overall_exact : r.overall).fp;
          if (!strict) show("FP", pred[k].span, pred[k].type, "");
        }
    }
  }
  return r;
}

json evaluate_negex(const std::string& path, const TextModel& model) {
  const std::string data = read_file(path);
  require_utf8(data, path);
  std::istringstream in(data);
  std::string line;
  size_t lineno = 0, rows = 0, located_n = 0, tp = 0, fp = 0, fn = 0, tn = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (lineno == 1 || line.empty()) continue;
    const std::vector<std::string> f = split_tabs(line);
    if (f.size() < 4) throw InvalidInput(located(path, lineno, 1, "expected 4 tab-separated fields"));
    const std::string& status = f[3];
    if (status != "Negated" && status != "Affirmed") continue;
    ++rows;
    std::string sentence = f[2];
    if (sentence.size() >= 2 && sentence.front() == '"' && sentence.back() == '"') sentence = sentence.substr(1, sentence.size() - 2);
    std::string upper_concept;
    for (char ch : f[1]) upper_concept += (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 32) : ch;
    size_t at = sentence.find(upper_concept);
    if (at == std::string::npos) {
      std::string ls = sentence, lc = f[1];
      for (char& ch : ls) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch;
      for (char& ch : lc) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch;
      at = ls.find(lc);
    }
    const bool gold = status == "Negated";
    bool pred = false;
    if (at != std::string::npos) {
      ++located_n;
      const std::vector<Token> toks = tokenize(sentence);
      size_t cb = toks.size(), ce = 0;
      for (size_t k = 0; k < toks.size(); ++k)
        if (toks[k].begin < at + upper_concept.size() && toks[k].end > at) {
          cb = std::min(cb, k);
          ce = k + 1;
        }
      if (cb < ce) {
        const auto cues = model.context.cues(toks, 0, toks.size());
        pred = ContextRules::flags_for(cues, cb, ce, static_cast<int>(ConceptType::kProblem)).negated;  // the set's concepts are findings
      }
    }
    if (gold && pred) ++tp;
    else if (pred) ++fp;
    else if (gold) ++fn;
    else ++tn;
  }
  auto ratio = [](size_t a, size_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; };
  return json{{"file", path},       {"rows", rows},
              {"located", located_n}, {"tp", tp}, {"fp", fp}, {"fn", fn}, {"tn", tn},
              {"sensitivity", ratio(tp, tp + fn)}, {"ppv", ratio(tp, tp + fp)},
              {"specificity", ratio(tn, tn + fp)}, {"npv", ratio(tn, tn + fn)},
              {"accuracy", ratio(tp + tn, rows)}};
}

}  // namespace medgen::text
