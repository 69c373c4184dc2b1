// The module engine: each patient lives from birth to the end date in steps of a week; at each
// step every module runs state by state until a Delay, a Guard, a wellness Encounter or a
// submodule holds it. A state's events carry its entry time, which after a Delay is the exact
// end of the delay (not the step), so onset dates are exact whatever the step.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "medgen/core/error.h"
#include "medgen/core/progress.h"
#include "medgen/core/rng.h"
#include "medgen/records/clinical.h"
#include "medgen/core/schema.h"
#include "modules_impl.h"

namespace medgen::records {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kDay = 86400.0;
constexpr int kMaxTransitionsPerStep = 100000;
constexpr double kMinEncounterSeconds = 900;  // an encounter lasts at least 15 minutes

// ------------------------------------------------------------------ calendar

// Core's calendar (schema.h) with signed months and days, as the module clock counts them.
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  return ::medgen::days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

void civil_from_days(int64_t z, int64_t* y, int64_t* m, int64_t* d) {
  unsigned mu = 0, du = 0;
  ::medgen::civil_from_days(z, y, &mu, &du);
  *m = mu;
  *d = du;
}

struct Civil {
  int64_t y, m, d;
  double sec;  // seconds into the day
};

Civil civil(double t) {
  const double days = std::floor(t / kDay);
  Civil c;
  civil_from_days(static_cast<int64_t>(days), &c.y, &c.m, &c.d);
  c.sec = t - days * kDay;
  return c;
}

int64_t days_in_month(int64_t y, int64_t m) {
  return days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - days_from_civil(y, m, 1);
}

// t plus `months` calendar months (the day clamped to the month's length).
double add_months(double t, int64_t months) {
  const Civil c = civil(t);
  int64_t total = c.y * 12 + (c.m - 1) + months;
  const int64_t y = total >= 0 ? total / 12 : -((-total + 11) / 12);
  const int64_t m = total - y * 12 + 1;
  const int64_t d = std::min(c.d, days_in_month(y, m));
  return static_cast<double>(days_from_civil(y, m, d)) * kDay + c.sec;
}

// Whole years and months are calendar steps; anything else is a fixed length.
double add_duration(double t, double quantity, const std::string& unit) {
  if ((unit == "years" || unit == "months") && quantity == std::floor(quantity) && std::fabs(quantity) < 1e5)
    return add_months(t, static_cast<int64_t>(quantity) * (unit == "years" ? 12 : 1));
  return t + quantity * module_unit_seconds(unit);
}

// Age at t in `unit`: whole calendar years/months plus the fraction towards the next.
double age_in(double birth, double t, const std::string& unit) {
  if (unit == "years" || unit == "months") {
    const Civil b = civil(birth), c = civil(t);
    int64_t months = (c.y - b.y) * 12 + (c.m - b.m);
    if (c.d < b.d || (c.d == b.d && c.sec < b.sec)) --months;
    if (months < 0) months = 0;
    const double at = add_months(birth, months), next = add_months(birth, months + 1);
    const double frac = next > at ? (t - at) / (next - at) : 0;
    const double m = static_cast<double>(months) + std::clamp(frac, 0.0, 1.0);
    return unit == "years" ? m / 12.0 : m;
  }
  return (t - birth) / module_unit_seconds(unit);
}

// ------------------------------------------------------------------ a patient's record

struct EncounterRow {
  double start = 0, end = kNaN, last = 0;
  const std::string* cls = nullptr;
  const ModuleCode* code = nullptr;
};
struct SpanRow {  // conditions, medications, allergies, care plans
  int encounter = -1;
  double start = 0, end = kNaN;
  const ModuleCode* code = nullptr;
  bool stopped = false;  // medications: ended by MedicationEnd or death
};
struct PointRow {  // observations, procedures
  int encounter = -1;
  double time = 0;
  const ModuleCode* code = nullptr;
  double value = kNaN;
  const std::string* unit = nullptr;
  const std::string* value_code = nullptr;
};

const ModuleCode kWellnessCode{"http://snomed.info/sct", "162673000", "General examination of patient (procedure)"};
const ModuleCode kCauseOfDeath{"http://loinc.org", "69453-9", "Cause of death [US Standard Certificate of Death]"};
const std::string kAmb = "AMB";

struct History {
  int state;
  double entered, exited;
};

struct Instance {
  const GenericModule* module = nullptr;
  int current = 0;
  double entered = 0;
  bool fresh = true;     // the current state's entry actions are still to run
  bool done = false;
  double wake = -1e300;  // nothing to do before this time
  double pending = kNaN; // Delay end / wellness time of the current state
  int encounter = -1;    // current encounter row
  int encounter_state = -1;
  std::vector<std::pair<int, int>> awaiting;  // (condition row, target encounter state)
  std::vector<History> history;
  std::unique_ptr<Instance> sub;
};

struct Patient {
  size_t index = 0;
  double birth = 0;
  bool female = false;
  std::string gender, race, ethnicity, ses;
  std::unordered_map<std::string, ModuleValue> attributes;
  std::unordered_map<std::string, std::map<std::string, double>> symptoms;
  std::unordered_map<std::string, double> vitals;
  std::unordered_map<std::string, double> last_obs;  // system|code -> latest number (NaN: coded)
  std::map<double, int> wellness;                    // time -> encounter row
  std::vector<EncounterRow> encounters;
  std::vector<SpanRow> conditions, medications, allergies, careplans;
  std::vector<PointRow> observations, procedures;
  double death = kNaN, scheduled_death = kNaN;
  std::deque<std::string> strings;  // texts rows point to (stable addresses)
  Rng rng;
};

std::string code_key(const ModuleCode& c) { return c.system + "|" + c.code; }

bool same_code(const ModuleCode* a, const ModuleCode& b) { return a && a->code == b.code && a->system == b.system; }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool compare(double a, Op op, double b) {
  switch (op) {
    case Op::kLt: return a < b;
    case Op::kLe: return a <= b;
    case Op::kEq: return a == b;
    case Op::kNe: return a != b;
    case Op::kGe: return a >= b;
    case Op::kGt: return a > b;
    default: return false;
  }
}

class Engine {
 public:
  Engine(const PopulationOptions& o, double end) : options_(o), end_(end) {}

