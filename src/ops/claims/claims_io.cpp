// Claim lines in and out: CSV, FHIR R4 Claim (single, Bundle, NDJSON), ClaimResponse, findings.
#include <cmath>
#include <cstdio>
#include <map>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/core/schema.h"
#include "medgen/ops/claims/claims.h"

using json = nlohmann::json;

namespace medgen::ops::claims {

namespace {

bool parse_date(std::string_view s, int32_t* day) {
  if (s.size() < 10) return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  if (s[4] != '-' || s[7] != '-') return false;
  if (s.size() > 10 && s[10] != 'T') return false;  // a dateTime: the date part counts
  const int y = std::stoi(std::string(s.substr(0, 4)));
  const unsigned m = std::stoul(std::string(s.substr(5, 2))), d = std::stoul(std::string(s.substr(8, 2)));
  static const unsigned kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
  *day = static_cast<int32_t>(days_from_civil(y, m, d));
  return true;
}

std::string date_text(int32_t day) {
  int64_t y;
  unsigned m, d;
  civil_from_days(day, &y, &m, &d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(y), m, d);
  return buf;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ";") + x;
  return s;
}

bool parse_number(std::string_view s, double* v) {
  if (s.empty() || s.size() > 64) return false;
  const std::string t(s);
  char* end = nullptr;
  *v = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size() && std::isfinite(*v);
}

// FHIR helpers: a string member or "".
std::string str(const json& j, const char* k) {
  if (!j.is_object()) return "";
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}
std::string first_code(const json& cc) {
  if (!cc.is_object() || !cc.contains("coding") || !cc["coding"].is_array()) return "";
  for (const auto& c : cc["coding"])
    if (!str(c, "code").empty()) return str(c, "code");
  return "";
}

}  // namespace

