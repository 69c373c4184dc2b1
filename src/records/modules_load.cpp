// Loading generic modules strictly: every key checked against the state or condition type,
// every transition target resolved, errors naming the file and the JSON path.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "modules_impl.h"

namespace medgen::records {

double module_unit_seconds(const std::string& unit) {
  if (unit == "years") return 365.2425 * 86400.0;
  if (unit == "months") return 365.2425 / 12.0 * 86400.0;
  if (unit == "weeks") return 7 * 86400.0;
  if (unit == "days") return 86400.0;
  if (unit == "hours") return 3600.0;
  if (unit == "minutes") return 60.0;
  if (unit == "seconds") return 1.0;
  return -1;
}

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr size_t kMaxModuleBytes = 64u << 20;

std::string code_system_uri(const std::string& s) {
  static const std::map<std::string, std::string> kSystems = {
      {"SNOMED-CT", "http://snomed.info/sct"},
      {"LOINC", "http://loinc.org"},
      {"RxNorm", "http://www.nlm.nih.gov/research/umls/rxnorm"},
      {"ICD-10", "http://hl7.org/fhir/sid/icd-10"},
      {"ICD-10-CM", "http://hl7.org/fhir/sid/icd-10-cm"},
      {"ICD-9-CM", "http://hl7.org/fhir/sid/icd-9-cm"},
      {"CPT", "http://www.ama-assn.org/go/cpt"},
      {"CVX", "http://hl7.org/fhir/sid/cvx"},
      {"NUBC", "http://www.nubc.org/patient-discharge"},
      {"DICOM-DCM", "http://dicom.nema.org/resources/ontology/DCM"},
  };
  const auto it = kSystems.find(s);
  if (it != kSystems.end()) return it->second;
  if (s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0 || s.rfind("urn:", 0) == 0) return s;
  return "";
}

class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& message) const {
    throw InvalidInput(source_ + ": " + (path.empty() ? "" : path + ": ") + message);
  }

  const json& object(const json& j, const std::string& path) const {
    if (!j.is_object()) fail(path, "expected an object");
    return j;
  }
  void keys(const json& j, const std::string& path, std::initializer_list<const char*> allowed,
            std::initializer_list<const char*> required = {}) const {
    object(j, path);
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool ok = false;
      for (const char* a : allowed) ok = ok || it.key() == a;
      if (!ok) {
        std::string list;
        for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
        fail(path, "unknown key '" + it.key() + "' (valid here: " + list + ")");
      }
    }
    for (const char* r : required)
      if (!j.contains(r)) fail(path, std::string("missing key '") + r + "'");
  }
  std::string string(const json& j, const std::string& path) const {
    if (!j.is_string()) fail(path, "expected a string");
    return j.get<std::string>();
  }
  double number(const json& j, const std::string& path, double lo = -1e300, double hi = 1e300) const {
    if (!j.is_number()) fail(path, "expected a number");
    const double v = j.get<double>();
    if (!std::isfinite(v) || v < lo || v > hi) fail(path, "must be between " + fmt(lo) + " and " + fmt(hi));
    return v;
  }
  bool boolean(const json& j, const std::string& path) const {
    if (!j.is_boolean()) fail(path, "expected true or false");
    return j.get<bool>();
  }
  static std::string fmt(double v) {
    if (std::fabs(v) >= 1e299) return v < 0 ? "-inf" : "inf";
    std::string s = std::to_string(v);
    while (s.size() > 1 && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }

  std::vector<ModuleCode> codes(const json& j, const std::string& path) const {
    if (!j.is_array() || j.empty()) fail(path, "expected a non-empty array of codes");
    std::vector<ModuleCode> out;
    for (size_t i = 0; i < j.size(); ++i) out.push_back(code(j[i], path + "[" + std::to_string(i) + "]"));
    return out;
  }
  ModuleCode code(const json& j, const std::string& path) const {
    keys(j, path, {"system", "code", "display", "value_set"}, {"system", "code"});
    ModuleCode c;
    const std::string sys = string(j["system"], path + ".system");
    c.system = code_system_uri(sys);
    if (c.system.empty())
      fail(path + ".system", "unknown code system '" + sys + "' (SNOMED-CT, LOINC, RxNorm, ICD-10, ICD-10-CM, CPT, ... or a URI)");
    c.code = string(j["code"], path + ".code");
    if (c.code.empty()) fail(path + ".code", "empty code");
    if (j.contains("display")) c.display = string(j["display"], path + ".display");
    return c;
  }

  Span span(const json& j, const std::string& path, bool exact, bool need_unit) const {
    Span s;
    s.present = true;
    if (exact) {
      keys(j, path, {"quantity", "unit"}, need_unit ? std::initializer_list<const char*>{"quantity", "unit"}
                                                     : std::initializer_list<const char*>{"quantity"});
      s.low = s.high = number(j["quantity"], path + ".quantity");
    } else {
      keys(j, path, {"low", "high", "unit", "decimals"},
           need_unit ? std::initializer_list<const char*>{"low", "high", "unit"}
                     : std::initializer_list<const char*>{"low", "high"});
      s.low = number(j["low"], path + ".low");
      s.high = number(j["high"], path + ".high");
      if (s.high < s.low) fail(path, "high is below low");
    }
    if (j.contains("unit")) {
      s.unit = string(j["unit"], path + ".unit");
      if (need_unit && module_unit_seconds(s.unit) < 0)
        fail(path + ".unit", "unknown unit '" + s.unit + "' (years, months, weeks, days, hours, minutes, seconds)");
    }
    if (need_unit && (s.low < 0)) fail(path, "a duration must not be negative");
    return s;
  }

  Op op(const json& j, const std::string& path) const {
    const std::string s = string(j, path);
    if (s == "<") return Op::kLt;
    if (s == "<=") return Op::kLe;
    if (s == "==") return Op::kEq;
    if (s == "!=") return Op::kNe;
    if (s == ">=") return Op::kGe;
    if (s == ">") return Op::kGt;
    if (s == "is nil") return Op::kIsNil;
    if (s == "is not nil") return Op::kIsNotNil;
    fail(path, "unknown operator '" + s + "' (<, <=, ==, !=, >=, >, is nil, is not nil)");
  }

  ModuleValue scalar(const json& j, const std::string& path) const {
    ModuleValue v;
    if (j.is_null()) return v;
    if (j.is_boolean()) {
      v.kind = ModuleValue::Kind::kNumber;
      v.is_bool = true;
      v.number = j.get<bool>() ? 1 : 0;
    } else if (j.is_number()) {
      v.kind = ModuleValue::Kind::kNumber;
      v.number = number(j, path);
    } else if (j.is_string()) {
      v.kind = ModuleValue::Kind::kString;
      v.text = j.get<std::string>();
    } else {
      fail(path, "expected a number, a string, true, false or null");
    }
    return v;
  }

  std::string source_;
  std::map<std::string, int> state_index;
};

