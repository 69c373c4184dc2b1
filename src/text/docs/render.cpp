// FHIR R4 -> view model -> Mustache (kainjow) -> HTML, or line markup -> PDF (libharu).
#include "medgen/text/docs/render.h"

#include <hpdf.h>

#include <algorithm>
#include <filesystem>
#include <kainjow/mustache.hpp>
#include <map>
#include <memory>
#include <sstream>

#include "medgen/core/error.h"
#include "medgen/core/version.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace medgen::text::docs {

namespace {

std::string str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return "";
}

// CodeableConcept: text, else the first coding's display, else its code.
std::string concept_text(const json& cc) {
  if (!cc.is_object()) return "";
  if (std::string t = str(cc, "text"); !t.empty()) return t;
  if (auto c = cc.find("coding"); c != cc.end() && c->is_array())
    for (const json& x : *c) {
      if (std::string d = str(x, "display"); !d.empty()) return d;
      if (std::string d = str(x, "code"); !d.empty()) return d;
    }
  return "";
}
std::string first_code(const json& cc, std::string* system = nullptr) {
  if (!cc.is_object()) return "";
  if (auto c = cc.find("coding"); c != cc.end() && c->is_array() && !c->empty()) {
    if (system) *system = str((*c)[0], "system");
    return str((*c)[0], "code");
  }
  return "";
}
std::string date_part(const std::string& s) { return s.substr(0, std::min<size_t>(s.size(), 10)); }

std::string ref_id(const json& ref) {
  std::string r = str(ref, "reference");
  const size_t slash = r.rfind('/');
  if (r.rfind("urn:uuid:", 0) == 0) return r.substr(9);
  return slash == std::string::npos ? r : r.substr(slash + 1);
}

std::string fmt_number(double v) {
  std::ostringstream o;
  o.precision(6);
  o << v;
  return o.str();
}

kainjow::mustache::data to_data(const json& j) {
  using D = kainjow::mustache::data;
  switch (j.type()) {
    case json::value_t::object: {
      D d{D::type::object};
      // empty strings are left out: a missing name renders as nothing and is false in
      // {{#name}} sections (kainjow treats "" as true)
      for (auto& [k, v] : j.items())
        if (!(v.is_string() && v.get<std::string>().empty())) d.set(k, to_data(v));
      return d;
    }
    case json::value_t::array: {
      D d{D::type::list};
      for (const json& v : j) d.push_back(to_data(v));
      return d;
    }
    case json::value_t::boolean:
      return D{j.get<bool>() ? D::type::bool_true : D::type::bool_false};
    case json::value_t::string:
      return D{j.get<std::string>()};
    case json::value_t::null:
      return D{D::type::bool_false};
    default:
      return D{j.is_number_float() ? fmt_number(j.get<double>()) : j.dump()};
  }
}

}  // namespace