std::vector<ClaimLine> parse_claims_csv(const std::string& text, const std::string& source) {
  CsvOptions o;
  o.missing_tokens = {};
  const RawTable t = parse_csv(text, source, o);
  auto col = [&](const char* name, bool required) -> int {
    for (size_t c = 0; c < t.names.size(); ++c)
      if (t.names[c] == name) return static_cast<int>(c);
    if (required) throw InvalidInput(located(source, 1, 0, std::string("missing column '") + name + "'"));
    return -1;
  };
  const int c_claim = col("claim_id", true), c_seq = col("line", false), c_patient = col("patient_id", true),
            c_payer = col("payer", true), c_date = col("service_date", true), c_proc = col("procedure", true),
            c_mod = col("modifiers", false), c_dx = col("diagnoses", true), c_units = col("units", false),
            c_charge = col("charge", false), c_pa = col("prior_auth", false), c_cs = col("coverage_start", false),
            c_ce = col("coverage_end", false), c_age = col("age", false), c_pos = col("place_of_service", false),
            c_den = col("denied", false), c_reason = col("denial_reason", false);
  std::vector<ClaimLine> out;
  out.reserve(t.num_rows());
  std::map<std::string, int> next_seq;
  for (size_t r = 0; r < t.num_rows(); ++r) {
    const size_t line = t.line(r);
    auto fail = [&](int c, const std::string& what) {
      throw InvalidInput(located(source, line, 0, t.names[c] + ": " + what));
    };
    auto f = [&](int c) { return c < 0 ? std::string_view() : t.field(r, c); };
    ClaimLine l;
    l.where = source + ":" + std::to_string(line);
    l.claim_id = std::string(f(c_claim));
    if (l.claim_id.empty()) fail(c_claim, "empty claim id");
    l.patient_id = std::string(f(c_patient));
    l.payer = std::string(f(c_payer));
    if (l.payer.empty()) fail(c_payer, "empty payer");
    if (!parse_date(f(c_date), &l.service_day)) fail(c_date, "not a date (YYYY-MM-DD): '" + std::string(f(c_date)) + "'");
    l.procedure = std::string(f(c_proc));
    if (l.procedure.empty()) fail(c_proc, "empty procedure code");
    l.modifiers = split_list(f(c_mod));
    l.diagnoses = split_list(f(c_dx));
    if (l.diagnoses.empty()) fail(c_dx, "no diagnosis");
    double v;
    if (c_seq >= 0) {
      if (!parse_number(f(c_seq), &v) || v < 1 || v > 1e6 || v != std::floor(v)) fail(c_seq, "not a line number");
      l.sequence = static_cast<int>(v);
    } else {
      l.sequence = ++next_seq[l.claim_id];
    }
    if (c_units >= 0 && !f(c_units).empty()) {
      if (!parse_number(f(c_units), &v) || v <= 0 || v > 1e6) fail(c_units, "units must be a number in (0, 1e6]");
      l.units = v;
    }
    if (c_charge >= 0 && !f(c_charge).empty()) {
      if (!parse_number(f(c_charge), &v) || v < 0 || v > 1e9) fail(c_charge, "charge must be a number in [0, 1e9]");
      l.charge = v;
    }
    l.prior_auth = std::string(f(c_pa));
    if (c_cs >= 0 || c_ce >= 0) {
      l.has_coverage = true;
      if (!f(c_cs).empty() && !parse_date(f(c_cs), &l.coverage_start)) fail(c_cs, "not a date");
      if (!f(c_ce).empty() && !parse_date(f(c_ce), &l.coverage_end)) fail(c_ce, "not a date");
      // Coverage columns present but empty: no coverage on file, so every date falls outside.
      if (f(c_cs).empty() && f(c_ce).empty()) l.coverage_start = INT32_MAX;
    }
    if (c_age >= 0 && !f(c_age).empty()) {
      if (!parse_number(f(c_age), &v) || v < 0 || v > 130) fail(c_age, "age must be in [0, 130]");
      l.age = static_cast<int>(v);
    }
    if (c_pos >= 0 && !f(c_pos).empty()) {
      if (!parse_number(f(c_pos), &v) || v < 1 || v > 99 || v != std::floor(v)) fail(c_pos, "place of service must be 1..99");
      l.place_of_service = static_cast<int>(v);
    }
    if (c_den >= 0 && !f(c_den).empty()) {
      const auto d = f(c_den);
      if (d != "0" && d != "1") fail(c_den, "denied must be 0 or 1");
      l.denied = d == "1";
    }
    l.denial_reason = std::string(f(c_reason));
    out.push_back(std::move(l));
  }
  return out;
}

