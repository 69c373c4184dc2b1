// Transcript -> facts (text module) -> SOAP sentences with their transcript spans; the grounded
// language-model rewrite.
#include "medgen/text/docs/soap.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include "medgen/core/error.h"
#include "medgen/text/utf8.h"

using json = nlohmann::json;

namespace medgen::text::docs {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string role_of(const std::string& label) {
  static const std::set<std::string> clin = {"doctor", "dr", "dr.", "clinician", "physician", "nurse", "np", "pa",
                                             "provider", "gp", "consultant", "resident", "md", "nurse practitioner",
                                             "attending", "surgeon", "pharmacist", "midwife", "practitioner"};
  static const std::set<std::string> pat = {"patient", "pt", "pt.", "client"};
  const std::string l = lower(label);
  if (clin.count(l)) return "clinician";
  if (pat.count(l)) return "patient";
  return "other";
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

}  // namespace

std::vector<Turn> parse_transcript(const std::string& text, const std::string& file) {
  require_utf8(text, file);
  if (trim(text).empty()) throw InvalidInput(file + ": empty transcript");
  std::vector<Turn> turns;
  size_t pos = 0, line = 1;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    const std::string l = text.substr(pos, eol - pos);
    // "Label: words": a label of 1-3 words, letters/dots/spaces/digits, before the first colon
    const size_t colon = l.find(':');
    bool labelled = false;
    if (colon != std::string::npos && colon > 0 && colon <= 32) {
      std::string label = trim(l.substr(0, colon));
      if (!label.empty() && !label.empty() && label.front() == '[') {  // "[00:01] Doctor: ..." timestamps
        const size_t rb = label.find(']');
        if (rb != std::string::npos) label = trim(label.substr(rb + 1));
      }
      bool ok = !label.empty() && std::isalpha(static_cast<unsigned char>(label[0]));
      int words = 1;
      for (char c : label) {
        if (c == ' ') ++words;
        else if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '\'') ok = false;
      }
      if (ok && words <= 3) {
        size_t b = pos + colon + 1;
        while (b < eol && (text[b] == ' ' || text[b] == '\t')) ++b;
        turns.push_back({label, role_of(label), b, eol, line});
        labelled = true;
      }
    }
    if (!labelled && !turns.empty() && !trim(l).empty()) turns.back().end = eol;  // continuation
    if (eol == text.size()) break;
    pos = eol + 1;
    ++line;
  }
  if (turns.empty()) throw InvalidInput(file + ": no speaker-labelled turn ('Doctor: ...', 'Patient: ...')");
  return turns;
}

