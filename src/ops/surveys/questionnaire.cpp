// Survey library, FHIR Questionnaire in and out, responses in and out.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/version.h"
#include "medgen/ops/surveys/surveys.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace medgen::ops::surveys {

namespace {

const char* kMinExt = "http://hl7.org/fhir/StructureDefinition/minValue";
const char* kMaxExt = "http://hl7.org/fhir/StructureDefinition/maxValue";
const char* kScaleExt = "https://medgen.dev/fhir/StructureDefinition/survey-scale";
const char* kTopExt = "https://medgen.dev/fhir/StructureDefinition/survey-top-box";
const char* kNpsExt = "https://medgen.dev/fhir/StructureDefinition/survey-nps";
const char* kUnitExt = "https://medgen.dev/fhir/StructureDefinition/survey-unit";
const char* kPeriodExt = "https://medgen.dev/fhir/StructureDefinition/survey-period";
const char* kOptionSystem = "https://medgen.dev/fhir/CodeSystem/survey-answer";

std::string str(const json& j, const char* k) {
  if (!j.is_object()) return "";
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Scale parse_scale(const std::string& id, const json& j, const std::string& where) {
  Scale s;
  s.id = id;
  if (!j.is_object()) throw InvalidInput(where + ": scale '" + id + "' must be an object");
  if (j.contains("options")) {
    if (!j["options"].is_array() || j["options"].size() < 2 || j["options"].size() > 100)
      throw InvalidInput(where + ": scale '" + id + "' needs 2..100 options");
    std::set<std::string> seen;
    for (const auto& o : j["options"]) {
      Option op{str(o, "code"), str(o, "display")};
      if (op.code.empty() || op.display.empty() || !seen.insert(op.code).second)
        throw InvalidInput(where + ": scale '" + id + "' has an option without a unique code and a display");
      s.options.push_back(op);
    }
  } else if (j.contains("integer")) {
    const json& r = j["integer"];
    if (!r.is_array() || r.size() != 2 || !r[0].is_number_integer() || !r[1].is_number_integer() ||
        r[0].get<int>() >= r[1].get<int>() || r[1].get<int>() - r[0].get<int>() > 1000 || r[0].get<int>() < -1000)
      throw InvalidInput(where + ": scale '" + id + "': integer must be [min, max] with min < max");
    s.min = r[0];
    s.max = r[1];
  } else {
    throw InvalidInput(where + ": scale '" + id + "' needs options or integer");
  }
  if (!j.contains("top_box") || !j["top_box"].is_array() || j["top_box"].empty())
    throw InvalidInput(where + ": scale '" + id + "' needs a top_box list");
  for (const auto& t : j["top_box"]) {
    if (!t.is_number_integer()) throw InvalidInput(where + ": scale '" + id + "': top_box values are integers");
    const int v = t;
    const bool ok = s.is_integer() ? v >= s.min && v <= s.max : v >= 1 && v <= static_cast<int>(s.options.size());
    if (!ok) throw InvalidInput(where + ": scale '" + id + "': top_box value " + std::to_string(v) + " out of range");
    s.top_box.push_back(v);
  }
  return s;
}

// Answer text to a value: option code, option display (any case), or the integer.
bool answer_value(const Scale& s, const std::string& text, int* v) {
  if (s.is_integer()) {
    if (text.empty() || text.size() > 6) return false;
    char* end = nullptr;
    const long x = std::strtol(text.c_str(), &end, 10);
    if (end != text.c_str() + text.size() || x < s.min || x > s.max) return false;
    *v = static_cast<int>(x);
    return true;
  }
  for (size_t k = 0; k < s.options.size(); ++k)
    if (s.options[k].code == text) {
      *v = static_cast<int>(k) + 1;
      return true;
    }
  const std::string l = lower(text);
  for (size_t k = 0; k < s.options.size(); ++k)
    if (lower(s.options[k].display) == l) {
      *v = static_cast<int>(k) + 1;
      return true;
    }
  return false;
}

std::string expected(const Scale& s) {
  if (s.is_integer()) return "an integer " + std::to_string(s.min) + ".." + std::to_string(s.max);
  std::string e = "one of";
  for (const auto& o : s.options) e += " " + o.code + " (" + o.display + ")";
  return e;
}

}  // namespace

double Scale::score(int value) const {
  if (is_integer()) return 100.0 * (value - min) / (max - min);
  return 100.0 * (value - 1) / (static_cast<int>(options.size()) - 1);
}

int Questionnaire::item_index(const std::string& link_id) const {
  for (size_t i = 0; i < items.size(); ++i)
    if (items[i].link_id == link_id) return static_cast<int>(i);
  return -1;
}

std::string Library::default_path() {
  if (const char* e = std::getenv("MEDGEN_DATA"); e && *e) return std::string(e) + "/ops/surveys/library.json";
  const std::string built = std::string(MEDGEN_DATA_DIR) + "/ops/surveys/library.json";
  return fs::exists(built) ? built : "data/ops/surveys/library.json";
}

Library Library::load(const std::string& path) {
  json j;
  try {
    j = json::parse(read_file(path, 16 << 20));
  } catch (const json::parse_error& e) {
    throw InvalidInput(path + ": " + e.what());
  }
  if (!j.is_object() || j.value("format", "") != "medgen-survey-library")
    throw InvalidInput(path + ": not a medgen-survey-library file");
  Library lib;
  if (!j.contains("scales") || !j["scales"].is_object()) throw InvalidInput(path + ": \"scales\" must be an object");
  for (auto it = j["scales"].begin(); it != j["scales"].end(); ++it)
    lib.scales[it.key()] = parse_scale(it.key(), it.value(), path);
  if (!j.contains("domains") || !j["domains"].is_array()) throw InvalidInput(path + ": \"domains\" must be an array");
  std::set<std::string> ids, links;
  for (const auto& d : j["domains"]) {
    Domain dom{str(d, "id"), str(d, "title"), {}};
    if (dom.id.empty() || !ids.insert(dom.id).second || links.count(dom.id))
      throw InvalidInput(path + ": a domain without a unique id (domain ids and item linkIds share one namespace)");
    if (!d.contains("items") || !d["items"].is_array() || d["items"].empty())
      throw InvalidInput(path + ": domain '" + dom.id + "' has no items");
    for (const auto& it : d["items"]) {
      Item item{str(it, "linkId"), str(it, "text"), str(it, "scale"), dom.id, it.value("nps", false)};
      if (item.link_id.empty() || ids.count(item.link_id) || !links.insert(item.link_id).second)
        throw InvalidInput(path + ": domain '" + dom.id + "': an item without a unique linkId");
      if (!lib.scales.count(item.scale))
        throw InvalidInput(path + ": item '" + item.link_id + "': unknown scale '" + item.scale + "'");
      if (item.nps && (lib.scales[item.scale].min != 0 || lib.scales[item.scale].max != 10 ||
                       !lib.scales[item.scale].is_integer()))
        throw InvalidInput(path + ": item '" + item.link_id + "': the NPS item needs a 0..10 integer scale");
      dom.items.push_back(item.link_id);
      lib.items.push_back(item);
    }
    lib.domains.push_back(dom);
  }
  return lib;
}

Questionnaire make_questionnaire(const Library& lib, const std::vector<std::string>& domain_ids,
                                 const std::string& id, const std::string& title, bool comment) {
  Questionnaire q;
  q.id = id;
  q.url = "https://medgen.dev/fhir/Questionnaire/" + id;
  q.title = title;
  const bool all = domain_ids.empty() || (domain_ids.size() == 1 && domain_ids[0] == "all");
  for (const auto& want : domain_ids)
    if (!all && std::none_of(lib.domains.begin(), lib.domains.end(), [&](const Domain& d) { return d.id == want; })) {
      std::string known;
      for (const auto& d : lib.domains) known += " " + d.id;
      throw InvalidInput("unknown survey domain '" + want + "' (known:" + known + ")");
    }
  for (const auto& d : lib.domains) {
    if (!all && std::find(domain_ids.begin(), domain_ids.end(), d.id) == domain_ids.end()) continue;
    q.domains.push_back(d);
    for (const auto& it : lib.items)
      if (it.domain == d.id) {
        q.items.push_back(it);
        q.scales[it.scale] = lib.scales.at(it.scale);
      }
  }
  if (comment) q.comment_link_id = "comment";
  return q;
}

json Questionnaire::to_fhir() const {
  json items = json::array();
  for (const auto& d : domains) {
    json group = {{"linkId", d.id}, {"text", d.title}, {"type", "group"}, {"item", json::array()}};
    for (const auto& l : d.items) {
      const Item& it = items_at(l);
      const Scale& s = scales.at(it.scale);
      json e = {{"linkId", it.link_id}, {"text", it.text}, {"required", false}};
      json ext = {{{"url", kScaleExt}, {"valueString", s.id}}};
      for (int t : s.top_box) ext.push_back({{"url", kTopExt}, {"valueInteger", t}});
      if (it.nps) ext.push_back({{"url", kNpsExt}, {"valueBoolean", true}});
      if (s.is_integer()) {
        e["type"] = "integer";
        ext.push_back({{"url", kMinExt}, {"valueInteger", s.min}});
        ext.push_back({{"url", kMaxExt}, {"valueInteger", s.max}});
      } else {
        e["type"] = "choice";
        e["answerOption"] = json::array();
        for (const auto& o : s.options)
          e["answerOption"].push_back(
              {{"valueCoding", {{"system", std::string(kOptionSystem) + "/" + s.id}, {"code", o.code}, {"display", o.display}}}});
      }
      e["extension"] = ext;
      group["item"].push_back(e);
    }
    items.push_back(group);
  }
  if (!comment_link_id.empty())
    items.push_back({{"linkId", comment_link_id}, {"text", "Is there anything else you would like to tell us about your stay?"},
                     {"type", "text"}, {"required", false}});
  return {{"resourceType", "Questionnaire"}, {"id", id},         {"url", url},
          {"name", id},                      {"title", title},   {"status", "active"},
          {"subjectType", {"Patient"}},      {"item", items}};
}

const Item& Questionnaire::items_at(const std::string& link_id) const { return items[item_index(link_id)]; }

Questionnaire Questionnaire::from_fhir(const json& j, const std::string& source) {
  if (str(j, "resourceType") != "Questionnaire") throw InvalidInput(source + ": not a FHIR Questionnaire");
  Questionnaire q;
  q.id = str(j, "id");
  q.url = str(j, "url");
  q.title = str(j, "title");
  if (!j.contains("item") || !j["item"].is_array()) throw InvalidInput(source + ": Questionnaire.item is required");
  std::set<std::string> links;
  for (const auto& g : j["item"]) {
    const std::string gl = str(g, "linkId");
    const std::string where = source + ": Questionnaire/" + q.id + " item '" + gl + "'";
    if (gl.empty() || !links.insert(gl).second) throw InvalidInput(where + ": missing or duplicate linkId");
    if (str(g, "type") == "text" || str(g, "type") == "string") {
      q.comment_link_id = gl;
      continue;
    }
    if (str(g, "type") != "group" || !g.contains("item") || !g["item"].is_array())
      throw InvalidInput(where + ": expected a group of items (one per domain) or a text item");
    Domain d{gl, str(g, "text"), {}};
    for (const auto& e : g["item"]) {
      Item it;
      it.link_id = str(e, "linkId");
      it.text = str(e, "text");
      it.domain = d.id;
      const std::string w = source + ": Questionnaire/" + q.id + " item '" + it.link_id + "'";
      if (it.link_id.empty() || !links.insert(it.link_id).second) throw InvalidInput(w + ": missing or duplicate linkId");
      Scale s;
      std::vector<int> top;
      int mn = 0, mx = 0;
      bool has_min = false, has_max = false;
      if (e.contains("extension") && e["extension"].is_array())
        for (const auto& x : e["extension"]) {
          const std::string u = str(x, "url");
          if (u == kScaleExt) s.id = str(x, "valueString");
          else if (u == kTopExt && x.value("valueInteger", json()).is_number_integer()) top.push_back(x["valueInteger"]);
          else if (u == kNpsExt) it.nps = x.value("valueBoolean", false);
          else if (u == kMinExt && x.value("valueInteger", json()).is_number_integer()) mn = x["valueInteger"], has_min = true;
          else if (u == kMaxExt && x.value("valueInteger", json()).is_number_integer()) mx = x["valueInteger"], has_max = true;
        }
      if (s.id.empty()) s.id = "scale_" + it.link_id;
      const std::string type = str(e, "type");
      if (type == "choice" || type == "coding") {
        if (!e.contains("answerOption") || !e["answerOption"].is_array() || e["answerOption"].size() < 2)
          throw InvalidInput(w + ": a choice item needs at least two answerOption codings");
        for (const auto& o : e["answerOption"]) {
          const json c = o.value("valueCoding", json::object());
          if (str(c, "code").empty()) throw InvalidInput(w + ": answerOption without a valueCoding code");
          s.options.push_back({str(c, "code"), str(c, "display").empty() ? str(c, "code") : str(c, "display")});
        }
        if (top.empty()) top.push_back(static_cast<int>(s.options.size()));
      } else if (type == "integer") {
        if (!has_min || !has_max || mn >= mx || mx - mn > 1000) throw InvalidInput(w + ": an integer item needs minValue < maxValue extensions");
        s.min = mn;
        s.max = mx;
        if (top.empty()) top.push_back(mx);
      } else {
        throw InvalidInput(w + ": item type '" + type + "' is not choice or integer");
      }
      for (int t : top)
        if (s.is_integer() ? (t < s.min || t > s.max) : (t < 1 || t > static_cast<int>(s.options.size())))
          throw InvalidInput(w + ": top-box value " + std::to_string(t) + " out of range");
      s.top_box = top;
      if (q.scales.count(s.id) && (q.scales[s.id].options.size() != s.options.size() || q.scales[s.id].min != s.min ||
                                   q.scales[s.id].max != s.max))
        s.id += "_" + it.link_id;
      it.scale = s.id;
      if (it.nps && !(s.is_integer() && s.min == 0 && s.max == 10)) throw InvalidInput(w + ": the NPS item must be an integer 0..10");
      q.scales[s.id] = s;
      d.items.push_back(it.link_id);
      q.items.push_back(it);
    }
    q.domains.push_back(d);
  }
  if (q.items.empty()) throw InvalidInput(source + ": the Questionnaire has no answerable items");
  return q;
}

Questionnaire Questionnaire::read(const std::string& path) {
  json j;
  try {
    j = json::parse(read_file(path, 64 << 20));
  } catch (const json::parse_error& e) {
    throw InvalidInput(path + ": not JSON: " + e.what());
  }
  return from_fhir(j, path);
}

std::vector<Response> parse_responses_csv(const std::string& text, const std::string& source, const Questionnaire& q) {
  CsvOptions o;
  o.missing_tokens = {};
  const RawTable t = parse_csv(text, source, o);
  int c_id = -1, c_unit = -1, c_period = -1, c_comment = -1;
  std::vector<int> item_of(t.num_cols(), -1);
  for (size_t c = 0; c < t.num_cols(); ++c) {
    const std::string& n = t.names[c];
    if (n == "response_id") c_id = static_cast<int>(c);
    else if (n == "unit") c_unit = static_cast<int>(c);
    else if (n == "period") c_period = static_cast<int>(c);
    else if (n == "comment" || (!q.comment_link_id.empty() && n == q.comment_link_id)) c_comment = static_cast<int>(c);
    else if ((item_of[c] = q.item_index(n)) < 0)
      throw InvalidInput(located(source, 1, 0, "column '" + n + "' is not an item of Questionnaire '" + q.id + "'"));
  }
  std::vector<Response> out;
  out.reserve(t.num_rows());
  for (size_t r = 0; r < t.num_rows(); ++r) {
    Response resp;
    resp.values.assign(q.items.size(), kNoAnswer);
    resp.id = c_id >= 0 ? std::string(t.field(r, c_id)) : std::to_string(r + 1);
    if (c_unit >= 0) resp.unit = std::string(t.field(r, c_unit));
    if (c_period >= 0) resp.period = std::string(t.field(r, c_period));
    if (c_comment >= 0) resp.comment = std::string(t.field(r, c_comment));
    for (size_t c = 0; c < t.num_cols(); ++c) {
      if (item_of[c] < 0) continue;
      const std::string v(t.field(r, c));
      if (v.empty()) continue;
      const Item& it = q.items[item_of[c]];
      const Scale& s = q.scales.at(it.scale);
      int x;
      if (!answer_value(s, v, &x))
        throw InvalidInput(located(source, t.line(r), c + 1,
                                   "'" + v.substr(0, 40) + "' is not an answer to item '" + it.link_id + "' (" +
                                       expected(s) + ")"));
      resp.values[item_of[c]] = x;
    }
    out.push_back(std::move(resp));
  }
  return out;
}

namespace {

void walk_answers(const json& items, const std::string& where, const Questionnaire& q, Response* r,
                  std::set<std::string>* seen) {
  if (!items.is_array()) throw InvalidInput(where + ": item must be an array");
  for (const auto& it : items) {
    const std::string link = str(it, "linkId");
    if (link.empty()) throw InvalidInput(where + ": an item without linkId");
    if (it.contains("item")) {
      if (q.item_index(link) >= 0) throw InvalidInput(where + ": item '" + link + "' is a question, not a group");
      if (std::none_of(q.domains.begin(), q.domains.end(), [&](const Domain& d) { return d.id == link; }))
        throw InvalidInput(where + ": group '" + link + "' is not in Questionnaire '" + q.id + "'");
      walk_answers(it["item"], where, q, r, seen);
      continue;
    }
    if (link == q.comment_link_id && !link.empty()) {
      if (it.contains("answer") && it["answer"].is_array() && !it["answer"].empty())
        r->comment = str(it["answer"][0], "valueString");
      continue;
    }
    const int k = q.item_index(link);
    if (k < 0) throw InvalidInput(where + ": item '" + link + "' is not in Questionnaire '" + q.id + "'");
    if (!seen->insert(link).second) throw InvalidInput(where + ": item '" + link + "' answered twice");
    if (!it.contains("answer")) continue;
    if (!it["answer"].is_array() || it["answer"].size() > 1)
      throw InvalidInput(where + ": item '" + link + "' must have at most one answer");
    if (it["answer"].empty()) continue;
    const json& a = it["answer"][0];
    const Scale& s = q.scales.at(q.items[k].scale);
    int v = 0;
    bool ok = false;
    if (s.is_integer() && a.contains("valueInteger") && a["valueInteger"].is_number_integer()) {
      const long x = a["valueInteger"].get<long>();
      ok = x >= s.min && x <= s.max;
      v = static_cast<int>(x);
    } else if (!s.is_integer() && a.contains("valueCoding")) {
      ok = answer_value(s, str(a["valueCoding"], "code"), &v);
    } else if (!s.is_integer() && a.contains("valueString")) {
      ok = answer_value(s, str(a, "valueString"), &v);
    }
    if (!ok) throw InvalidInput(where + ": answer " + a.dump().substr(0, 80) + " to item '" + link + "' is not " + expected(s));
    r->values[k] = v;
  }
}

Response parse_qr(const json& j, const std::string& where, const Questionnaire& q) {
  if (str(j, "resourceType") != "QuestionnaireResponse") throw InvalidInput(where + ": not a QuestionnaireResponse");
  Response r;
  r.id = str(j, "id");
  const std::string w = where + ": QuestionnaireResponse/" + (r.id.empty() ? "(no id)" : r.id);
  const std::string qref = str(j, "questionnaire");
  if (!qref.empty() && qref != q.url && qref != "Questionnaire/" + q.id && qref.rfind(q.url + "|", 0) != 0)
    throw InvalidInput(w + ": answers Questionnaire '" + qref + "', not '" + (q.url.empty() ? q.id : q.url) + "'");
  r.values.assign(q.items.size(), kNoAnswer);
  if (j.contains("extension") && j["extension"].is_array())
    for (const auto& x : j["extension"]) {
      if (str(x, "url") == kUnitExt) r.unit = str(x, "valueString");
      if (str(x, "url") == kPeriodExt) r.period = str(x, "valueString");
    }
  if (r.period.empty() && str(j, "authored").size() >= 7) r.period = str(j, "authored").substr(0, 7);
  std::set<std::string> seen;
  if (j.contains("item")) walk_answers(j["item"], w, q, &r, &seen);
  return r;
}

}  // namespace

std::vector<Response> parse_responses_fhir(const std::string& text, const std::string& source, const Questionnaire& q) {
  std::vector<Response> out;
  json doc;
  bool single = true;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error&) {
    single = false;
  }
  if (single) {
    if (str(doc, "resourceType") == "Bundle") {
      if (!doc.contains("entry") || !doc["entry"].is_array()) throw InvalidInput(source + ": Bundle has no entry array");
      for (size_t i = 0; i < doc["entry"].size(); ++i)
        out.push_back(parse_qr(doc["entry"][i].value("resource", json()), source + ": Bundle.entry[" + std::to_string(i) + "]", q));
    } else {
      out.push_back(parse_qr(doc, source, q));
    }
    return out;
  }
  size_t line = 0, pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    ++line;
    const std::string row = text.substr(pos, end - pos);
    pos = end + 1;
    if (row.find_first_not_of(" \t\r") == std::string::npos) continue;
    json r;
    try {
      r = json::parse(row);
    } catch (const json::parse_error& e) {
      throw InvalidInput(located(source, line, 0, std::string("not JSON: ") + e.what()));
    }
    out.push_back(parse_qr(r, source + ":" + std::to_string(line), q));
  }
  return out;
}