json document_model(const json& fhir, const std::string& file, const std::string& patient_id) {
  std::vector<json> res;
  if (fhir.is_object() && str(fhir, "resourceType") == "Bundle") {
    if (auto e = fhir.find("entry"); e != fhir.end() && e->is_array())
      for (const json& x : *e)
        if (x.is_object() && x.contains("resource") && x["resource"].is_object()) res.push_back(x["resource"]);
  } else if (fhir.is_array()) {
    for (const json& x : fhir)
      if (x.is_object()) res.push_back(x);
  } else if (fhir.is_object() && fhir.contains("resourceType")) {
    res.push_back(fhir);
  } else {
    throw InvalidInput(file + ": not a FHIR R4 Bundle, resource or array of resources");
  }
  std::vector<const json*> patients;
  for (const json& r : res)
    if (str(r, "resourceType") == "Patient") patients.push_back(&r);
  if (patients.empty()) throw InvalidInput(file + ": no Patient resource");
  const json* pat = nullptr;
  if (!patient_id.empty()) {
    for (const json* p : patients)
      if (str(*p, "id") == patient_id) pat = p;
    if (!pat) throw InvalidInput(file + ": no Patient with id '" + patient_id + "'");
  } else if (patients.size() > 1) {
    throw InvalidInput(file + ": " + std::to_string(patients.size()) + " patients; pick one with --patient ID");
  } else {
    pat = patients[0];
  }
  const std::string pid = str(*pat, "id");
  // the Patient's own fullUrl may be a urn:uuid: find it to match references
  std::vector<std::string> ids = {pid};
  if (fhir.is_object() && fhir.contains("entry") && fhir["entry"].is_array())
    for (const json& e : fhir["entry"])
      if (e.is_object() && e.contains("resource") && &e["resource"] != nullptr && str(e["resource"], "resourceType") == "Patient" &&
          str(e["resource"], "id") == pid) {
        std::string fu = str(e, "fullUrl");
        if (fu.rfind("urn:uuid:", 0) == 0) ids.push_back(fu.substr(9));
      }
  auto mine = [&](const json& r) {
    const json* ref = nullptr;
    if (r.contains("subject")) ref = &r["subject"];
    else if (r.contains("patient")) ref = &r["patient"];
    if (!ref) return patients.size() == 1;
    const std::string id = ref_id(*ref);
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  json m;
  json p;
  p["id"] = pid;
  std::string given, family;
  if (auto n = pat->find("name"); n != pat->end() && n->is_array() && !n->empty()) {
    const json& nm = (*n)[0];
    if (nm.contains("given") && nm["given"].is_array())
      for (const json& g : nm["given"])
        if (g.is_string()) given += (given.empty() ? "" : " ") + g.get<std::string>();
    family = str(nm, "family");
    if (given.empty() && family.empty()) family = str(nm, "text");
  }
  p["given"] = given;
  p["family"] = family;
  p["name"] = given.empty() ? (family.empty() ? "Patient " + pid : family) : given + (family.empty() ? "" : " " + family);
  p["gender"] = str(*pat, "gender");
  p["birth_date"] = str(*pat, "birthDate");
  p["deceased_date"] = date_part(str(*pat, "deceasedDateTime"));
  json conditions = json::array(), meds = json::array(), obs = json::array(), procs = json::array(),
       allergies = json::array(), encs = json::array();
  std::string latest;
  auto seen = [&](const std::string& d) {
    if (d > latest) latest = d;
  };
  for (const json& r : res) {
    const std::string type = str(r, "resourceType");
    if (type == "Patient" || !mine(r)) continue;
    if (type == "Condition") {
      std::string sys;
      const std::string code = first_code(r.value("code", json()), &sys);
      json c{{"display", concept_text(r.value("code", json()))}, {"code", code}, {"system", sys},
             {"onset", date_part(str(r, "onsetDateTime"))}, {"abatement", date_part(str(r, "abatementDateTime"))},
             {"status", first_code(r.value("clinicalStatus", json()))},
             {"verification", first_code(r.value("verificationStatus", json()))}};
      seen(c["onset"]);
      conditions.push_back(c);
    } else if (type == "MedicationStatement" || type == "MedicationRequest") {
      const json cc = r.value("medicationCodeableConcept", json());
      json period = r.value("effectivePeriod", json::object());
      std::string start = date_part(str(period, "start")), end = date_part(str(period, "end"));
      if (start.empty()) start = date_part(str(r, "effectiveDateTime"));
      if (start.empty()) start = date_part(str(r, "authoredOn"));
      std::string dosage;
      if (r.contains("dosage") && r["dosage"].is_array() && !r["dosage"].empty()) dosage = str(r["dosage"][0], "text");
      if (r.contains("dosageInstruction") && r["dosageInstruction"].is_array() && !r["dosageInstruction"].empty())
        dosage = str(r["dosageInstruction"][0], "text");
      seen(start);
      meds.push_back({{"display", concept_text(cc)}, {"code", first_code(cc)}, {"start", start}, {"end", end},
                      {"status", str(r, "status")}, {"dosage", dosage}});
    } else if (type == "Observation") {
      json o{{"display", concept_text(r.value("code", json()))}, {"code", first_code(r.value("code", json()))},
             {"date", date_part(str(r, "effectiveDateTime"))}, {"value", ""}, {"unit", ""}, {"flag", ""},
             {"low", ""}, {"high", ""}, {"range", ""}};
      if (auto v = r.find("valueQuantity"); v != r.end() && v->is_object()) {
        if (v->contains("value") && (*v)["value"].is_number()) o["value"] = fmt_number((*v)["value"].get<double>());
        o["unit"] = str(*v, "unit").empty() ? str(*v, "code") : str(*v, "unit");
      } else if (r.contains("valueString")) {
        o["value"] = str(r, "valueString");
      } else if (r.contains("valueCodeableConcept")) {
        o["value"] = concept_text(r["valueCodeableConcept"]);
      }
      if (auto rr = r.find("referenceRange"); rr != r.end() && rr->is_array() && !rr->empty()) {
        const json& x = (*rr)[0];
        if (x.contains("low") && x["low"].contains("value")) o["low"] = fmt_number(x["low"]["value"].get<double>());
        if (x.contains("high") && x["high"].contains("value")) o["high"] = fmt_number(x["high"]["value"].get<double>());
        o["range"] = str(x, "text").empty() ? (o["low"].get<std::string>() + "-" + o["high"].get<std::string>())
                                             : str(x, "text");
      }
      if (auto it = r.find("interpretation"); it != r.end() && it->is_array() && !it->empty())
        o["flag"] = first_code((*it)[0]);
      if (o["flag"] == "" && o["value"] != "" && (o["low"] != "" || o["high"] != "")) {
        try {
          const double v = std::stod(o["value"].get<std::string>());
          if (o["low"] != "" && v < std::stod(o["low"].get<std::string>())) o["flag"] = "L";
          if (o["high"] != "" && v > std::stod(o["high"].get<std::string>())) o["flag"] = "H";
        } catch (...) {
        }
      }
      seen(o["date"]);
      obs.push_back(o);
    } else if (type == "Procedure") {
      std::string d = date_part(str(r, "performedDateTime"));
      if (d.empty() && r.contains("performedPeriod")) d = date_part(str(r["performedPeriod"], "start"));
      seen(d);
      procs.push_back({{"display", concept_text(r.value("code", json()))}, {"code", first_code(r.value("code", json()))}, {"date", d}});
    } else if (type == "AllergyIntolerance") {
      std::string reaction;
      if (r.contains("reaction") && r["reaction"].is_array() && !r["reaction"].empty() &&
          r["reaction"][0].contains("manifestation") && r["reaction"][0]["manifestation"].is_array() &&
          !r["reaction"][0]["manifestation"].empty())
        reaction = concept_text(r["reaction"][0]["manifestation"][0]);
      allergies.push_back({{"display", concept_text(r.value("code", json()))}, {"code", first_code(r.value("code", json()))},
                           {"reaction", reaction}, {"criticality", str(r, "criticality")},
                           {"onset", date_part(str(r, "onsetDateTime"))}});
    } else if (type == "Encounter") {
      json period = r.value("period", json::object());
      std::string cls = r.contains("class") ? (str(r["class"], "display").empty() ? str(r["class"], "code") : str(r["class"], "display")) : "";
      std::string t;
      if (r.contains("type") && r["type"].is_array() && !r["type"].empty()) t = concept_text(r["type"][0]);
      json e{{"id", str(r, "id")}, {"class", cls}, {"type", t}, {"start", date_part(str(period, "start"))},
             {"end", date_part(str(period, "end"))}};
      seen(e["start"]);
      seen(e["end"]);
      encs.push_back(e);
    }
  }
  auto by = [](const char* key, bool newest_first) {
    return [key, newest_first](const json& a, const json& b) {
      const std::string x = a.value(key, ""), y = b.value(key, "");
      return newest_first ? x > y : x < y;
    };
  };
  std::stable_sort(conditions.begin(), conditions.end(), by("onset", false));
  std::stable_sort(meds.begin(), meds.end(), by("start", false));
  std::stable_sort(obs.begin(), obs.end(), by("date", true));
  std::stable_sort(procs.begin(), procs.end(), by("date", false));
  std::stable_sort(encs.begin(), encs.end(), by("start", false));
  json panels = json::array();
  for (const json& o : obs) {
    if (panels.empty() || panels.back()["date"] != o["date"]) panels.push_back({{"date", o["date"]}, {"results", json::array()}});
    panels.back()["results"].push_back(o);
  }
  // age at the document date
  const std::string doc_date = latest.empty() ? "" : latest.substr(0, 10);
  const std::string bd = p["birth_date"];
  if (bd.size() >= 10 && doc_date.size() >= 10) {
    int age = std::stoi(doc_date.substr(0, 4)) - std::stoi(bd.substr(0, 4));
    if (doc_date.substr(5, 5) < bd.substr(5, 5)) --age;
    p["age"] = std::to_string(age);
  } else {
    p["age"] = "";
  }
  m["patient"] = p;
  m["encounters"] = encs;
  m["admission"] = encs.empty() ? json(false) : encs.back();
  m["conditions"] = conditions;
  m["medications"] = meds;
  m["observations"] = obs;
  m["lab_panels"] = panels;
  m["procedures"] = procs;
  m["allergies"] = allergies;
  m["counts"] = {{"conditions", conditions.size()}, {"medications", meds.size()}, {"observations", obs.size()},
                 {"procedures", procs.size()}, {"allergies", allergies.size()}};
  m["document"] = {{"date", doc_date}};
  // For sections that print a heading only when there is something under it.
  m["has"] = {{"conditions", !conditions.empty()}, {"medications", !meds.empty()}, {"observations", !obs.empty()},
              {"procedures", !procs.empty()}, {"allergies", !allergies.empty()}, {"encounters", !encs.empty()}};
  m["latest_panel"] = panels.empty() ? json(false) : panels[0];
  return m;
}

std::string render_template(const std::string& tmpl, const json& model, const std::string& file) {
  kainjow::mustache::mustache t(tmpl);
  auto fail = [&](const std::string& msg) -> void {
    // kainjow reports "... at N" with N a byte offset into the template
    size_t off = 0;
    const size_t at = msg.rfind(" at ");
    if (at != std::string::npos) {
      try {
        off = std::stoul(msg.substr(at + 4));
      } catch (...) {
        off = 0;
      }
    }
    off = std::min(off, tmpl.size());
    size_t line = 1, col = 1;
    for (size_t i = 0; i < off; ++i) {
      if (tmpl[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw InvalidInput(located(file, line, col, "template error: " + (at == std::string::npos ? msg : msg.substr(0, at))));
  };
  if (!t.is_valid()) fail(t.error_message());
  const std::string out = t.render(to_data(model));
  if (!t.is_valid()) fail(t.error_message());
  return out;
}

namespace {

void hpdf_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void*) {
  throw Error("PDF writer (libharu) error 0x" + [&] {
    char b[32];
    std::snprintf(b, sizeof b, "%04X detail %u", static_cast<unsigned>(error_no), static_cast<unsigned>(detail_no));
    return std::string(b);
  }());
}

// UTF-8 -> Latin-1 (WinAnsi for the base-14 fonts); others become '?'.
std::string latin1(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < s.size()) {
      const unsigned cp = ((c & 0x1F) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F);
      out += cp >= 0xA0 && cp <= 0xFF ? static_cast<char>(cp) : '?';
      i += 2;
    } else {
      // 3- and 4-byte sequences: a few typographic ones mapped, the rest '?'
      const size_t len = (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
      const std::string seq = s.substr(i, len);
      if (seq == "\xE2\x80\x94" || seq == "\xE2\x80\x93") out += '-';
      else if (seq == "\xE2\x80\x99" || seq == "\xE2\x80\x98") out += '\'';
      else if (seq == "\xE2\x80\x9C" || seq == "\xE2\x80\x9D") out += '"';
      else if (seq == "\xE2\x80\xA2") out += '\x95';
      else out += '?';
      i += len;
    }
  }
  return out;
}

std::string unescape_html(std::string s) {
  // Mustache escapes {{var}}; the PDF markup wants the characters back.
  static const std::pair<const char*, const char*> ents[] = {
      {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&#x27;", "'"}, {"&apos;", "'"}};
  for (const auto& [e, c] : ents) {
    size_t p = 0;
    while ((p = s.find(e, p)) != std::string::npos) {
      s.replace(p, std::strlen(e), c);
      p += std::strlen(c);
    }
  }
  return s;
}

struct PdfWriter {
  HPDF_Doc doc;
  HPDF_Font regular, bold;
  HPDF_Page page = nullptr;
  float y = 0;
  const float left = 56, right = 539, top = 786, bottom = 56;

  explicit PdfWriter(const std::string& title) {
    doc = HPDF_New(hpdf_error, nullptr);
    if (!doc) throw Error("PDF writer (libharu): cannot create a document");
    HPDF_SetCompressionMode(doc, HPDF_COMP_ALL);
    regular = HPDF_GetFont(doc, "Helvetica", "WinAnsiEncoding");
    bold = HPDF_GetFont(doc, "Helvetica-Bold", "WinAnsiEncoding");
    HPDF_SetInfoAttr(doc, HPDF_INFO_TITLE, latin1(title).c_str());
    HPDF_SetInfoAttr(doc, HPDF_INFO_CREATOR, "medgen " MEDGEN_VERSION);
    new_page();
  }
  ~PdfWriter() { HPDF_Free(doc); }
  void new_page() {
    page = HPDF_AddPage(doc);
    HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
    y = top;
  }
  void need(float h) {
    if (y - h < bottom) new_page();
  }
  float width(HPDF_Font f, float size, const std::string& s) {
    HPDF_Page_SetFontAndSize(page, f, size);
    return HPDF_Page_TextWidth(page, s.c_str());
  }
  void text_at(HPDF_Font f, float size, float x, const std::string& s) {
    HPDF_Page_BeginText(page);
    HPDF_Page_SetFontAndSize(page, f, size);
    HPDF_Page_TextOut(page, x, y, s.c_str());
    HPDF_Page_EndText(page);
  }
  // Word-wrapped paragraph from x to right.
  void para(const std::string& s, HPDF_Font f, float size, float x, float gap_after, const std::string& bullet = "") {
    std::istringstream in(s);
    std::string w, line;
    const float lead = size * 1.35f;
    bool first = true;
    auto flush = [&] {
      need(lead);
      y -= lead;
      if (first && !bullet.empty()) text_at(regular, size, x - 12, bullet);
      text_at(f, size, x, line);
      line.clear();
      first = false;
    };
    while (in >> w) {
      std::string cand = line.empty() ? w : line + " " + w;
      if (!line.empty() && width(f, size, cand) > right - x) {
        flush();
        cand = w;
      }
      // a single word wider than the line is cut
      while (width(f, size, cand) > right - x && cand.size() > 1) {
        size_t n = cand.size() - 1;
        while (n > 1 && width(f, size, cand.substr(0, n)) > right - x) --n;
        line = cand.substr(0, n);
        flush();
        cand = cand.substr(n);
      }
      line = cand;
    }
    if (!line.empty()) flush();
    y -= gap_after;
  }
  void table_row(const std::vector<std::string>& cells, bool header) {
    const float size = 9.5f, lead = size * 1.35f;
    const float colw = (right - left) / std::max<size_t>(1, cells.size());
    // wrap each cell, then draw the row with the tallest cell's height
    std::vector<std::vector<std::string>> lines(cells.size());
    HPDF_Font f = header ? bold : regular;
    size_t rows = 1;
    for (size_t c = 0; c < cells.size(); ++c) {
      std::istringstream in(cells[c]);
      std::string w, line;
      while (in >> w) {
        const std::string cand = line.empty() ? w : line + " " + w;
        if (!line.empty() && width(f, size, cand) > colw - 6) {
          lines[c].push_back(line);
          line = w;
        } else {
          line = cand;
        }
      }
      if (!line.empty()) lines[c].push_back(line);
      rows = std::max(rows, lines[c].size());
    }
    need(lead * rows + 4);
    const float y0 = y;
    for (size_t c = 0; c < cells.size(); ++c) {
      y = y0;
      for (const std::string& l : lines[c]) {
        y -= lead;
        std::string s = l;
        while (s.size() > 1 && width(f, size, s) > colw - 6) s.pop_back();
        text_at(f, size, left + c * colw, s);
      }
    }
    y = y0 - lead * rows - 3;
    if (header) rule(0.5f);
  }
  void rule(float w) {
    need(6);
    HPDF_Page_SetLineWidth(page, w);
    HPDF_Page_MoveTo(page, left, y);
    HPDF_Page_LineTo(page, right, y);
    HPDF_Page_Stroke(page);
    y -= 6;
  }
  std::string bytes() {
    HPDF_SaveToStream(doc);
    HPDF_UINT32 size = HPDF_GetStreamSize(doc);
    std::string out(size, '\0');
    HPDF_ReadFromStream(doc, reinterpret_cast<HPDF_BYTE*>(out.data()), &size);
    out.resize(size);
    return out;
  }
};

}  // namespace

std::string markup_to_pdf(const std::string& markup_in, const std::string& title) {
  PdfWriter w(title);
  const std::string markup = latin1(unescape_html(markup_in));
  std::istringstream in(markup);
  std::string line, para;
  bool header_row_next = true;
  auto flush_para = [&] {
    if (!para.empty()) w.para(para, w.regular, 10.5f, w.left, 5);
    para.clear();
  };
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) {
      flush_para();
      header_row_next = true;
      continue;
    }
    if (line.rfind("# ", 0) == 0) {
      flush_para();
      w.para(line.substr(2), w.bold, 17, w.left, 6);
    } else if (line.rfind("## ", 0) == 0) {
      flush_para();
      w.y -= 4;
      w.para(line.substr(3), w.bold, 12.5f, w.left, 3);
    } else if (line.rfind("- ", 0) == 0) {
      flush_para();
      w.para(line.substr(2), w.regular, 10.5f, w.left + 14, 2, "\x95");
    } else if (line == "---") {
      flush_para();
      w.rule(0.8f);
    } else if (line[0] == '|') {
      flush_para();
      std::vector<std::string> cells;
      std::string cell;
      for (size_t i = 1; i < line.size(); ++i) {
        if (line[i] == '|') {
          while (!cell.empty() && cell.back() == ' ') cell.pop_back();
          while (!cell.empty() && cell.front() == ' ') cell.erase(cell.begin());
          cells.push_back(cell);
          cell.clear();
        } else {
          cell += line[i];
        }
      }
      if (!cell.empty()) cells.push_back(cell);
      w.table_row(cells, header_row_next);
      header_row_next = false;
    } else {
      para += (para.empty() ? "" : " ") + line;
    }
  }
  flush_para();
  return w.bytes();
}

std::string default_template_dir() {
  if (const char* e = std::getenv("MEDGEN_TEXT_DATA"); e && *e) return std::string(e) + "/templates";
  const std::string built = std::string(MEDGEN_DATA_DIR) + "/text/templates";
  if (fs::is_directory(built)) return built;
  return "data/text/templates";
}

std::vector<std::string> template_kinds(const std::string& dir) {
  std::vector<std::string> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    const std::string suf = ".html.mustache";
    if (n.size() > suf.size() && n.compare(n.size() - suf.size(), suf.size(), suf) == 0) {
      const std::string kind = n.substr(0, n.size() - suf.size());
      if (fs::is_regular_file(fs::path(dir) / (kind + ".pdf.mustache"))) out.push_back(kind);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace medgen::text::docs