// Conditions ("allow", conditional branches). PriorState names are resolved here too.
constexpr int kMaxConditionDepth = 64;

ModuleCondition parse_condition(const Parser& p, const json& j, const std::string& path, int depth = 0) {
  if (depth > kMaxConditionDepth) p.fail(path, "conditions nested more than " + std::to_string(kMaxConditionDepth) + " deep");
  p.object(j, path);
  if (!j.contains("condition_type")) p.fail(path, "missing key 'condition_type'");
  const std::string type = p.string(j["condition_type"], path + ".condition_type");
  ModuleCondition c;
  auto with_codes_or_attribute = [&](CondType t, std::initializer_list<const char*> extra) {
    c.type = t;
    std::vector<const char*> allowed = {"condition_type", "codes", "referenced_by_attribute", "remarks"};
    allowed.insert(allowed.end(), extra.begin(), extra.end());
    for (auto it = j.begin(); it != j.end(); ++it)
      if (std::find_if(allowed.begin(), allowed.end(), [&](const char* a) { return it.key() == a; }) == allowed.end())
        p.fail(path, "unknown key '" + it.key() + "' for a " + type + " condition");
    if (j.contains("codes")) c.codes = p.codes(j["codes"], path + ".codes");
    if (j.contains("referenced_by_attribute"))
      c.ref_attribute = p.string(j["referenced_by_attribute"], path + ".referenced_by_attribute");
    if (c.codes.empty() && c.ref_attribute.empty()) p.fail(path, "needs 'codes' or 'referenced_by_attribute'");
  };
  auto subs = [&](const char* key) {
    if (!j[key].is_array()) p.fail(path + "." + key, "expected an array of conditions");
    for (size_t i = 0; i < j[key].size(); ++i)
      c.subs.push_back(parse_condition(p, j[key][i], path + "." + key + "[" + std::to_string(i) + "]", depth + 1));
  };
  if (type == "Gender") {
    p.keys(j, path, {"condition_type", "gender", "remarks"}, {"gender"});
    c.type = CondType::kGender;
    c.text = p.string(j["gender"], path + ".gender");
    if (c.text != "M" && c.text != "F") p.fail(path + ".gender", "expected \"M\" or \"F\"");
  } else if (type == "Age") {
    p.keys(j, path, {"condition_type", "operator", "quantity", "unit", "remarks"}, {"operator", "quantity", "unit"});
    c.type = CondType::kAge;
    c.op = p.op(j["operator"], path + ".operator");
    c.quantity = p.number(j["quantity"], path + ".quantity");
    c.unit = p.string(j["unit"], path + ".unit");
    if (module_unit_seconds(c.unit) < 0) p.fail(path + ".unit", "unknown unit '" + c.unit + "'");
    c.in_years = c.unit == "years";
  } else if (type == "Date") {
    p.keys(j, path, {"condition_type", "operator", "year", "month", "date", "remarks"}, {"operator"});
    c.type = CondType::kDate;
    c.op = p.op(j["operator"], path + ".operator");
    if (j.contains("year")) {
      c.date_field = 0;
      c.quantity = p.number(j["year"], path + ".year", -9999, 9999);
    } else if (j.contains("month")) {
      c.date_field = 1;
      c.quantity = p.number(j["month"], path + ".month", 1, 12);
    } else if (j.contains("date")) {
      const json& d = j["date"];
      p.keys(d, path + ".date", {"year", "month", "day", "hour", "minute", "second", "millisecond"}, {"year"});
      auto get = [&](const char* k, double lo, double hi, double dflt) {
        return d.contains(k) ? p.number(d[k], path + ".date." + k, lo, hi) : dflt;
      };
      const double y = get("year", -9999, 9999, 1970), mo = get("month", 1, 12, 1), dd = get("day", 1, 31, 1);
      const double h = get("hour", 0, 23, 0), mi = get("minute", 0, 59, 0), s = get("second", 0, 59, 0);
      // days from civil (proleptic Gregorian)
      int64_t yy = static_cast<int64_t>(y) - (mo <= 2);
      const int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
      const int64_t yoe = yy - era * 400;
      const int64_t m = static_cast<int64_t>(mo);
      const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<int64_t>(dd) - 1;
      const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
      const int64_t days = era * 146097 + doe - 719468;
      c.date_field = 2;
      c.quantity = static_cast<double>(days) * 86400.0 + h * 3600 + mi * 60 + s;
    } else {
      p.fail(path, "needs 'year', 'month' or 'date'");
    }
  } else if (type == "Socioeconomic Status") {
    p.keys(j, path, {"condition_type", "category", "remarks"}, {"category"});
    c.type = CondType::kSes;
    c.text = p.string(j["category"], path + ".category");
    if (c.text != "High" && c.text != "Middle" && c.text != "Low")
      p.fail(path + ".category", "expected \"High\", \"Middle\" or \"Low\"");
  } else if (type == "Race") {
    p.keys(j, path, {"condition_type", "race", "remarks"}, {"race"});
    c.type = CondType::kRace;
    c.text = p.string(j["race"], path + ".race");
  } else if (type == "Symptom") {
    p.keys(j, path, {"condition_type", "symptom", "operator", "value", "remarks"}, {"symptom", "operator", "value"});
    c.type = CondType::kSymptom;
    c.text = p.string(j["symptom"], path + ".symptom");
    c.op = p.op(j["operator"], path + ".operator");
    c.quantity = p.number(j["value"], path + ".value");
  } else if (type == "Observation") {
    with_codes_or_attribute(CondType::kObservation, {"operator", "value"});
    if (!j.contains("operator")) p.fail(path, "missing key 'operator'");
    c.op = p.op(j["operator"], path + ".operator");
    if (c.op != Op::kIsNil && c.op != Op::kIsNotNil) {
      if (!j.contains("value")) p.fail(path, "missing key 'value'");
      c.quantity = p.number(j["value"], path + ".value");
    }
  } else if (type == "Active Condition") {
    with_codes_or_attribute(CondType::kActiveCondition, {});
  } else if (type == "Active Medication") {
    with_codes_or_attribute(CondType::kActiveMedication, {});
  } else if (type == "Active CarePlan") {
    with_codes_or_attribute(CondType::kActiveCarePlan, {});
  } else if (type == "Active Allergy") {
    with_codes_or_attribute(CondType::kActiveAllergy, {});
  } else if (type == "Attribute") {
    p.keys(j, path, {"condition_type", "attribute", "operator", "value", "remarks"}, {"attribute", "operator"});
    c.type = CondType::kAttribute;
    c.text = p.string(j["attribute"], path + ".attribute");
    c.op = p.op(j["operator"], path + ".operator");
    if (c.op != Op::kIsNil && c.op != Op::kIsNotNil) {
      if (!j.contains("value")) p.fail(path, "missing key 'value'");
      c.value = p.scalar(j["value"], path + ".value");
    }
  } else if (type == "PriorState") {
    p.keys(j, path, {"condition_type", "name", "since", "within", "remarks"}, {"name"});
    c.type = CondType::kPriorState;
    auto state = [&](const char* key) {
      const std::string n = p.string(j[key], path + "." + key);
      const auto it = p.state_index.find(n);
      if (it == p.state_index.end()) p.fail(path + "." + key, "no state '" + n + "'");
      return it->second;
    };
    c.state = state("name");
    if (j.contains("since")) c.since_state = state("since");
    if (j.contains("within")) {
      const Span s = p.span(j["within"], path + ".within", true, true);
      c.within_s = s.low * module_unit_seconds(s.unit);
    }
  } else if (type == "And" || type == "Or") {
    p.keys(j, path, {"condition_type", "conditions", "remarks"}, {"conditions"});
    c.type = type == "And" ? CondType::kAnd : CondType::kOr;
    subs("conditions");
  } else if (type == "Not") {
    p.keys(j, path, {"condition_type", "condition", "remarks"}, {"condition"});
    c.type = CondType::kNot;
    c.subs.push_back(parse_condition(p, j["condition"], path + ".condition", depth + 1));
  } else if (type == "At Least" || type == "At Most") {
    const bool least = type == "At Least";
    p.keys(j, path, {"condition_type", least ? "minimum" : "maximum", "conditions", "remarks"},
           {least ? "minimum" : "maximum", "conditions"});
    c.type = least ? CondType::kAtLeast : CondType::kAtMost;
    c.count = static_cast<int>(p.number(j[least ? "minimum" : "maximum"], path + (least ? ".minimum" : ".maximum"), 0, 1e6));
    subs("conditions");
  } else if (type == "True" || type == "False") {
    p.keys(j, path, {"condition_type", "remarks"});
    c.type = type == "True" ? CondType::kTrue : CondType::kFalse;
  } else if (type == "Vital Sign") {
    p.keys(j, path, {"condition_type", "vital_sign", "operator", "value", "remarks"}, {"vital_sign", "operator", "value"});
    c.type = CondType::kVitalSign;
    c.text = p.string(j["vital_sign"], path + ".vital_sign");
    c.op = p.op(j["operator"], path + ".operator");
    c.quantity = p.number(j["value"], path + ".value");
  } else {
    p.fail(path + ".condition_type",
           "unknown condition type '" + type +
               "' (Gender, Age, Date, Socioeconomic Status, Race, Symptom, Observation, Active Condition, Active "
               "Medication, Active CarePlan, Active Allergy, Attribute, PriorState, And, Or, Not, At Least, At Most, "
               "True, False, Vital Sign)");
  }
  return c;
}

