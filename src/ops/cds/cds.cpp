// Guideline rules as data, evaluated on a FHIR R4 record into CDS Hooks cards.
#include "medgen/ops/cds/cds.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/schema.h"
#include "medgen/core/version.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace medgen::ops::cds {

namespace {

const std::vector<std::string> kHooks = {"patient-view", "order-select"};
const std::vector<std::string> kIndicators = {"info", "warning", "critical"};

std::string str(const json& j, const char* k) {
  if (!j.is_object()) return "";
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

bool parse_fhir_time(const std::string& s, double* out) {
  auto digits = [&](size_t at, size_t n, int* v) {
    if (at + n > s.size()) return false;
    *v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      *v = *v * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo = 1, d = 1, h = 0, mi = 0, se = 0;
  if (!digits(0, 4, &y)) return false;
  size_t at = 4;
  if (s.size() > at) {
    if (s[at] != '-' || !digits(at + 1, 2, &mo)) return false;
    at += 3;
  }
  if (s.size() > at) {
    if (s[at] != '-' || !digits(at + 1, 2, &d)) return false;
    at += 3;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  double offset = 0;
  if (s.size() > at) {
    if (s[at] != 'T' || !digits(at + 1, 2, &h) || s.size() < at + 6 || s[at + 3] != ':' || !digits(at + 4, 2, &mi))
      return false;
    at += 6;
    if (s.size() > at && s[at] == ':') {
      if (!digits(at + 1, 2, &se)) return false;
      at += 3;
      if (s.size() > at && s[at] == '.') {
        ++at;
        while (at < s.size() && s[at] >= '0' && s[at] <= '9') ++at;
      }
    }
    if (at < s.size()) {
      if (s[at] == 'Z' && at + 1 == s.size()) {
      } else if ((s[at] == '+' || s[at] == '-') && s.size() == at + 6 && s[at + 3] == ':') {
        int oh, om;
        if (!digits(at + 1, 2, &oh) || !digits(at + 4, 2, &om)) return false;
        offset = (s[at] == '-' ? -1 : 1) * (oh * 3600.0 + om * 60.0);
      } else {
        return false;
      }
    }
    if (h > 23 || mi > 59 || se > 60) return false;
  }
  *out = static_cast<double>(days_from_civil(y, mo, d)) * 86400.0 + h * 3600.0 + mi * 60.0 + se - offset;
  return true;
}

namespace {

bool parse_time(const std::string& s, double* out) { return parse_fhir_time(s, out); }

std::string time_text(double t) {
  int64_t y;
  unsigned m, d;
  const int64_t day = static_cast<int64_t>(std::floor(t / 86400));
  civil_from_days(day, &y, &m, &d);
  const int64_t rest = static_cast<int64_t>(t) - day * 86400;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(y), m, d,
                static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60), static_cast<int>(rest % 60));
  return buf;
}

// The code of a resource by type.
const json* code_of(const json& r) {
  const std::string t = str(r, "resourceType");
  for (const char* k : {"code", "medicationCodeableConcept"})
    if (r.contains(k) && r[k].is_object()) return &r[k];
  (void)t;
  return nullptr;
}

// When a resource happened, or NaN.
double time_of(const json& r) {
  for (const char* k : {"effectiveDateTime", "issued", "onsetDateTime", "recordedDate", "authoredOn",
                        "performedDateTime", "occurrenceDateTime", "dateAsserted"}) {
    double t;
    if (parse_time(str(r, k), &t)) return t;
  }
  for (const char* k : {"effectivePeriod", "performedPeriod", "period", "onsetPeriod"})
    if (r.contains(k)) {
      double t;
      if (parse_time(str(r[k], "start"), &t)) return t;
    }
  return NAN;
}

// Whether a resource counts (not refuted, entered in error, cancelled; Conditions active).
bool counts(const json& r) {
  const std::string type = str(r, "resourceType");
  const std::string status = str(r, "status");
  if (status == "entered-in-error" || status == "cancelled" || status == "revoked" || status == "not-done") return false;
  if (type == "Condition") {
    for (const char* k : {"clinicalStatus", "verificationStatus"})
      if (r.contains(k) && r[k].is_object() && r[k].contains("coding") && r[k]["coding"].is_array())
        for (const auto& c : r[k]["coding"]) {
          const std::string code = str(c, "code");
          if (code == "inactive" || code == "resolved" || code == "remission" || code == "refuted" ||
              code == "entered-in-error")
            return false;
        }
  }
  return true;
}

bool code_matches(const json& r, const std::vector<Code>& codes, std::string* display) {
  const json* cc = code_of(r);
  if (!cc || !cc->contains("coding") || !(*cc)["coding"].is_array()) return false;
  for (const auto& c : (*cc)["coding"]) {
    const std::string sys = str(c, "system"), code = str(c, "code");
    if (code.empty()) continue;
    for (const auto& want : codes) {
      if (!want.system.empty() && want.system != sys) continue;
      if (want.prefix ? code.compare(0, want.code.size(), want.code) == 0 : code == want.code) {
        std::string name = str(c, "display");
        if (name.empty()) name = str(*cc, "text");
        *display = (name.empty() ? code : name) + " (" + (sys.empty() ? "" : sys + " ") + code + ")";
        return true;
      }
    }
  }
  return false;
}

struct Match {
  bool found = false;
  std::string evidence;  // one line
};

std::string ref(const json& r) { return str(r, "resourceType") + "/" + (str(r, "id").empty() ? "?" : str(r, "id")); }

// The criterion against a list of resources; for value tests the latest matching Observation.
Match find(const Criterion& c, const std::vector<json>& resources, double now_s) {
  Match m;
  const json* best = nullptr;
  double best_t = -INFINITY;
  std::string best_display;
  for (const auto& r : resources) {
    if (str(r, "resourceType") != c.resource || !counts(r)) continue;
    std::string display;
    if (!code_matches(r, c.codes, &display)) continue;
    const double t = time_of(r);
    if (c.within_hours > 0 && std::isfinite(now_s) &&
        !(std::isfinite(t) && t <= now_s + 60 && t >= now_s - c.within_hours * 3600))
      continue;
    const double key = std::isfinite(t) ? t : -1e300;
    if (!best || key >= best_t) {
      best = &r;
      best_t = key;
      best_display = display;
    }
  }
  if (!best) return m;
  std::string value_text;
  if (c.has_below || c.has_at_least) {
    const json& vq = best->value("valueQuantity", json::object());
    if (!vq.is_object() || !vq.contains("value") || !vq["value"].is_number()) return m;
    const double v = vq["value"].get<double>();
    const std::string unit = str(vq, "unit").empty() ? str(vq, "code") : str(vq, "unit");
    if (!c.unit.empty() && unit != c.unit && str(vq, "code") != c.unit) return m;
    if (c.has_below && !(v < c.below)) return m;
    if (c.has_at_least && !(v >= c.at_least)) return m;
    char buf[64];
    std::snprintf(buf, sizeof buf, " = %g %s", v, unit.c_str());
    value_text = buf;
  }
  m.found = true;
  m.evidence = ref(*best) + ": " + best_display + value_text +
               (std::isfinite(best_t) && best_t > -1e299 ? " at " + time_text(best_t) : "");
  return m;
}

Code parse_code(const json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("code") || !j["code"].is_string() || j["code"].get<std::string>().empty())
    throw InvalidInput(where + ": a code needs a non-empty \"code\"");
  Code c;
  c.code = j["code"];
  c.system = j.value("system", "");
  c.prefix = j.value("prefix", false);
  return c;
}

Criterion parse_criterion(const json& j, const std::string& where) {
  static const std::vector<std::string> kTypes = {"Condition", "Observation", "MedicationRequest",
                                                   "MedicationAdministration", "MedicationStatement",
                                                   "Procedure", "ServiceRequest", "AllergyIntolerance"};
  if (!j.is_object()) throw InvalidInput(where + ": a criterion must be an object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!std::set<std::string>{"resource", "codes", "below", "at_least", "unit", "within_hours", "label"}.count(
            it.key()))
      throw InvalidInput(where + ": unknown key '" + it.key() + "'");
  Criterion c;
  c.resource = j.value("resource", "");
  if (std::find(kTypes.begin(), kTypes.end(), c.resource) == kTypes.end())
    throw InvalidInput(where + ": resource '" + c.resource + "' is not one of Condition, Observation, "
                       "MedicationRequest, MedicationAdministration, MedicationStatement, Procedure, ServiceRequest, "
                       "AllergyIntolerance");
  if (!j.contains("codes") || !j["codes"].is_array() || j["codes"].empty())
    throw InvalidInput(where + ": \"codes\" must be a non-empty array");
  for (const auto& k : j["codes"]) c.codes.push_back(parse_code(k, where));
  auto num = [&](const char* k, double* v) {
    if (!j.contains(k)) return false;
    if (!j[k].is_number() || !std::isfinite(j[k].get<double>())) throw InvalidInput(where + ": " + k + " must be a number");
    *v = j[k].get<double>();
    return true;
  };
  c.has_below = num("below", &c.below);
  c.has_at_least = num("at_least", &c.at_least);
  if ((c.has_below || c.has_at_least) && c.resource != "Observation")
    throw InvalidInput(where + ": value tests apply to Observations only");
  num("within_hours", &c.within_hours);
  if (c.within_hours < 0) throw InvalidInput(where + ": within_hours must be >= 0");
  c.unit = j.value("unit", "");
  c.label = j.value("label", c.resource);
  return c;
}

std::string guideline_path(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / (name + ".json")).string();
}

}  // namespace

