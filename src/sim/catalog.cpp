#include "medgen/sim/catalog.h"
#include "medgen/sim/rhythm.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "medgen/core/error.h"
#include "medgen/core/version.h"
#include "medgen/sim/json_source.h"
#include "medgen/sim/physiology.h"

namespace medgen::sim {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kModNames[] = {"bleeding_ml_per_min",
                                     "fluid_loss_ml_per_h",
                                     "capillary_leak_ml_per_h",
                                     "svr",
                                     "hr",
                                     "contractility",
                                     "venous_capacitance",
                                     "shunt",
                                     "va_mismatch_mmhg",
                                     "bronchospasm",
                                     "bronchodilation",
                                     "resp_depression",
                                     "rr_drive",
                                     "sedation_gcs",
                                     "intrathoracic_mmhg",
                                     "lactate_mmol_per_l_per_h",
                                     "fever_c",
                                     "wbc_rise",
                                     "insulin_deficiency",
                                     "ketones_mmol_per_l_per_h",
                                     "potassium_loss_mmol_per_h",
                                     "potassium_shift_mmol_per_l",
                                     "troponin_ng_per_l_per_h",
                                     "glucose_production",
                                     "insulin_mu_per_l",
                                     "unmeasured_anions_mmol_per_l_per_h",
                                     "tachypnoea",
                                     "av_conduction",
                                     "vagolysis",
                                     "antiarrhythmic",
                                     "pericardial_mmhg",
                                     "icp_mmhg",
                                     "oxygen_dead_space",
                                     "seizure",
                                     "beta_blockade"};
static_assert(sizeof(kModNames) / sizeof(kModNames[0]) == kNumMods, "one name per modifier");

const char* kSeverities[] = {"mild", "moderate", "severe"};

std::vector<std::string> strings(const JsonSource& src, const std::string& ptr) {
  std::vector<std::string> out;
  if (!src.has(ptr)) return out;
  const json& a = src.array(ptr);
  for (size_t i = 0; i < a.size(); ++i) out.push_back(src.string(ptr + "/" + std::to_string(i)));
  return out;
}

Mod mod_at(const JsonSource& src, const std::string& ptr) {
  Mod m;
  const std::string name = src.string(ptr);
  if (!mod_from_name(name, &m)) src.fail(ptr, "unknown target '" + name + "' (expected one of: " + mod_names() + ")");
  return m;
}

std::array<double, 3> by_severity(const JsonSource& src, const std::string& ptr, double lo, double hi) {
  std::array<double, 3> v{};
  for (int s = 0; s < 3; ++s) v[s] = src.number(ptr + "/" + kSeverities[s], lo, hi);
  return v;
}

std::vector<fs::path> json_files(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".json") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

bool known_unit(const std::string& u) { return u == "mg" || u == "mcg" || u == "g" || u == "units" || u == "mmol"; }

}  // namespace

const char* mod_name(Mod m) { return kModNames[static_cast<size_t>(m)]; }
bool mod_from_name(const std::string& name, Mod* out) {
  for (size_t i = 0; i < kNumMods; ++i)
    if (name == kModNames[i]) {
      *out = static_cast<Mod>(i);
      return true;
    }
  return false;
}
std::string mod_names() {
  std::string s;
  for (const char* n : kModNames) s += std::string(s.empty() ? "" : ", ") + n;
  return s;
}
const char* severity_name(int s) { return kSeverities[std::clamp(s, 0, 2)]; }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool Criterion::holds(double x) const {
  if (!std::isnan(below) && !(x < below)) return false;
  if (!std::isnan(at_least) && !(x >= at_least)) return false;
  return true;
}

std::string Criterion::describe() const {
  char buf[96];
  if (!std::isnan(below))
    std::snprintf(buf, sizeof buf, "%s < %g", variable.c_str(), below);
  else
    std::snprintf(buf, sizeof buf, "%s >= %g", variable.c_str(), at_least);
  return buf;
}