namespace {

void claim_lines(const json& c, const std::string& where, std::vector<ClaimLine>* out) {
  if (!c.is_object() || str(c, "resourceType") != "Claim")
    throw InvalidInput(where + ": expected a FHIR Claim resource");
  const std::string id = str(c, "id");
  const std::string res = where + ": Claim/" + (id.empty() ? "(no id)" : id);
  if (id.empty()) throw InvalidInput(res + ": Claim.id is required");
  ClaimLine base;
  base.claim_id = id;
  const std::string pref = str(c.value("patient", json::object()), "reference");
  base.patient_id = pref.rfind("Patient/", 0) == 0 ? pref.substr(8) : pref;
  if (base.patient_id.empty()) throw InvalidInput(res + ": Claim.patient.reference is required");
  // Payer: insurer.identifier.value or insurer.display or insurer.reference.
  const json insurer = c.value("insurer", json::object());
  base.payer = str(insurer.value("identifier", json::object()), "value");
  if (base.payer.empty()) base.payer = str(insurer, "display");
  if (base.payer.empty()) {
    const std::string r = str(insurer, "reference");
    base.payer = r.rfind("Organization/", 0) == 0 ? r.substr(13) : r;
  }
  if (base.payer.empty()) throw InvalidInput(res + ": Claim.insurer names no payer");
  // Contained resources: Coverage (period) and Patient (birthDate).
  std::map<std::string, json> contained;
  if (c.contains("contained") && c["contained"].is_array())
    for (const auto& r : c["contained"])
      if (r.is_object()) contained["#" + str(r, "id")] = r;
  int32_t birth = kNoDay;
  if (auto it = contained.find(pref); it != contained.end()) parse_date(str(it->second, "birthDate"), &birth);
  if (c.contains("insurance") && c["insurance"].is_array() && !c["insurance"].empty()) {
    const json& ins = c["insurance"][0];
    if (ins.contains("preAuthRef") && ins["preAuthRef"].is_array() && !ins["preAuthRef"].empty() &&
        ins["preAuthRef"][0].is_string())
      base.prior_auth = ins["preAuthRef"][0].get<std::string>();
    const std::string cref = str(ins.value("coverage", json::object()), "reference");
    if (auto it = contained.find(cref); it != contained.end()) {
      base.has_coverage = true;
      const json period = it->second.value("period", json::object());
      const std::string s = str(period, "start"), e = str(period, "end");
      if (!s.empty() && !parse_date(s, &base.coverage_start)) throw InvalidInput(res + ": Coverage.period.start is not a date");
      if (!e.empty() && !parse_date(e, &base.coverage_end)) throw InvalidInput(res + ": Coverage.period.end is not a date");
    }
  }
  std::map<long, std::string> dx;
  if (c.contains("diagnosis") && c["diagnosis"].is_array())
    for (const auto& d : c["diagnosis"]) {
      if (!d.is_object() || !d.value("sequence", json()).is_number_integer())
        throw InvalidInput(res + ": Claim.diagnosis needs an integer sequence");
      const std::string code = first_code(d.value("diagnosisCodeableConcept", json::object()));
      if (code.empty()) throw InvalidInput(res + ": Claim.diagnosis " + d["sequence"].dump() + " has no code");
      dx[d["sequence"].get<long>()] = code;
    }
  if (!c.contains("item") || !c["item"].is_array() || c["item"].empty())
    throw InvalidInput(res + ": Claim.item is required");
  const std::string claim_pos = first_code(c.value("facility", json::object()));
  for (size_t k = 0; k < c["item"].size(); ++k) {
    const json& it = c["item"][k];
    ClaimLine l = base;
    const std::string ires = res + " item " + std::to_string(k + 1);
    l.where = ires;
    if (!it.is_object()) throw InvalidInput(ires + ": not an object");
    const json seq = it.value("sequence", json());
    l.sequence = seq.is_number_integer() && seq.get<long>() >= 1 && seq.get<long>() <= 1000000 ? seq.get<int>()
                                                                                                 : static_cast<int>(k + 1);
    l.procedure = first_code(it.value("productOrService", json::object()));
    if (l.procedure.empty()) throw InvalidInput(ires + ": item.productOrService has no code");
    if (it.contains("modifier") && it["modifier"].is_array())
      for (const auto& m : it["modifier"]) {
        const std::string mc = first_code(m);
        if (!mc.empty()) l.modifiers.push_back(mc);
      }
    if (it.contains("diagnosisSequence") && it["diagnosisSequence"].is_array()) {
      for (const auto& s : it["diagnosisSequence"]) {
        if (!s.is_number_integer() || !dx.count(s.get<long>()))
          throw InvalidInput(ires + ": diagnosisSequence " + s.dump() + " names no Claim.diagnosis");
        l.diagnoses.push_back(dx[s.get<long>()]);
      }
    } else {
      for (const auto& [_, code] : dx) l.diagnoses.push_back(code);
    }
    if (l.diagnoses.empty()) throw InvalidInput(ires + ": no diagnosis");
    std::string date = str(it, "servicedDate");
    if (date.empty()) date = str(c.value("billablePeriod", json::object()), "start");
    if (!parse_date(date, &l.service_day)) throw InvalidInput(ires + ": item.servicedDate is missing or not a date");
    if (it.contains("quantity")) {
      const json q = it["quantity"].value("value", json());
      if (!q.is_number() || !(q.get<double>() > 0) || q.get<double>() > 1e6)
        throw InvalidInput(ires + ": item.quantity.value must be a number in (0, 1e6]");
      l.units = q.get<double>();
    }
    const json net = it.contains("net") ? it["net"] : it.value("unitPrice", json::object());
    if (net.is_object() && net.contains("value")) {
      if (!net["value"].is_number() || !(net["value"].get<double>() >= 0) || net["value"].get<double>() > 1e9)
        throw InvalidInput(ires + ": item.net.value must be a number in [0, 1e9]");
      l.charge = net["value"].get<double>();
    }
    std::string pos = first_code(it.value("locationCodeableConcept", json::object()));
    if (pos.empty()) pos = claim_pos;
    if (!pos.empty()) {
      double v;
      if (!parse_number(pos, &v) || v < 1 || v > 99 || v != std::floor(v))
        throw InvalidInput(ires + ": place of service '" + pos + "' is not a code 1..99");
      l.place_of_service = static_cast<int>(v);
    }
    if (birth != kNoDay) l.age = static_cast<int>((l.service_day - birth) / 365.25);
    out->push_back(std::move(l));
  }
}

}  // namespace