std::string RuleBook::default_dir() {
  if (const char* e = std::getenv("MEDGEN_DATA"); e && *e) return std::string(e) + "/ops/cds";
  const std::string built = std::string(MEDGEN_DATA_DIR) + "/ops/cds";
  return fs::is_directory(built) ? built : "data/ops/cds";
}

std::string RuleBook::default_guidelines_dir() {
  if (const char* e = std::getenv("MEDGEN_SIM_DATA"); e && *e) return std::string(e) + "/guidelines";
  const std::string built = std::string(MEDGEN_DATA_DIR) + "/sim/guidelines";
  return fs::is_directory(built) ? built : "data/sim/guidelines";
}

RuleBook RuleBook::load(const std::string& dir, const std::string& guidelines_dir) {
  if (!fs::is_directory(dir)) throw InvalidInput(dir + ": decision rules folder not found");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw InvalidInput(dir + ": no *.json rule files");
  RuleBook book;
  std::set<std::string> ids;
  std::map<std::string, json> guidelines;
  for (const auto& f : files) {
    const std::string path = f.string();
    json doc;
    try {
      doc = json::parse(read_file(path, 16 << 20));
    } catch (const json::parse_error& e) {
      throw InvalidInput(path + ": " + e.what());
    }
    if (!doc.is_object() || doc.value("format", "") != "medgen-cds-rules" || !doc.contains("rules") ||
        !doc["rules"].is_array())
      throw InvalidInput(path + ": not a medgen-cds-rules file (\"format\" and a \"rules\" array)");
    for (size_t i = 0; i < doc["rules"].size(); ++i) {
      const json& j = doc["rules"][i];
      Rule r;
      r.where = f.filename().string() + ": rules[" + std::to_string(i) + "]";
      const std::string where = path + ": rules[" + std::to_string(i) + "]";
      if (!j.is_object()) throw InvalidInput(where + ": not an object");
      for (const char* k : {"id", "summary", "indicator", "guideline", "item"})
        if (!j.contains(k) || !j[k].is_string() || j[k].get<std::string>().empty())
          throw InvalidInput(where + ": \"" + k + "\" must be a non-empty string");
      r.id = j["id"];
      if (!ids.insert(r.id).second) throw InvalidInput(where + ": duplicate rule id '" + r.id + "'");
      r.summary = j["summary"];
      if (r.summary.size() > 140) throw InvalidInput(where + ": summary longer than 140 characters (CDS Hooks)");
      r.title = j.value("title", r.summary);
      r.detail = j.value("detail", "");
      r.indicator = j["indicator"];
      if (std::find(kIndicators.begin(), kIndicators.end(), r.indicator) == kIndicators.end())
        throw InvalidInput(where + ": indicator must be info, warning or critical");
      if (!j.contains("hooks") || !j["hooks"].is_array() || j["hooks"].empty())
        throw InvalidInput(where + ": \"hooks\" must be a non-empty array");
      for (const auto& h : j["hooks"]) {
        if (!h.is_string() || std::find(kHooks.begin(), kHooks.end(), h.get<std::string>()) == kHooks.end())
          throw InvalidInput(where + ": hook " + h.dump() + " is not patient-view or order-select");
        r.hooks.push_back(h);
      }
      r.guideline = j["guideline"];
      r.item = j["item"];
      if (r.guideline.find('/') != std::string::npos || r.guideline.find("..") != std::string::npos)
        throw InvalidInput(where + ": guideline must be a file name in " + guidelines_dir);
      if (!guidelines.count(r.guideline)) {
        const std::string gp = guideline_path(guidelines_dir, r.guideline);
        if (!fs::is_regular_file(gp)) throw InvalidInput(where + ": guideline '" + r.guideline + "' not found (" + gp + ")");
        try {
          guidelines[r.guideline] = json::parse(read_file(gp, 16 << 20));
        } catch (const json::parse_error& e) {
          throw InvalidInput(gp + ": " + e.what());
        }
      }
      const json& g = guidelines[r.guideline];
      r.guideline_title = str(g, "title");
      if (g.contains("sources") && g["sources"].is_array())
        for (const auto& s : g["sources"])
          if (s.is_string()) r.sources.push_back(s);
      bool item_found = false;
      if (g.contains("items") && g["items"].is_array())
        for (const auto& it : g["items"])
          if (str(it, "id") == r.item) {
            item_found = true;
            r.item_text = str(it, "text");
          }
      if (!item_found) throw InvalidInput(where + ": guideline '" + r.guideline + "' has no item '" + r.item + "'");
      for (const char* k : {"when", "unless"}) {
        if (!j.contains(k)) continue;
        if (!j[k].is_array()) throw InvalidInput(where + ": \"" + k + "\" must be an array");
        for (size_t c = 0; c < j[k].size(); ++c)
          (std::string(k) == "when" ? r.when : r.unless)
              .push_back(parse_criterion(j[k][c], where + "." + k + "[" + std::to_string(c) + "]"));
      }
      if (j.contains("selection")) {
        r.has_selection = true;
        r.selection = parse_criterion(j["selection"], where + ".selection");
      }
      const bool order_select = std::find(r.hooks.begin(), r.hooks.end(), "order-select") != r.hooks.end();
      if (order_select && !r.has_selection) throw InvalidInput(where + ": an order-select rule needs \"selection\"");
      if (r.when.empty() && !r.has_selection) throw InvalidInput(where + ": a rule needs \"when\" criteria");
      if (j.contains("min_age")) {
        if (!j["min_age"].is_number_integer() || j["min_age"].get<int>() < 0 || j["min_age"].get<int>() > 150)
          throw InvalidInput(where + ": min_age must be an integer 0..150");
        r.min_age = j["min_age"];
      }
      book.rules_.push_back(std::move(r));
    }
  }
  return book;
}