int target(const Parser& p, const json& j, const std::string& path) {
  const std::string n = p.string(j, path);
  const auto it = p.state_index.find(n);
  if (it == p.state_index.end()) p.fail(path, "no state '" + n + "'");
  return it->second;
}

std::vector<Distribution> distributions(const Parser& p, const json& j, const std::string& path) {
  if (!j.is_array() || j.empty()) p.fail(path, "expected a non-empty array");
  std::vector<Distribution> out;
  double total = 0;
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string ip = path + "[" + std::to_string(i) + "]";
    p.keys(j[i], ip, {"distribution", "transition", "remarks"}, {"distribution", "transition"});
    Distribution d;
    d.target = target(p, j[i]["transition"], ip + ".transition");
    const json& dj = j[i]["distribution"];
    if (dj.is_object()) {
      p.keys(dj, ip + ".distribution", {"attribute", "default"}, {"attribute"});
      d.attribute = p.string(dj["attribute"], ip + ".distribution.attribute");
      d.p = dj.contains("default") ? p.number(dj["default"], ip + ".distribution.default", 0, 1) : 0;
    } else {
      d.p = p.number(dj, ip + ".distribution", 0, 1);
      total += d.p;
    }
    out.push_back(d);
  }
  if (total > 1 + 1e-6) p.fail(path, "the distributions add up to " + Parser::fmt(total) + ", more than 1");
  return out;
}