SoapDraft draft_soap(const std::string& transcript, const std::string& file, const TextModel& model) {
  const std::vector<Turn> turns = parse_transcript(transcript, file);
  SoapDraft d;
  d.source = file;
  // The whole transcript is parsed once so that spans are the transcript's own offsets.
  const Note note = model.parse(file, transcript);
  const std::vector<Concept> concepts = extract(note, model);
  static const std::set<std::string> plan_words = {"start", "starting", "prescribe", "prescribing", "begin",
                                                   "increase", "decrease", "continue", "stop", "switch", "order",
                                                   "ordering", "give", "take", "schedule", "refer", "recommend",
                                                   "arrange", "book", "add", "restart", "hold", "try"};
  std::set<std::pair<size_t, size_t>> seen;
  for (const Concept& c : concepts) {
    const Turn* t = nullptr;
    for (const Turn& x : turns)
      if (c.span.begin >= x.begin && c.span.begin < x.end) t = &x;
    if (!t) continue;  // in a speaker label
    Span ext = c.extent.end > c.extent.begin ? c.extent : c.span;
    if (!seen.insert({ext.begin, ext.end}).second) continue;
    const std::string said = transcript.substr(ext.begin, ext.end - ext.begin);
    const std::string name = c.preferred.empty() ? c.text : c.preferred;
    const std::string turn_text = lower(transcript.substr(t->begin, t->end - t->begin));
    bool plan = false;
    for (const std::string& w : plan_words)
      if (turn_text.find(w + " ") != std::string::npos || turn_text.find(w + ",") != std::string::npos) plan = true;
    SoapSentence s;
    s.begin = ext.begin;
    s.end = ext.end;
    s.line = t->line;
    s.speaker = t->speaker;
    s.fact = to_json(c);
    const bool clin = t->role == "clinician";
    const ContextFlags& f = c.context;
    // a clinician's question ("Any chest pain?") states no fact; the answer does
    size_t q = c.span.end;
    while (q < t->end && transcript[q] != '.' && transcript[q] != '?' && transcript[q] != '!' && transcript[q] != '\n') ++q;
    if (clin && q < t->end && transcript[q] == '?') continue;
    switch (c.type) {
      case ConceptType::kLab:
      case ConceptType::kVital:
        s.section = 'O';
        s.text = name + ": " + said + ".";
        break;
      case ConceptType::kAllergy:
        s.section = 'S';
        s.text = (f.negated ? "No allergy to " : "Allergy: ") + said + ".";
        break;
      case ConceptType::kMedication:
        if (clin && plan && !f.historical && !f.negated) {
          s.section = 'P';
          s.text = "Medication: " + said + ".";
        } else {
          s.section = 'S';
          s.text = f.negated ? "Not taking " + said + "." : "Current medication: " + said + ".";
        }
        break;
      case ConceptType::kProcedure:
        if (f.historical || !clin) {
          s.section = 'S';
          s.text = "History of " + said + ".";
        } else {
          s.section = 'P';
          s.text = (f.negated ? "No " : "Plan: ") + said + ".";
        }
        break;
      case ConceptType::kProblem:
        if (f.family) {
          s.section = 'S';
          s.text = "Family history: " + said + (f.negated ? " (denied)." : ".");
        } else if (!clin) {
          s.section = 'S';
          s.text = f.negated ? "Denies " + said + "." : f.historical ? "History of " + said + "." : "Reports " + said + ".";
        } else {
          s.section = f.historical ? 'S' : 'A';
          s.text = f.negated ? "No " + said + "." : f.uncertain || f.hypothetical ? "Possible " + said + "." :
                   f.historical ? "History of " + said + "." : "Assessment: " + said + ".";
        }
        break;
    }
    d.sentences.push_back(std::move(s));
  }
  std::stable_sort(d.sentences.begin(), d.sentences.end(), [](const SoapSentence& a, const SoapSentence& b) {
    static const std::string order = "SOAP";
    return order.find(a.section) < order.find(b.section);
  });
  return d;
}

std::string SoapDraft::text() const {
  static const std::pair<char, const char*> heads[] = {
      {'S', "SUBJECTIVE"}, {'O', "OBJECTIVE"}, {'A', "ASSESSMENT"}, {'P', "PLAN"}};
  std::string out;
  for (const auto& [sec, head] : heads) {
    out += std::string(head) + "\n";
    bool any = false;
    for (const SoapSentence& s : sentences)
      if (s.section == sec) {
        out += "- " + s.text + " [" + source + ":" + std::to_string(s.line) + ", " + s.speaker + "]\n";
        any = true;
      }
    if (!any) out += "- (nothing in the transcript)\n";
    out += "\n";
  }
  return out;
}

json SoapDraft::to_json() const {
  json secs = {{"S", json::array()}, {"O", json::array()}, {"A", json::array()}, {"P", json::array()}};
  for (const SoapSentence& s : sentences)
    secs[std::string(1, s.section)].push_back({{"text", s.text}, {"begin", s.begin}, {"end", s.end}, {"line", s.line},
                                               {"speaker", s.speaker}, {"fact", s.fact}});
  return {{"source", source}, {"sections", secs}};
}

// ---------------- grounding ----------------

namespace {

// Numbers as written ("40", "0.5", "1,000" -> "1000"), normalised ("40.0" -> "40").
std::vector<std::string> numbers_in(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    if (std::isdigit(static_cast<unsigned char>(s[i])) &&
        (i == 0 || !std::isalpha(static_cast<unsigned char>(s[i - 1])))) {
      std::string n;
      size_t j = i;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) ||
                              ((s[j] == '.' || s[j] == ',') && j + 1 < s.size() &&
                               std::isdigit(static_cast<unsigned char>(s[j + 1]))))) {
        if (s[j] != ',') n += s[j];
        ++j;
      }
      if (n.find('.') != std::string::npos) {
        while (n.back() == '0') n.pop_back();
        if (n.back() == '.') n.pop_back();
      }
      out.push_back(n);
      i = j;
    } else {
      ++i;
    }
  }
  return out;
}