DrugSpec load_drug(const std::string& path) {
  const JsonSource src = JsonSource::load(path);
  src.check_keys(
      "",
      {"name", "title", "aliases", "classes", "amount_unit", "pk", "routes", "effects", "antagonist_ki", "substance",
       "concentration_per_ml", "max_bolus_per_kg", "max_rate_per_kg_per_h", "limits", "kinetics", "iv_push_per_min", "default_route",
       "references", "notes"},
      {"name", "amount_unit", "routes", "references"});
  DrugSpec d;
  d.file = path;
  d.name = lower(src.string("/name"));
  d.title = src.string_or("/title", d.name);
  d.aliases = strings(src, "/aliases");
  for (auto& a : d.aliases) a = lower(a);
  d.classes = strings(src, "/classes");
  d.amount_unit = src.string("/amount_unit");
  if (!known_unit(d.amount_unit)) src.fail("/amount_unit", "amount_unit must be one of mg, mcg, g, units, mmol");
  d.references = strings(src, "/references");
  if (d.references.empty()) src.fail("/references", "a drug needs at least one literature reference");
  if (src.has("/substance")) {
    src.check_keys("/substance", {"name", "mmol_per_unit"}, {"name", "mmol_per_unit"});
    d.substance = src.string("/substance/name");
    if (d.substance != "glucose" && d.substance != "potassium" && d.substance != "bicarbonate")
      src.fail("/substance/name", "substance must be 'glucose', 'potassium' or 'bicarbonate'");
    d.substance_mmol_per_unit = src.number("/substance/mmol_per_unit", 1e-6, 1e6);
  } else {
    src.check_keys("/pk", {"volume_l_per_kg", "half_life_min", "ke0_per_min", "source"},
                   {"volume_l_per_kg", "half_life_min"});
    d.volume_l_per_kg = src.number("/pk/volume_l_per_kg", 0.01, 100);
    d.half_life_min = src.number("/pk/half_life_min", 0.1, 10000);
    d.ke0_per_min = src.number_or("/pk/ke0_per_min", 0, 0, 100);
  }
  const json& routes = src.object("/routes");
  if (routes.empty()) src.fail("/routes", "a drug needs at least one route");
  for (auto it = routes.begin(); it != routes.end(); ++it) {
    const std::string r = it.key(), p = "/routes/" + pointer_key(r);
    static const std::set<std::string> kRoutes = {"iv", "im", "sc", "neb", "in", "po", "io", "sl"};
    if (!kRoutes.count(r)) src.fail(p, "unknown route '" + r + "' (expected iv, im, sc, neb, in, po, io, sl)");
    src.check_keys(p, {"bioavailability", "absorption_half_life_min"});
    RouteSpec rs;
    rs.bioavailability = src.number_or(p + "/bioavailability", 1, 0, 1);
    rs.absorption_half_life_min = src.number_or(p + "/absorption_half_life_min", 0, 0, 10000);
    d.routes[r] = rs;
  }
  d.default_route = src.string_or("/default_route", "");
  if (!d.default_route.empty() && !d.routes.count(d.default_route))
    src.fail("/default_route", "default_route '" + d.default_route + "' is not one of the drug's routes");
  if (src.has("/effects")) {
    const json& effects = src.array("/effects");
    for (size_t i = 0; i < effects.size(); ++i) {
      const std::string p = "/effects/" + std::to_string(i);
      src.check_keys(p, {"target", "emax", "ec50", "hill", "slope", "receptor", "source"}, {"target"});
      DrugEffect e;
      e.target = mod_at(src, p + "/target");
      e.emax = src.number_or(p + "/emax", 0, -100, 100);
      e.slope = src.number_or(p + "/slope", 0, -1e9, 1e9);
      if ((e.emax == 0) == (e.slope == 0)) src.fail(p, "an effect needs either emax (with ec50) or slope");
      if (e.emax != 0) e.ec50 = src.number(p + "/ec50", 1e-12, 1e9);
      e.hill = src.number_or(p + "/hill", 1, 0.1, 10);
      e.receptor = src.string_or(p + "/receptor", "");
      if (!d.substance.empty()) src.fail(p, "a substance (dextrose, potassium) has no concentration effects");
      d.effects.push_back(e);
    }
  }
  if (src.has("/antagonist_ki")) {
    const json& a = src.object("/antagonist_ki");
    for (auto it = a.begin(); it != a.end(); ++it)
      d.antagonist_ki[it.key()] = src.number("/antagonist_ki/" + pointer_key(it.key()), 1e-12, 1e9);
  }
  d.concentration_per_ml = src.number_or("/concentration_per_ml", 0, 0, 1e6);
  // Older files name only a soft per-kg maximum; "limits" supersedes them.
  if (src.has("/max_bolus_per_kg")) d.bolus_limits["*"].soft_per_kg = src.number("/max_bolus_per_kg", 0, 1e6);
  if (src.has("/max_rate_per_kg_per_h")) {
    d.rate_limit_per_h.soft_per_kg = src.number("/max_rate_per_kg_per_h", 0, 1e6);
    d.infusion = true;
  }
  if (src.has("/limits")) {
    src.check_keys("/limits", {"bolus", "rate_per_h", "arrest", "source"}, {"source"});
    d.limits_source = src.string("/limits/source");
    auto limit = [&](const std::string& p) {
      src.check_keys(p, {"soft_per_kg", "hard_per_kg", "soft_max", "hard_max"});
      DoseLimit l;
      l.soft_per_kg = src.number_or(p + "/soft_per_kg", 0, 0, 1e6);
      l.hard_per_kg = src.number_or(p + "/hard_per_kg", 0, 0, 1e6);
      l.soft_max = src.number_or(p + "/soft_max", 0, 0, 1e9);
      l.hard_max = src.number_or(p + "/hard_max", 0, 0, 1e9);
      if (l.soft_per_kg > 0 && l.hard_per_kg > 0 && l.soft_per_kg > l.hard_per_kg)
        src.fail(p + "/soft_per_kg", "soft_per_kg is above hard_per_kg");
      if (l.soft_max > 0 && l.hard_max > 0 && l.soft_max > l.hard_max)
        src.fail(p + "/soft_max", "soft_max is above hard_max");
      if (l.soft_per_kg == 0 && l.hard_per_kg == 0 && l.soft_max == 0 && l.hard_max == 0)
        src.fail(p, "a limit needs at least one of soft_per_kg, hard_per_kg, soft_max, hard_max");
      return l;
    };
    if (src.has("/limits/bolus")) {
      const json& b = src.object("/limits/bolus");
      for (auto it = b.begin(); it != b.end(); ++it) {
        const std::string p = "/limits/bolus/" + pointer_key(it.key());
        if (it.key() != "*" && !d.routes.count(it.key()))
          src.fail(p, "limit for route '" + it.key() + "', which the drug does not have (use \"*\" for any route)");
        d.bolus_limits[it.key()] = limit(p);
      }
    }
    if (src.has("/limits/rate_per_h")) {
      d.rate_limit_per_h = limit("/limits/rate_per_h");
      d.infusion = true;
    }
    if (src.has("/limits/arrest")) {
      d.arrest_limit = limit("/limits/arrest");
      d.has_arrest_limit = true;
    }
  }
  d.iv_push_per_min = src.number_or("/iv_push_per_min", 0, 0, 1e9);
  if (src.has("/kinetics")) {
    src.check_keys("/kinetics",
                   {"route", "dose_per_kg", "measure", "onset_min", "peak_min", "duration_min", "half_life_min",
                    "threshold", "threshold_fraction", "half_life_note", "source"},
                   {"route", "dose_per_kg", "measure", "source"});
    KineticsSpec& k = d.kinetics;
    k.route = src.string("/kinetics/route");
    if (!d.routes.count(k.route)) src.fail("/kinetics/route", "the drug has no route '" + k.route + "'");
    k.dose_per_kg = src.number("/kinetics/dose_per_kg", 1e-9, 1e6);
    k.measure = src.string("/kinetics/measure");
    Mod m;
    if (k.measure != "plasma" && k.measure != "glucose" && k.measure != "potassium" && k.measure != "hco3" &&
        k.measure != "antagonism" && !mod_from_name(k.measure, &m))
      src.fail("/kinetics/measure",
               "measure must be plasma, glucose, potassium, hco3, antagonism or a modifier (" + mod_names() + ")");
    if (k.measure == "antagonism" && d.antagonist_ki.empty())
      src.fail("/kinetics/measure", "measure 'antagonism' needs antagonist_ki");
    if (k.measure == "hco3" && d.substance != "bicarbonate")
      src.fail("/kinetics/measure", "this drug changes no hco3");
    if ((k.measure == "glucose" || k.measure == "potassium") && d.substance != k.measure && d.effects.empty())
      src.fail("/kinetics/measure", "this drug changes no " + k.measure);
    if (k.measure == "plasma" && !d.substance.empty())
      src.fail("/kinetics/measure", "a substance (dextrose, potassium) has no plasma compartment");
    k.threshold = src.number_or("/kinetics/threshold", 0, 0, 1e9);
    k.threshold_fraction = src.number_or("/kinetics/threshold_fraction", 0.2, 0.01, 0.99);
    k.half_life_note = src.string_or("/kinetics/half_life_note", "");
    auto range = [&](const char* key, double* lo, double* hi) {
      const std::string p = std::string("/kinetics/") + key;
      if (!src.has(p)) return;
      const json& a = src.array(p);
      if (a.size() != 2) src.fail(p, std::string(key) + " must be [low, high] in minutes");
      *lo = src.number(p + "/0", 0, 1e5);
      *hi = src.number(p + "/1", *lo, 1e5);
    };
    range("onset_min", &k.onset_lo, &k.onset_hi);
    range("peak_min", &k.peak_lo, &k.peak_hi);
    range("duration_min", &k.duration_lo, &k.duration_hi);
    range("half_life_min", &k.half_life_lo, &k.half_life_hi);
    k.source = src.string("/kinetics/source");
  }
  return d;
}