ModuleTransition parse_transition(const Parser& p, const json& st, const std::string& path) {
  ModuleTransition t;
  int n = 0;
  for (const char* k : {"direct_transition", "distributed_transition", "conditional_transition", "complex_transition",
                        "lookup_table_transition"})
    n += st.contains(k);
  if (n > 1) p.fail(path, "more than one transition");
  if (st.contains("lookup_table_transition"))
    p.fail(path + ".lookup_table_transition", "lookup_table_transition is not supported (use complex_transition)");
  if (st.contains("direct_transition")) {
    t.kind = ModuleTransition::Kind::kDirect;
    t.target = target(p, st["direct_transition"], path + ".direct_transition");
  } else if (st.contains("distributed_transition")) {
    t.kind = ModuleTransition::Kind::kDistributed;
    t.dists = distributions(p, st["distributed_transition"], path + ".distributed_transition");
  } else if (st.contains("conditional_transition") || st.contains("complex_transition")) {
    const bool complex = st.contains("complex_transition");
    const std::string key = complex ? "complex_transition" : "conditional_transition";
    t.kind = complex ? ModuleTransition::Kind::kComplex : ModuleTransition::Kind::kConditional;
    const json& arr = st[key];
    if (!arr.is_array() || arr.empty()) p.fail(path + "." + key, "expected a non-empty array");
    for (size_t i = 0; i < arr.size(); ++i) {
      const std::string ip = path + "." + key + "[" + std::to_string(i) + "]";
      if (complex)
        p.keys(arr[i], ip, {"condition", "transition", "distributions", "remarks"});
      else
        p.keys(arr[i], ip, {"condition", "transition", "remarks"}, {"transition"});
      Branch b;
      if (arr[i].contains("condition")) {
        b.has_condition = true;
        b.condition = parse_condition(p, arr[i]["condition"], ip + ".condition");
      }
      if (arr[i].contains("transition")) {
        if (arr[i].contains("distributions")) p.fail(ip, "give 'transition' or 'distributions', not both");
        b.target = target(p, arr[i]["transition"], ip + ".transition");
      } else if (arr[i].contains("distributions")) {
        b.dists = distributions(p, arr[i]["distributions"], ip + ".distributions");
      } else {
        p.fail(ip, "needs 'transition' or 'distributions'");
      }
      t.branches.push_back(std::move(b));
    }
  }
  return t;
}