  void simulate(Patient* p, const ModuleSet& set) {
    p_ = p;
    // Birthdays up to a year past the end: ages in years by binary search, not calendar arithmetic.
    birthdays_.clear();
    age_at_ = kNaN;
    for (int64_t k = 0;; ++k) {
      birthdays_.push_back(add_months(p->birth, 12 * k));
      if (birthdays_.back() > end_ + 400 * kDay) break;
    }
    std::vector<Instance> instances(set.modules.size());
    for (size_t i = 0; i < instances.size(); ++i) {
      instances[i].module = set.modules[i].get();
      instances[i].current = instances[i].module->initial;
      instances[i].entered = p->birth;
    }
    const double step = options_.step_days * kDay;
    for (double t = p->birth;; t += step) {
      double now = std::min(t, end_);
      if (!std::isnan(p->scheduled_death)) now = std::min(now, p->scheduled_death);
      for (Instance& in : instances) {
        if (in.done || now < in.wake) continue;
        process(&in, now);
        if (!std::isnan(p->death)) break;
      }
      if (std::isnan(p->death) && !std::isnan(p->scheduled_death) && now >= p->scheduled_death)
        p->death = p->scheduled_death;
      if (!std::isnan(p->death) || now >= end_) break;
    }
    finish();
  }

 private:
  // ---------------------------------------------------------------- conditions

  double age_years(double t) const {
    if (t == age_at_) return age_;  // the modules of one step ask for the same time
    if (t < birthdays_.front() || t >= birthdays_.back()) return age_in(p_->birth, t, "years");
    const size_t k = static_cast<size_t>(std::upper_bound(birthdays_.begin(), birthdays_.end(), t) - birthdays_.begin()) - 1;
    age_at_ = t;
    age_ = static_cast<double>(k) + (t - birthdays_[k]) / (birthdays_[k + 1] - birthdays_[k]);
    return age_;
  }

  const ModuleValue* attribute(const std::string& name) const {
    const auto it = p_->attributes.find(name);
    return it == p_->attributes.end() || it->second.kind == ModuleValue::Kind::kNil ? nullptr : &it->second;
  }

  const SpanRow* referenced(const std::string& attr, RowKind kind) const {
    const ModuleValue* v = attribute(attr);
    if (!v || v->kind != ModuleValue::Kind::kRow || v->row_kind != kind) return nullptr;
    const std::vector<SpanRow>* rows = span_rows(kind);
    return rows && v->row >= 0 && static_cast<size_t>(v->row) < rows->size() ? &(*rows)[static_cast<size_t>(v->row)]
                                                                              : nullptr;
  }

  std::vector<SpanRow>* span_rows(RowKind kind) const {
    switch (kind) {
      case RowKind::kCondition: return &p_->conditions;
      case RowKind::kMedication: return &p_->medications;
      case RowKind::kCarePlan: return &p_->careplans;
      case RowKind::kAllergy: return &p_->allergies;
      default: return nullptr;
    }
  }

  bool active(const ModuleCondition& c, RowKind kind) const {
    if (!c.ref_attribute.empty()) {
      const SpanRow* r = referenced(c.ref_attribute, kind);
      return r && std::isnan(r->end);
    }
    for (const SpanRow& r : *span_rows(kind))
      if (std::isnan(r.end))
        for (const ModuleCode& code : c.codes)
          if (same_code(r.code, code)) return true;
    return false;
  }