const DoseLimit* DrugSpec::bolus_limit(const std::string& route) const {
  auto it = bolus_limits.find(route);
  if (it == bolus_limits.end()) it = bolus_limits.find("*");
  return it == bolus_limits.end() ? nullptr : &it->second;
}

ConditionSpec load_condition(const std::string& path) {
  const JsonSource src = JsonSource::load(path);
  src.check_keys("",
                 {"name", "title", "aliases", "description", "sources", "onset_hours", "severity", "demographics",
                  "comorbidities", "effects", "initial_drugs", "treatments", "presenting_complaint", "history",
                  "findings", "investigations", "rubric", "setting", "rhythm"},
                 {"name", "title", "sources", "onset_hours", "effects", "presenting_complaint", "findings", "rubric"});
  ConditionSpec c;
  c.file = path;
  c.name = lower(src.string("/name"));
  c.title = src.string("/title");
  c.aliases = strings(src, "/aliases");
  for (auto& a : c.aliases) a = lower(a);
  c.description = src.string_or("/description", "");
  c.sources = strings(src, "/sources");
  if (c.sources.empty()) src.fail("/sources", "a condition needs at least one source");
  c.setting = src.string_or("/setting", c.setting);
  src.check_keys("/onset_hours", {"min", "max"}, {"min", "max"});
  c.onset_min_hours = src.number("/onset_hours/min", 0.05, 240);
  c.onset_max_hours = src.number("/onset_hours/max", c.onset_min_hours, 240);
  if (src.has("/severity")) {
    src.check_keys("/severity", {"mild", "moderate", "severe"}, {"mild", "moderate", "severe"});
    c.severity_weights = by_severity(src, "/severity", 0, 1000);
    if (c.severity_weights[0] + c.severity_weights[1] + c.severity_weights[2] <= 0)
      src.fail("/severity", "severity weights must not all be zero");
  }
  if (src.has("/demographics")) {
    src.check_keys("/demographics", {"age_mean", "age_sd", "age_min", "age_max", "female_fraction"});
    c.age_min = src.number_or("/demographics/age_min", c.age_min, 2, 110);
    c.age_max = src.number_or("/demographics/age_max", c.age_max, c.age_min, 110);
    c.age_mean = src.number_or("/demographics/age_mean", c.age_mean, 2, 110);
    c.age_sd = src.number_or("/demographics/age_sd", c.age_sd, 0, 50);
    c.female_fraction = src.number_or("/demographics/female_fraction", c.female_fraction, 0, 1);
  }
  if (src.has("/comorbidities")) {
    const json& o = src.object("/comorbidities");
    for (auto it = o.begin(); it != o.end(); ++it)
      c.comorbidities[it.key()] = src.number("/comorbidities/" + pointer_key(it.key()), 0, 1);
  }
  const json& effects = src.array("/effects");
  if (effects.empty()) src.fail("/effects", "a condition needs at least one effect");
  for (size_t i = 0; i < effects.size(); ++i) {
    const std::string p = "/effects/" + std::to_string(i);
    src.check_keys(p, {"target", "mild", "moderate", "severe", "ramp_hours", "growth_per_hour", "max", "note"},
                   {"target", "mild", "moderate", "severe"});
    EffectSpec e;
    e.target = mod_at(src, p + "/target");
    e.by_severity = by_severity(src, p, -1e6, 1e6);
    e.ramp_hours = src.number_or(p + "/ramp_hours", e.ramp_hours, 0.001, 100);
    e.growth_per_hour = src.number_or(p + "/growth_per_hour", 0, -10, 10);
    if (src.has(p + "/max")) e.max = src.number(p + "/max", 0, 1e6);
    c.effects.push_back(e);
  }
  if (src.has("/initial_drugs")) {
    const json& a = src.array("/initial_drugs");
    for (size_t i = 0; i < a.size(); ++i) {
      const std::string p = "/initial_drugs/" + std::to_string(i);
      src.check_keys(p, {"drug", "route", "per_kg", "note"}, {"drug", "route", "per_kg"});
      InitialDrug d;
      d.drug = lower(src.string(p + "/drug"));
      d.route = src.string(p + "/route");
      src.check_keys(p + "/per_kg", {"mild", "moderate", "severe"}, {"mild", "moderate", "severe"});
      d.per_kg = by_severity(src, p + "/per_kg", 0, 1e6);
      c.initial_drugs.push_back(d);
    }
  }
  if (src.has("/treatments")) {
    const json& a = src.array("/treatments");
    for (size_t i = 0; i < a.size(); ++i) {
      const std::string p = "/treatments/" + std::to_string(i);
      src.check_keys(p, {"by", "targets", "mode", "delay_hours", "half_life_hours", "severities", "note"}, {"by", "mode"});
      TreatmentSpec t;
      t.by = lower(src.string(p + "/by"));
      if (src.has(p + "/targets")) {
        const json& ts = src.array(p + "/targets");
        for (size_t k = 0; k < ts.size(); ++k) t.targets.push_back(mod_at(src, p + "/targets/" + std::to_string(k)));
      }
      const std::string mode = src.string(p + "/mode");
      if (mode == "resolve")
        t.mode = TreatmentMode::kResolve;
      else if (mode == "decay")
        t.mode = TreatmentMode::kDecay;
      else if (mode == "halt")
        t.mode = TreatmentMode::kHalt;
      else
        src.fail(p + "/mode", "mode must be 'resolve', 'decay' or 'halt'");
      t.delay_hours = src.number_or(p + "/delay_hours", 0, 0, 240);
      t.half_life_hours = src.number_or(p + "/half_life_hours", 1, 0.01, 1000);
      if (src.has(p + "/severities")) {
        const json& sv = src.array(p + "/severities");
        if (sv.empty()) src.fail(p + "/severities", "severities must name at least one of mild, moderate, severe");
        t.severities = {false, false, false};
        for (size_t k = 0; k < sv.size(); ++k) {
          const std::string q = p + "/severities/" + std::to_string(k), name = src.string(q);
          if (name == "mild")
            t.severities[kMild] = true;
          else if (name == "moderate")
            t.severities[kModerate] = true;
          else if (name == "severe")
            t.severities[kSevere] = true;
          else
            src.fail(q, "a severity is 'mild', 'moderate' or 'severe', not '" + name + "'");
        }
      }
      t.note = src.string_or(p + "/note", "");
      c.treatments.push_back(t);
    }
  }
  c.presenting_complaint = src.string("/presenting_complaint");
  if (src.has("/history")) {
    const json& a = src.array("/history");
    for (size_t i = 0; i < a.size(); ++i) {
      const std::string p = "/history/" + std::to_string(i);
      src.check_keys(p, {"topic", "keywords", "answer"}, {"topic", "keywords", "answer"});
      HistoryTopic h;
      h.topic = lower(src.string(p + "/topic"));
      h.keywords = strings(src, p + "/keywords");
      for (auto& k : h.keywords) k = lower(k);
      h.answer = src.string(p + "/answer");
      c.history.push_back(h);
    }
  }
  src.check_keys("/findings", {"mild", "moderate", "severe"}, {"mild", "moderate", "severe"});
  for (int s = 0; s < 3; ++s) c.findings[s] = strings(src, std::string("/findings/") + kSeverities[s]);
  if (src.has("/investigations")) {
    const json& o = src.object("/investigations");
    for (auto it = o.begin(); it != o.end(); ++it)
      c.investigations[lower(it.key())] = src.string("/investigations/" + pointer_key(it.key()));
  }
  c.rubric = src.string("/rubric");
  if (src.has("/rhythm")) {
    src.check_keys("/rhythm", {"kind", "rate_bpm", "before_presentation_min", "note"}, {"kind"});
    // One rhythm, or one per severity ({"mild": "av_block_nodal", "moderate": ..., "severe": ...}).
    const bool per_severity = src.root().at(nlohmann::json::json_pointer("/rhythm/kind")).is_object();
    if (per_severity) src.check_keys("/rhythm/kind", {"mild", "moderate", "severe"}, {"mild", "moderate", "severe"});
    bool needs_rate = false;
    for (int s = 0; s < 3; ++s) {
      const std::string p = per_severity ? std::string("/rhythm/kind/") + kSeverities[s] : "/rhythm/kind";
      c.rhythm.kind[s] = lower(src.string(p));
      Rhythm r;
      if (!rhythm_from_name(c.rhythm.kind[s], &r) || r == Rhythm::kAsystole)
        src.fail(p, "rhythm must be sinus, af, av_block_nodal, complete_heart_block, vf or pulseless_vt");
      needs_rate = needs_rate || r == Rhythm::kAf || r == Rhythm::kAvBlockNodal || r == Rhythm::kCompleteHeartBlock;
    }
    if (src.has("/rhythm/rate_bpm")) {
      src.check_keys("/rhythm/rate_bpm", {"mild", "moderate", "severe"}, {"mild", "moderate", "severe"});
      c.rhythm.rate_bpm = by_severity(src, "/rhythm/rate_bpm", 15, 250);
    } else if (needs_rate) {
      src.fail("/rhythm", "this rhythm needs rate_bpm by severity");
    }
    if (src.has("/rhythm/before_presentation_min")) {
      src.check_keys("/rhythm/before_presentation_min", {"mild", "moderate", "severe"}, {"mild", "moderate", "severe"});
      c.rhythm.before_min = by_severity(src, "/rhythm/before_presentation_min", 0, 60);
      for (int s = 0; s < 3; ++s)
        if (c.rhythm.before_min[s] > c.onset_min_hours * 60)
          src.fail("/rhythm/before_presentation_min", "the rhythm cannot start before the condition's onset");
    }
  }
  return c;
}