void Record::add(const json& resource, const std::string& where) {
  if (!resource.is_object() || !resource.contains("resourceType") || !resource["resourceType"].is_string())
    throw InvalidInput(where + ": not a FHIR resource (no resourceType)");
  const std::string type = resource["resourceType"];
  if (type == "Bundle") {
    if (!resource.contains("entry")) return;
    if (!resource["entry"].is_array()) throw InvalidInput(where + ": Bundle.entry must be an array");
    for (size_t i = 0; i < resource["entry"].size(); ++i) {
      const json& e = resource["entry"][i];
      const std::string w = where + ": Bundle.entry[" + std::to_string(i) + "]";
      if (!e.is_object() || !e.contains("resource")) throw InvalidInput(w + ": no resource");
      add(e["resource"], w);
    }
    return;
  }
  if (type == "Patient") {
    if (!patient.is_null() && str(patient, "id") != str(resource, "id"))
      throw InvalidInput(where + ": a second Patient (" + str(resource, "id") + ") in one record");
    patient = resource;
    return;
  }
  by_type[type].push_back(resource);
}

void Record::settle_time() {
  if (now_s != 0) return;
  double latest = -INFINITY;
  for (const auto& [_, list] : by_type)
    for (const auto& r : list) {
      const double t = time_of(r);
      if (std::isfinite(t)) latest = std::max(latest, t);
    }
  now_s = std::isfinite(latest) ? latest : 0;
}

