// A simulated encounter: the patient's physiology under the case's condition, the trainee's actions
// (free text, parsed forgivingly), pending lab and imaging orders, alarms and clinical events, and the
// record that the scorer and the debrief read. The same class serves the interactive terminal session
// and the scripted (batch) one; it never reads a clock: time moves only through advance().
#pragma once

#include <string>
#include <vector>

#include "medgen/sim/alarms.h"
#include "medgen/sim/case.h"
#include "medgen/sim/catalog.h"
#include "medgen/sim/physiology.h"

namespace medgen::sim {

struct Event {
  double t_s = 0;    // seconds since presentation
  std::string kind;  // "action", "answer", "result", "alarm", "event", "warning", "error", "info"
  std::string text;
  std::string actor;  // who did it (a trainee id) for actions and their replies; "" for the patient or a lone trainee
};

// Who did an action: a trainee and the role they hold in the team (see team.h). Empty for a lone
// trainee, whose actions are never out of role.
struct Actor {
  std::string id;    // trainee id ("alice")
  std::string role;  // "leader", "airway", "circulation", "drugs", "procedures"; "" = any
};

struct ActionRecord {
  double t_s = 0;
  std::string text;               // as typed
  std::string summary;            // as understood ("norepinephrine 0.1 mcg/kg/min IV")
  std::vector<std::string> tags;  // for rubrics and treatments: drug name and classes, order, procedure...
  double amount_per_kg = 0;       // drug amount (amount unit) or fluid volume (mL) per kg, bolus part
  bool harmful = false;           // dose or rate above the drug's maximum, or a known allergy
  Vitals vitals;                  // at the time of the action
  Actor by;                       // who did it
  bool out_of_role = false;       // outside the scope of `by.role` (see team.h)
  std::string category;           // "history", "examination", "monitoring", "investigation", "drug", "fluid", "airway", "procedure"
};

struct Sample {
  double t_s = 0;
  Vitals v;
};

// A parsed action. Exposed for tests of the parser.
struct Action {
  enum class Kind {
    kAsk,
    kOrder,
    kDrug,
    kStopDrug,
    kFluid,
    kStopFluids,
    kOxygen,
    kIntubate,
    kProcedure,
    kExamine,
    kVitals,
    kWait,
    kHelp,
    kEnd,
    kConfirm,      // give the order that is waiting for confirmation (above a soft limit)
    kCancel,       // drop it
    kSilence,      // pause the alarms' audio for `seconds` ("silence alarms 2 min")
    kAcknowledge,  // acknowledge the active alarms
    kShock,        // defibrillation or synchronised cardioversion, `joules`
    kPace,         // transcutaneous pacing at `pace_rate_bpm` (`stop`: off)
    kCpr,          // chest compressions (`stop`: hold them)
    kVentilator,   // change ventilator (intubated) or NIV/CPAP settings: the `vent_*`/`niv_*` fields set
    kUnknown
  };
  Kind kind = Kind::kUnknown;
  std::string what;       // topic, order, drug or procedure name
  std::string route;      // drug route
  double amount = 0;      // drug bolus in the drug's amount unit
  double rate_per_s = 0;  // drug infusion in amount unit per second
  double volume_ml = 0;   // fluids
  double fluid_rate_ml_s = 0;
  bool blood = false;
  double fio2 = 0.21;
  double seconds = 0;   // wait
  std::string message;  // kUnknown: what went wrong and a suggestion
  // Drug and fluid orders as written, for the dose checks and the parser evaluation.
  double dose_value = 0;      // the number as typed (number words read as digits)
  std::string dose_unit;      // its unit, normalised ("mcg/kg/min", "ml", "l", "units/kg/h"); "" when none
  bool unit_assumed = false;  // no unit typed: the drug's amount unit was assumed
  double over_s = 0;          // "over 15 min": given over this time (0: the default)
  bool confirmed = false;     // the order says "confirm": above a soft limit, give it anyway
  bool refused = false;       // kUnknown for a drug order that cannot be given as written (unit, route)
  std::string note;           // said back with the action (a corrected spelling, an assumed unit)
  // Electrical procedures and CPR.
  double joules = 0;          // kShock: energy
  bool synchronised = false;  // kShock: synchronised to the R wave (cardioversion)
  double pace_rate_bpm = 0;   // kPace
  double pace_ma = 0;         // kPace: output; 0 = titrated until capture
  bool stop = false;          // kPace, kCpr, kVentilator (NIV off): stop
  // kVentilator: the settings to change; < 0 leaves one as it is. `what`: "ventilator", "niv" or "cpap".
  double vent_rr = -1, vent_vt_ml_per_kg = -1, vent_peep = -1, vent_fio2 = -1;
  double niv_ipap = -1, niv_epap = -1;
  // kProcedure: the variant named ("tourniquet" for haemorrhage control; a central line's site "ij",
  // "subclavian" or "femoral"; "release" for taking a tourniquet off) and whether ultrasound guides it.
  std::string detail;
  bool ultrasound = false;
};

// A complication of a procedure done wrongly or late: a real change of the physiology (effect courses added
// from `t_s`), an "event" in the log, and the tag "complication:<id>" on the action that caused it (rubrics
// can penalise it as an "avoid" item with that tag).
struct Complication {
  double t_s = 0;
  std::string id;    // "iatrogenic_pneumothorax", "peri_intubation_hypotension", ...
  std::string text;  // as logged
  int action = -1;   // index into actions() of the cause (-1: none)
  bool treated = false;
  size_t first_course = 0, num_courses = 0;  // its effect courses in the physiology
};

// The chance of each complication of a central venous catheter by site ("ij", "subclavian", "femoral") and
// guidance (see the sources in session.cpp and docs/simulation.md).
struct CentralLineRisk {
  double arterial_puncture = 0, pneumothorax = 0;
};
CentralLineRisk central_line_risk(const std::string& site, bool ultrasound);

// The name of an action kind ("drug", "stop_drug", "fluid", ...), as in the parser evaluation set.
const char* action_kind_name(Action::Kind k);

// A drug order checked against the limits in its drug file before it is given (see order_safety.h).
struct SafetyRecord {
  double t_s = 0;
  std::string text;     // as typed
  std::string drug;     // drug name ("" when none was recognised)
  std::string outcome;  // "refused", "needs confirmation", "confirmed", "cancelled"
  std::string reason;
};

// Parses one action ("give epinephrine 0.5 mg im", "fluids 30 ml/kg", "order lactate"...). Never throws
// on bad text: returns kUnknown with a helpful message (closest known word for typos).
Action parse_action(const std::string& text, const Catalog& catalog, const ConditionSpec& condition, double weight_kg);

// How the session shows the patient.
struct SessionOptions {
  // Examiner mode: nothing is shown until asked for. The monitor line and alarms stay blank until the
  // monitor is attached ("attach monitor"); "check vitals" gives one spot reading; results only once
  // ordered and resulted (as always). Every request is recorded for the debrief.
  bool examiner = false;
  // The team (several trainees with roles, see team.h); empty for a lone trainee. When set, the debrief,
  // the JSON record and the xAPI statements attribute the score per trainee.
  std::vector<Actor> team;
  // Alarm limits (see alarms.h); empty: default_alarm_limits().
  std::vector<AlarmLimit> alarms;
};

class Session {
 public:
  Session(const Catalog& catalog, const Case& c, const SessionOptions& options = {});