Rubric load_rubric(const std::string& path) {
  const JsonSource src = JsonSource::load(path);
  src.check_keys("", {"name", "title", "sources", "items", "harmful_dose_penalty", "refused_order_penalty"},
                 {"name", "title", "sources", "items"});
  Rubric r;
  r.file = path;
  r.name = lower(src.string("/name"));
  r.title = src.string("/title");
  r.sources = strings(src, "/sources");
  r.harmful_dose_penalty = src.number_or("/harmful_dose_penalty", r.harmful_dose_penalty, 0, 100);
  r.refused_order_penalty = src.number_or("/refused_order_penalty", r.refused_order_penalty, 0, 100);
  auto criterion = [&](const std::string& p) {
    src.check_keys(p, {"variable", "below", "at_least"}, {"variable"});
    Criterion c;
    c.variable = src.string(p + "/variable");
    double dummy;
    if (!Vitals().get(c.variable, &dummy)) src.fail(p + "/variable", "unknown variable '" + c.variable + "'");
    if (src.has(p + "/below")) c.below = src.number(p + "/below", -1e9, 1e9);
    if (src.has(p + "/at_least")) c.at_least = src.number(p + "/at_least", -1e9, 1e9);
    if (std::isnan(c.below) == std::isnan(c.at_least))
      src.fail(p, "a criterion needs exactly one of 'below' or 'at_least'");
    return c;
  };
  const json& items = src.array("/items");
  std::set<std::string> ids;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string p = "/items/" + std::to_string(i);
    src.check_keys(p,
                   {"id", "text", "kind", "points", "action", "within_min", "late_points", "before", "min_total_per_kg",
                    "max_total_per_kg", "when", "when_after_min", "target", "first_only", "during", "for_min"},
                   {"id", "text", "kind", "points"});
    RubricItem it;
    it.id = src.string(p + "/id");
    if (!ids.insert(it.id).second) src.fail(p + "/id", "duplicate item id '" + it.id + "'");
    it.text = src.string(p + "/text");
    it.kind = src.string(p + "/kind");
    if (it.kind != "do" && it.kind != "avoid" && it.kind != "target" && it.kind != "avoid_sustained")
      src.fail(p + "/kind", "kind must be 'do', 'avoid', 'target' or 'avoid_sustained'");
    it.points = src.number(p + "/points", 0, 1000);
    if (it.kind == "do" || it.kind == "avoid") it.action = lower(src.string(p + "/action"));
    it.within_min = src.number_or(p + "/within_min", -1, -1, 100000);
    it.late_points = src.number_or(p + "/late_points", 0, 0, it.points);
    it.before = lower(src.string_or(p + "/before", ""));
    it.min_total_per_kg = src.number_or(p + "/min_total_per_kg", 0, 0, 1e6);
    it.max_total_per_kg = src.number_or(p + "/max_total_per_kg", 0, 0, 1e6);
    if (src.has(p + "/when")) {
      const json& w = src.array(p + "/when");
      for (size_t k = 0; k < w.size(); ++k) it.when.push_back(criterion(p + "/when/" + std::to_string(k)));
    }
    it.when_after_min = src.number_or(p + "/when_after_min", 0, 0, 100000);
    if (src.has(p + "/first_only")) {
      const json& v = src.root().at(json::json_pointer(p + "/first_only"));
      if (!v.is_boolean()) src.fail(p + "/first_only", "'first_only' must be true or false");
      it.first_only = v.get<bool>();
    }
    if (it.kind == "avoid_sustained") {
      if (!src.has(p + "/target")) src.fail(p, "an 'avoid_sustained' item needs 'target' (the state to avoid)");
      it.target = criterion(p + "/target");
      it.during = lower(src.string_or(p + "/during", ""));
      it.for_min = src.number_or(p + "/for_min", 0, 0, 100000);
    }
    if (it.kind == "target") {
      if (!src.has(p + "/target")) src.fail(p, "a 'target' item needs 'target'");
      it.target = criterion(p + "/target");
      if (it.within_min < 0) src.fail(p, "a 'target' item needs 'within_min'");
    }
    r.items.push_back(it);
  }
  return r;
}

