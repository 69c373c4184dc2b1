#include "medgen/sim/case.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/sim/json_source.h"
#include "medgen/sim/session.h"

namespace medgen::sim {

using json = nlohmann::json;

namespace {

// Below this age a case is drawn as a child (body size and normal ranges by age; see generate_case).
constexpr double kAdultAge = 16;

double truncated_normal(Rng& rng, double mean, double sd, double lo, double hi) {
  for (int i = 0; i < 100; ++i) {
    const double x = mean + sd * rng.normal();
    if (x >= lo && x <= hi) return x;
  }
  return std::clamp(mean, lo, hi);
}

uint64_t name_hash(const std::string& s) {  // FNV-1a: a stable salt per condition
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

double round_to(double x, double step) { return std::round(x / step) * step; }

std::string hours_text(double h) {
  char buf[64];
  if (h < 1)
    std::snprintf(buf, sizeof buf, "%.0f minutes", std::max(5.0, round_to(h * 60, 5)));
  else if (h < 2)
    std::snprintf(buf, sizeof buf, "about an hour");
  else if (h < 48)
    std::snprintf(buf, sizeof buf, "%.0f hours", std::round(h));
  else
    std::snprintf(buf, sizeof buf, "%.0f days", std::round(h / 24));
  return buf;
}

void replace_all(std::string* s, const std::string& from, const std::string& to) {
  for (size_t p = 0; (p = s->find(from, p)) != std::string::npos; p += to.size()) s->replace(p, from.size(), to);
}

}  // namespace

std::string fill_template(const std::string& tmpl, const Case& c) {
  std::string s = tmpl;
  replace_all(&s, "{age}", std::to_string(static_cast<int>(c.patient.age_years)));
  const bool child = c.patient.age_years < kAdultAge;
  replace_all(&s, "{sex}", c.patient.female ? (child ? "girl" : "woman") : (child ? "boy" : "man"));
  replace_all(&s, "{pronoun}", c.patient.female ? "she" : "he");
  replace_all(&s, "{possessive}", c.patient.female ? "her" : "his");
  replace_all(&s, "{weight}", std::to_string(static_cast<int>(std::lround(c.patient.weight_kg))));
  replace_all(&s, "{onset}", hours_text(c.onset_hours));
  std::string cm;
  for (const auto& x : c.comorbidities) cm += (cm.empty() ? "" : ", ") + x;
  replace_all(&s, "{comorbidities}", cm.empty() ? "no significant past medical history" : cm);
  replace_all(&s, "{allergies}", c.allergies);
  return s;
}

PopulationRow population_row(const Table& table, size_t row) {
  PopulationRow out;
  for (const Column& c : table.columns) {
    if (row >= c.size()) throw InvalidInput("population model: row " + std::to_string(row) + " out of range");
    if (c.is_missing(row)) continue;
    if (c.storage == Storage::kNumber) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.10g", c.values[row]);
      out[lower(c.name)] = buf;
    } else {
      out[lower(c.name)] = c.dictionary[static_cast<size_t>(c.codes[row])];
    }
  }
  return out;
}

std::vector<std::string> apply_population(const PopulationRow& row, const ConditionSpec& cond, PatientParams* p,
                                          double* height_cm) {
  std::vector<std::string> used;
  auto number = [&](std::initializer_list<const char*> names, double* out) {
    for (const char* n : names) {
      auto it = row.find(n);
      if (it == row.end()) continue;
      char* end = nullptr;
      const double x = std::strtod(it->second.c_str(), &end);
      if (end == it->second.c_str() || !std::isfinite(x)) continue;
      *out = x;
      used.push_back(n);
      return true;
    }
    return false;
  };
  double x = 0;
  if (number({"age", "age_years", "age_at_admission"}, &x))
    p->age_years = std::floor(std::clamp(x, cond.age_min, cond.age_max));
  for (const char* n : {"sex", "gender"}) {
    auto it = row.find(n);
    if (it == row.end() || it->second.empty()) continue;
    const std::string v = lower(it->second);
    if (v[0] == 'f' || v == "woman" || v == "w")
      p->female = true;
    else if (v[0] == 'm' || v == "man")
      p->female = false;
    else
      continue;
    used.push_back(n);
    break;
  }
  if (number({"height_cm", "height"}, &x)) *height_cm = std::round(std::clamp(x < 3 ? x * 100 : x, 140.0, 210.0));
  if (number({"weight_kg", "weight"}, &x)) p->weight_kg = std::round(std::clamp(x, 35.0, 200.0));
  if (number({"hr_bpm", "hr", "heart_rate", "pulse"}, &x)) p->hr_bpm = std::round(std::clamp(x, 50.0, 100.0));
  double sbp = 0, dbp = 0;
  const bool have_sbp = number({"sbp_mmhg", "sbp", "systolic", "systolic_bp"}, &sbp);
  const bool have_dbp = number({"dbp_mmhg", "dbp", "diastolic", "diastolic_bp"}, &dbp);
  if (number({"map_mmhg", "map"}, &x))
    p->map_mmhg = std::round(std::clamp(x, 65.0, 120.0));
  else if (have_sbp && have_dbp)
    p->map_mmhg = std::round(std::clamp((sbp + 2 * dbp) / 3, 65.0, 120.0));
  if (number({"hb_g_dl", "hb", "haemoglobin", "hemoglobin"}, &x))
    p->hb_g_dl = std::clamp(x > 25 ? x / 10 : x, 8.0, 18.0);
  if (number({"glucose_mmol_l"}, &x)) p->glucose_mmol_l = std::clamp(x, 3.5, 15.0);
  if (number({"creatinine_umol_l"}, &x)) p->creatinine_umol_l = std::clamp(x, 40.0, 600.0);
  if (number({"potassium_mmol_l", "potassium"}, &x)) p->potassium_mmol_l = std::clamp(x, 3.0, 5.8);
  if (number({"wbc_e9_l", "wbc"}, &x)) p->wbc_e9_l = std::clamp(x, 2.0, 20.0);
  if (number({"temp_c", "temperature"}, &x)) p->temp_c = std::clamp(x, 35.5, 38.0);
  return used;
}

Case generate_case(const Catalog& cat, const CaseOptions& o) {
  const ConditionSpec* cond = cat.find_condition(o.condition);
  if (!cond) {
    std::string names;
    for (const auto& c : cat.conditions) names += (names.empty() ? "" : ", ") + c.name;
    throw InvalidInput("unknown condition '" + o.condition + "' (available: " + names + ")");
  }
  Rng rng(o.seed ^ name_hash(cond->name));
  Case c;
  c.seed = o.seed;
  c.condition = cond->name;
  // Severity.
  if (o.severity.empty()) {
    const auto& wts = cond->severity_weights;
    double u = rng.uniform() * (wts[0] + wts[1] + wts[2]);
    c.severity = u < wts[0] ? kMild : u < wts[0] + wts[1] ? kModerate : kSevere;
  } else {
    c.severity = -1;
    for (int s = 0; s < 3; ++s)
      if (o.severity == severity_name(s)) c.severity = s;
    if (c.severity < 0) throw InvalidInput("--severity must be mild, moderate or severe, not '" + o.severity + "'");
  }
  c.onset_hours =
      round_to(cond->onset_min_hours + rng.uniform() * (cond->onset_max_hours - cond->onset_min_hours), 0.05);
  c.onset_hours = std::max(c.onset_hours, cond->onset_min_hours);
  // Demographics and body size (BMI around 27, heights by sex).
  PatientParams& p = c.patient;
  p.female = rng.uniform() < cond->female_fraction;
  p.age_years = std::floor(truncated_normal(rng, cond->age_mean, cond->age_sd, cond->age_min, cond->age_max));
  if (p.age_years < kAdultAge) {
    // A child (2-15 years): height by Weech's formula (6 x age + 77 cm), a childhood BMI around 16, and
    // the age-dependent normal ranges of APLS (6th edition, 2016): heart rate 95-140/min at 2-5 years and
    // 80-120 at 5-12; respiratory rate 25-30 and 20-25; systolic pressure about 90 + 2 x age, so MAP about
    // 55 + 1.5 x age; haemoglobin 11.5-13.5 g/dL; creatinine rising with muscle mass. Adults draw as before.
    c.height_cm = std::round(truncated_normal(rng, 6 * p.age_years + 77, 5, 80, 180));
    const double bmi = truncated_normal(rng, 16, 1.5, 13, 22);
    p.weight_kg = std::round(bmi * c.height_cm * c.height_cm / 10000.0);
    p.hr_bpm = std::round(truncated_normal(rng, 120 - 3 * p.age_years, 8, 75, 140));
    p.map_mmhg = std::round(truncated_normal(rng, 55 + 1.5 * p.age_years, 4, 50, 85));
    p.rr_per_min = std::round(truncated_normal(rng, 30 - p.age_years, 1.5, 16, 34));
    p.hb_g_dl = round_to(truncated_normal(rng, 12.5, 0.6, 11.5, 13.5), 0.1);
    p.temp_c = round_to(truncated_normal(rng, 36.8, 0.2, 36.2, 37.3), 0.1);
    p.glucose_mmol_l = round_to(truncated_normal(rng, 5.0, 0.4, 4.0, 6.0), 0.1);
    p.potassium_mmol_l = round_to(truncated_normal(rng, 4.2, 0.25, 3.6, 4.9), 0.1);
    p.creatinine_umol_l = std::round(truncated_normal(rng, 20 + 3 * p.age_years, 5, 15, 70));
    p.wbc_e9_l = round_to(truncated_normal(rng, 8.5, 1.5, 5, 12), 0.1);
  } else {
    c.height_cm = std::round(truncated_normal(rng, p.female ? 163 : 176, p.female ? 6.5 : 7, 145, 200));
    const double bmi = truncated_normal(rng, 27, 4.5, 18, 42);
    p.weight_kg = std::round(bmi * c.height_cm * c.height_cm / 10000.0);
    // Baseline physiology.
    p.hr_bpm = std::round(truncated_normal(rng, 72, 8, 52, 95));
    p.map_mmhg = std::round(truncated_normal(rng, 88 + 0.15 * (p.age_years - 50), 6, 72, 108));
    p.rr_per_min = std::round(truncated_normal(rng, 14, 1.5, 11, 18));
    p.hb_g_dl = round_to(truncated_normal(rng, p.female ? 13.2 : 14.6, 0.9, 11, 17), 0.1);
    p.temp_c = round_to(truncated_normal(rng, 36.8, 0.2, 36.2, 37.3), 0.1);
    p.glucose_mmol_l = round_to(truncated_normal(rng, 5.2, 0.4, 4.2, 6.4), 0.1);
    p.potassium_mmol_l = round_to(truncated_normal(rng, 4.2, 0.25, 3.6, 4.9), 0.1);
    p.creatinine_umol_l = std::round(truncated_normal(rng, p.female ? 68 : 85, 12, 45, 115));
    p.wbc_e9_l = round_to(truncated_normal(rng, 7, 1.4, 4.2, 10.5), 0.1);
  }
  if (!o.population.empty()) {
    const std::vector<std::string> used = apply_population(o.population, *cond, &p, &c.height_cm);
    std::string cols;
    for (const auto& u : used) cols += (cols.empty() ? "" : ", ") + u;
    c.population = o.population_source + (cols.empty() ? " (no recognised columns)" : " (" + cols + ")");
  }
  p.baroreflex_gain = std::clamp(1.0 - 0.006 * std::max(0.0, p.age_years - 50), 0.6, 1.0);  // blunted with age
  // Comorbidities, in name order so that the draw does not depend on the file's key order.
  for (const auto& [name, prob] : cond->comorbidities) {
    const double age_factor = std::clamp(p.age_years / 55.0, 0.3, 1.6);  // commoner with age
    if (rng.uniform() < prob * age_factor) {
      c.comorbidities.push_back(name);
      for (const auto& [param, v] : cat.comorbidities.at(name).params) {
        if (param == "add_shunt")
          p.shunt += v;
        else if (param == "add_va_mismatch_mmhg")
          p.va_mismatch_mmhg += v;
        else if (param == "hr_bpm")
          p.hr_bpm = std::round(p.hr_bpm * v);
        else if (param == "map_mmhg")
          p.map_mmhg = std::round(std::min(p.map_mmhg * v, 125.0));
        else if (param == "hb_g_dl")
          p.hb_g_dl = round_to(p.hb_g_dl * v, 0.1);
        else if (param == "glucose_mmol_l")
          p.glucose_mmol_l = round_to(p.glucose_mmol_l * v, 0.1);
        else if (param == "creatinine_umol_l")
          p.creatinine_umol_l = std::round(p.creatinine_umol_l * v);
        else if (param == "baroreflex_gain")
          p.baroreflex_gain *= v;
        else if (param == "contractility")
          p.contractility *= v;
        else if (param == "insulin_sensitivity")
          p.insulin_sensitivity *= v;
        else if (param == "weight_kg")
          p.weight_kg = std::round(p.weight_kg * v);
      }
    }
  }
  const double a = rng.uniform();
  c.allergies = a < 0.12 ? "penicillin (rash as a child)" : a < 0.16 ? "codeine (vomiting)" : "no known drug allergies";
  p.validate();
  present_case(cat, &c);
  return c;
}

void present_case(const Catalog& cat, Case* c) {
  const ConditionSpec* cond = cat.find_condition(c->condition);
  if (!cond) throw InvalidInput("unknown condition '" + c->condition + "'");
  Session s(cat, *c);
  c->presentation = s.vitals();
  c->findings = cond->findings[c->severity];
  for (auto& f : c->findings) f = fill_template(f, *c);
  const Vitals& v = c->presentation;
  char vit[320];
  std::snprintf(
      vit, sizeof vit,
      "On arrival: heart rate %.0f/min, blood pressure %.0f/%.0f mmHg, respiratory rate %.0f/min, SpO2 %.0f%% "
      "on %s, temperature %.1f \xc2\xb0"
      "C, GCS %.0f.",
      v.hr_bpm, v.sbp_mmhg, v.dbp_mmhg, v.rr_per_min, v.spo2_pct, v.fio2 > 0.21 ? "oxygen" : "room air", v.temp_c,
      std::round(v.gcs));
  std::string s_text = fill_template("A {age}-year-old {sex} ({weight} kg) ", *c) + "presents to the " + cond->setting +
                       ": " + fill_template(cond->presenting_complaint, *c) + " ";
  std::string bg;
  for (const auto& x : c->comorbidities) {
    auto it = cat.comorbidities.find(x);
    bg += (bg.empty() ? "" : "; ") + (it != cat.comorbidities.end() ? it->second.history : x);
  }
  s_text += "Background: " + (bg.empty() ? std::string("no significant past medical history") : bg) + ". ";
  s_text += "Allergies: " + c->allergies + ". ";
  s_text += vit;
  if (!c->findings.empty()) {
    s_text += " Examination: ";
    for (size_t i = 0; i < c->findings.size(); ++i) s_text += (i ? "; " : "") + c->findings[i];
    s_text += ".";
  }
  c->vignette = s_text;
}

json Case::to_json() const {
  json j;
  j["format"] = "medgen-sim-case";
  j["version"] = 1;
  j["seed"] = seed;
  j["condition"] = condition;
  j["severity"] = severity_name(severity);
  j["onset_hours"] = onset_hours;
  j["patient"] = {{"age_years", patient.age_years}, {"sex", patient.female ? "female" : "male"},
                  {"height_cm", height_cm},         {"weight_kg", patient.weight_kg},
                  {"comorbidities", comorbidities}, {"allergies", allergies}};
  j["baseline"] = {{"hr_bpm", patient.hr_bpm},
                   {"map_mmhg", patient.map_mmhg},
                   {"rr_per_min", patient.rr_per_min},
                   {"hb_g_dl", patient.hb_g_dl},
                   {"temp_c", patient.temp_c},
                   {"glucose_mmol_l", patient.glucose_mmol_l},
                   {"potassium_mmol_l", patient.potassium_mmol_l},
                   {"creatinine_umol_l", patient.creatinine_umol_l},
                   {"wbc_e9_l", patient.wbc_e9_l},
                   {"baroreflex_gain", patient.baroreflex_gain},
                   {"contractility", patient.contractility},
                   {"shunt", patient.shunt},
                   {"va_mismatch_mmhg", patient.va_mismatch_mmhg},
                   {"insulin_sensitivity", patient.insulin_sensitivity}};
  auto r = [](double x, double step) { return std::round(x / step) * step; };
  const Vitals& v = presentation;
  j["presentation"] = {{"hr_bpm", r(v.hr_bpm, 1)},
                       {"sbp_mmhg", r(v.sbp_mmhg, 1)},
                       {"dbp_mmhg", r(v.dbp_mmhg, 1)},
                       {"map_mmhg", r(v.map_mmhg, 1)},
                       {"rr_per_min", r(v.rr_per_min, 1)},
                       {"spo2_pct", r(v.spo2_pct, 1)},
                       {"temp_c", r(v.temp_c, 0.1)},
                       {"gcs", r(v.gcs, 1)},
                       {"lactate_mmol_l", r(v.lactate_mmol_l, 0.1)},
                       {"glucose_mmol_l", r(v.glucose_mmol_l, 0.1)},
                       {"ph", r(v.ph, 0.01)},
                       {"potassium_mmol_l", r(v.potassium_mmol_l, 0.1)}};
  j["findings"] = findings;
  j["vignette"] = vignette;
  if (!population.empty()) j["population"] = population;
  return j;
}

Case Case::load(const std::string& path, const Catalog* catalog) {
  const JsonSource src = JsonSource::load(path);
  src.check_keys("",
                 {"format", "version", "seed", "condition", "severity", "onset_hours", "patient", "baseline",
                  "presentation", "findings", "vignette", "population"},
                 {"format", "version", "condition", "severity", "onset_hours", "patient", "baseline"});
  if (src.string("/format") != "medgen-sim-case")
    src.fail("/format", "not a medgen case file (format must be 'medgen-sim-case')");
  if (src.number("/version", 0, 1e9) != 1) src.fail("/version", "unsupported case version (expected 1)");
  Case c;
  if (src.has("/seed")) c.seed = static_cast<uint64_t>(src.number("/seed", 0, 1.8e19));
  c.condition = src.string("/condition");
  if (catalog && !catalog->find_condition(c.condition))
    src.fail("/condition", "unknown condition '" + c.condition + "' (see 'medgen sim list')");
  if (catalog) c.condition = catalog->find_condition(c.condition)->name;
  const std::string sev = src.string("/severity");
  c.severity = -1;
  for (int s = 0; s < 3; ++s)
    if (sev == severity_name(s)) c.severity = s;
  if (c.severity < 0) src.fail("/severity", "severity must be mild, moderate or severe");
  c.onset_hours = src.number("/onset_hours", 0, 240);
  src.check_keys("/patient", {"age_years", "sex", "height_cm", "weight_kg", "comorbidities", "allergies"},
                 {"age_years", "sex", "weight_kg"});
  PatientParams& p = c.patient;
  p.age_years = src.number("/patient/age_years", 2, 110);
  const std::string sex = src.string("/patient/sex");
  if (sex != "female" && sex != "male") src.fail("/patient/sex", "sex must be 'female' or 'male'");
  p.female = sex == "female";
  c.height_cm = src.number_or("/patient/height_cm", 170, 80, 230);
  p.weight_kg = src.number("/patient/weight_kg", 10, 250);
  if (src.has("/patient/comorbidities")) {
    const json& a = src.array("/patient/comorbidities");
    for (size_t i = 0; i < a.size(); ++i)
      c.comorbidities.push_back(src.string("/patient/comorbidities/" + std::to_string(i)));
  }
  c.allergies = src.string_or("/patient/allergies", c.allergies);
  c.population = src.string_or("/population", "");
  src.check_keys("/baseline", {"hr_bpm", "map_mmhg", "rr_per_min", "hb_g_dl", "temp_c", "glucose_mmol_l",
                               "potassium_mmol_l", "creatinine_umol_l", "wbc_e9_l", "baroreflex_gain", "contractility",
                               "shunt", "va_mismatch_mmhg", "insulin_sensitivity"});
  p.hr_bpm = src.number_or("/baseline/hr_bpm", p.hr_bpm, 35, 130);
  p.map_mmhg = src.number_or("/baseline/map_mmhg", p.map_mmhg, 55, 140);
  p.rr_per_min = src.number_or("/baseline/rr_per_min", p.rr_per_min, 6, 30);
  p.hb_g_dl = src.number_or("/baseline/hb_g_dl", p.hb_g_dl, 5, 20);
  p.temp_c = src.number_or("/baseline/temp_c", p.temp_c, 34, 39);
  p.glucose_mmol_l = src.number_or("/baseline/glucose_mmol_l", p.glucose_mmol_l, 2.5, 25);
  p.potassium_mmol_l = src.number_or("/baseline/potassium_mmol_l", p.potassium_mmol_l, 2.5, 6.5);
  p.creatinine_umol_l = src.number_or("/baseline/creatinine_umol_l", p.creatinine_umol_l, 30, 1000);
  p.wbc_e9_l = src.number_or("/baseline/wbc_e9_l", p.wbc_e9_l, 1, 30);
  p.baroreflex_gain = src.number_or("/baseline/baroreflex_gain", p.baroreflex_gain, 0, 2);
  p.contractility = src.number_or("/baseline/contractility", p.contractility, 0.2, 1.5);
  p.shunt = src.number_or("/baseline/shunt", p.shunt, 0, 0.4);
  p.va_mismatch_mmhg = src.number_or("/baseline/va_mismatch_mmhg", p.va_mismatch_mmhg, 0, 80);
  p.insulin_sensitivity = src.number_or("/baseline/insulin_sensitivity", p.insulin_sensitivity, 0.1, 3);
  return c;
}

}  // namespace medgen::sim