std::vector<ClaimLine> parse_claims_fhir(const std::string& text, const std::string& source) {
  std::vector<ClaimLine> out;
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) throw InvalidInput(source + ": empty file");
  // A single JSON document, else NDJSON (one resource per line).
  json doc;
  bool single = true;
  try {
    doc = json::parse(text);
  } catch (const json::exception&) {
    single = false;
  }
  if (single) {
    if (str(doc, "resourceType") == "Bundle") {
      if (!doc.contains("entry") || !doc["entry"].is_array()) throw InvalidInput(source + ": Bundle has no entry array");
      for (size_t i = 0; i < doc["entry"].size(); ++i)
        claim_lines(doc["entry"][i].value("resource", json()),
                    source + ": Bundle.entry[" + std::to_string(i) + "]", &out);
    } else {
      claim_lines(doc, source, &out);
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
    } catch (const json::exception& e) {
      throw InvalidInput(located(source, line, 0, std::string("not JSON: ") + e.what()));
    }
    claim_lines(r, source + ":" + std::to_string(line), &out);
  }
  return out;
}

std::vector<ClaimLine> read_claims(const std::string& path) {
  const std::string text = read_file(path);
  const size_t first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  const bool is_json = first != std::string::npos && text[first] == '{';
  std::vector<ClaimLine> lines = is_json ? parse_claims_fhir(text, path) : parse_claims_csv(text, path);
  if (lines.empty()) throw InvalidInput(path + ": no claim lines");
  return lines;
}

std::string claims_to_csv(const std::vector<ClaimLine>& lines) {
  bool truth = false;
  for (const auto& l : lines) truth |= l.denied >= 0;
  std::string s =
      "claim_id,line,patient_id,payer,service_date,procedure,modifiers,diagnoses,units,charge,prior_auth,"
      "coverage_start,coverage_end,age,place_of_service";
  s += truth ? ",denied,denial_reason\n" : "\n";
  char buf[64];
  for (const auto& l : lines) {
    append_csv_field(s, l.claim_id);
    s += ',' + std::to_string(l.sequence) + ',';
    append_csv_field(s, l.patient_id);
    s += ',';
    append_csv_field(s, l.payer);
    s += ',' + date_text(l.service_day) + ',';
    append_csv_field(s, l.procedure);
    s += ',';
    append_csv_field(s, join(l.modifiers));
    s += ',';
    append_csv_field(s, join(l.diagnoses));
    std::snprintf(buf, sizeof buf, ",%g,%.2f,", l.units, l.charge);
    s += buf;
    append_csv_field(s, l.prior_auth);
    s += ',';
    if (l.has_coverage && l.coverage_start != kNoDay && l.coverage_start != INT32_MAX) s += date_text(l.coverage_start);
    s += ',';
    if (l.has_coverage && l.coverage_end != kNoDay) s += date_text(l.coverage_end);
    s += ',' + (l.age >= 0 ? std::to_string(l.age) : "") + ',' +
         (l.place_of_service > 0 ? std::to_string(l.place_of_service) : "");
    if (truth) {
      s += ',' + (l.denied >= 0 ? std::to_string(l.denied) : "") + ',';
      append_csv_field(s, l.denial_reason);
    }
    s += '\n';
  }
  return s;
}