  // Applies one line of free text (several actions may be separated by ';'), done by `by`. Returns the
  // replies.
  std::vector<Event> act(const std::string& text, const Actor& by = {});
  // Advances the patient; returns events raised on the way (results, alarms, arrest, death).
  std::vector<Event> advance(double seconds);

  double time_s() const { return t_s_; }
  Vitals vitals() const { return phys_.vitals(); }
  bool dead() const { return dead_; }
  const Case& case_data() const { return case_; }
  const ConditionSpec& condition() const { return *cond_; }
  const Catalog& catalog() const { return *cat_; }
  const std::vector<Event>& log() const { return log_; }
  const std::vector<ActionRecord>& actions() const { return actions_; }
  const std::vector<Sample>& samples() const { return samples_; }
  // Drug orders refused, held for confirmation, confirmed or cancelled (debrief and scoring).
  const std::vector<SafetyRecord>& safety_log() const { return safety_; }
  // Complications of procedures so far (see Complication), and whether a central line is in.
  const std::vector<Complication>& complications() const { return complications_; }
  bool central_access() const { return central_line_at_s_ >= 0 && t_s_ >= central_line_at_s_; }
  // Every alarm from onset to its end (priority, acknowledgement, silencing), and the limits in use.
  const std::vector<AlarmRecord>& alarm_log() const { return alarm_log_; }
  const std::vector<AlarmLimit>& alarm_limits() const { return limits_; }
  // Whether the alarms' audio is paused now (silence), and until when.
  bool alarms_silenced() const { return t_s_ < silenced_until_s_; }
  Physiology& physiology() { return phys_; }
  const SessionOptions& options() const { return opt_; }
  // Examiner mode: whether the monitor is attached (always true otherwise), and since when (-1: never).
  bool monitor_attached() const { return !opt_.examiner || monitor_at_s_ >= 0; }
  double monitor_attached_at_s() const { return monitor_at_s_; }
  // The vitals the trainee can see now: the truth, or (examiner mode, monitor not attached) nothing.
  bool shown_vitals(Vitals* v) const;
  // The case's presentation as the trainee reads it: the vignette, or in examiner mode the vignette
  // without the vital signs and the examination (found by asking for them).
  std::string briefing() const;