std::vector<Response> read_responses(const std::string& path, const Questionnaire& q) {
  const std::string text = read_file(path);
  const size_t first = text.find_first_not_of(" \t\r\n");
  std::vector<Response> r = first != std::string::npos && text[first] == '{' ? parse_responses_fhir(text, path, q)
                                                                             : parse_responses_csv(text, path, q);
  if (r.empty()) throw InvalidInput(path + ": no responses");
  return r;
}

std::string responses_to_csv(const std::vector<Response>& rs, const Questionnaire& q) {
  std::string s = "response_id,unit,period";
  for (const auto& it : q.items) s += "," + it.link_id;
  if (!q.comment_link_id.empty()) s += ",comment";
  s += "\n";
  for (const auto& r : rs) {
    append_csv_field(s, r.id);
    s += ',';
    append_csv_field(s, r.unit);
    s += ',';
    append_csv_field(s, r.period);
    for (size_t k = 0; k < q.items.size(); ++k) {
      s += ',';
      const int v = r.values[k];
      if (v == kNoAnswer) continue;
      const Scale& sc = q.scales.at(q.items[k].scale);
      s += sc.is_integer() ? std::to_string(v) : sc.options[v - 1].code;
    }
    if (!q.comment_link_id.empty()) {
      s += ',';
      append_csv_field(s, r.comment);
    }
    s += '\n';
  }
  return s;
}

