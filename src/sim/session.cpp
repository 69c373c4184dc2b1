#include "medgen/sim/session.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "medgen/core/error.h"
#include "medgen/sim/order_safety.h"
#include "medgen/sim/team.h"

namespace medgen::sim {

namespace {

std::string fmt(const char* f, double x) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

// Sustained derangements that end in cardiac arrest (seconds they must last).
struct Lethal {
  const char* variable;
  bool low;
  double limit, seconds;
  const char* cause;
};
const Lethal kLethal[] = {
    {"map", true, 35, 120, "profound hypotension"},
    {"spo2", true, 55, 180, "hypoxaemia"},
    {"potassium", false, 7.8, 60, "hyperkalaemia"},
    {"potassium", true, 2.0, 120, "hypokalaemia"},
    {"ph", true, 6.8, 300, "acidaemia"},
    {"glucose", true, 1.0, 900, "hypoglycaemia"},
    // Oxygen delivery below half the critical ~8 mL/kg/min (Shibutani 1983) for 20 minutes: the
    // tissues cannot be kept alive however the pressure is held (exsanguination, profound anaemia).
    {"do2_per_kg", true, 4.0, 1200, "critical oxygen delivery"},
};
constexpr size_t kNumLethal = sizeof(kLethal) / sizeof(kLethal[0]);

const char* kHelp =
    "actions (free text; several separated by ';'):\n"
    "  ask about allergies | ask about pain | ask about medications | examine | vitals\n"
    "  order lactate | order blood cultures | order blood gas | order ecg | order chest x-ray | order fbc\n"
    "  give epinephrine 0.5 mg im | norepinephrine 0.1 mcg/kg/min | stop norepinephrine\n"
    "  insulin 0.1 units/kg/h | dextrose 50 ml iv | potassium chloride 10 mmol/h | ceftriaxone 2 g iv\n"
    "  fluids 30 ml/kg | bolus 500 ml over 15 min | blood 2 units | stop fluids\n"
    "  oxygen 15 l/min | oxygen 40% | oxygen off | intubate | check etco2\n"
    "  ventilator rr 14 vt 6 ml/kg peep 8 fio2 0.6 | set peep 10 | niv ipap 15 epap 5 | cpap 10 | stop niv\n"
    "  needle decompression | chest drain | haemorrhage control | tourniquet | release tourniquet | pci\n"
    "  ultrasound-guided ij central line | subclavian line\n"
    "  start cpr | hold compressions | shock 200 J | cardiovert 120 J synchronised | start pacing at 70 | stop pacing\n"
    "  silence alarms 2 min | acknowledge alarms\n"
    "  wait 5 min | end";

// Complications of the procedures (see docs/simulation.md for the sources and what is a rule of the model).
constexpr double kTourniquetWarnS = 2 * 3600.0;  // ischaemia beyond ~2 h of tourniquet time
constexpr double kCentralLineS = 600;            // a central line takes ~10 min to place and confirm

EffectCourse course(Mod target, double base, double ramp_s, double resolve_after_s = -1, double growth_per_h = 0,
                    double max_abs = 1e300) {
  EffectCourse c;
  c.target = target;
  c.base = base;
  c.ramp_s = ramp_s;
  c.resolve_at_s = resolve_after_s;  // relative here; complicate() makes it absolute
  c.growth_per_s = growth_per_h / 3600.0;
  c.max_abs = max_abs;
  return c;
}

// One splitmix64 step of `state`, as a uniform draw in [0, 1).
double splitmix_uniform(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / 9007199254740992.0;
}

bool has(const std::vector<std::string>& tags, const std::string& t) {
  return std::find(tags.begin(), tags.end(), t) != tags.end();
}

}  // namespace

CentralLineRisk central_line_risk(const std::string& site, bool ultrasound) {
  // Landmark technique (McGee & Gould, NEJM 2003, table 2): arterial puncture IJ 6.3-9.4%, subclavian 3.1-4.9%,
  // femoral 9.0-15.0%; pneumothorax IJ 0.1-0.2%, subclavian 1.5-3.1%, femoral none. Midpoints here. Ultrasound
  // guidance cuts arterial puncture and other complications to ~0.3 of the landmark rate (Brass et al., Cochrane
  // 2015: IJ arterial puncture RR 0.28, total complications RR 0.29); the same factor for pneumothorax (to check).
  CentralLineRisk r;
  if (site == "subclavian") {
    r.arterial_puncture = 0.04;
    r.pneumothorax = 0.023;
  } else if (site == "femoral") {
    r.arterial_puncture = 0.12;
    r.pneumothorax = 0;
  } else {
    r.arterial_puncture = 0.078;
    r.pneumothorax = 0.0015;
  }
  if (ultrasound) {
    r.arterial_puncture *= 0.3;
    r.pneumothorax *= 0.3;
  }
  return r;
}

double Session::comp_draw() { return splitmix_uniform(&comp_rng_); }

void Session::complicate(std::vector<Event>* out, const std::string& id, const std::string& text,
                         std::vector<EffectCourse> courses, int action, bool announce) {
  Complication k;
  k.t_s = t_s_;
  k.id = id;
  k.text = text;
  k.action = action;
  auto& cs = phys_.courses();
  const double now = onset_s_ + t_s_;
  k.first_course = cs.size();
  k.num_courses = courses.size();
  for (EffectCourse c : courses) {
    c.start_s = now;
    if (c.resolve_at_s >= 0) c.resolve_at_s += now;
    if (c.decay_from_s >= 0) c.decay_from_s += now;
    if (c.halt_at_s >= 0) c.halt_at_s += now;
    cs.push_back(c);
  }
  complications_.push_back(k);
  if (action >= 0 && static_cast<size_t>(action) < actions_.size()) {
    auto& tags = actions_[action].tags;
    if (!has(tags, "complication")) tags.push_back("complication");
    tags.push_back("complication:" + id);
  }
  if (announce) emit(out, "event", "COMPLICATION: " + text);
}

void Session::recognise_oesophageal(std::vector<Event>* out) {
  Complication& k = complications_[oesophageal_];
  k.treated = true;
  auto& cs = phys_.courses();
  for (size_t i = k.first_course; i < k.first_course + k.num_courses && i < cs.size(); ++i) cs[i].resolve_at_s = onset_s_ + t_s_;
  Ventilation v = phys_.ventilation();
  v.oesophageal = false;
  phys_.set_ventilation(v);
  if (!oesophageal_reported_) emit(out, "event", "COMPLICATION: " + k.text);
  oesophageal_reported_ = true;
  emit(out, "event", "oesophageal intubation recognised by capnography (no ETCO2 trace): tube removed, re-intubated, "
                     "ETCO2 trace present");
  if (k.action >= 0 && static_cast<size_t>(k.action) < actions_.size())
    actions_[k.action].tags.push_back("oesophageal_intubation:recognised");
}

bool Session::pneumothorax_present() const {
  for (const EffectSpec& e : cond_->effects)
    if (e.target == Mod::kIntrathoracicMmhg) return true;
  for (const Complication& k : complications_)
    if (!k.treated && k.id.find("pneumothorax") != std::string::npos) return true;
  return false;
}

void Session::treat_pneumothorax() {
  auto& cs = phys_.courses();
  const double now = onset_s_ + t_s_;
  for (Complication& k : complications_) {
    if (k.treated || k.id.find("pneumothorax") == std::string::npos) continue;
    k.treated = true;
    for (size_t i = k.first_course; i < k.first_course + k.num_courses && i < cs.size(); ++i)
      if (cs[i].resolve_at_s < 0 || cs[i].resolve_at_s > now) cs[i].resolve_at_s = now;
  }
}

void Session::check_procedures(std::vector<Event>* out, double dt) {
  if (central_line_at_s_ >= 0 && !central_reported_ && t_s_ >= central_line_at_s_ - 1e-9) {
    central_reported_ = true;
    emit(out, "result", "central line in and confirmed: central venous access; CVP " +
                            fmt("%.0f", phys_.vitals().cvp_mmhg) + " mmHg");
  }
  if (tourniquet_on_s_ >= 0 && !tourniquet_warned_ && t_s_ - tourniquet_on_s_ >= kTourniquetWarnS - 1e-9) {
    tourniquet_warned_ = true;
    complicate(out, "tourniquet_ischaemia",
               "tourniquet on for 2 h: limb ischaemia (nerve and muscle injury) grows with every further hour; "
               "convert to definitive haemorrhage control and release it",
               {}, tourniquet_action_);
  }
  const Ventilation& vent = phys_.ventilation();
  if (!vent.intubated) return;
  if (oesophageal_ >= 0 && !oesophageal_reported_ && t_s_ - complications_[oesophageal_].t_s >= 120 - 1e-9) {
    // Unrecognised: it shows itself as falling saturation and no chest movement, and is logged for the debrief.
    oesophageal_reported_ = true;
    emit(out, "event", "COMPLICATION: " + complications_[oesophageal_].text);
  }
  const Vitals v = phys_.vitals();
  if (v.arrested) return;
  // Barotrauma: a cumulative hazard of 0.2% per minute per mL/kg of tidal volume above 10 and per cmH2O of plateau
  // pressure above 30 (a rule of the model), against an exponential threshold drawn once from the seed.
  const double hazard_per_min = 0.002 * (std::max(0.0, vent.tidal_ml_per_kg - 10.0) + std::max(0.0, v.plateau_cmh2o - 30.0));
  if (hazard_per_min > 0 && baro_limit_ < 1e300) {
    if (baro_limit_ < 0) baro_limit_ = -std::log(1.0 - comp_draw());
    baro_hazard_ += hazard_per_min * dt / 60.0;
    if (baro_hazard_ >= baro_limit_) {
      baro_limit_ = 1e301;
      complicate(out, "barotrauma_pneumothorax",
                 "barotrauma: tension pneumothorax under positive-pressure ventilation (tidal volume " +
                     fmt("%.1f", vent.tidal_ml_per_kg) + " ml/kg, plateau " + fmt("%.0f", v.plateau_cmh2o) + " cmH2O)",
                 {course(Mod::kIntrathoracicMmhg, 5, 300, -1, 1.0, 20), course(Mod::kShunt, 0.12, 300)}, vent_action_);
    }
  }
  if (!hyperinflation_reported_ && v.auto_peep_cmh2o > 8) {
    hyperinflation_reported_ = true;
    complicate(out, "dynamic_hyperinflation",
               "dynamic hyperinflation: breath stacking at RR " + fmt("%.0f", vent.rr_per_min) + " builds auto-PEEP " +
                   fmt("%.0f", v.auto_peep_cmh2o) +
                   " cmH2O (expiration too short for the bronchospasm); venous return and blood pressure fall",
               {}, vent_action_);
  }
}

double Session::next_draw() { return splitmix_uniform(&rng_); }

std::string Session::clock(double t) {
  const long s = std::lround(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "+%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

Session::Session(const Catalog& catalog, const Case& c, const SessionOptions& options)
    : cat_(&catalog), cond_(catalog.find_condition(c.condition)), opt_(options), case_(c), phys_(c.patient, &catalog.drugs) {
  if (!cond_) throw InvalidInput("unknown condition '" + c.condition + "' (see 'medgen sim list')");
  const double w = c.patient.weight_kg;
  std::vector<EffectCourse> courses;
  for (const EffectSpec& e : cond_->effects) {
    EffectCourse k;
    k.target = e.target;
    k.base = e.by_severity[c.severity];
    k.ramp_s = e.ramp_hours * 3600.0;
    k.growth_per_s = e.growth_per_hour / 3600.0;
    k.max_abs = e.max;
    courses.push_back(k);
  }
  phys_.set_courses(courses);
  for (const InitialDrug& d : cond_->initial_drugs) {
    const int k = catalog.drug_index(d.drug);
    phys_.give_drug(k, d.per_kg[c.severity] * w, d.route);
  }
  onset_s_ = c.onset_hours * 3600.0;
  // splitmix64 stream from the case's seed (the same case gives the same draws).
  rng_ = c.seed * 0x9E3779B97F4A7C15ULL + 0x5AD1EC0FFEEULL;
  comp_rng_ = c.seed * 0xD1B54A32D192ED03ULL + 0xC0411CA7E5ULL;
  prognosis_u_ = next_draw();
  pace_threshold_ma_ = 40 + 50 * next_draw();  // transcutaneous capture thresholds are typically 40-90 mA
  Rhythm r = Rhythm::kSinus;
  if (!cond_->rhythm.kind[c.severity].empty() && rhythm_from_name(cond_->rhythm.kind[c.severity], &r) &&
      r != Rhythm::kSinus) {
    const double before_s = cond_->rhythm.before_min[c.severity] * 60.0;
    if (before_s >= 0 && before_s < onset_s_) phys_.advance(onset_s_ - before_s);
    phys_.set_rhythm(r, cond_->rhythm.rate_bpm[c.severity]);
    phys_.advance(onset_s_ - phys_.time_s());
  } else {
    phys_.advance(onset_s_);
  }
  danger_since_.assign(kNumLethal, -1);
  limits_ = opt_.alarms.empty() ? default_alarm_limits() : opt_.alarms;
  alarm_on_.assign(limits_.size(), -1);
  next_reminder_s_.assign(limits_.size(), 0);
  samples_.push_back({0, phys_.vitals()});
  next_sample_s_ = 60;
  // Alarms already present on arrival are shown once, at time 0.
  std::vector<Event> first;
  check(&first);
}

void Session::emit(std::vector<Event>* out, const std::string& kind, const std::string& text) {
  Event e{t_s_, kind, text, kind == "alarm" || kind == "result" || kind == "event" ? "" : by_.id};
  log_.push_back(e);
  if (out) out->push_back(e);
}

bool Session::shown_vitals(Vitals* v) const {
  if (!monitor_attached()) return false;
  *v = phys_.vitals();
  return true;
}

std::string Session::briefing() const {
  if (!opt_.examiner) return case_.vignette;
  // The vignette ends with "On arrival: <vitals>. Examination: <findings>." (present_case).
  const size_t at = case_.vignette.find(" On arrival:");
  return case_.vignette.substr(0, at) +
         " (Examiner mode: attach the monitor, check vital signs and examine to find out more.)";
}

std::string Session::monitor_line() const {
  if (!monitor_attached()) return clock(t_s_) + "  monitor not attached";
  return true_monitor_line();
}

std::string Session::true_monitor_line() const {
  const Vitals v = phys_.vitals();
  char buf[256];
  if (v.arrested) {
    const char* rh = v.rhythm == Rhythm::kVf ? "VF  " : v.rhythm == Rhythm::kPulselessVt ? "pulseless VT  " : "";
    std::snprintf(buf, sizeof buf, "%s  CARDIAC ARREST  %sno pulse  SpO2 --  %s%s", clock(t_s_).c_str(), rh,
                  v.cpr ? ("(CPR: MAP " + fmt("%.0f", v.map_mmhg) + ")  ").c_str() : "", dead_ ? "(dead)" : "");
    return buf;
  }
  std::snprintf(buf, sizeof buf,
                "%s  HR %3.0f  BP %3.0f/%-3.0f (%3.0f)  RR %2.0f  SpO2 %3.0f%% (FiO2 %.2f)  T %.1f  GCS %s",
                clock(t_s_).c_str(), v.hr_bpm, v.sbp_mmhg, v.dbp_mmhg, v.map_mmhg, v.rr_per_min, v.spo2_pct, v.fio2,
                v.temp_c, v.intubated ? "3T" : std::to_string(static_cast<int>(std::lround(v.gcs))).c_str());
  std::string line = buf;
  if (v.paced) line += "  (paced)";
  else if (v.rhythm == Rhythm::kAf) line += "  (AF)";
  else if (v.rhythm == Rhythm::kAvBlockNodal) line += "  (2:1 AV block)";
  else if (v.rhythm == Rhythm::kCompleteHeartBlock) line += "  (CHB)";
  return line;
}

void Session::apply_treatments(const std::vector<std::string>& tags) {
  auto& courses = phys_.courses();
  const double now = onset_s_ + t_s_;
  for (const TreatmentSpec& tr : cond_->treatments) {
    if (std::find(tags.begin(), tags.end(), tr.by) == tags.end()) continue;
    if (!tr.severities[case_.severity]) continue;
    for (size_t i = 0; i < courses.size() && i < cond_->effects.size(); ++i) {
      if (!tr.targets.empty() && std::find(tr.targets.begin(), tr.targets.end(), courses[i].target) == tr.targets.end())
        continue;
      EffectCourse& c = courses[i];
      const double at = now + tr.delay_hours * 3600.0;
      switch (tr.mode) {
        case TreatmentMode::kResolve:
          if (c.resolve_at_s < 0 || at < c.resolve_at_s) c.resolve_at_s = at;
          break;
        case TreatmentMode::kDecay:
          if (c.decay_from_s < 0 || at < c.decay_from_s) {
            c.decay_from_s = at;
            c.decay_half_life_s = tr.half_life_hours * 3600.0;
          }
          if (c.halt_at_s < 0 || at < c.halt_at_s) c.halt_at_s = at;
          break;
        case TreatmentMode::kHalt:
          if (c.halt_at_s < 0 || at < c.halt_at_s) c.halt_at_s = at;
          break;
      }
    }
  }
}

std::vector<Event> Session::act(const std::string& text, const Actor& by) {
  std::vector<Event> out;
  by_ = by;
  if (!opt_.team.empty() && !by.id.empty()) {
    const Actor* m = nullptr;
    for (const auto& x : opt_.team)
      if (x.id == by.id) m = &x;
    if (!m) {
      std::string ids;
      for (const auto& x : opt_.team) ids += (ids.empty() ? "" : ", ") + x.id;
      by_ = Actor{};
      emit(&out, "error", "unknown trainee '" + by.id + "' (the team: " + ids + ")");
      return out;
    }
    if (by_.role.empty()) by_.role = m->role;
  }
  // Several actions per line, separated by ';'.
  size_t start = 0;
  for (;;) {
    const size_t semi = text.find(';', start);
    const std::string part = text.substr(start, semi == std::string::npos ? std::string::npos : semi - start);
    if (part.find_first_not_of(" \t\r\n") != std::string::npos) {
      const Action a = parse_action(part, *cat_, *cond_, case_.patient.weight_kg);
      std::vector<Event> r = apply(a, part);
      out.insert(out.end(), r.begin(), r.end());
    }
    if (semi == std::string::npos) break;
    start = semi + 1;
  }
  by_ = Actor{};
  return out;
}

std::vector<Event> Session::apply(const Action& a, const std::string& text) {
  std::vector<Event> out;
  if (dead_) {
    emit(&out, "info", "the session has ended: the patient has died");
    return out;
  }
  const double w = case_.patient.weight_kg;
  ActionRecord rec;
  rec.t_s = t_s_;
  rec.text = text;
  rec.vitals = phys_.vitals();
  rec.by = by_;
  auto record = [&](const std::string& summary) {
    rec.summary = summary;
    rec.category = action_category(a);
    rec.out_of_role = !role_allows(rec.by.role, rec.category);
    actions_.push_back(rec);
    apply_treatments(rec.tags);
    emit(&out, "action", summary);
    if (rec.out_of_role)
      emit(&out, "warning",
           "out of role: " + rec.by.id + " (" + rec.by.role + ") did a task outside the role (" + rec.category + "): " + summary);
  };
  auto safety = [&](const std::string& drug, const std::string& outcome, const std::string& reason,
                    const std::string& typed) { safety_.push_back({t_s_, typed, drug, outcome, reason}); };
  switch (a.kind) {
    case Action::Kind::kUnknown:
      if (a.refused) safety(a.what, "refused", a.message, text);
      emit(&out, "error", a.message);
      return out;
    case Action::Kind::kConfirm: {
      if (!awaiting_confirm_) {
        emit(&out, "info", "nothing waits for confirmation");
        return out;
      }
      awaiting_confirm_ = false;
      Action c = held_;
      c.confirmed = true;
      return apply(c, held_text_);
    }
    case Action::Kind::kCancel:
      if (awaiting_confirm_) {
        awaiting_confirm_ = false;
        safety(held_.what, "cancelled", "", held_text_);
        emit(&out, "info", "cancelled: " + held_text_);
      } else {
        emit(&out, "info", "nothing to cancel");
      }
      return out;
    case Action::Kind::kHelp:
      emit(&out, "info", kHelp);
      return out;
    case Action::Kind::kSilence: {
      silenced_until_s_ = t_s_ + a.seconds;
      rec.tags = {"alarm:silence"};
      record("silenced the alarms for " + fmt("%.0f", a.seconds / 60.0) + " min");
      return out;
    }
    case Action::Kind::kAcknowledge: {
      int n = 0;
      for (size_t i = 0; i < limits_.size(); ++i)
        if (alarm_on_[i] >= 0 && alarm_log_[alarm_on_[i]].acknowledged_s < 0 && !alarm_log_[alarm_on_[i]].unseen) {
          alarm_log_[alarm_on_[i]].acknowledged_s = t_s_;
          ++n;
        }
      rec.tags = {"alarm:acknowledge"};
      record("acknowledged " + std::to_string(n) + (n == 1 ? " alarm" : " alarms"));
      return out;
    }
    case Action::Kind::kEnd:
      emit(&out, "info", "session ended by the trainee");
      return out;
    case Action::Kind::kVitals:
      if (!opt_.examiner) {
        emit(&out, "info", monitor_line());
        return out;
      }
      // Examiner mode: one spot reading, recorded (the debrief shows when vitals were checked).
      rec.tags = {"vitals"};
      record("checked vital signs");
      emit(&out, "answer", "vital signs: " + true_monitor_line());
      return out;
    case Action::Kind::kWait: {
      emit(&out, "info", "waiting " + fmt("%.0f", a.seconds / 60.0) + " min");
      std::vector<Event> r = advance(a.seconds);
      out.insert(out.end(), r.begin(), r.end());
      return out;
    }
    case Action::Kind::kExamine: {
      std::string s = "examination:";
      for (const auto& f : case_.findings) s += "\n  - " + f;
      const Vitals v = phys_.vitals();
      if (v.cvp_mmhg > 14 || v.interstitial_excess_ml > 2500)
        s += "\n  - bibasal crackles, raised JVP (fluid overload)";
      if (v.gcs < 13 && !v.intubated) s += "\n  - drowsy, GCS " + fmt("%.0f", v.gcs);
      rec.tags = {"examine"};
      record("examined the patient");
      emit(&out, "answer", s);
      return out;
    }
    case Action::Kind::kAsk: {
      std::string answer;
      for (const auto& h : cond_->history)
        if (h.topic == a.what) answer = fill_template(h.answer, case_);
      if (a.what == "allergies" && answer.empty()) answer = case_.allergies;
      if (phys_.vitals().gcs < 10 || phys_.ventilation().intubated)
        answer = "(the patient cannot answer; a relative says:) " + answer;
      rec.tags = {"ask:" + a.what, "history"};
      record("asked about " + a.what);
      emit(&out, "answer", answer);
      return out;
    }
    case Action::Kind::kOrder: {
      const OrderSpec* o = cat_->find_order(a.what);
      pending_.push_back({o, t_s_ + o->turnaround_min * 60.0, phys_.vitals()});
      rec.tags = {"order:" + o->name, o->kind};
      record("ordered " + o->title + " (result in " + fmt("%.0f", o->turnaround_min) + " min)" +
             (o->note.empty() ? "" : "; " + o->note));
      return out;
    }
    case Action::Kind::kDrug: {
      const int k = cat_->drug_index(a.what);
      const DrugSpec& d = cat_->drugs[k];
      // Checked against the drug file's limits before anything is given.
      DoseCheck chk = check_dose(d, a, w, phys_.vitals().arrested);
      // A drug of a class the patient is allergic to waits for confirmation like a soft limit.
      for (const auto& c : d.classes)
        if (chk.verdict != DoseCheck::Verdict::kRefuse && case_.allergies.find(c) != std::string::npos) {
          chk.verdict = DoseCheck::Verdict::kConfirm;
          chk.reason = (chk.reason.empty() ? "" : chk.reason + "; ") + "the patient is allergic to " + case_.allergies +
                       " and " + d.name + " is a " + c;
          break;
        }
      if (chk.verdict == DoseCheck::Verdict::kRefuse) {
        safety(d.name, "refused", chk.reason, text);
        emit(&out, "error", "refused: " + chk.reason);
        return out;
      }
      if (chk.verdict == DoseCheck::Verdict::kConfirm && !a.confirmed) {
        if (awaiting_confirm_) safety(held_.what, "cancelled", "replaced by another order", held_text_);
        awaiting_confirm_ = true;
        held_ = a;
        held_text_ = text;
        safety(d.name, "needs confirmation", chk.reason, text);
        emit(&out, "warning",
             "not given yet: " + chk.reason + ". Type 'confirm' to give it anyway, or 'cancel' (or order another dose).");
        return out;
      }
      if (awaiting_confirm_ && held_text_ != text) {
        safety(held_.what, "cancelled", "replaced by another order", held_text_);
        awaiting_confirm_ = false;
      }
      if (chk.verdict == DoseCheck::Verdict::kConfirm) {
        safety(d.name, "confirmed", chk.reason, text);
        rec.harmful = true;
      }
      rec.tags = {d.name};
      for (const auto& c : d.classes) rec.tags.push_back(c);
      std::string summary;
      if (a.rate_per_s > 0) {
        phys_.set_infusion(k, a.rate_per_s);
        const double per_kg_h = a.rate_per_s * 3600.0 / w;
        summary = "started " + d.name + " infusion " + fmt("%.3g", per_kg_h) + " " + d.amount_unit + "/kg/h (" +
                  fmt("%.3g", per_kg_h / 60.0) + " " + d.amount_unit + "/kg/min)";
        rec.amount_per_kg = 0;
        rec.tags.push_back("infusion");
        rec.tags.push_back(d.name + ":infusion");
        if (has(rec.tags, "vasopressor")) rec.tags.push_back(central_access() ? "infusion:central" : "infusion:peripheral");
      } else {
        // An IV dose runs in over the time ordered, else at the drug's push rate (dextrose 10%: minutes).
        double over_s = a.over_s;
        if (over_s <= 0 && (a.route == "iv" || a.route == "io") && d.iv_push_per_min > 0)
          over_s = a.amount / d.iv_push_per_min * 60.0;
        if (over_s > 0 && (a.route == "iv" || a.route == "io"))
          phys_.give_drug_over(k, a.amount, over_s);
        else
          phys_.give_drug(k, a.amount, a.route);
        rec.amount_per_kg = a.amount / w;
        rec.tags.push_back(d.name + ":" + a.route);
        summary = "gave " + d.name + " " + fmt("%.4g", a.amount) + " " + d.amount_unit + " " + a.route +
                  (over_s >= 60 ? " over " + fmt("%.0f", over_s / 60.0) + " min" : "");
      }
      // A drug of a class the patient is allergic to.
      for (const auto& c : d.classes)
        if (case_.allergies.find(c) != std::string::npos) rec.harmful = true;
      if (!a.note.empty()) summary += " (" + a.note + ")";
      record(summary);
      if (rec.harmful)
        emit(&out, "warning",
             "harm: " + d.name + (a.rate_per_s > 0 ? " rate" : " dose") +
                 " exceeds the usual maximum in its drug file, or the patient is allergic to it");
      return out;
    }
    case Action::Kind::kStopDrug: {
      const int k = cat_->drug_index(a.what);
      phys_.set_infusion(k, 0);
      rec.tags = {"stop:" + a.what};
      record("stopped " + a.what);
      return out;
    }
    case Action::Kind::kFluid: {
      phys_.give_fluid(a.blood ? FluidKind::kBlood : FluidKind::kCrystalloid, a.volume_ml, a.fluid_rate_ml_s);
      rec.tags = {a.blood ? "blood" : "crystalloid", "fluids"};
      rec.amount_per_kg = a.volume_ml / w;
      record(std::string(a.blood ? "transfusing packed red cells " : "crystalloid ") + fmt("%.0f", a.volume_ml) +
             " ml (" + fmt("%.1f", a.volume_ml / w) + " ml/kg) over " +
             fmt("%.0f", a.volume_ml / a.fluid_rate_ml_s / 60.0) + " min");
      return out;
    }
    case Action::Kind::kStopFluids:
      phys_.stop_fluids();
      rec.tags = {"stop:fluids"};
      record("stopped fluids");
      return out;
    case Action::Kind::kOxygen:
      phys_.set_fio2(a.fio2);
      rec.tags = {a.fio2 > 0.21 ? "oxygen" : "stop:oxygen"};
      record(a.fio2 > 0.21 ? "oxygen, FiO2 " + fmt("%.2f", a.fio2) : "oxygen off");
      return out;
    case Action::Kind::kIntubate: {
      if (phys_.ventilation().intubated) {
        emit(&out, "info", "already intubated");
        return out;
      }
      // Done wrongly: a shocked patient (SBP < 90 or shock index > 0.9) before any fluid or vasopressor loses
      // the sympathetic tone that held the pressure (induction agents) while positive pressure cuts venous return;
      // a hypoxaemic patient (SpO2 < 93%) not preoxygenated (FiO2 < 0.5, no NIV) desaturates while apnoeic.
      const Vitals before = phys_.vitals();
      const bool was_niv = phys_.ventilation().niv;
      bool resuscitated = false;
      for (const ActionRecord& r : actions_)
        if (has(r.tags, "fluids") || has(r.tags, "blood") || (has(r.tags, "vasopressor") && has(r.tags, "infusion")))
          resuscitated = true;
      const bool shocked = !before.arrested && (before.sbp_mmhg < 90 || before.hr_bpm > 0.9 * before.sbp_mmhg);
      const bool hypoxaemic = !before.arrested && before.spo2_pct < 93 && before.fio2 < 0.5 && !was_niv;
      Ventilation v;
      v.intubated = true;
      phys_.set_ventilation(v);
      if (phys_.vitals().fio2 < 0.6) phys_.set_fio2(0.6);
      rec.tags = {"intubation", "intubate"};
      if (shocked && !resuscitated) rec.tags.push_back("intubation:unresuscitated_shock");
      if (hypoxaemic) rec.tags.push_back("intubation:not_preoxygenated");
      if (a.detail == "capnography") rec.tags.push_back("capnography");
      record("intubated and ventilated (RR 16, VT 7 ml/kg, PEEP 5, FiO2 >= 0.6)");
      vent_action_ = static_cast<int>(actions_.size()) - 1;
      const double u1 = comp_draw(), u2 = comp_draw();
      if (shocked && !resuscitated) {
        // Relative to the tone left: a vasodilated patient's SVR modifier is already near its floor, so the same
        // absolute step would be a much larger fraction of what remains.
        const Modifiers mods = phys_.modifiers();
        const double svr_left = std::max(0.15, 1 + mods[static_cast<size_t>(Mod::kSvr)]);
        const double ven_left = std::max(0.3, 1 + mods[static_cast<size_t>(Mod::kVenousCapacitance)]);
        const double m = 0.5 + u1;  // severity drawn from the seed: 10-30% of the remaining SVR
        EffectCourse svr = course(Mod::kSvr, -0.2 * m * svr_left, 60),
                     ven = course(Mod::kVenousCapacitance, 0.03 * m * ven_left, 60);
        for (EffectCourse* c : {&svr, &ven}) {
          c->decay_from_s = 300;
          c->decay_half_life_s = 600;
        }
        complicate(&out, "peri_intubation_hypotension",
                   "peri-intubation hypotension: induction and positive pressure in a shocked patient (SBP " +
                       fmt("%.0f", before.sbp_mmhg) + ", HR " + fmt("%.0f", before.hr_bpm) +
                       ") before fluids or vasopressors",
                   {svr, ven}, vent_action_);
      }
      // A tube in the oesophagus, unrecognised unless capnography confirms the position (1 in 25 here, a rule of
      // the model): no ventilation, and the shunt stands in for the oxygen stores running out (no chest movement,
      // no ETCO2 trace).
      if (comp_draw() < 0.04) {
        Ventilation ov = phys_.ventilation();
        ov.oesophageal = true;
        phys_.set_ventilation(ov);
        complicate(&out, "oesophageal_intubation",
                   "unrecognised oesophageal intubation: no ventilation, saturation falling (confirm every tube with "
                   "capnography)",
                   {course(Mod::kShunt, 0.7, 90)}, vent_action_, false);
        oesophageal_ = static_cast<int>(complications_.size()) - 1;
        if (a.detail == "capnography") recognise_oesophageal(&out);
      } else if (a.detail == "capnography") {
        emit(&out, "answer", "capnography: ETCO2 trace present, the tube is in the trachea");
      }
      if (hypoxaemic)
        complicate(&out, "apnoeic_desaturation",
                   "desaturation during the apnoea of intubation: SpO2 " + fmt("%.0f", before.spo2_pct) +
                       "% without preoxygenation",
                   {course(Mod::kShunt, 0.35 + 0.25 * u2, 20, 150)}, vent_action_);
      return out;
    }
    case Action::Kind::kVentilator: {
      Ventilation v = phys_.ventilation();
      if (a.what == "ventilator") {
        if (!v.intubated) {
          emit(&out, "error",
               "refused: the patient is not intubated, there is no ventilator to set ('intubate' first; by mask: "
               "'niv ipap 15 epap 5' or 'cpap 10')");
          return out;
        }
        if (a.vent_rr > 0) v.rr_per_min = a.vent_rr;
        if (a.vent_vt_ml_per_kg > 0) v.tidal_ml_per_kg = a.vent_vt_ml_per_kg;
        if (a.vent_peep >= 0) v.peep_cmh2o = a.vent_peep;
        phys_.set_ventilation(v);
        if (a.vent_fio2 > 0) phys_.set_fio2(a.vent_fio2);
        rec.tags = {"ventilator", "ventilator:settings"};
        if (v.tidal_ml_per_kg > 10) rec.tags.push_back("ventilator:high_tidal_volume");
        if (v.tidal_ml_per_kg <= 8) rec.tags.push_back("ventilator:protective_tidal_volume");
        record("ventilator: RR " + fmt("%.0f", v.rr_per_min) + ", VT " + fmt("%.1f", v.tidal_ml_per_kg) + " ml/kg (" +
               fmt("%.0f", v.tidal_ml_per_kg * w) + " ml), PEEP " + fmt("%.0f", v.peep_cmh2o) + " cmH2O, FiO2 " +
               fmt("%.2f", phys_.vitals().fio2));
        vent_action_ = static_cast<int>(actions_.size()) - 1;
        return out;
      }
      if (v.intubated) {
        emit(&out, "error", "refused: the patient is intubated; set the ventilator instead (e.g. 'set peep 8')");
        return out;
      }
      if (a.stop) {
        if (!v.niv) {
          emit(&out, "info", "no NIV or CPAP is running");
          return out;
        }
        v.niv = false;
        phys_.set_ventilation(v);
        rec.tags = {"stop:niv"};
        record("stopped NIV/CPAP");
        return out;
      }
      if (!v.niv) {  // starting: BTS/ICS 2016 starting pressures unless given
        v.ipap_cmh2o = 15;
        v.epap_cmh2o = 5;
      }
      v.niv = true;
      if (a.niv_epap >= 0) v.epap_cmh2o = a.niv_epap;
      if (a.niv_ipap >= 0) v.ipap_cmh2o = a.niv_ipap;
      if (a.what == "cpap") v.ipap_cmh2o = v.epap_cmh2o;
      if (v.ipap_cmh2o < v.epap_cmh2o) v.ipap_cmh2o = v.epap_cmh2o;
      phys_.set_ventilation(v);
      if (a.vent_fio2 > 0) phys_.set_fio2(a.vent_fio2);
      const bool bilevel = v.ipap_cmh2o > v.epap_cmh2o;
      rec.tags = bilevel ? std::vector<std::string>{"niv", "niv:settings"} : std::vector<std::string>{"cpap", "niv:cpap"};
      record(bilevel ? "NIV: IPAP " + fmt("%.0f", v.ipap_cmh2o) + ", EPAP " + fmt("%.0f", v.epap_cmh2o) +
                           " cmH2O (pressure support " + fmt("%.0f", v.ipap_cmh2o - v.epap_cmh2o) + "), FiO2 " +
                           fmt("%.2f", phys_.vitals().fio2)
                     : "CPAP " + fmt("%.0f", v.epap_cmh2o) + " cmH2O, FiO2 " + fmt("%.2f", phys_.vitals().fio2) +
                           (a.note.empty() ? "" : " (" + a.note + ")"));
      return out;
    }
    case Action::Kind::kCpr: {
      const bool arrested = phys_.vitals().arrested;
      if (a.stop) {
        phys_.set_cpr(false);
        rec.tags = {"stop:cpr"};
        record(arrested ? "stopped chest compressions (no flow while they are held)" : "stopped CPR");
        return out;
      }
      phys_.set_cpr(true);
      rec.tags = {"cpr"};
      if (!arrested) {
        rec.tags.push_back("cpr:with_pulse");
        rec.harmful = true;
        phys_.set_cpr(false);
      }
      record(arrested ? "started CPR: chest compressions 100-120/min with ventilation 30:2"
                      : "started chest compressions on a patient who has a pulse");
      if (!arrested) emit(&out, "warning", "harm: the patient has a pulse; compressions are not indicated");
      return out;
    }
    case Action::Kind::kPace: {
      if (a.stop) {
        phys_.set_pacing({});
        rec.tags = {"stop:pacing"};
        record("stopped pacing");
        return out;
      }
      Pacing pc;
      pc.rate_bpm = a.pace_rate_bpm;
      pc.output_ma = a.pace_ma > 0 ? a.pace_ma : std::ceil(pace_threshold_ma_ / 5.0) * 5.0 + 5.0;
      pc.capture = pc.output_ma >= pace_threshold_ma_ && !phys_.vitals().arrested;
      phys_.set_pacing(pc);
      rec.tags = {"pacing", "pacing:" + std::string(pc.capture ? "capture" : "no_capture")};
      std::string summary = "transcutaneous pacing " + fmt("%.0f", pc.rate_bpm) + "/min at " + fmt("%.0f", pc.output_ma) +
                            " mA" + (a.pace_ma > 0 ? "" : " (output raised until capture)");
      if (phys_.vitals().arrested)
        summary += ": no capture (pacing does not treat cardiac arrest)";
      else if (!pc.capture)
        summary += ": no electrical capture (raise the output)";
      else
        summary += ": electrical and mechanical capture";
      if (!a.note.empty()) summary += " (" + a.note + ")";
      record(summary);
      return out;
    }
    case Action::Kind::kShock: {
      const Vitals before = phys_.vitals();
      const Rhythm r = before.rhythm;
      ++shocks_;
      const double u = next_draw();
      const std::string kind = a.synchronised ? "synchronised cardioversion" : "defibrillation";
      std::string what = kind + " " + fmt("%.0f", a.joules) + " J";
      rec.tags = {"shock", a.synchronised ? "cardioversion" : "defibrillation"};
      rec.amount_per_kg = a.joules / w;
      if (a.synchronised && is_shockable(r)) {
        // A defibrillator cannot find R waves to synchronise to in VF: nothing is delivered.
        rec.tags = {"shock:not_delivered"};
        record(what + ": not delivered (no R waves to synchronise to: turn sync off to defibrillate)");
        return out;
      }
      if (r == Rhythm::kAsystole) {
        rec.tags.push_back("shock:non_shockable");
        rec.harmful = true;
        record(what + ": delivered; asystole/PEA is not a shockable rhythm, nothing changes");
        return out;
      }
      if (is_shockable(r)) {
        rec.tags.push_back("shock:shockable");
        const Modifiers m = phys_.modifiers();
        const double anti = m[static_cast<size_t>(Mod::kAntiarrhythmic)];
        const bool terminated = u < vf_termination_probability(a.joules, anti);
        const bool rosc =
            terminated && prognosis_u_ < arrest_survival_probability(before.ischaemia_min, anti);
        if (rosc) {
          phys_.set_rhythm(Rhythm::kSinus);
          phys_.set_cpr(false);
          std::fill(danger_since_.begin(), danger_since_.end(), -1);
          rec.tags.push_back("rosc");
          record(what + ": VF terminated; return of spontaneous circulation (sinus rhythm)");
          emit(&out, "event", "ROSC: return of spontaneous circulation after " + fmt("%.1f", before.ischaemia_min) +
                                  " ischaemic minutes");
        } else {
          record(what + (terminated ? ": VF terminated briefly, then recurred" : ": VF persists") +
                 (phys_.cpr() ? "; CPR continues" : "; no CPR running"));
        }
        return out;
      }
      // A rhythm with a pulse.
      if (!a.synchronised) {
        // An unsynchronised shock can land on the T wave (R-on-T) and cause VF: one in four here (a rule of
        // the model; the vulnerable period is a fifth to a third of the cycle at fast rates).
        rec.tags.push_back("shock:unsynchronised_with_pulse");
        rec.harmful = true;
        if (u < 0.25) {
          phys_.set_rhythm(Rhythm::kVf);
          arrest_at_ = t_s_;
          record(what + " to a patient with a pulse: shock on the T wave, VENTRICULAR FIBRILLATION");
          emit(&out, "event", "CARDIAC ARREST (ventricular fibrillation after an unsynchronised shock)");
          return out;
        }
      }
      if (r == Rhythm::kAf) {
        const double p = af_cardioversion_probability(a.joules);
        // A second draw, so that the R-on-T draw above does not decide this one.
        if (next_draw() < p) {
          phys_.set_rhythm(Rhythm::kSinus);
          rec.tags.push_back("cardioversion:success");
          record(what + ": sinus rhythm restored");
        } else {
          record(what + ": atrial fibrillation persists");
        }
        return out;
      }
      rec.tags.push_back("shock:not_indicated");
      rec.harmful = true;
      record(what + ": delivered to " + std::string(rhythm_title(r)) + "; no shockable rhythm, nothing changes");
      return out;
    }
    case Action::Kind::kProcedure:
      rec.tags = {a.what};
      if (a.what == "monitoring" && opt_.examiner) {
        const bool first = monitor_at_s_ < 0;
        if (first) monitor_at_s_ = t_s_;
        record(first ? "attached the monitor" : "monitor already attached");
        emit(&out, "answer", true_monitor_line());
        return out;
      }
      if (a.what == "niv") {  // plain "niv": bilevel at the BTS/ICS starting pressures
        Ventilation v = phys_.ventilation();
        if (!v.intubated) {
          if (!v.niv) {
            v.ipap_cmh2o = 15;
            v.epap_cmh2o = 5;
          }
          v.niv = true;
          phys_.set_ventilation(v);
        }
        record("procedure: niv (IPAP " + fmt("%.0f", v.ipap_cmh2o) + ", EPAP " + fmt("%.0f", v.epap_cmh2o) + " cmH2O)");
        return out;
      }
      if (a.what == "central_line") {
        if (central_line_at_s_ >= 0) {
          emit(&out, "info", "a central line is already in");
          return out;
        }
        const std::string site = a.detail.empty() ? "ij" : a.detail;
        rec.tags.push_back("central_line:" + site);
        rec.tags.push_back(a.ultrasound ? "central_line:ultrasound" : "central_line:landmark");
        // Coagulopathy the model knows of: an anticoagulant or a thrombolytic given in this session.
        bool coagulopathic = false;
        for (const ActionRecord& r : actions_)
          if (has(r.tags, "anticoagulant") || has(r.tags, "thrombolytic") || has(r.tags, "fibrinolytic")) coagulopathic = true;
        central_line_at_s_ = t_s_ + kCentralLineS;
        const std::string title = site == "ij" ? "internal jugular" : site;
        record("central venous catheter, " + title + (a.ultrasound ? ", ultrasound-guided" : ", landmark technique") +
               " (ready in " + fmt("%.0f", kCentralLineS / 60) + " min)");
        central_line_action_ = static_cast<int>(actions_.size()) - 1;
        const CentralLineRisk risk = central_line_risk(site, a.ultrasound);
        const double u_art = comp_draw(), u_ptx = comp_draw();
        if (u_art < risk.arterial_puncture * (coagulopathic ? 1.5 : 1.0)) {
          // A compressible puncture bleeds ~100 mL into a haematoma; anticoagulated, ~1.2 L over 30 min.
          const double ml_min = coagulopathic ? 40 : 10, minutes = coagulopathic ? 30 : 10;
          complicate(&out, "arterial_puncture",
                     "arterial puncture during the " + title + " line: bleeding and haematoma" +
                         (coagulopathic ? " (anticoagulated: brisk)" : ""),
                     {course(Mod::kBleedingMlPerMin, ml_min, 30, minutes * 60)}, central_line_action_);
        }
        if (u_ptx < risk.pneumothorax) {
          const bool ventilated = phys_.ventilation().intubated;
          std::vector<EffectCourse> c = {course(Mod::kShunt, 0.06, 600), course(Mod::kTachypnoea, 0.3, 600)};
          if (ventilated) c.push_back(course(Mod::kIntrathoracicMmhg, 3, 600, -1, 1.0, 15));
          complicate(&out, "iatrogenic_pneumothorax",
                     "iatrogenic pneumothorax from the " + title + " line" +
                         (ventilated ? " (under positive pressure it is tensioning)" : ""),
                     std::move(c), central_line_action_);
        }
        return out;
      }
      if (a.what == "capnography") {
        if (oesophageal_ >= 0 && !complications_[oesophageal_].treated) {
          record("capnography: NO ETCO2 trace");
          recognise_oesophageal(&out);
          return out;
        }
        const Vitals v = phys_.vitals();
        record(v.intubated ? "capnography: ETCO2 trace present (tube in the trachea), ETCO2 " +
                                 fmt("%.0f", std::max(0.0, v.paco2_mmhg - 5)) + " mmHg"
                           : "capnography: ETCO2 " + fmt("%.0f", std::max(0.0, v.paco2_mmhg - 3)) + " mmHg");
        return out;
      }
      if (a.what == "tourniquet_release") {
        if (tourniquet_on_s_ < 0) {
          emit(&out, "info", "no tourniquet is on");
          return out;
        }
        const double hours = (t_s_ - tourniquet_on_s_) / 3600.0;
        tourniquet_on_s_ = -1;
        rec.tags.push_back("tourniquet:released");
        record("released the tourniquet after " + fmt("%.0f", hours * 60) + " min");
        if (hours > 2) {
          // Reperfusion of an ischaemic limb: potassium and lactate wash out (a rule of the model, sized to the
          // rises reported after long tourniquet times).
          EffectCourse k = course(Mod::kPotassiumShiftMmolPerL, std::min(1.5, 0.5 + 0.5 * (hours - 2)), 60);
          k.decay_from_s = 300;
          k.decay_half_life_s = 1800;
          complicate(&out, "tourniquet_reperfusion",
                     "reperfusion after " + fmt("%.1f", hours) + " h of tourniquet time: potassium and lactate rise",
                     {k, course(Mod::kLactateMmolPerLPerH, 4, 60, 1200)}, tourniquet_action_);
        }
        return out;
      }
      if (a.what == "needle_decompression" || a.what == "chest_drain") {
        if (pneumothorax_present()) {
          treat_pneumothorax();
          record("procedure: " + a.what);
          return out;
        }
        // No pneumothorax: a needle lets air into the pleura or punctures the lung; a drain risks the lung and the
        // intercostal vessels (rules of the model: 50% and 15%).
        rec.harmful = true;
        rec.tags.push_back(a.what + ":not_indicated");
        record("procedure: " + a.what + " (no pneumothorax to treat)");
        const int idx = static_cast<int>(actions_.size()) - 1;
        const double u = comp_draw();
        if (a.what == "needle_decompression" && u < 0.5) {
          const bool ventilated = phys_.ventilation().intubated;
          std::vector<EffectCourse> c = {course(Mod::kShunt, 0.06, 300), course(Mod::kTachypnoea, 0.3, 300)};
          if (ventilated) c.push_back(course(Mod::kIntrathoracicMmhg, 3, 300, -1, 1.0, 15));
          complicate(&out, "iatrogenic_pneumothorax",
                     "iatrogenic pneumothorax: needle decompression of a chest without a pneumothorax", std::move(c), idx);
        } else if (a.what == "chest_drain" && u < 0.15) {
          complicate(&out, "iatrogenic_haemothorax",
                     "iatrogenic haemothorax: the drain injured an intercostal vessel or the lung",
                     {course(Mod::kBleedingMlPerMin, 20, 30, 1200), course(Mod::kShunt, 0.03, 300)}, idx);
        }
        return out;
      }
      if (a.what == "pericardiocentesis") {
        bool effusion = false;
        for (const EffectSpec& e : cond_->effects)
          if (e.target == Mod::kPericardialMmhg) effusion = true;
        bool haemopericardium = false;
        for (Complication& k : complications_)
          if (!k.treated && k.id == "haemopericardium") {
            haemopericardium = true;
            k.treated = true;
            auto& cs = phys_.courses();
            for (size_t i = k.first_course; i < k.first_course + k.num_courses && i < cs.size(); ++i)
              cs[i].resolve_at_s = onset_s_ + t_s_ + 180;
          }
        if (effusion || haemopericardium) {
          record("procedure: pericardiocentesis");
          return out;
        }
        // No effusion to drain: the needle meets the myocardium (a rule of the model: a haemopericardium in 25%;
        // echo-guided drainage of a real effusion has major complications in ~1.5%, ESC 2015).
        rec.harmful = true;
        rec.tags.push_back("pericardiocentesis:not_indicated");
        record("procedure: pericardiocentesis (no pericardial effusion)");
        if (comp_draw() < 0.25)
          complicate(&out, "haemopericardium",
                     "myocardial puncture: haemopericardium, tamponade building",
                     {course(Mod::kPericardialMmhg, 6, 600, -1, 2.0, 20)}, static_cast<int>(actions_.size()) - 1);
        return out;
      }
      if (a.what == "haemorrhage_control" && a.detail == "tourniquet") {
        rec.tags.push_back("tourniquet");
        record("procedure: haemorrhage control (tourniquet)");
        if (tourniquet_on_s_ < 0) {
          tourniquet_on_s_ = t_s_;
          tourniquet_warned_ = false;
          tourniquet_action_ = static_cast<int>(actions_.size()) - 1;
        }
        return out;
      }
      record("procedure: " + a.what);
      return out;
  }
  return out;
}

void Session::check(std::vector<Event>* out) {
  const Vitals v = phys_.vitals();
  if (v.arrested) {
    // Ten ischaemic minutes: ten minutes of no flow, longer with CPR (rhythm.h); survival would then be ~10%
    // at best (Valenzuela 1997) and the model declares death.
    if (!dead_ && v.ischaemia_min >= 10 - 1e-6) {
      dead_ = true;
      emit(out, "event",
           std::string("DEATH: no return of spontaneous circulation after 10 ") +
               (v.cpr ? "ischaemic minutes of cardiac arrest (CPR slows the clock, it does not stop it)"
                      : "minutes of cardiac arrest"));
    }
    return;
  }
  for (size_t i = 0; i < limits_.size(); ++i) {
    const AlarmLimit& l = limits_[i];
    if (!l.enabled) continue;
    double x = 0;
    v.get(l.variable, &x);
    const bool on = l.low ? x < l.on : x > l.on;
    const bool off = l.low ? x >= l.off : x <= l.off;
    if (alarm_on_[i] < 0 && on) {
      if (l.priority != AlarmPriority::kLow) had_alarm_ = true;
      AlarmRecord r;
      r.id = l.id;
      r.text = l.text() + " (" + fmt(l.variable == "temp" ? "%.1f" : "%.0f", x) + ")";
      r.priority = l.priority;
      r.value = x;
      r.on_s = t_s_;
      r.while_silenced = alarms_silenced();
      // Examiner mode without a monitor: nobody sees it; logged for the debrief only.
      r.unseen = !monitor_attached() && !l.event;
      alarm_on_[i] = static_cast<int>(alarm_log_.size());
      alarm_log_.push_back(r);
      next_reminder_s_[i] = t_s_ + (l.priority == AlarmPriority::kHigh ? 60 : 180);
      if (r.unseen)
        emit(nullptr, "alarm_unseen", r.text + " -- not seen: no monitor attached");
      else
        emit(out, "alarm", r.text + (r.while_silenced ? " (audio paused)" : ""));
    } else if (alarm_on_[i] >= 0 && off) {
      alarm_log_[alarm_on_[i]].cleared_s = t_s_;
      alarm_on_[i] = -1;
    } else if (alarm_on_[i] >= 0 && out && !l.event && l.priority != AlarmPriority::kLow && monitor_attached() &&
               !alarms_silenced() && alarm_log_[alarm_on_[i]].acknowledged_s < 0 && t_s_ >= next_reminder_s_[i]) {
      // An unacknowledged alarm sounds again (high every minute, medium every 3): to the trainee only, so
      // that the record is not flooded.
      next_reminder_s_[i] = t_s_ + (l.priority == AlarmPriority::kHigh ? 60 : 180);
      out->push_back({t_s_, "alarm_reminder", alarm_log_[alarm_on_[i]].text + " -- still active, not acknowledged", ""});
    }
  }
  for (size_t i = 0; i < kNumLethal; ++i) {
    double x = 0;
    v.get(kLethal[i].variable, &x);
    const bool bad = kLethal[i].low ? x < kLethal[i].limit : x > kLethal[i].limit;
    if (!bad) {
      danger_since_[i] = -1;
      continue;
    }
    if (danger_since_[i] < 0) danger_since_[i] = t_s_;
    if (t_s_ - danger_since_[i] >= kLethal[i].seconds) {
      phys_.set_arrested(true);
      arrest_at_ = t_s_;
      // Profound hypotension or failing oxygen delivery after losing a third of the blood volume or more
      // is exsanguination.
      const std::string cause = kLethal[i].cause;
      const bool exsanguination =
          (cause == "profound hypotension" || cause == "critical oxygen delivery") && v.blood_lost_pct >= 33;
      emit(out, "event",
           std::string("CARDIAC ARREST (") + (exsanguination ? "exsanguination" : kLethal[i].cause) + ")");
      return;
    }
  }
  const bool stable = v.map_mmhg >= 65 && v.spo2_pct >= 92 && v.hr_bpm < 110 && v.rr_per_min >= 10 &&
                      v.rr_per_min <= 24 && (v.gcs >= 14 || v.intubated) && v.glucose_mmol_l >= 4 && v.ph >= 7.3;
  if (!stable) {
    stable_since_ = -1;
  } else {
    if (stable_since_ < 0) stable_since_ = t_s_;
    if (had_alarm_ && !stable_reported_ && t_s_ - stable_since_ >= 1800) {
      stable_reported_ = true;
      emit(out, "event", "RECOVERY: vital signs have been stable for 30 minutes");
    }
  }
}

std::vector<Event> Session::advance(double seconds) {
  std::vector<Event> out;
  if (!(seconds >= 0)) throw InvalidInput("advance: seconds must be >= 0");
  const double end = t_s_ + seconds;
  // 5 s steps: alarms, results and arrests are checked at this resolution.
  while (t_s_ < end - 1e-9 && !dead_) {
    const double dt = std::min(5.0, end - t_s_);
    phys_.advance(dt);
    t_s_ += dt;
    for (size_t i = 0; i < pending_.size();) {
      if (pending_[i].due_s <= t_s_ + 1e-9) {
        const Pending p = pending_[i];
        pending_.erase(pending_.begin() + i);
        std::string s = p.order->title + ":";
        if (!p.order->results.empty()) {
          for (const auto& r : p.order->results) {
            double x = 0;
            p.at_draw.get(r, &x);
            const char* f = (r == "ph") ? " %s %.2f" : (x < 10 ? " %s %.1f" : " %s %.0f");
            char buf[64];
            std::snprintf(buf, sizeof buf, f, r.c_str(), x);
            s += buf;
          }
        }
        if (p.order->name == "ecg") {
          const Vitals& e = p.at_draw;
          if (e.arrested)
            s += std::string(" ") + rhythm_title(e.rhythm) + ";";
          else if (e.paced)
            s += fmt(" paced rhythm %.0f/min, broad complexes, each preceded by a pacing spike;", e.hr_bpm);
          else if (e.rhythm == Rhythm::kAf)
            s += fmt(" atrial fibrillation, irregularly irregular, ventricular rate %.0f/min, no P waves;", e.hr_bpm);
          else if (e.rhythm == Rhythm::kAvBlockNodal)
            s += fmt(" second-degree AV block (2:1), narrow QRS, ventricular rate %.0f/min;", e.hr_bpm);
          else if (e.rhythm == Rhythm::kCompleteHeartBlock)
            s += fmt(" complete heart block: P waves unrelated to broad QRS complexes, ventricular rate %.0f/min;",
                     e.hr_bpm);
          else
            s += fmt(e.hr_bpm > 100 ? " sinus tachycardia %.0f/min;" : e.hr_bpm < 60 ? " sinus bradycardia %.0f/min;"
                                                                                    : " sinus rhythm %.0f/min;",
                     e.hr_bpm);
        }
        auto it = cond_->investigations.find(p.order->name);
        if (it != cond_->investigations.end())
          s += " " + fill_template(it->second, case_);
        else if (p.order->results.empty())
          s += " no acute abnormality";
        emit(&out, "result", s);
      } else {
        ++i;
      }
    }
    check(&out);
    if (!dead_) check_procedures(&out, dt);
    if (t_s_ >= next_sample_s_ - 1e-9) {
      samples_.push_back({t_s_, phys_.vitals()});
      next_sample_s_ += 60;
    }
  }
  return out;
}

}  // namespace medgen::sim