std::string Catalog::default_dir() {
  if (const char* e = std::getenv("MEDGEN_SIM_DATA"); e && *e) return e;
  const std::string built = std::string(MEDGEN_DATA_DIR) + "/sim";
  if (fs::is_directory(built)) return built;
  return "data/sim";
}

Catalog Catalog::load(const std::string& dir, const std::string& extra_conditions) {
  if (!fs::is_directory(dir)) throw InvalidInput(dir + ": simulator data folder not found");
  Catalog c;
  c.dir = dir;
  for (const auto& f : json_files(fs::path(dir) / "drugs")) c.drugs.push_back(load_drug(f.string()));
  for (const auto& f : json_files(fs::path(dir) / "guidelines")) {
    Rubric r = load_rubric(f.string());
    const std::string name = r.name;
    if (c.rubrics.count(name)) throw InvalidInput(f.string() + ": duplicate rubric name '" + name + "'");
    c.rubrics[name] = std::move(r);
  }
  std::vector<fs::path> cond = json_files(fs::path(dir) / "conditions");
  if (!extra_conditions.empty()) {
    if (fs::is_directory(extra_conditions)) {
      for (const auto& f : json_files(extra_conditions)) cond.push_back(f);
    } else if (fs::exists(extra_conditions)) {
      cond.push_back(extra_conditions);
    } else {
      throw InvalidInput(extra_conditions + ": no such condition file or folder");
    }
  }
  for (const auto& f : cond) {
    ConditionSpec s = load_condition(f.string());
    for (auto& existing : c.conditions)
      if (existing.name == s.name) {  // a later file (the educator's) replaces an embedded one
        existing = std::move(s);
        s.name.clear();
        break;
      }
    if (!s.name.empty()) c.conditions.push_back(std::move(s));
  }
  {
    const std::string path = (fs::path(dir) / "comorbidities.json").string();
    const JsonSource src = JsonSource::load(path);
    const json& o = src.object("");
    for (auto it = o.begin(); it != o.end(); ++it) {
      const std::string p = "/" + pointer_key(it.key());
      src.check_keys(p, {"history", "params"}, {"history"});
      ComorbiditySpec cm;
      cm.name = it.key();
      cm.history = src.string(p + "/history");
      if (src.has(p + "/params")) {
        const json& pr = src.object(p + "/params");
        for (auto jt = pr.begin(); jt != pr.end(); ++jt) {
          static const std::set<std::string> kParams = {
              "hr_bpm",          "map_mmhg",      "hb_g_dl",   "glucose_mmol_l",       "creatinine_umol_l",
              "baroreflex_gain", "contractility", "add_shunt", "add_va_mismatch_mmhg", "insulin_sensitivity",
              "weight_kg"};
          if (!kParams.count(jt.key()))
            src.fail(p + "/params/" + pointer_key(jt.key()), "unknown parameter '" + jt.key() + "'");
          cm.params[jt.key()] = src.number(p + "/params/" + pointer_key(jt.key()), -100, 100);
        }
      }
      c.comorbidities[cm.name] = cm;
    }
  }
  {
    const std::string path = (fs::path(dir) / "orders.json").string();
    const JsonSource src = JsonSource::load(path);
    const json& a = src.array("/orders");
    for (size_t i = 0; i < a.size(); ++i) {
      const std::string p = "/orders/" + std::to_string(i);
      src.check_keys(p, {"name", "title", "kind", "aliases", "turnaround_min", "results", "note"},
                     {"name", "kind", "turnaround_min"});
      OrderSpec o;
      o.name = lower(src.string(p + "/name"));
      o.title = src.string_or(p + "/title", o.name);
      o.kind = src.string(p + "/kind");
      o.aliases = strings(src, p + "/aliases");
      for (auto& x : o.aliases) x = lower(x);
      o.turnaround_min = src.number(p + "/turnaround_min", 0, 100000);
      o.results = strings(src, p + "/results");
      for (size_t k = 0; k < o.results.size(); ++k) {
        double dummy;
        if (!Vitals().get(o.results[k], &dummy))
          src.fail(p + "/results/" + std::to_string(k), "unknown result variable '" + o.results[k] + "'");
      }
      o.note = src.string_or(p + "/note", "");
      c.orders.push_back(o);
    }
  }
  // Cross-references: rubric names, initial drugs, comorbidities.
  for (const auto& cond_spec : c.conditions) {
    if (!c.rubrics.count(cond_spec.rubric))
      throw InvalidInput(cond_spec.file + ": rubric '" + cond_spec.rubric + "' not found in " + dir + "/guidelines");
    for (const auto& d : cond_spec.initial_drugs) {
      const DrugSpec* ds = c.find_drug(d.drug);
      if (!ds) throw InvalidInput(cond_spec.file + ": initial drug '" + d.drug + "' not found in " + dir + "/drugs");
      if (!ds->routes.count(d.route))
        throw InvalidInput(cond_spec.file + ": initial drug '" + d.drug + "' has no route '" + d.route + "'");
    }
    for (const auto& [name, prob] : cond_spec.comorbidities)
      if (!c.comorbidities.count(name))
        throw InvalidInput(cond_spec.file + ": comorbidity '" + name + "' not found in comorbidities.json");
  }
  return c;
}