ObservationSpec parse_observation(const Parser& p, const json& j, const std::string& path, bool nested) {
  if (nested)
    p.keys(j, path, {"category", "codes", "unit", "exact", "range", "attribute", "vital_sign", "value_code", "remarks"},
           {"codes"});
  ObservationSpec o;
  o.code = p.codes(j["codes"], path + ".codes")[0];
  if (j.contains("unit")) o.unit = p.string(j["unit"], path + ".unit");
  int sources = 0;
  if (j.contains("exact")) {
    const Span s = p.span(j["exact"], path + ".exact", true, false);
    o.source = ObservationSpec::Source::kExact;
    o.low = o.high = s.low;
    ++sources;
  }
  if (j.contains("range")) {
    const Span s = p.span(j["range"], path + ".range", false, false);
    o.source = ObservationSpec::Source::kRange;
    o.low = s.low;
    o.high = s.high;
    if (j["range"].contains("decimals"))
      o.decimals = static_cast<int>(p.number(j["range"]["decimals"], path + ".range.decimals", 0, 12));
    ++sources;
  }
  if (j.contains("attribute")) {
    o.source = ObservationSpec::Source::kAttribute;
    o.name = p.string(j["attribute"], path + ".attribute");
    ++sources;
  }
  if (j.contains("vital_sign")) {
    o.source = ObservationSpec::Source::kVitalSign;
    o.name = p.string(j["vital_sign"], path + ".vital_sign");
    ++sources;
  }
  if (j.contains("value_code")) {
    o.source = ObservationSpec::Source::kCode;
    o.value_code = p.code(j["value_code"], path + ".value_code");
    ++sources;
  }
  if (sources > 1) p.fail(path, "give one of exact, range, attribute, vital_sign, value_code");
  if (j.contains("category")) p.string(j["category"], path + ".category");
  return o;
}

StateType state_type(const Parser& p, const std::string& s, const std::string& path) {
  static const std::map<std::string, StateType> kTypes = {
      {"Initial", StateType::kInitial},
      {"Terminal", StateType::kTerminal},
      {"Simple", StateType::kSimple},
      {"Guard", StateType::kGuard},
      {"Delay", StateType::kDelay},
      {"SetAttribute", StateType::kSetAttribute},
      {"Counter", StateType::kCounter},
      {"Encounter", StateType::kEncounter},
      {"EncounterEnd", StateType::kEncounterEnd},
      {"ConditionOnset", StateType::kConditionOnset},
      {"ConditionEnd", StateType::kConditionEnd},
      {"AllergyOnset", StateType::kAllergyOnset},
      {"AllergyEnd", StateType::kAllergyEnd},
      {"MedicationOrder", StateType::kMedicationOrder},
      {"MedicationEnd", StateType::kMedicationEnd},
      {"CarePlanStart", StateType::kCarePlanStart},
      {"CarePlanEnd", StateType::kCarePlanEnd},
      {"Procedure", StateType::kProcedure},
      {"Observation", StateType::kObservation},
      {"MultiObservation", StateType::kMultiObservation},
      {"DiagnosticReport", StateType::kDiagnosticReport},
      {"Symptom", StateType::kSymptom},
      {"VitalSign", StateType::kVitalSign},
      {"Death", StateType::kDeath},
      {"CallSubmodule", StateType::kCallSubmodule},
  };
  const auto it = kTypes.find(s);
  if (it == kTypes.end()) {
    std::string list;
    for (const auto& [k, v] : kTypes) list += (list.empty() ? "" : ", ") + k;
    p.fail(path, "unknown state type '" + s + "' (supported: " + list + ")");
  }
  return it->second;
}

std::string encounter_class(const Parser& p, const std::string& s, const std::string& path) {
  static const std::map<std::string, std::string> kClasses = {
      {"wellness", "AMB"}, {"ambulatory", "AMB"}, {"outpatient", "AMB"}, {"urgentcare", "AMB"},
      {"emergency", "EMER"}, {"inpatient", "IMP"}, {"home", "HH"},       {"virtual", "VR"},
      {"snf", "IMP"},        {"hospice", "HH"}};
  const auto it = kClasses.find(s);
  if (it == kClasses.end())
    p.fail(path, "unknown encounter_class '" + s +
                     "' (ambulatory, emergency, inpatient, wellness, outpatient, urgentcare, home, virtual, snf, hospice)");
  return it->second;
}