std::string concept_key(const Concept& c) { return lower(c.code.empty() ? (c.preferred.empty() ? c.text : c.preferred) : c.code); }
std::string concept_key(const json& f) {
  const std::string code = f.value("code", "");
  const std::string pref = f.value("preferred", "");
  return lower(code.empty() ? (pref.empty() ? f.value("text", "") : pref) : code);
}
bool negated(const json& f) {
  if (!f.contains("context") || !f["context"].is_array()) return false;
  for (const json& x : f["context"])
    if (x.is_string() && x.get<std::string>() == "negated") return true;
  return false;
}

}  // namespace

GroundingResult check_grounding(const SoapDraft& draft, const std::string& rewrite, const TextModel& model) {
  GroundingResult g;
  g.rewrite = rewrite;
  std::set<std::string> nums, meds, neg, affirmed;
  for (const SoapSentence& s : draft.sentences) {
    for (const std::string& n : numbers_in(s.text)) nums.insert(n);
    const std::string k = concept_key(s.fact);
    if (s.fact.value("type", "") == "medication") meds.insert(k);
    (negated(s.fact) ? neg : affirmed).insert(k);
  }
  // line numbers and section letters are not facts; numbers in the rewrite must be
  for (const std::string& n : numbers_in(rewrite))
    if (!nums.count(n)) g.violations.push_back("value '" + n + "' is not in the extracted facts");
  if (find_invalid_utf8(rewrite) != std::string::npos) {
    g.violations.push_back("the rewrite is not UTF-8 text");
  } else {
    const Note note = model.parse("rewrite", rewrite);
    for (const Concept& c : extract(note, model)) {
      const std::string k = concept_key(c);
      if (c.type == ConceptType::kMedication && !meds.count(k))
        g.violations.push_back("medication '" + c.text + "' is not in the extracted facts");
      if (c.context.negated && !neg.count(k))
        g.violations.push_back("negation of '" + c.text + "' is not in the extracted facts");
      if (!c.context.negated && neg.count(k) && !affirmed.count(k))
        g.violations.push_back("'" + c.text + "' is negated in the facts but affirmed in the rewrite");
    }
  }
  if (rewrite.find_first_not_of(" \t\r\n") == std::string::npos) g.violations.push_back("empty rewrite");
  g.accepted = g.violations.empty();
  g.text = g.accepted ? rewrite : draft.text();
  return g;
}

json GroundingResult::to_json() const {
  return {{"accepted", accepted}, {"text", text}, {"rewrite", rewrite}, {"violations", violations}};
}

namespace {
size_t on_body(char* p, size_t size, size_t n, void* user) {
  auto* s = static_cast<std::string*>(user);
  if (s->size() + size * n > (size_t{16} << 20)) return 0;  // refuse replies over 16 MiB
  s->append(p, size * n);
  return size * n;
}
}  // namespace

GroundingResult rewrite_with_llm(const SoapDraft& draft, const LlmOptions& o, const TextModel& model) {
  if (o.endpoint.empty()) throw InvalidInput("no language-model endpoint given (--llm-endpoint URL)");
  if (o.endpoint.rfind("http://", 0) != 0 && o.endpoint.rfind("https://", 0) != 0)
    throw InvalidInput("--llm-endpoint must be an http:// or https:// URL, got '" + o.endpoint + "'");
  const std::string system =
      "You rewrite clinical SOAP note drafts into fluent prose. Keep the four headings (Subjective, Objective, "
      "Assessment, Plan). Use only the facts in the draft: add no medication, dose, value, diagnosis or negation, "
      "and keep every negation. Do not include the bracketed source references.";
  std::string facts;
  for (const SoapSentence& s : draft.sentences) facts += std::string(1, s.section) + ": " + s.text + "\n";
  const json req = {{"model", o.model}, {"temperature", o.temperature},
                    {"messages", {{{"role", "system"}, {"content", system}}, {{"role", "user"}, {"content", facts}}}}};
  const std::string body = req.dump();
  CURL* curl = curl_easy_init();
  if (!curl) throw IoError(o.endpoint + ": cannot start an HTTP client");
  std::string reply;
  struct curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  if (!o.api_key.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + o.api_key).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, o.endpoint.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(o.timeout_s));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) throw IoError(o.endpoint + ": " + curl_easy_strerror(rc));
  if (status != 200) throw IoError(o.endpoint + ": HTTP " + std::to_string(status));
  std::string content;
  try {
    const json r = json::parse(reply);
    content = r.at("choices").at(0).at("message").at("content").get<std::string>();
  } catch (const std::exception&) {
    throw IoError(o.endpoint + ": the reply is not a chat-completions JSON object with choices[0].message.content");
  }
  return check_grounding(draft, content, model);
}

}  // namespace medgen::text::docs
