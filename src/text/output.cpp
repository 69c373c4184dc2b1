#include "medgen/text/output.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/text/utf8.h"

using json = nlohmann::json;

namespace medgen::text {

std::vector<std::string> split_tabs(const std::string& line);  // note.cpp

bool is_affirmed(const Concept& c) {
  return !c.context.negated && !c.context.uncertain && !c.context.hypothetical && !c.context.family;
}

namespace {

json codeable(const Concept& c) {
  json cc{{"text", c.text}};
  json codings = json::array();
  if (!c.code.empty()) codings.push_back({{"system", c.system}, {"code", c.code}, {"display", c.preferred}});
  if (!c.mapped.empty()) {
    const size_t bar = c.mapped.find('|');
    codings.push_back({{"system", c.mapped.substr(0, bar)}, {"code", c.mapped.substr(bar + 1)}});
  }
  if (!codings.empty()) cc["coding"] = codings;
  return cc;
}

json quantity(const Quantity& q) {
  json j{{"value", q.value}};
  if (!q.comparator.empty()) j["comparator"] = q.comparator;
  if (!q.unit.empty()) {
    j["unit"] = q.unit_text.empty() ? q.unit : q.unit_text;
    j["system"] = "http://unitsofmeasure.org";
    j["code"] = q.unit;
  }
  return j;
}

json concept_coding(const char* system, const char* code, const char* display = nullptr) {
  json c{{"system", system}, {"code", code}};
  if (display) c["display"] = display;
  return json{{"coding", json::array({c})}};
}

json extensions(const Note& n, const Concept& c) {
  json ext = json::array();
  ext.push_back({{"url", kTextSpanUrl},
                 {"extension",
                  json::array({{{"url", "note"}, {"valueString", n.id}},
                               {{"url", "begin"}, {"valueInteger", c.span.begin}},
                               {{"url", "end"}, {"valueInteger", c.span.end}},
                               {{"url", "text"}, {"valueString", c.text}}})}});
  for (int i = 0; i < kContextCategories; ++i)
    if (c.context.get(static_cast<ContextCategory>(i)))
      ext.push_back({{"url", kTextContextUrl}, {"valueCode", to_string(static_cast<ContextCategory>(i))}});
  return ext;
}

const char* verification(const Concept& c) {
  if (c.context.negated) return "refuted";
  if (c.context.uncertain || c.context.hypothetical) return "unconfirmed";
  return "confirmed";
}

json dosage(const MedicationSig& s) {
  json d = json::object();
  std::string text;
  if (!s.route.empty()) d["route"] = json{{"text", s.route}};
  if (s.dose || s.strength) {
    const Quantity& q = s.dose ? *s.dose : *s.strength;
    d["doseAndRate"] = json::array({{{"doseQuantity", quantity(q)}}});
  }
  json repeat = json::object();
  if (s.frequency > 0) {
    repeat["frequency"] = s.frequency;
    repeat["period"] = s.period;
    repeat["periodUnit"] = s.period_unit == "wk" ? "wk" : s.period_unit == "mo" ? "mo" : s.period_unit;
  }
  if (s.duration) repeat["boundsDuration"] = quantity(*s.duration);
  if (!repeat.empty()) d["timing"] = {{"repeat", repeat}, {"code", {{"text", s.frequency_text}}}};
  if (s.as_needed) {
    if (s.as_needed_for.empty())
      d["asNeededBoolean"] = true;
    else
      d["asNeededCodeableConcept"] = {{"text", s.as_needed_for}};
  }
  return d;
}

}  // namespace

json fhir_bundle(const std::vector<ExtractedNote>& notes) {
  json entries = json::array();
  std::set<std::string> patients;
  for (const ExtractedNote& en : notes) {
    const Note& n = en.note;
    const std::string pid = n.patient_id.empty() ? n.id : n.patient_id;
    if (patients.insert(pid).second)
      entries.push_back({{"fullUrl", "urn:medgen:Patient/" + pid}, {"resource", {{"resourceType", "Patient"}, {"id", pid}}}});
    const json subject{{"reference", "Patient/" + pid}};
    size_t k = 0;
    for (const Concept& c : en.concepts) {
      json r;
      const std::string id = n.id + "-" + std::to_string(++k);
      r["id"] = id;
      r["extension"] = extensions(n, c);
      switch (c.type) {
        case ConceptType::kProblem:
          if (c.context.family) {
            r["resourceType"] = "FamilyMemberHistory";
            r["status"] = "partial";
            r["patient"] = subject;
            r["relationship"] = concept_coding("http://terminology.hl7.org/CodeSystem/v3-RoleCode", "FAMMEMB", "family member");
            json cond{{"code", codeable(c)}};
            if (c.context.negated) cond["note"] = json::array({{{"text", "reported absent"}}});
            r["condition"] = json::array({cond});
            if (c.context.negated) r["status"] = "partial";
          } else {
            r["resourceType"] = "Condition";
            r["verificationStatus"] = concept_coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", verification(c));
            r["category"] = json::array({concept_coding("http://terminology.hl7.org/CodeSystem/condition-category",
                                                        "encounter-diagnosis")});
            r["code"] = codeable(c);
            r["subject"] = subject;
          }
          break;
        case ConceptType::kMedication: {
          r["resourceType"] = "MedicationStatement";
          const char* status = c.context.negated        ? "not-taken"
                               : c.context.hypothetical ? "intended"
                               : c.context.historical   ? "completed"
                                                        : "active";
          r["status"] = status;
          r["subject"] = subject;
          if (c.sig.strength) {
            json med{{"resourceType", "Medication"}, {"id", "med"}, {"code", codeable(c)},
                     {"ingredient", json::array({{{"itemCodeableConcept", codeable(c)},
                                                  {"strength", {{"numerator", quantity(*c.sig.strength)},
                                                                {"denominator", {{"value", 1}}}}}}})}};
            r["contained"] = json::array({med});
            r["medicationReference"] = {{"reference", "#med"}};
          } else {
            r["medicationCodeableConcept"] = codeable(c);
          }
          json d = dosage(c.sig);
          d["text"] = n.text.substr(c.extent.begin, c.extent.end - c.extent.begin);
          r["dosage"] = json::array({d});
          break;
        }
        case ConceptType::kAllergy:
          r["resourceType"] = "AllergyIntolerance";
          r["verificationStatus"] = concept_coding("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                                                   verification(c));
          if (!c.context.negated)
            r["clinicalStatus"] = concept_coding("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active");
          r["code"] = codeable(c);
          r["patient"] = subject;
          if (!c.reaction.empty()) r["reaction"] = json::array({{{"manifestation", json::array({{{"text", c.reaction}}})}}});
          break;
        case ConceptType::kLab:
        case ConceptType::kVital: {
          r["resourceType"] = "Observation";
          r["status"] = c.context.hypothetical ? "registered" : "final";
          const bool lab = c.type == ConceptType::kLab;
          r["category"] = json::array({concept_coding("http://terminology.hl7.org/CodeSystem/observation-category",
                                                      lab ? "laboratory" : "vital-signs")});
          r["subject"] = subject;
          if (c.code == "8480-6" && c.value2) {
            json code = codeable(c);
            code["coding"] = json::array({{{"system", "http://loinc.org"}, {"code", "85354-9"}, {"display", "Blood pressure panel"}}});
            r["code"] = code;
            r["component"] = json::array(
                {{{"code", concept_coding("http://loinc.org", "8480-6", "Systolic blood pressure")}, {"valueQuantity", quantity(*c.value)}},
                 {{"code", concept_coding("http://loinc.org", "8462-4", "Diastolic blood pressure")},
                  {"valueQuantity", quantity(*c.value2)}}});
          } else {
            r["code"] = codeable(c);
            if (c.value) r["valueQuantity"] = quantity(*c.value);
            else r["dataAbsentReason"] = concept_coding("http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-performed");
          }
          if (c.context.negated)
            r["interpretation"] = json::array({concept_coding("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "NEG", "Negative")});
          break;
        }
        case ConceptType::kProcedure:
          r["resourceType"] = "Procedure";
          r["status"] = c.context.negated ? "not-done" : c.context.hypothetical ? "preparation" : "completed";
          r["code"] = codeable(c);
          r["subject"] = subject;
          break;
      }
      const std::string type = r["resourceType"].get<std::string>();
      entries.push_back({{"fullUrl", "urn:medgen:" + type + "/" + id}, {"resource", std::move(r)}});
    }
  }
  return json{{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", entries}};
}

// ------------------------------------------------------------------ registry

RegistryMapping RegistryMapping::load(const std::string& path) {
  const std::string data = read_file(path);
  require_utf8(data, path);
  RegistryMapping m;
  std::istringstream in(data);
  std::string line;
  size_t lineno = 0;
  std::set<std::string> names;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> f = split_tabs(line);
    if (f[0] == "@rows") {
      if (f.size() != 2 || (f[1] != "note" && f[1] != "patient"))
        throw InvalidInput(located(path, lineno, 1, "@rows takes 'note' or 'patient'"));
      m.per_patient = f[1] == "patient";
      continue;
    }
    if (f.size() < 2 || f.size() > 3 || f[0].empty())
      throw InvalidInput(located(path, lineno, 1, "expected 'column<TAB>kind[<TAB>argument]'"));
    Column c{f[0], f[1], f.size() == 3 ? f[2] : ""};
    static const std::set<std::string> kNoArg{"note_id", "patient_id", "notes"};
    static const std::set<std::string> kTerm{"present", "value", "value2", "unit"};
    static const std::set<std::string> kType{"list", "negated", "count"};
    const size_t col = f[0].size() + 2;
    if (kNoArg.count(c.kind)) {
      if (!c.arg.empty()) throw InvalidInput(located(path, lineno, col + c.kind.size() + 1, c.kind + " takes no argument"));
    } else if (kTerm.count(c.kind)) {
      if (c.arg.empty()) throw InvalidInput(located(path, lineno, col, c.kind + " needs a term or code"));
    } else if (kType.count(c.kind)) {
      ConceptType t;
      if (!parse_concept_type(c.arg, &t))
        throw InvalidInput(located(path, lineno, col + c.kind.size() + 1,
                                   "unknown concept type '" + c.arg + "' (problem, medication, allergy, procedure, lab, vital)"));
    } else {
      throw InvalidInput(located(path, lineno, col,
                                 "unknown kind '" + c.kind +
                                     "' (note_id, patient_id, notes, present, value, value2, unit, list, negated, count)"));
    }
    if (!names.insert(c.name).second) throw InvalidInput(located(path, lineno, 1, "duplicate column '" + c.name + "'"));
    m.columns.push_back(std::move(c));
  }
  if (m.columns.empty()) throw InvalidInput(path + ": the mapping defines no column");
  return m;
}

RegistryMapping RegistryMapping::default_mapping() {
  RegistryMapping m;
  m.columns = {{"note_id", "note_id", ""}, {"patient_id", "patient_id", ""}};
  for (int i = 0; i < kConceptTypes; ++i) {
    const std::string t = to_string(static_cast<ConceptType>(i));
    m.columns.push_back({t == "allergy" ? "allergies" : t + "s", "list", t});
  }
  m.columns.push_back({"negated_problems", "negated", "problem"});
  return m;
}

namespace {

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}

bool term_matches(const Concept& c, const std::string& arg_lower) {
  return lower(c.preferred) == arg_lower || (!c.code.empty() && lower(c.code) == arg_lower);
}

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.10g", v);
  return b;
}

std::string cell(const RegistryMapping::Column& col, const std::vector<const ExtractedNote*>& group) {
  const std::string arg = lower(col.arg);
  if (col.kind == "note_id") {
    std::string s;
    for (const auto* n : group) s += (s.empty() ? "" : ";") + n->note.id;
    return s;
  }
  if (col.kind == "patient_id") return group.front()->note.patient_id;
  if (col.kind == "notes") return std::to_string(group.size());
  if (col.kind == "present") {
    bool aff = false, neg = false;
    for (const auto* n : group)
      for (const Concept& c : n->concepts)
        if (term_matches(c, arg)) {
          if (is_affirmed(c)) aff = true;
          else if (c.context.negated && !c.context.family) neg = true;
        }
    return aff ? "1" : neg ? "0" : "";
  }
  if (col.kind == "value" || col.kind == "value2" || col.kind == "unit") {
    const Concept* last = nullptr;
    for (const auto* n : group)
      for (const Concept& c : n->concepts)
        if (term_matches(c, arg) && c.value && !c.context.family && !c.context.hypothetical) last = &c;
    if (!last) return "";
    if (col.kind == "value") return last->value->comparator + fmt(last->value->value);
    if (col.kind == "value2") return last->value2 ? fmt(last->value2->value) : "";
    return last->value->unit;
  }
  ConceptType t;
  parse_concept_type(col.arg, &t);
  std::vector<std::string> items;
  size_t count = 0;
  for (const auto* n : group)
    for (const Concept& c : n->concepts) {
      if (c.type != t) continue;
      const bool want = col.kind == "negated" ? (c.context.negated && !c.context.family) : is_affirmed(c);
      if (!want) continue;
      ++count;
      if (std::find(items.begin(), items.end(), c.preferred) == items.end()) items.push_back(c.preferred);
    }
  if (col.kind == "count") return std::to_string(count);
  std::string s;
  for (const auto& x : items) s += (s.empty() ? "" : "; ") + x;
  return s;
}

}  // namespace

std::string registry_csv(const std::vector<ExtractedNote>& notes, const RegistryMapping& m) {
  std::vector<std::vector<const ExtractedNote*>> groups;
  std::map<std::string, size_t> by_patient;
  for (const ExtractedNote& n : notes) {
    if (m.per_patient) {
      auto [it, fresh] = by_patient.emplace(n.note.patient_id, groups.size());
      if (fresh) groups.emplace_back();
      groups[it->second].push_back(&n);
    } else {
      groups.push_back({&n});
    }
  }
  std::string out;
  for (size_t i = 0; i < m.columns.size(); ++i) {
    if (i) out += ',';
    append_csv_field(out, m.columns[i].name);
  }
  out += '\n';
  for (const auto& g : groups) {
    for (size_t i = 0; i < m.columns.size(); ++i) {
      if (i) out += ',';
      append_csv_field(out, cell(m.columns[i], g));
    }
    out += '\n';
  }
  return out;
}

}  // namespace medgen::text