void parse_state(const Parser& p, const json& st, const std::string& path, ModuleState* s) {
  p.object(st, path);
  if (!st.contains("type")) p.fail(path, "missing key 'type'");
  s->type = state_type(p, p.string(st["type"], path + ".type"), path + ".type");
  std::vector<const char*> allowed = {"type", "remarks", "name", "direct_transition", "distributed_transition",
                                      "conditional_transition", "complex_transition", "lookup_table_transition"};
  std::vector<const char*> required;
  auto allow = [&](std::initializer_list<const char*> k) { allowed.insert(allowed.end(), k.begin(), k.end()); };
  auto need = [&](std::initializer_list<const char*> k) {
    allow(k);
    required.insert(required.end(), k.begin(), k.end());
  };
  auto one_ref = [&](const char* state_key) {
    allow({state_key, "referenced_by_attribute", "codes"});
    int n = 0;
    if (st.contains(state_key)) {
      s->ref_state = target(p, st[state_key], path + "." + state_key);
      ++n;
    }
    if (st.contains("referenced_by_attribute")) {
      s->ref_attribute = p.string(st["referenced_by_attribute"], path + ".referenced_by_attribute");
      ++n;
    }
    if (st.contains("codes")) {
      s->codes = p.codes(st["codes"], path + ".codes");
      ++n;
    }
    if (n != 1) p.fail(path, std::string("needs exactly one of '") + state_key + "', 'referenced_by_attribute', 'codes'");
  };
  auto assign = [&]() {
    if (st.contains("assign_to_attribute"))
      s->attribute = p.string(st["assign_to_attribute"], path + ".assign_to_attribute");
  };
  auto onset_target = [&]() {
    if (st.contains("target_encounter")) s->target_encounter = target(p, st["target_encounter"], path + ".target_encounter");
  };
  switch (s->type) {
    case StateType::kInitial:
    case StateType::kTerminal:
    case StateType::kSimple:
      break;
    case StateType::kGuard:
      need({"allow"});
      break;
    case StateType::kDelay:
      allow({"exact", "range"});
      if (st.contains("distribution")) p.fail(path + ".distribution", "Delay distributions are not supported (use exact or range)");
      if (st.contains("exact") == st.contains("range")) p.fail(path, "a Delay needs 'exact' or 'range'");
      s->span = p.span(st.contains("exact") ? st["exact"] : st["range"], path + (st.contains("exact") ? ".exact" : ".range"),
                       st.contains("exact"), true);
      break;
    case StateType::kSetAttribute:
      need({"attribute"});
      allow({"value"});
      if (st.contains("expression")) p.fail(path + ".expression", "expressions are not supported");
      s->attribute = p.string(st["attribute"], path + ".attribute");
      if (st.contains("value")) s->value = p.scalar(st["value"], path + ".value");
      break;
    case StateType::kCounter: {
      need({"attribute", "action"});
      allow({"amount"});
      s->attribute = p.string(st["attribute"], path + ".attribute");
      const std::string a = p.string(st["action"], path + ".action");
      if (a != "increment" && a != "decrement") p.fail(path + ".action", "expected \"increment\" or \"decrement\"");
      s->amount = st.contains("amount") ? p.number(st["amount"], path + ".amount") : 1;
      if (a == "decrement") s->amount = -s->amount;
      break;
    }
    case StateType::kEncounter:
      allow({"wellness", "encounter_class", "codes", "reason", "telemedicine_possibility"});
      if (st.contains("wellness")) s->wellness = p.boolean(st["wellness"], path + ".wellness");
      if (!s->wellness) {
        if (!st.contains("encounter_class")) p.fail(path, "missing key 'encounter_class' (or \"wellness\": true)");
        if (!st.contains("codes")) p.fail(path, "missing key 'codes'");
      }
      s->encounter_class = st.contains("encounter_class")
                               ? encounter_class(p, p.string(st["encounter_class"], path + ".encounter_class"),
                                                 path + ".encounter_class")
                               : "AMB";
      if (st.contains("codes")) s->codes = p.codes(st["codes"], path + ".codes");
      if (st.contains("reason")) p.string(st["reason"], path + ".reason");
      break;
    case StateType::kEncounterEnd:
      allow({"discharge_disposition"});
      if (st.contains("discharge_disposition")) p.code(st["discharge_disposition"], path + ".discharge_disposition");
      break;
    case StateType::kConditionOnset:
      need({"codes"});
      allow({"target_encounter", "assign_to_attribute"});
      s->codes = p.codes(st["codes"], path + ".codes");
      onset_target();
      assign();
      break;
    case StateType::kAllergyOnset:
      need({"codes"});
      allow({"target_encounter", "assign_to_attribute", "allergy_type", "category", "reactions"});
      s->codes = p.codes(st["codes"], path + ".codes");
      onset_target();
      assign();
      break;
    case StateType::kConditionEnd:
      one_ref("condition_onset");
      break;
    case StateType::kAllergyEnd:
      one_ref("allergy_onset");
      break;
    case StateType::kMedicationEnd:
      one_ref("medication_order");
      break;
    case StateType::kCarePlanEnd:
      one_ref("careplan");
      break;
    case StateType::kMedicationOrder:
      need({"codes"});
      allow({"reason", "prescription", "assign_to_attribute", "chronic", "administration"});
      s->codes = p.codes(st["codes"], path + ".codes");
      assign();
      break;
    case StateType::kCarePlanStart:
      need({"codes"});
      allow({"activities", "goals", "reason", "assign_to_attribute"});
      s->codes = p.codes(st["codes"], path + ".codes");
      assign();
      break;
    case StateType::kProcedure:
      need({"codes"});
      allow({"reason", "duration", "assign_to_attribute"});
      s->codes = p.codes(st["codes"], path + ".codes");
      if (st.contains("duration")) p.span(st["duration"], path + ".duration", false, true);
      assign();
      break;
    case StateType::kObservation:
      need({"codes"});
      allow({"category", "unit", "exact", "range", "attribute", "vital_sign", "value_code"});
      s->observations.push_back(parse_observation(p, st, path, false));
      if (s->observations[0].source == ObservationSpec::Source::kNone)
        p.fail(path, "an Observation needs one of exact, range, attribute, vital_sign, value_code");
      break;
    case StateType::kMultiObservation:
    case StateType::kDiagnosticReport: {
      need({"codes", "observations"});
      allow({"category", "number_of_observations"});
      s->codes = p.codes(st["codes"], path + ".codes");
      const json& obs = st["observations"];
      if (!obs.is_array()) p.fail(path + ".observations", "expected an array");
      for (size_t i = 0; i < obs.size(); ++i)
        s->observations.push_back(parse_observation(p, obs[i], path + ".observations[" + std::to_string(i) + "]", true));
      break;
    }
    case StateType::kSymptom:
      need({"symptom"});
      allow({"cause", "probability", "exact", "range"});
      s->symptom = p.string(st["symptom"], path + ".symptom");
      if (st.contains("cause")) s->cause = p.string(st["cause"], path + ".cause");
      if (st.contains("probability")) s->probability = p.number(st["probability"], path + ".probability", 0, 1);
      if (st.contains("exact") == st.contains("range")) p.fail(path, "a Symptom needs 'exact' or 'range'");
      s->span = p.span(st.contains("exact") ? st["exact"] : st["range"], path + (st.contains("exact") ? ".exact" : ".range"),
                       st.contains("exact"), false);
      break;
    case StateType::kVitalSign:
      need({"vital_sign", "unit"});
      allow({"exact", "range"});
      s->vital_sign = p.string(st["vital_sign"], path + ".vital_sign");
      s->unit = p.string(st["unit"], path + ".unit");
      if (st.contains("exact") == st.contains("range")) p.fail(path, "a VitalSign needs 'exact' or 'range'");
      s->span = p.span(st.contains("exact") ? st["exact"] : st["range"], path + (st.contains("exact") ? ".exact" : ".range"),
                       st.contains("exact"), false);
      break;
    case StateType::kDeath:
      allow({"codes", "condition_onset", "referenced_by_attribute", "exact", "range"});
      if (st.contains("codes")) s->codes = p.codes(st["codes"], path + ".codes");
      if (st.contains("condition_onset")) s->ref_state = target(p, st["condition_onset"], path + ".condition_onset");
      if (st.contains("referenced_by_attribute"))
        s->ref_attribute = p.string(st["referenced_by_attribute"], path + ".referenced_by_attribute");
      if (st.contains("exact") && st.contains("range")) p.fail(path, "give 'exact' or 'range', not both");
      if (st.contains("exact") || st.contains("range"))
        s->span = p.span(st.contains("exact") ? st["exact"] : st["range"],
                         path + (st.contains("exact") ? ".exact" : ".range"), st.contains("exact"), true);
      break;
    case StateType::kCallSubmodule:
      need({"submodule"});
      s->submodule = p.string(st["submodule"], path + ".submodule");
      break;
  }
  for (auto it = st.begin(); it != st.end(); ++it)
    if (std::find_if(allowed.begin(), allowed.end(), [&](const char* a) { return it.key() == a; }) == allowed.end()) {
      std::string list;
      for (size_t i = 8; i < allowed.size(); ++i) list += std::string(list.empty() ? "" : ", ") + allowed[i];
      p.fail(path, "unknown key '" + it.key() + "' for a " + st["type"].get<std::string>() + " state" +
                       (list.empty() ? "" : " (valid: type, remarks, transitions, " + list + ")"));
    }
  for (const char* r : required)
    if (!st.contains(r)) p.fail(path, std::string("missing key '") + r + "'");
  if (s->type == StateType::kGuard) s->allow = parse_condition(p, st["allow"], path + ".allow");
  s->transition = parse_transition(p, st, path);
  if (s->type == StateType::kTerminal && s->transition.kind != ModuleTransition::Kind::kNone)
    p.fail(path, "a Terminal state has no transition");
  if (s->type != StateType::kTerminal && s->transition.kind == ModuleTransition::Kind::kNone)
    p.fail(path, "no transition (every state but Terminal needs one)");
}

}  // namespace