nlohmann::json claims_to_fhir(const std::vector<ClaimLine>& lines) {
  json bundle = {{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", json::array()}};
  std::map<std::string, std::vector<size_t>> by_claim;
  std::vector<std::string> order;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!by_claim.count(lines[i].claim_id)) order.push_back(lines[i].claim_id);
    by_claim[lines[i].claim_id].push_back(i);
  }
  for (const auto& id : order) {
    const auto& idx = by_claim[id];
    const ClaimLine& f = lines[idx.front()];
    json claim = {{"resourceType", "Claim"},
                  {"id", id},
                  {"status", "active"},
                  {"type", {{"coding", {{{"system", "http://terminology.hl7.org/CodeSystem/claim-type"},
                                         {"code", "professional"}}}}}},
                  {"use", "claim"},
                  {"patient", {{"reference", "Patient/" + f.patient_id}}},
                  {"created", date_text(f.service_day)},
                  {"insurer", {{"identifier", {{"value", f.payer}}}}},
                  {"provider", {{"display", "medgen synthetic clinic"}}},
                  {"priority", {{"coding", {{{"code", "normal"}}}}}},
                  {"contained", json::array()}};
    json insurance = {{"sequence", 1}, {"focal", true}};
    if (f.has_coverage) {
      json period = json::object();
      if (f.coverage_start != kNoDay && f.coverage_start != INT32_MAX) period["start"] = date_text(f.coverage_start);
      if (f.coverage_end != kNoDay) period["end"] = date_text(f.coverage_end);
      claim["contained"].push_back({{"resourceType", "Coverage"},
                                    {"id", "cov"},
                                    {"status", "active"},
                                    {"beneficiary", {{"reference", "Patient/" + f.patient_id}}},
                                    {"payor", {{{"display", f.payer}}}},
                                    {"period", period}});
      insurance["coverage"] = {{"reference", "#cov"}};
    } else {
      insurance["coverage"] = {{"display", f.payer + " coverage"}};
    }
    if (!f.prior_auth.empty()) insurance["preAuthRef"] = {f.prior_auth};
    claim["insurance"] = {insurance};
    if (claim["contained"].empty()) claim.erase("contained");
    std::vector<std::string> dx;
    json items = json::array();
    for (size_t i : idx) {
      const ClaimLine& l = lines[i];
      json seqs = json::array();
      for (const auto& d : l.diagnoses) {
        auto it = std::find(dx.begin(), dx.end(), d);
        if (it == dx.end()) {
          dx.push_back(d);
          it = dx.end() - 1;
        }
        seqs.push_back(static_cast<int>(it - dx.begin()) + 1);
      }
      json item = {{"sequence", l.sequence},
                   {"diagnosisSequence", seqs},
                   {"productOrService", {{"coding", {{{"system", "http://www.ama-assn.org/go/cpt"}, {"code", l.procedure}}}}}},
                   {"servicedDate", date_text(l.service_day)},
                   {"quantity", {{"value", l.units}}},
                   {"net", {{"value", l.charge}, {"currency", "USD"}}}};
      if (!l.modifiers.empty()) {
        item["modifier"] = json::array();
        for (const auto& m : l.modifiers) item["modifier"].push_back({{"coding", {{{"code", m}}}}});
      }
      if (l.place_of_service > 0)
        item["locationCodeableConcept"] = {
            {"coding", {{{"system", "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"},
                         {"code", std::to_string(l.place_of_service)}}}}};
      items.push_back(item);
    }
    json diagnosis = json::array();
    for (size_t k = 0; k < dx.size(); ++k)
      diagnosis.push_back({{"sequence", k + 1},
                           {"diagnosisCodeableConcept",
                            {{"coding", {{{"system", "http://hl7.org/fhir/sid/icd-10-cm"}, {"code", dx[k]}}}}}}});
    claim["diagnosis"] = diagnosis;
    claim["item"] = items;
    bundle["entry"].push_back({{"fullUrl", "urn:uuid:claim-" + id}, {"resource", claim}});
  }
  return bundle;
}