json responses_to_fhir(const std::vector<Response>& rs, const Questionnaire& q) {
  json bundle = {{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", json::array()}};
  for (const auto& r : rs) {
    json groups = json::array();
    for (const auto& d : q.domains) {
      json g = {{"linkId", d.id}, {"item", json::array()}};
      for (const auto& l : d.items) {
        const int k = q.item_index(l);
        const Scale& s = q.scales.at(q.items[k].scale);
        json e = {{"linkId", l}};
        const int v = r.values[k];
        if (v != kNoAnswer) {
          if (s.is_integer()) e["answer"] = {{{"valueInteger", v}}};
          else
            e["answer"] = {{{"valueCoding", {{"system", std::string(kOptionSystem) + "/" + s.id},
                                             {"code", s.options[v - 1].code},
                                             {"display", s.options[v - 1].display}}}}};
        }
        g["item"].push_back(e);
      }
      groups.push_back(g);
    }
    if (!q.comment_link_id.empty() && !r.comment.empty())
      groups.push_back({{"linkId", q.comment_link_id}, {"answer", {{{"valueString", r.comment}}}}});
    json qr = {{"resourceType", "QuestionnaireResponse"},
               {"id", r.id},
               {"questionnaire", q.url},
               {"status", "completed"},
               {"extension", {{{"url", kUnitExt}, {"valueString", r.unit}}, {{"url", kPeriodExt}, {"valueString", r.period}}}},
               {"item", groups}};
    bundle["entry"].push_back({{"fullUrl", "urn:uuid:qr-" + r.id}, {"resource", qr}});
  }
  return bundle;
}

}  // namespace medgen::ops::surveys