Record read_record(const std::string& path) {
  json doc;
  try {
    doc = json::parse(read_file(path, uint64_t{256} << 20));
  } catch (const json::parse_error& e) {
    throw InvalidInput(path + ": not JSON: " + e.what());
  }
  Record r;
  r.add(doc, path);
  return r;
}

json evaluate(const RuleBook& book, const Record& record, const std::string& hook) {
  if (std::find(kHooks.begin(), kHooks.end(), hook) == kHooks.end())
    throw InvalidInput("unknown hook '" + hook + "' (patient-view or order-select)");
  std::vector<json> all;
  for (const auto& [_, list] : record.by_type) all.insert(all.end(), list.begin(), list.end());
  // Draft orders taking part: the selected ones (all drafts when none is named).
  std::vector<json> drafts;
  for (const auto& d : record.draft_orders) {
    if (!record.selections.empty() &&
        std::find(record.selections.begin(), record.selections.end(), ref(d)) == record.selections.end())
      continue;
    drafts.push_back(d);
  }
  json cards = json::array();
  for (const Rule& r : book.rules()) {
    if (std::find(r.hooks.begin(), r.hooks.end(), hook) == r.hooks.end()) continue;
    std::vector<std::string> evidence;
    if (r.min_age >= 0) {
      double birth;
      if (!parse_time(str(record.patient, "birthDate"), &birth)) continue;
      const double age = (record.now_s - birth) / (365.25 * 86400);
      if (age < r.min_age) continue;
      char buf[64];
      std::snprintf(buf, sizeof buf, "Patient/%s: age %.0f", str(record.patient, "id").c_str(), std::floor(age));
      evidence.push_back(buf);
    }
    if (hook == "order-select") {
      if (!r.has_selection) continue;
      const Match m = find(r.selection, drafts, INFINITY);
      if (!m.found) continue;
      evidence.push_back("draft order " + m.evidence);
    }
    bool ok = true;
    for (const auto& c : r.when) {
      const Match m = find(c, all, record.now_s);
      if (!m.found) {
        ok = false;
        break;
      }
      evidence.push_back(m.evidence);
    }
    if (!ok) continue;
    for (const auto& c : r.unless) {
      const Match m = find(c, all, record.now_s);
      if (m.found) {
        ok = false;
        break;
      }
      std::string absent = "no " + c.label + " in the record";
      if (c.within_hours > 0) {
        char buf[48];
        std::snprintf(buf, sizeof buf, " in the %g h before ", c.within_hours);
        absent = "no " + c.label + buf + time_text(record.now_s);
      }
      evidence.push_back(absent);
    }
    if (!ok) continue;
    std::string detail = r.detail.empty() ? "" : r.detail + "\n\n";
    detail += "**Rule** `" + r.id + "` (" + r.where + ")\n\n**Evidence in the record**\n";
    for (const auto& e : evidence) detail += "- " + e + "\n";
    detail += "\n**Guideline**: " + r.guideline_title + ", item `" + r.item + "`: " + r.item_text + "\n";
    for (const auto& s : r.sources) detail += "\nSource: " + s + "\n";
    // A deterministic card id from the rule and the patient (UUID-shaped, FNV-1a).
    uint64_t h1 = 1469598103934665603ULL, h2 = 0x9E3779B97F4A7C15ULL;
    for (char ch : r.id + "|" + str(record.patient, "id") + "|" + hook) {
      h1 = (h1 ^ static_cast<unsigned char>(ch)) * 1099511628211ULL;
      h2 = (h2 ^ static_cast<unsigned char>(ch)) * 0x100000001B3ULL + 7;
    }
    char uuid[40];
    std::snprintf(uuid, sizeof uuid, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(h1 >> 32),
                  static_cast<unsigned>(h1 >> 16) & 0xffff, static_cast<unsigned>(h1) & 0xfff,
                  static_cast<unsigned>(h2 >> 52) & 0xfff, static_cast<unsigned long long>(h2 & 0xffffffffffffULL));
    cards.push_back({{"uuid", uuid},
                     {"summary", r.summary},
                     {"indicator", r.indicator},
                     {"detail", detail},
                     {"source", {{"label", r.guideline_title},
                                 {"topic", {{"system", "https://medgen.dev/cds/rules"}, {"code", r.id},
                                            {"display", r.title}}}}},
                     {"extension", {{"medgen-rule", r.id},
                                    {"medgen-guideline", r.guideline + "#" + r.item},
                                    {"medgen-evidence", evidence}}}});
  }
  return cards;
}

}  // namespace medgen::ops::cds
