// Token-level evaluation of the de-identifier (see eval.h).
#include "medgen/text/deid/eval.h"

#include <cstdio>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/text/utf8.h"

namespace medgen::text::deid {

namespace {

const std::string kOpen = "\xE2\x9F\xA6", kClose = "\xE2\x9F\xA7";  // ⟦ ⟧

bool tok_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80; }

}  // namespace

std::vector<AnnotatedNote> parse_annotated_notes(const std::string& content, const std::string& file) {
  require_utf8(content, file);
  std::vector<AnnotatedNote> notes;
  size_t pos = 0, line = 1;
  AnnotatedNote* cur = nullptr;
  while (pos < content.size()) {
    size_t eol = content.find('\n', pos);
    if (eol == std::string::npos) eol = content.size();
    std::string_view l(content.data() + pos, eol - pos);
    if (l.rfind("### note", 0) == 0) {
      notes.emplace_back();
      cur = &notes.back();
      std::string_view rest = l.substr(8);
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      cur->id = std::string(rest.substr(0, rest.find(' ')));
      if (cur->id.empty()) cur->id = std::to_string(notes.size());
    } else if (cur) {
      size_t i = 0;
      while (i < l.size()) {
        if (l.compare(i, kOpen.size(), kOpen) == 0) {
          const size_t bar = l.find('|', i);
          const size_t close = l.find(kClose, i);
          if (bar == std::string_view::npos || close == std::string_view::npos || bar > close)
            throw InvalidInput(located(file, line, i + 1, "unterminated annotation (want ⟦TYPE|text⟧)"));
          PhiType t;
          const std::string_view type = l.substr(i + kOpen.size(), bar - i - kOpen.size());
          if (!parse_phi_type(type, &t))
            throw InvalidInput(located(file, line, i + 1, "unknown PHI type '" + std::string(type) + "'"));
          PhiSpan s;
          s.type = t;
          s.begin = cur->text.size();
          cur->text.append(l.substr(bar + 1, close - bar - 1));
          s.end = cur->text.size();
          if (s.end == s.begin) throw InvalidInput(located(file, line, i + 1, "empty annotation"));
          cur->gold.push_back(s);
          i = close + kClose.size();
        } else if (l.compare(i, kClose.size(), kClose) == 0) {
          throw InvalidInput(located(file, line, i + 1, "'⟧' without '⟦'"));
        } else {
          cur->text += l[i++];
        }
      }
      cur->text += '\n';
    }
    pos = eol + 1;
    ++line;
  }
  return notes;
}

std::vector<AnnotatedNote> read_annotated_notes(const std::string& path) {
  return parse_annotated_notes(read_file(path, uint64_t{256} << 20), path);
}

DeidScores evaluate_deid(const Deidentifier& d, const std::vector<AnnotatedNote>& notes) {
  DeidScores sc;
  sc.notes = notes.size();
  for (const AnnotatedNote& n : notes) {
    const std::vector<PhiSpan> pred = d.detect(n.text);
    const size_t len = n.text.size();
    std::vector<int8_t> gold(len, -1), det(len, -1);
    for (const PhiSpan& s : n.gold)
      for (size_t i = s.begin; i < s.end; ++i) gold[i] = static_cast<int8_t>(s.type);
    for (const PhiSpan& s : pred)
      for (size_t i = s.begin; i < s.end && i < len; ++i) det[i] = static_cast<int8_t>(s.type);
    size_t i = 0;
    while (i < len) {
      if (!tok_char(n.text[i])) {
        ++i;
        continue;
      }
      size_t j = i;
      bool g = false, p = false;
      int gt = -1, pt = -1;
      while (j < len && tok_char(n.text[j])) {
        if (gold[j] >= 0) g = true, gt = gold[j];
        if (det[j] >= 0) p = true, pt = det[j];
        ++j;
      }
      if (g) {
        ++sc.by_type[gt].gold_tokens;
        ++sc.all.gold_tokens;
        if (p) ++sc.by_type[gt].gold_found, ++sc.all.gold_found;
      }
      if (p) {
        ++sc.by_type[pt].pred_tokens;
        ++sc.all.pred_tokens;
        if (g) ++sc.by_type[pt].pred_correct, ++sc.all.pred_correct;
      }
      i = j;
    }
    for (const PhiSpan& s : n.gold) {
      bool miss = false;
      for (size_t q = s.begin; q < s.end; ++q)
        if (tok_char(n.text[q]) && det[q] < 0) miss = true;
      if (miss)
        sc.missed.push_back(n.id + " " + phi_type_name(s.type) + " '" + n.text.substr(s.begin, s.end - s.begin) + "'");
    }
  }
  return sc;
}

nlohmann::json DeidScores::to_json() const {
  auto one = [](const TypeScore& t) {
    return nlohmann::json{{"gold_tokens", t.gold_tokens}, {"predicted_tokens", t.pred_tokens},
                          {"precision", t.precision()}, {"recall", t.recall()}, {"f1", t.f1()}};
  };
  nlohmann::json types = nlohmann::json::object();
  for (int i = 0; i < kPhiTypes; ++i)
    if (by_type[i].gold_tokens || by_type[i].pred_tokens) types[phi_type_name(static_cast<PhiType>(i))] = one(by_type[i]);
  return {{"notes", notes}, {"all", one(all)}, {"types", types}, {"missed", missed.size()}};
}

std::string DeidScores::table() const {
  std::string out = "type       gold  found  recall   pred  precision  F1\n";
  char buf[160];
  auto row = [&](const char* name, const TypeScore& t) {
    std::snprintf(buf, sizeof buf, "%-9s %5zu  %5zu  %6.3f  %5zu  %9.3f  %5.3f\n", name, t.gold_tokens, t.gold_found,
                  t.recall(), t.pred_tokens, t.precision(), t.f1());
    out += buf;
  };
  for (int i = 0; i < kPhiTypes; ++i)
    if (by_type[i].gold_tokens || by_type[i].pred_tokens) row(phi_type_name(static_cast<PhiType>(i)), by_type[i]);
  row("all", all);
  return out;
}

}  // namespace medgen::text::deid