const DrugSpec* Catalog::find_drug(const std::string& n) const {
  const std::string k = lower(n);
  for (const auto& d : drugs) {
    if (d.name == k) return &d;
    for (const auto& a : d.aliases)
      if (a == k) return &d;
  }
  return nullptr;
}

int Catalog::drug_index(const std::string& n) const {
  const DrugSpec* d = find_drug(n);
  return d ? static_cast<int>(d - drugs.data()) : -1;
}

const ConditionSpec* Catalog::find_condition(const std::string& n) const {
  const std::string k = lower(n);
  for (const auto& c : conditions) {
    if (c.name == k) return &c;
    for (const auto& a : c.aliases)
      if (a == k) return &c;
  }
  return nullptr;
}

const OrderSpec* Catalog::find_order(const std::string& n) const {
  const std::string k = lower(n);
  for (const auto& o : orders) {
    if (o.name == k) return &o;
    for (const auto& a : o.aliases)
      if (a == k) return &o;
  }
  return nullptr;
}

nlohmann::json Catalog::summary_json() const {
  nlohmann::json j;
  for (const auto& c : conditions)
    j["conditions"].push_back(
        {{"name", c.name}, {"title", c.title}, {"aliases", c.aliases}, {"rubric", c.rubric}, {"file", c.file}});
  for (const auto& d : drugs)
    j["drugs"].push_back({{"name", d.name}, {"aliases", d.aliases}, {"classes", d.classes}, {"unit", d.amount_unit}});
  for (const auto& r : orders) j["orders"].push_back({{"name", r.name}, {"turnaround_min", r.turnaround_min}});
  return j;
}

}  // namespace medgen::sim