nlohmann::json claim_responses(const std::vector<ClaimLine>& lines, const std::vector<LineReview>& reviews,
                               const RuleSet& rules) {
  json bundle = {{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", json::array()}};
  std::map<std::string, std::vector<size_t>> by_claim;
  std::vector<std::string> order;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!by_claim.count(lines[i].claim_id)) order.push_back(lines[i].claim_id);
    by_claim[lines[i].claim_id].push_back(i);
  }
  const std::string carc_system = "https://x12.org/codes/claim-adjustment-reason-codes";
  for (const auto& id : order) {
    const auto& idx = by_claim[id];
    json items = json::array(), notes = json::array();
    size_t denied = 0;
    for (size_t i : idx) {
      const ClaimLine& l = lines[i];
      const LineReview& r = reviews[i];
      json adj = json::array();
      adj.push_back({{"category", {{"coding", {{{"system", "http://terminology.hl7.org/CodeSystem/adjudication"},
                                                {"code", "submitted"}}}}}},
                     {"amount", {{"value", l.charge}, {"currency", "USD"}}}});
      json note_numbers = json::array();
      for (const auto& f : r.findings) {
        json a = {{"category", {{"coding", {{{"system", "http://terminology.hl7.org/CodeSystem/adjudication"},
                                             {"code", "denied"}}}}}},
                  {"amount", {{"value", l.charge}, {"currency", "USD"}}}};
        json reason = {{"text", std::string(reason_name(f.reason)) + ": " + f.message}};
        if (!f.carc.empty()) reason["coding"] = {{{"system", carc_system}, {"code", f.carc}}};
        a["reason"] = reason;
        adj.push_back(a);
        std::string text = std::string(reason_name(f.reason)) + " (" + f.rule + "): " + f.message;
        if (f.reason == Reason::kModel) {
          text = "model: denial probability " + std::to_string(r.model_probability).substr(0, 5) + "; top reasons:";
          for (const auto& [name, v] : r.model_reasons) {
            char buf[96];
            std::snprintf(buf, sizeof buf, " %s %+.3f", name.c_str(), v);
            text += buf;
          }
        }
        notes.push_back({{"number", notes.size() + 1}, {"type", "display"}, {"text", text}});
        note_numbers.push_back(notes.size());
      }
      if (r.denied) {
        ++denied;
      } else {
        adj.push_back({{"category", {{"coding", {{{"system", "http://terminology.hl7.org/CodeSystem/adjudication"},
                                                  {"code", "eligible"}}}}}},
                       {"amount", {{"value", l.charge}, {"currency", "USD"}}}});
      }
      json item = {{"itemSequence", l.sequence}, {"adjudication", adj}};
      if (!note_numbers.empty()) item["noteNumber"] = note_numbers;
      items.push_back(item);
    }
    const ClaimLine& f = lines[idx.front()];
    json cr = {{"resourceType", "ClaimResponse"},
               {"id", "review-" + id},
               {"status", "active"},
               {"type", {{"coding", {{{"system", "http://terminology.hl7.org/CodeSystem/claim-type"},
                                      {"code", "professional"}}}}}},
               {"use", "claim"},
               {"patient", {{"reference", "Patient/" + f.patient_id}}},
               {"created", date_text(f.service_day)},
               {"insurer", {{"identifier", {{"value", f.payer}}}}},
               {"request", {{"reference", "Claim/" + id}}},
               {"outcome", "complete"},
               {"disposition", denied == 0 ? "all lines pass review"
                                           : std::to_string(denied) + " of " + std::to_string(idx.size()) +
                                                 " line(s) flagged for denial"},
               {"item", items}};
    if (!notes.empty()) cr["processNote"] = notes;
    (void)rules;
    bundle["entry"].push_back({{"fullUrl", "urn:uuid:claimresponse-" + id}, {"resource", cr}});
  }
  return bundle;
}