  bool test(const ModuleCondition& c, const Instance& in, double t) const {
    switch (c.type) {
      case CondType::kTrue: return true;
      case CondType::kFalse: return false;
      case CondType::kGender: return (c.text == "F") == p_->female && (p_->gender == "male" || p_->gender == "female");
      case CondType::kAge: return compare(c.in_years ? age_years(t) : age_in(p_->birth, t, c.unit), c.op, c.quantity);
      case CondType::kDate: {
        const Civil d = civil(t);
        if (c.date_field == 0) return compare(static_cast<double>(d.y), c.op, c.quantity);
        if (c.date_field == 1) return compare(static_cast<double>(d.m), c.op, c.quantity);
        return compare(t, c.op, c.quantity);
      }
      case CondType::kSes: return lower(p_->ses) == lower(c.text);
      case CondType::kRace: return lower(p_->race) == lower(c.text);
      case CondType::kSymptom: {
        double v = 0;
        const auto it = p_->symptoms.find(c.text);
        if (it != p_->symptoms.end())
          for (const auto& [cause, value] : it->second) v = std::max(v, value);
        return compare(v, c.op, c.quantity);
      }
      case CondType::kVitalSign: {
        const auto it = p_->vitals.find(c.text);
        return it != p_->vitals.end() && compare(it->second, c.op, c.quantity);
      }
      case CondType::kObservation: {
        double v = kNaN;
        bool seen = false;
        if (!c.ref_attribute.empty()) {
          const ModuleValue* a = attribute(c.ref_attribute);
          if (a && a->kind == ModuleValue::Kind::kRow && a->row_kind == RowKind::kObservation &&
              static_cast<size_t>(a->row) < p_->observations.size()) {
            seen = true;
            v = p_->observations[static_cast<size_t>(a->row)].value;
          }
        } else {
          for (const ModuleCode& code : c.codes) {
            const auto it = p_->last_obs.find(code_key(code));
            if (it != p_->last_obs.end()) {
              seen = true;
              v = it->second;
              break;
            }
          }
        }
        if (c.op == Op::kIsNil) return !seen;
        if (c.op == Op::kIsNotNil) return seen;
        return seen && !std::isnan(v) && compare(v, c.op, c.quantity);
      }
      case CondType::kActiveCondition: return active(c, RowKind::kCondition);
      case CondType::kActiveMedication: return active(c, RowKind::kMedication);
      case CondType::kActiveCarePlan: return active(c, RowKind::kCarePlan);
      case CondType::kActiveAllergy: return active(c, RowKind::kAllergy);
      case CondType::kAttribute: {
        const ModuleValue* a = attribute(c.text);
        if (c.op == Op::kIsNil) return !a;
        if (c.op == Op::kIsNotNil) return a != nullptr;
        if (!a) return false;
        if (c.value.kind == ModuleValue::Kind::kNil) return false;
        if (a->kind == ModuleValue::Kind::kNumber && c.value.kind == ModuleValue::Kind::kNumber)
          return compare(a->number, c.op, c.value.number);
        if (a->kind == ModuleValue::Kind::kString && c.value.kind == ModuleValue::Kind::kString) {
          if (c.op == Op::kEq) return a->text == c.value.text;
          if (c.op == Op::kNe) return a->text != c.value.text;
          return compare(static_cast<double>(a->text.compare(c.value.text)), c.op, 0);
        }
        return c.op == Op::kNe;
      }
      case CondType::kPriorState: {
        double since = -1e300;
        if (c.since_state >= 0)
          for (const History& h : in.history)
            if (h.state == c.since_state) since = std::max(since, h.entered);
        for (auto it = in.history.rbegin(); it != in.history.rend(); ++it) {
          if (it->state != c.state) continue;
          if (it->entered < since) return false;
          return c.within_s < 0 || it->exited >= t - c.within_s;
        }
        return false;
      }
      case CondType::kAnd:
        for (const ModuleCondition& s : c.subs)
          if (!test(s, in, t)) return false;
        return true;
      case CondType::kOr:
        for (const ModuleCondition& s : c.subs)
          if (test(s, in, t)) return true;
        return false;
      case CondType::kNot: return !test(c.subs[0], in, t);
      case CondType::kAtLeast:
      case CondType::kAtMost: {
        int n = 0;
        for (const ModuleCondition& s : c.subs) n += test(s, in, t);
        return c.type == CondType::kAtLeast ? n >= c.count : n <= c.count;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- transitions

  double probability(const Distribution& d) const {
    if (d.attribute.empty()) return d.p;
    const ModuleValue* a = attribute(d.attribute);
    return a && a->kind == ModuleValue::Kind::kNumber ? std::clamp(a->number, 0.0, 1.0) : d.p;
  }

  int pick(const std::vector<Distribution>& dists) {
    const double u = p_->rng.uniform();
    double acc = 0;
    for (const Distribution& d : dists) {
      acc += probability(d);
      if (u < acc) return d.target;
    }
    return dists.back().target;  // what the probabilities leave over goes to the last
  }

  int next_state(const ModuleState& s, const Instance& in, double t) {
    const ModuleTransition& tr = s.transition;
    switch (tr.kind) {
      case ModuleTransition::Kind::kDirect: return tr.target;
      case ModuleTransition::Kind::kDistributed: return pick(tr.dists);
      case ModuleTransition::Kind::kConditional:
      case ModuleTransition::Kind::kComplex:
        for (const Branch& b : tr.branches)
          if (!b.has_condition || test(b.condition, in, t)) return b.target >= 0 ? b.target : pick(b.dists);
        return -1;  // no branch matched: the module ends here, as in Synthea
      case ModuleTransition::Kind::kNone: break;
    }
    return -1;
  }

  // ---------------------------------------------------------------- records

  double draw(const Span& s) { return s.low == s.high ? s.low : s.low + (s.high - s.low) * p_->rng.uniform(); }

  void touch(int encounter, double t) {
    if (encounter >= 0) {
      EncounterRow& e = p_->encounters[static_cast<size_t>(encounter)];
      e.last = std::max(e.last, t);
    }
  }

  int open_encounter(Instance* in, const ModuleState& s, int state, double t) {
    close_encounter(in, t);
    EncounterRow e;
    e.start = e.last = t;
    e.cls = &s.encounter_class;
    e.code = &s.codes[0];
    p_->encounters.push_back(e);
    in->encounter = static_cast<int>(p_->encounters.size()) - 1;
    in->encounter_state = state;
    link_awaiting(in, state);
    return in->encounter;
  }

  void close_encounter(Instance* in, double t) {
    if (in->encounter < 0) return;
    EncounterRow& e = p_->encounters[static_cast<size_t>(in->encounter)];
    if (std::isnan(e.end)) e.end = std::max({t, e.last, e.start + kMinEncounterSeconds});
    in->encounter = -1;
    in->encounter_state = -1;
  }

  void link_awaiting(Instance* in, int state) {
    for (auto it = in->awaiting.begin(); it != in->awaiting.end();) {
      if (it->second == state) {
        p_->conditions[static_cast<size_t>(it->first)].encounter = in->encounter;
        touch(in->encounter, p_->conditions[static_cast<size_t>(it->first)].start);
        it = in->awaiting.erase(it);
      } else {
        ++it;
      }
    }
  }

  void assign(const ModuleState& s, RowKind kind, int row) {
    if (s.attribute.empty()) return;
    ModuleValue v;
    v.kind = ModuleValue::Kind::kRow;
    v.row_kind = kind;
    v.row = row;
    p_->attributes[s.attribute] = v;
  }

  // A span row (condition, medication, care plan, allergy); an active row with the same code is
  // reused instead of duplicated.
  int start_span(std::vector<SpanRow>* rows, const ModuleCode& code, int encounter, double t) {
    for (size_t i = rows->size(); i-- > 0;)
      if (std::isnan((*rows)[i].end) && !(*rows)[i].stopped && same_code((*rows)[i].code, code)) return static_cast<int>(i);
    SpanRow r;
    r.encounter = encounter;
    r.start = t;
    r.code = &code;
    rows->push_back(r);
    touch(encounter, t);
    return static_cast<int>(rows->size()) - 1;
  }

  void end_span(std::vector<SpanRow>* rows, RowKind kind, const ModuleState& s, const Instance& in, double t) {
    auto stop = [&](SpanRow& r) {
      if (std::isnan(r.end)) {
        r.end = t;
        r.stopped = true;
      }
    };
    if (!s.ref_attribute.empty()) {
      const ModuleValue* a = attribute(s.ref_attribute);
      if (a && a->kind == ModuleValue::Kind::kRow && a->row_kind == kind && static_cast<size_t>(a->row) < rows->size())
        stop((*rows)[static_cast<size_t>(a->row)]);
      return;
    }
    if (s.ref_state >= 0) {
      // The row made by the most recent visit of that onset state: found by its codes.
      const ModuleState& onset = in.module->states[static_cast<size_t>(s.ref_state)];
      for (SpanRow& r : *rows)
        for (const ModuleCode& c : onset.codes)
          if (same_code(r.code, c)) stop(r);
      return;
    }
    for (SpanRow& r : *rows)
      for (const ModuleCode& c : s.codes)
        if (same_code(r.code, c)) stop(r);
  }

  void observe(const ObservationSpec& o, int encounter, double t) {
    PointRow r;
    r.encounter = encounter;
    r.time = t;
    r.code = &o.code;
    r.unit = o.unit.empty() ? nullptr : &o.unit;
    switch (o.source) {
      case ObservationSpec::Source::kExact: r.value = o.low; break;
      case ObservationSpec::Source::kRange: {
        r.value = o.low + (o.high - o.low) * p_->rng.uniform();
        if (o.decimals >= 0) {
          const double f = std::pow(10.0, o.decimals);
          r.value = std::round(r.value * f) / f;
        }
        break;
      }
      case ObservationSpec::Source::kAttribute: {
        const ModuleValue* a = attribute(o.name);
        if (a && a->kind == ModuleValue::Kind::kNumber) r.value = a->number;
        if (a && a->kind == ModuleValue::Kind::kString) {
          p_->strings.push_back(a->text);  // a copy: the attribute may change later
          r.value_code = &p_->strings.back();
        }
        break;
      }
      case ObservationSpec::Source::kVitalSign: {
        const auto it = p_->vitals.find(o.name);
        if (it != p_->vitals.end()) r.value = it->second;
        break;
      }
      case ObservationSpec::Source::kCode: r.value_code = &o.value_code.code; break;
      case ObservationSpec::Source::kNone: break;
    }
    p_->last_obs[code_key(o.code)] = r.value;
    p_->observations.push_back(r);
    touch(encounter, t);
  }

  // Runs the current state's entry actions (once) and says whether it can be left at `t`;
  // *exit is when.
  bool run_state(Instance* in, double t, double* exit) {
    const ModuleState& s = in->module->states[static_cast<size_t>(in->current)];
    const double e = in->entered;
    const bool fresh = in->fresh;
    in->fresh = false;
    *exit = e;
    switch (s.type) {
      case StateType::kInitial:
      case StateType::kSimple:
      case StateType::kTerminal:
        return true;
      case StateType::kGuard:
        if (test(s.allow, *in, fresh ? e : t)) {
          *exit = fresh ? e : t;
          return true;
        }
        return false;
      case StateType::kDelay:
        if (fresh) in->pending = add_duration(e, draw(s.span), s.span.unit);
        if (t >= in->pending) {
          *exit = in->pending;
          return true;
        }
        in->wake = in->pending;
        return false;
      case StateType::kSetAttribute:
        p_->attributes[s.attribute] = s.value;
        return true;
      case StateType::kCounter: {
        ModuleValue& v = p_->attributes[s.attribute];
        if (v.kind != ModuleValue::Kind::kNumber) {
          v = ModuleValue{};
          v.kind = ModuleValue::Kind::kNumber;
        }
        v.number += s.amount;
        return true;
      }
      case StateType::kEncounter:
        if (!s.wellness) {
          open_encounter(in, s, in->current, e);
          return true;
        }
        if (fresh) {
          // the next wellness visit at or after e: every wellness_years from birth
          const double period = options_.wellness_years;
          const double k = std::ceil(age_years(e) / period - 1e-9);
          double when = add_duration(p_->birth, k * period, "years");
          if (when < e) when = add_duration(p_->birth, (k + 1) * period, "years");
          in->pending = when;
        }
        if (t >= in->pending) {
          *exit = in->pending;
          auto it = p_->wellness.find(in->pending);
          close_encounter(in, in->pending);
          if (it == p_->wellness.end()) {
            EncounterRow w;
            w.start = w.last = in->pending;
            w.cls = &kAmb;
            w.code = s.codes.empty() ? &kWellnessCode : &s.codes[0];
            p_->encounters.push_back(w);
            it = p_->wellness.emplace(in->pending, static_cast<int>(p_->encounters.size()) - 1).first;
          }
          in->encounter = it->second;
          in->encounter_state = in->current;
          link_awaiting(in, in->current);
          return true;
        }
        in->wake = in->pending;
        return false;
      case StateType::kEncounterEnd:
        close_encounter(in, e);
        return true;
      case StateType::kConditionOnset: {
        const bool link_now = s.target_encounter < 0 || s.target_encounter == in->encounter_state;
        const int row = start_span(&p_->conditions, s.codes[0], link_now ? in->encounter : -1, e);
        if (!link_now && p_->conditions[static_cast<size_t>(row)].encounter < 0)
          in->awaiting.emplace_back(row, s.target_encounter);
        assign(s, RowKind::kCondition, row);
        return true;
      }
      case StateType::kAllergyOnset:
        assign(s, RowKind::kAllergy, start_span(&p_->allergies, s.codes[0], -1, e));
        return true;
      case StateType::kMedicationOrder:
        assign(s, RowKind::kMedication, start_span(&p_->medications, s.codes[0], in->encounter, e));
        return true;
      case StateType::kCarePlanStart:
        assign(s, RowKind::kCarePlan, start_span(&p_->careplans, s.codes[0], in->encounter, e));
        return true;
      case StateType::kConditionEnd: end_span(&p_->conditions, RowKind::kCondition, s, *in, e); return true;
      case StateType::kAllergyEnd: end_span(&p_->allergies, RowKind::kAllergy, s, *in, e); return true;
      case StateType::kMedicationEnd: end_span(&p_->medications, RowKind::kMedication, s, *in, e); return true;
      case StateType::kCarePlanEnd: end_span(&p_->careplans, RowKind::kCarePlan, s, *in, e); return true;
      case StateType::kProcedure: {
        PointRow r;
        r.encounter = in->encounter;
        r.time = e;
        r.code = &s.codes[0];
        p_->procedures.push_back(r);
        touch(in->encounter, e);
        if (!s.attribute.empty()) {
          ModuleValue v;
          v.kind = ModuleValue::Kind::kRow;
          v.row_kind = RowKind::kProcedure;
          v.row = static_cast<int>(p_->procedures.size()) - 1;
          p_->attributes[s.attribute] = v;
        }
        return true;
      }
      case StateType::kObservation:
      case StateType::kMultiObservation:
      case StateType::kDiagnosticReport:
        for (const ObservationSpec& o : s.observations) observe(o, in->encounter, e);
        return true;
      case StateType::kSymptom:
        if (s.probability >= 1 || p_->rng.uniform() < s.probability)
          p_->symptoms[s.symptom][s.cause.empty() ? in->module->name : s.cause] = draw(s.span);
        return true;
      case StateType::kVitalSign:
        p_->vitals[s.vital_sign] = draw(s.span);
        return true;
      case StateType::kDeath: {
        const double when = s.span.present ? add_duration(e, draw(s.span), s.span.unit) : e;
        const ModuleCode* cause = s.codes.empty() ? nullptr : &s.codes[0];
        if (!cause && s.ref_state >= 0) {
          const ModuleState& onset = in->module->states[static_cast<size_t>(s.ref_state)];
          if (!onset.codes.empty()) cause = &onset.codes[0];
        }
        if (!cause && !s.ref_attribute.empty()) {
          const ModuleValue* a = attribute(s.ref_attribute);
          if (a && a->kind == ModuleValue::Kind::kRow) {
            const std::vector<SpanRow>* rows = span_rows(a->row_kind);
            if (rows && static_cast<size_t>(a->row) < rows->size()) cause = (*rows)[static_cast<size_t>(a->row)].code;
          }
        }
        if (when <= e) {
          p_->death = e;
        } else if (std::isnan(p_->scheduled_death) || when < p_->scheduled_death) {
          p_->scheduled_death = when;
        }
        if (cause) {
          PointRow r;
          r.time = std::isnan(p_->death) ? when : e;
          r.code = &kCauseOfDeath;
          r.value_code = &cause->code;
          cause_of_death_ = r;
        }
        return true;
      }
      case StateType::kCallSubmodule: {
        if (fresh) {
          in->sub = std::make_unique<Instance>();
          in->sub->module = s.sub;
          in->sub->current = s.sub->initial;
          in->sub->entered = e;
          in->sub->encounter = in->encounter;
          in->sub->encounter_state = -1;
        }
        if (t >= in->sub->wake) process(in->sub.get(), t);
        if (in->sub->done) {
          *exit = in->sub->entered;
          if (in->sub->encounter >= 0) in->encounter = in->sub->encounter;
          in->sub.reset();
          return true;
        }
        in->wake = in->sub->wake;
        return false;
      }
    }
    return true;
  }

  void process(Instance* in, double t) {
    int transitions = 0;
    while (!in->done && std::isnan(p_->death)) {
      double exit = in->entered;
      if (!run_state(in, t, &exit)) return;
      const ModuleState& s = in->module->states[static_cast<size_t>(in->current)];
      in->history.push_back({in->current, in->entered, exit});
      if (s.type == StateType::kTerminal || s.type == StateType::kDeath) {
        if (s.type == StateType::kDeath && !std::isnan(p_->death)) {
          in->done = true;
          return;
        }
        if (s.type == StateType::kTerminal) {
          in->done = true;
          in->entered = exit;  // a submodule's caller continues from here
          return;
        }
      }
      const int next = next_state(s, *in, exit);
      if (next < 0) {
        in->done = true;
        in->entered = exit;
        return;
      }
      if (++transitions > kMaxTransitionsPerStep)
        throw InvalidInput(in->module->source + ": states." + s.name + ": more than " +
                           std::to_string(kMaxTransitionsPerStep) +
                           " transitions at one time step (a loop without a Delay or Guard?)");
      in->current = next;
      in->entered = exit;
      in->fresh = true;
      in->wake = -1e300;
    }
  }

  // Death cuts everything after it; open encounters are closed.
  void finish() {
    const double death = p_->death;
    if (!std::isnan(death) && cause_of_death_.code) {
      cause_of_death_.time = death;
      p_->observations.push_back(cause_of_death_);
    }
    for (EncounterRow& e : p_->encounters)
      if (std::isnan(e.end)) e.end = std::max(e.start + kMinEncounterSeconds, e.last);
    if (std::isnan(death)) return;
    for (EncounterRow& e : p_->encounters)
      if (e.end > death) e.end = std::max(e.start, death);
    for (auto* rows : {&p_->conditions, &p_->medications, &p_->allergies, &p_->careplans})
      for (SpanRow& r : *rows) {
        if (!std::isnan(r.end) && r.end > death) r.end = kNaN;  // still active when the patient died
        if (rows == &p_->medications && std::isnan(r.end) && r.start <= death) {
          r.end = death;
          r.stopped = true;
        }
      }
  }

  const PopulationOptions& options_;
  double end_;
  Patient* p_ = nullptr;
  PointRow cause_of_death_;
  std::vector<double> birthdays_;
  mutable double age_at_ = kNaN, age_ = 0;  // age_years' last answer
};

// ------------------------------------------------------------------ demographics

double parse_date(const std::string& text, const char* option) {
  double t;
  if (!parse_datetime(text, "%Y-%m-%d", &t)) throw InvalidInput(std::string(option) + " must be a date YYYY-MM-DD, got '" + text + "'");
  return t;
}

std::string label_of(const Column& c, size_t r) {
  if (c.storage == Storage::kString) return c.codes[r] < 0 ? "" : c.dictionary[static_cast<size_t>(c.codes[r])];
  if (!c.valid[r]) return "";
  const double v = c.values[r];
  return v == std::floor(v) ? std::to_string(static_cast<long long>(v)) : std::to_string(v);
}

std::string gender_label(const std::string& s) {
  const std::string l = lower(s);
  if (l == "m" || l == "male" || l == "man" || l == "1") return "male";
  if (l == "f" || l == "female" || l == "woman" || l == "2") return "female";
  if (l.empty()) return "unknown";
  return "other";
}

struct DemographicsPlan {
  int birth = -1, age = -1, gender = -1, race = -1, ethnicity = -1;
  std::vector<int> extra;
};

DemographicsPlan plan_demographics(const Table& t, const Schema& s) {
  DemographicsPlan d;
  for (size_t c = 0; c < t.columns.size(); ++c) {
    const std::string n = lower(t.columns[c].name);
    const int sc = s.find(t.columns[c].name);
    const ColumnType type = sc >= 0 ? s.columns[static_cast<size_t>(sc)].type : ColumnType::kText;
    if ((n == "birth_date" || n == "birthdate" || n == "dob") && type == ColumnType::kDatetime)
      d.birth = static_cast<int>(c);
    else if (n == "age" && t.columns[c].storage == Storage::kNumber)
      d.age = static_cast<int>(c);
    else if (n == "gender" || n == "sex")
      d.gender = static_cast<int>(c);
    else if (n == "race")
      d.race = static_cast<int>(c);
    else if (n == "ethnicity")
      d.ethnicity = static_cast<int>(c);
    else if (n != "id" && type != ColumnType::kIdentifier && type != ColumnType::kText)
      d.extra.push_back(static_cast<int>(c));
  }
  if (d.birth < 0 && d.age < 0) throw InvalidInput("demographics: needs a birth_date (date) or age (years) column");
  if (d.gender < 0) throw InvalidInput("demographics: needs a gender or sex column");
  return d;
}

void draw_patient(Patient* p, size_t index, const PopulationOptions& o, double end, const DemographicsPlan* plan,
                  uint64_t seed) {
  p->index = index;
  uint64_t h = seed ^ ((static_cast<uint64_t>(index) + 1) * 0x9E3779B97F4A7C15ULL);
  h = (h ^ (h >> 31)) * 0xBF58476D1CE4E5B9ULL;
  p->rng.reseed(h ^ (h >> 29));
  Rng& rng = p->rng;
  // Demographic draws come first, always the same number of them, so that a table of
  // demographics changes only what it gives.
  const double age = o.min_age + (o.max_age - o.min_age) * rng.uniform();
  const bool female = rng.uniform() < o.female_fraction;
  double u = rng.uniform(), total = 0;
  for (const auto& r : o.races) total += r.second;
  std::string race = o.races.empty() ? "" : o.races.back().first;
  double acc = 0;
  for (const auto& r : o.races) {
    acc += r.second / total;
    if (u < acc) {
      race = r.first;
      break;
    }
  }
  const bool hispanic = rng.uniform() < o.hispanic_fraction;
  u = rng.uniform();
  p->ses = u < o.ses_low ? "Low" : u < 1 - o.ses_high ? "Middle" : "High";
  double birth = std::floor((end - age * 365.2425 * kDay) / kDay) * kDay;
  p->gender = female ? "female" : "male";
  p->race = race;
  p->ethnicity = hispanic ? "hispanic" : "nonhispanic";
  if (plan) {
    const Table& t = *o.demographics;
    const size_t r = index;
    if (plan->birth >= 0) {
      const Column& c = t.columns[static_cast<size_t>(plan->birth)];
      if (!c.valid[r]) throw InvalidInput("demographics: row " + std::to_string(r + 1) + ": birth_date is missing");
      birth = std::floor(c.values[r] / kDay) * kDay;
    } else {
      const Column& c = t.columns[static_cast<size_t>(plan->age)];
      if (!c.valid[r] || !(c.values[r] >= 0) || c.values[r] > 130)
        throw InvalidInput("demographics: row " + std::to_string(r + 1) + ": age must be between 0 and 130");
      birth = std::floor((end - c.values[r] * 365.2425 * kDay) / kDay) * kDay;
    }
    p->gender = gender_label(label_of(t.columns[static_cast<size_t>(plan->gender)], r));
    if (plan->race >= 0) p->race = label_of(t.columns[static_cast<size_t>(plan->race)], r);
    if (plan->ethnicity >= 0) p->ethnicity = label_of(t.columns[static_cast<size_t>(plan->ethnicity)], r);
    for (int ci : plan->extra) {
      const Column& c = t.columns[static_cast<size_t>(ci)];
      if (c.is_missing(r)) continue;
      ModuleValue v;
      const int sc = o.demographics_schema->find(c.name);
      const ColumnType type = sc >= 0 ? o.demographics_schema->columns[static_cast<size_t>(sc)].type : ColumnType::kCategorical;
      if (c.storage == Storage::kNumber) {
        v.kind = ModuleValue::Kind::kNumber;
        v.number = c.values[r];
      } else if (type == ColumnType::kBoolean) {
        // the schema lists the false label first
        const auto& labels = o.demographics_schema->columns[static_cast<size_t>(sc)].values;
        const std::string l = label_of(c, r);
        v.kind = ModuleValue::Kind::kNumber;
        v.is_bool = true;
        v.number = labels.size() == 2 ? (l == labels[1]) : (lower(l) == "true" || l == "1" || lower(l) == "yes");
      } else {
        v.kind = ModuleValue::Kind::kString;
        v.text = label_of(c, r);
      }
      p->attributes[c.name] = v;
    }
  }
  p->female = p->gender == "female";
  p->birth = std::min(birth, end);
}

// ------------------------------------------------------------------ chunk assembly

class ChunkBuilder {
 public:
  ChunkBuilder() : d_(empty_clinical_dataset()) {
    for (size_t t = 0; t < d_.tables.size(); ++t) index_.emplace_back(d_.tables[t].columns.size());
  }

  void add(const Patient& p, double start_window) {
    const std::string pid = "p" + std::to_string(p.index + 1);
    const double death = p.death;
    const bool window = !std::isnan(start_window);
    auto keep_point = [&](double t) { return !window || t >= start_window; };
    auto keep_span = [&](const SpanRow& r) { return !window || r.start >= start_window || std::isnan(r.end) || r.end >= start_window; };
    // encounters
    std::vector<std::string> enc_ids(p.encounters.size());
    {
      Table& t = table("encounters");
      size_t k = 0;
      for (size_t i = 0; i < p.encounters.size(); ++i) {
        const EncounterRow& e = p.encounters[i];
        if (!keep_point(e.start) || (!std::isnan(death) && e.start > death)) continue;
        enc_ids[i] = pid + "-e" + std::to_string(++k);
        row(t, "encounters", {{"id", &enc_ids[i]}, {"patient", &pid}, {"class", e.cls}},
            {{"start", e.start}, {"end", e.end}}, e.code);
      }
    }
    auto enc = [&](int i) -> const std::string* {
      return i >= 0 && !enc_ids[static_cast<size_t>(i)].empty() ? &enc_ids[static_cast<size_t>(i)] : nullptr;
    };
    auto spans = [&](const char* name, const std::vector<SpanRow>& rows, char letter, const char* start, const char* end,
                     bool with_encounter, bool status) {
      Table& t = table(name);
      size_t k = 0;
      static const std::string kActive = "active", kStopped = "stopped";
      for (const SpanRow& r : rows) {
        if (!keep_span(r) || (!std::isnan(death) && r.start > death)) continue;
        const std::string id = pid + "-" + letter + std::to_string(++k);
        std::vector<std::pair<const char*, const std::string*>> s = {{"id", &id}, {"patient", &pid}};
        if (with_encounter) s.push_back({"encounter", enc(r.encounter)});
        if (status) s.push_back({"status", r.stopped ? &kStopped : &kActive});
        row(t, name, s, {{start, r.start}, {end, r.end}}, r.code);
      }
    };
    spans("conditions", p.conditions, 'c', "onset", "abatement", true, false);
    spans("medications", p.medications, 'm', "start", "end", true, true);
    spans("allergies", p.allergies, 'a', "onset", "abatement", false, false);
    spans("careplans", p.careplans, 'k', "start", "end", true, false);
    auto points = [&](const char* name, const std::vector<PointRow>& rows, char letter, bool values) {
      Table& t = table(name);
      size_t k = 0;
      for (const PointRow& r : rows) {
        if (!keep_point(r.time) || (!std::isnan(death) && r.time > death)) continue;
        const std::string id = pid + "-" + letter + std::to_string(++k);
        std::vector<std::pair<const char*, const std::string*>> s = {
            {"id", &id}, {"patient", &pid}, {"encounter", enc(r.encounter)}};
        std::vector<std::pair<const char*, double>> n = {{"time", r.time}};
        if (values) {
          s.push_back({"unit", r.unit});
          s.push_back({"value_code", r.value_code});
          n.push_back({"value", r.value});
        }
        row(t, name, s, n, r.code);
      }
    };
    points("observations", p.observations, 'o', true);
    points("procedures", p.procedures, 'x', false);
    // the patient last: deceased known
    Table& pt = table("patients");
    const std::string* race = p.race.empty() ? nullptr : &p.race;
    const std::string* eth = p.ethnicity.empty() ? nullptr : &p.ethnicity;
    row(pt, "patients", {{"id", &pid}, {"gender", &p.gender}, {"race", race}, {"ethnicity", eth}},
        {{"birth_date", p.birth}, {"deceased", death}}, nullptr);
  }

  Dataset take() {
    fill_categories(&d_);
    Dataset out = std::move(d_);
    d_ = empty_clinical_dataset();
    for (auto& m : index_)
      for (auto& c : m) c.clear();
    return out;
  }

 private:
  Table& table(const char* name) { return d_.table(name); }

  // Appends one row: named string and number cells, the code triple; other cells missing.
  void row(Table& t, const char* name, const std::vector<std::pair<const char*, const std::string*>>& strings,
           const std::vector<std::pair<const char*, double>>& numbers, const ModuleCode* code) {
    const size_t ti = static_cast<size_t>(d_.schema.find(name));
    for (size_t c = 0; c < t.columns.size(); ++c) {
      Column& col = t.columns[c];
      if (col.storage == Storage::kNumber) {
        double v = kNaN;
        for (const auto& [k, x] : numbers)
          if (col.name == k) v = x;
        col.values.push_back(std::isnan(v) ? 0 : v);
        col.valid.push_back(!std::isnan(v));
      } else {
        const std::string* v = nullptr;
        for (const auto& [k, x] : strings)
          if (col.name == k) v = x;
        if (code) {
          if (col.name == "code_system") v = &code->system;
          if (col.name == "code") v = &code->code;
          if (col.name == "display") v = &code->display;
        }
        if (!v) {
          col.codes.push_back(-1);
          continue;
        }
        auto& idx = index_[ti][c];
        const auto it = idx.find(*v);
        if (it != idx.end()) {
          col.codes.push_back(it->second);
        } else {
          const int32_t k = static_cast<int32_t>(col.dictionary.size());
          col.dictionary.push_back(*v);
          idx.emplace(*v, k);
          col.codes.push_back(k);
        }
      }
    }
  }

  Dataset d_;
  std::vector<std::vector<std::unordered_map<std::string, int32_t>>> index_;
};

}  // namespace

void PopulationOptions::validate() const {
  double end, start;
  if (!parse_datetime(end_date, "%Y-%m-%d", &end)) throw InvalidInput("--end-date must be a date YYYY-MM-DD, got '" + end_date + "'");
  if (!start_date.empty()) {
    if (!parse_datetime(start_date, "%Y-%m-%d", &start))
      throw InvalidInput("--start-date must be a date YYYY-MM-DD, got '" + start_date + "'");
    if (start >= end) throw InvalidInput("--start-date must be before --end-date");
  }
  if (!(min_age >= 0) || !(max_age > min_age) || max_age > 130)
    throw InvalidInput("ages: need 0 <= min_age < max_age <= 130");
  if (!(female_fraction >= 0 && female_fraction <= 1)) throw InvalidInput("female_fraction must be in [0, 1]");
  if (!(hispanic_fraction >= 0 && hispanic_fraction <= 1)) throw InvalidInput("hispanic_fraction must be in [0, 1]");
  if (!(ses_low >= 0 && ses_high >= 0 && ses_low + ses_high <= 1)) throw InvalidInput("ses_low + ses_high must be in [0, 1]");
  double total = 0;
  for (const auto& r : races) {
    if (!(r.second >= 0)) throw InvalidInput("race weights must not be negative");
    total += r.second;
  }
  if (!races.empty() && !(total > 0)) throw InvalidInput("race weights add up to 0");
  if (!(step_days >= 1.0 / 24 && step_days <= 366)) throw InvalidInput("step_days must be between 1/24 and 366");
  if (!(wellness_years >= 0.25 && wellness_years <= 20)) throw InvalidInput("wellness_years must be between 0.25 and 20");
  if (chunk_patients == 0) throw InvalidInput("--chunk must be at least 1");
  if (demographics && !demographics_schema) throw InvalidInput("demographics: a schema is required");
  if (demographics && patients > demographics->num_rows())
    throw InvalidInput("--patients " + std::to_string(patients) + " is more than the " +
                       std::to_string(demographics->num_rows()) + " rows of the demographics table");
  if (!demographics && patients == 0) throw InvalidInput("--patients must be at least 1");
}

PopulationSummary run_population(const ModuleSet& modules, const PopulationOptions& options, const Context& ctx,
                                 const std::function<void(const Dataset& chunk)>& sink) {
  options.validate();
  ctx.validate();
  if (modules.modules.empty()) throw InvalidInput("no modules to run");
  const double end = parse_date(options.end_date, "--end-date");
  const double start = options.start_date.empty() ? kNaN : parse_date(options.start_date, "--start-date");
  std::unique_ptr<DemographicsPlan> plan;
  if (options.demographics) plan = std::make_unique<DemographicsPlan>(plan_demographics(*options.demographics, *options.demographics_schema));
  const size_t n = options.patients ? options.patients : options.demographics->num_rows();
  PopulationSummary summary;
  ChunkBuilder builder;
  if (ctx.progress) ctx.progress->begin("simulating patients", n);
  const size_t threads = static_cast<size_t>(std::max(1, ctx.threads));
  for (size_t first = 0; first < n; first += options.chunk_patients) {
    const size_t count = std::min(options.chunk_patients, n - first);
    std::vector<Patient> patients(count);
    std::vector<std::string> errors(threads);
    auto work = [&](size_t w) {
      try {
        for (size_t i = w; i < count; i += threads) {
          draw_patient(&patients[i], first + i, options, end, plan.get(), ctx.seed);
          Engine engine(options, end);
          engine.simulate(&patients[i], modules);
        }
      } catch (const std::exception& e) {
        errors[w] = e.what();
      }
    };
    if (threads == 1 || count < 2) {
      work(0);
    } else {
      std::vector<std::thread> pool;
      for (size_t w = 0; w < threads; ++w) pool.emplace_back(work, w);
      for (auto& t : pool) t.join();
    }
    for (const std::string& e : errors)
      if (!e.empty()) throw InvalidInput(e);
    for (const Patient& p : patients) {
      builder.add(p, start);
      summary.deceased += !std::isnan(p.death);
    }
    Dataset chunk = builder.take();
    for (size_t t = 0; t < chunk.tables.size(); ++t) summary.rows[chunk.schema.tables[t].name] += chunk.tables[t].num_rows();
    summary.patients += count;
    ++summary.chunks;
    sink(chunk);
    if (ctx.progress) ctx.progress->update(first + count);
  }
  if (ctx.progress) ctx.progress->end();
  return summary;
}

Dataset run_population(const ModuleSet& modules, const PopulationOptions& options, const Context& ctx,
                       PopulationSummary* summary) {
  Dataset all = empty_clinical_dataset();
  const PopulationSummary s = run_population(modules, options, ctx, [&](const Dataset& chunk) {
    for (size_t t = 0; t < chunk.tables.size(); ++t) {
      Table& dst = all.tables[t];
      const Table& src = chunk.tables[t];
      for (size_t c = 0; c < src.columns.size(); ++c) {
        Column& d = dst.columns[c];
        const Column& s = src.columns[c];
        if (s.storage == Storage::kNumber) {
          d.values.insert(d.values.end(), s.values.begin(), s.values.end());
          d.valid.insert(d.valid.end(), s.valid.begin(), s.valid.end());
        } else {
          const int32_t offset = static_cast<int32_t>(d.dictionary.size());
          d.dictionary.insert(d.dictionary.end(), s.dictionary.begin(), s.dictionary.end());
          for (int32_t k : s.codes) d.codes.push_back(k < 0 ? -1 : k + offset);
        }
      }
    }
  });
  fill_categories(&all);
  if (summary) *summary = s;
  return all;
}

Demographics read_demographics(const std::string& path) {
  const RawTable raw = read_csv(path);
  Demographics d;
  d.schema = infer_schema(raw);
  d.table = to_table(raw, d.schema);
  try {
    plan_demographics(d.table, d.schema);  // checks the columns now, naming the file
  } catch (const InvalidInput& e) {
    throw InvalidInput(path + ": " + e.what());
  }
  return d;
}

}  // namespace medgen::records