std::shared_ptr<const GenericModule> parse_module(const std::string& text, const std::string& source) {
  Parser p(source);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // byte offset -> line:column
    size_t line = 1, col = 1;
    const size_t end = std::min<size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    for (size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw InvalidInput(located(source, line, col, "invalid JSON"));
  } catch (const json::exception& e) {
    // out_of_range: a number beyond double ("1e999").
    throw InvalidInput(source + ": invalid JSON (" + e.what() + ")");
  }
  p.keys(j, "", {"name", "remarks", "states", "gmf_version", "specialty"}, {"states"});
  auto m = std::make_shared<GenericModule>();
  m->source = source;
  m->name = j.contains("name") ? p.string(j["name"], "name") : fs::path(source).stem().string();
  if (j.contains("gmf_version")) p.number(j["gmf_version"], "gmf_version", 1, 2);
  const json& states = p.object(j["states"], "states");
  if (states.empty()) p.fail("states", "no states");
  for (auto it = states.begin(); it != states.end(); ++it) {
    p.state_index.emplace(it.key(), static_cast<int>(m->states.size()));
    ModuleState s;
    s.name = it.key();
    m->states.push_back(std::move(s));
  }
  size_t i = 0;
  for (auto it = states.begin(); it != states.end(); ++it, ++i) {
    parse_state(p, it.value(), "states." + it.key(), &m->states[i]);
    if (m->states[i].type == StateType::kInitial) {
      if (it.key() != "Initial") p.fail("states." + it.key(), "the Initial state must be named \"Initial\"");
      m->initial = static_cast<int>(i);
    }
  }
  if (m->initial < 0) p.fail("states", "no state named \"Initial\" of type Initial");
  return m;
}