std::string findings_csv(const std::vector<ClaimLine>& lines, const std::vector<LineReview>& reviews) {
  std::string s = "claim_id,line,procedure,decision,reason,carc,rule,message,model_probability,model_reasons\n";
  char buf[64];
  for (size_t i = 0; i < lines.size(); ++i) {
    const ClaimLine& l = lines[i];
    const LineReview& r = reviews[i];
    std::string prob;
    if (r.model_probability >= 0) {
      std::snprintf(buf, sizeof buf, "%.4f", r.model_probability);
      prob = buf;
    }
    std::string reasons;
    for (const auto& [n, v] : r.model_reasons) {
      std::snprintf(buf, sizeof buf, "%+.3f", v);
      reasons += (reasons.empty() ? "" : ";") + n + " " + buf;
    }
    auto row = [&](const char* decision, const Finding* f) {
      append_csv_field(s, l.claim_id);
      s += ',' + std::to_string(l.sequence) + ',';
      append_csv_field(s, l.procedure);
      s += std::string(",") + decision + ',';
      if (f) {
        s += std::string(reason_name(f->reason)) + ',';
        append_csv_field(s, f->carc);
        s += ',';
        append_csv_field(s, f->rule);
        s += ',';
        append_csv_field(s, f->message);
      } else {
        s += ",,,";
      }
      s += ',' + prob + ',';
      append_csv_field(s, reasons);
      s += '\n';
    };
    if (r.findings.empty()) row("pay", nullptr);
    for (const auto& f : r.findings) row("deny", &f);
  }
  return s;
}

nlohmann::json recall_by_reason(const std::vector<ClaimLine>& lines, const std::vector<LineReview>& reviews) {
  std::map<std::string, std::pair<size_t, size_t>> hit;  // reason -> (found, planted)
  size_t tp = 0, fp = 0, fn = 0, tn = 0, truth = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const ClaimLine& l = lines[i];
    if (l.denied < 0) continue;
    ++truth;
    const bool flagged = reviews[i].denied;
    if (l.denied == 1) (flagged ? tp : fn)++;
    else (flagged ? fp : tn)++;
    if (l.denied != 1 || l.denial_reason.empty()) continue;
    Reason want;
    bool found = false;
    if (reason_from_name(l.denial_reason, &want)) {
      for (const auto& f : reviews[i].findings) found |= f.reason == want;
    } else {
      found = flagged;
    }
    auto& h = hit[l.denial_reason];
    h.first += found;
    h.second += 1;
  }
  if (truth == 0) return json::object();
  json per = json::object();
  for (const auto& [r, h] : hit)
    per[r] = {{"planted", h.second}, {"found", h.first}, {"recall", h.second ? double(h.first) / h.second : 0.0}};
  return {{"lines_with_truth", truth},
          {"recall_by_reason", per},
          {"denied", {{"true_positive", tp}, {"false_positive", fp}, {"false_negative", fn}, {"true_negative", tn}}},
          {"precision", tp + fp ? double(tp) / (tp + fp) : 0.0},
          {"recall", tp + fn ? double(tp) / (tp + fn) : 0.0}};
}

}  // namespace medgen::ops::claims