  // One line for the monitor (examiner mode, not attached: "+0:02:00  monitor not attached"): "t+12:00  HR 118  BP 84/52 (63)  RR 24  SpO2 93% (FiO2 0.21)  T 38.9  GCS 14".
  std::string monitor_line() const;
  // The monitor line whatever the examiner mode hides (for the examiner's own view and tests).
  std::string true_monitor_line() const;
  static std::string clock(double t_s);  // "+1:05:00"

 private:
  const Catalog* cat_;
  const ConditionSpec* cond_;
  SessionOptions opt_;
  double monitor_at_s_ = -1;
  Actor by_;  // who is acting now (act)
  Case case_;
  Physiology phys_;
  double onset_s_ = 0, t_s_ = 0, next_sample_s_ = 0;
  bool dead_ = false;
  double arrest_at_ = -1;
  std::vector<Event> log_;
  std::vector<ActionRecord> actions_;
  std::vector<Sample> samples_;
  std::vector<SafetyRecord> safety_;
  bool awaiting_confirm_ = false;  // an order above a soft limit waits for 'confirm'
  Action held_;                    // that order
  std::string held_text_;
  struct Pending {
    const OrderSpec* order;
    double due_s;
    Vitals at_draw;
  };
  std::vector<Pending> pending_;
  std::vector<double> danger_since_;  // per arrest trigger
  std::vector<AlarmLimit> limits_;
  std::vector<int> alarm_on_;           // per limit: index into alarm_log_ of its active alarm, or -1
  std::vector<double> next_reminder_s_;  // per limit: when an unacknowledged alarm is announced again
  std::vector<AlarmRecord> alarm_log_;
  double silenced_until_s_ = -1;
  // Seeded draws for the electrical procedures (never a clock): the patient's prognosis in a shockable
  // arrest (a shock that ends VF restores circulation when it is below arrest_survival_probability),
  // the pacing capture threshold, and one draw per shock.
  uint64_t rng_ = 0;
  double prognosis_u_ = 0, pace_threshold_ma_ = 60;
  int shocks_ = 0;
  double next_draw();
  // Complications draw from their own stream (seeded from the case's seed too), so that adding one never
  // shifts the electrical procedures' draws above.
  uint64_t comp_rng_ = 0;
  double comp_draw();
  std::vector<Complication> complications_;
  double central_line_at_s_ = -1;   // when central access is ready (-1: no line)
  int central_line_action_ = -1;
  double tourniquet_on_s_ = -1;     // tourniquet applied at (-1: none on)
  int tourniquet_action_ = -1;
  bool tourniquet_warned_ = false;
  int vent_action_ = -1;            // the action that last set the ventilation (intubation or settings)
  double baro_hazard_ = 0, baro_limit_ = -1;  // cumulative barotrauma hazard, and the drawn threshold
  bool hyperinflation_reported_ = false;
  int oesophageal_ = -1;            // index of the unrecognised oesophageal intubation in complications_ (-1: none)
  bool oesophageal_reported_ = false;
  // Adds a complication: courses (their start_s set to now), the event, the tag on `action`.
  void complicate(std::vector<Event>* out, const std::string& id, const std::string& text,
                  std::vector<EffectCourse> courses, int action, bool announce = true);
  bool pneumothorax_present() const;     // the condition's or an untreated iatrogenic one
  void treat_pneumothorax();              // a needle or drain resolves the iatrogenic ones
  void recognise_oesophageal(std::vector<Event>* out);  // capnography finds the tube in the oesophagus
  void check_procedures(std::vector<Event>* out, double dt);  // every step: timed procedure consequences
  bool central_reported_ = false;
  bool had_alarm_ = false, stable_reported_ = false;
  double stable_since_ = -1;

  void emit(std::vector<Event>* out, const std::string& kind, const std::string& text);
  void apply_treatments(const std::vector<std::string>& tags);
  void check(std::vector<Event>* out);
  std::vector<Event> apply(const Action& a, const std::string& text);
};

}  // namespace medgen::sim