void link_modules(ModuleSet* set) {
  std::map<std::string, const GenericModule*> by_name;
  for (const auto& m : set->modules) by_name.emplace(m->name, m.get());
  for (const auto& [k, m] : set->submodules) by_name[k] = m.get();
  std::vector<const GenericModule*> all;
  for (const auto& m : set->modules) all.push_back(m.get());
  for (const auto& [k, m] : set->submodules) all.push_back(m.get());
  for (const GenericModule* m : all)
    for (const ModuleState& s : m->states) {
      if (s.type != StateType::kCallSubmodule) continue;
      const auto it = by_name.find(s.submodule);
      if (it == by_name.end())
        throw InvalidInput(m->source + ": states." + s.name + ".submodule: no module '" + s.submodule + "'");
      const_cast<ModuleState&>(s).sub = it->second;  // the set owns both; linking completes loading
    }
  // A cycle of calls would recurse without end.
  std::map<const GenericModule*, int> mark;
  std::function<void(const GenericModule*)> visit = [&](const GenericModule* m) {
    mark[m] = 1;
    for (const ModuleState& s : m->states) {
      if (!s.sub) continue;
      if (mark[s.sub] == 1)
        throw InvalidInput(m->source + ": states." + s.name + ".submodule: '" + s.submodule + "' calls back into it (a cycle)");
      if (mark[s.sub] == 0) visit(s.sub);
    }
    mark[m] = 2;
  };
  for (const GenericModule* m : all)
    if (mark[m] == 0) visit(m);
}

ModuleSet load_modules(const std::vector<std::string>& paths) {
  ModuleSet set;
  if (paths.empty()) throw InvalidInput("no module files or folders given");
  auto load = [](const std::string& file, const std::string& shown) {
    return parse_module(read_file(file, kMaxModuleBytes), shown);
  };
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> top, nested;
      for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (!it->is_regular_file() || it->path().extension() != ".json") continue;
        (it.depth() == 0 ? top : nested).push_back(it->path());
      }
      if (ec) throw IoError(path + ": cannot list the folder (" + ec.message() + ")");
      std::sort(top.begin(), top.end());
      std::sort(nested.begin(), nested.end());
      if (top.empty()) throw InvalidInput(path + ": no *.json module in the folder");
      for (const fs::path& f : top) set.modules.push_back(load(f.string(), f.filename().string()));
      for (const fs::path& f : nested) {
        std::string key = fs::relative(f, path).replace_extension("").generic_string();
        set.submodules[key] = load(f.string(), fs::relative(f, path).generic_string());
      }
    } else {
      if (!fs::exists(path, ec)) throw IoError(path + ": no such file or folder");
      set.modules.push_back(load(path, fs::path(path).filename().string()));
    }
  }
  link_modules(&set);
  return set;
}

std::vector<std::string> ModuleSet::names() const {
  std::vector<std::string> out;
  for (const auto& m : modules) out.push_back(m->name);
  return out;
}

}  // namespace medgen::records
