// The simulator's data, read at run time from data/sim (or another folder): drugs, conditions,
// comorbidities, orders (labs and imaging) and guideline rubrics. Every file is validated strictly;
// a wrong key or value is an InvalidInput naming the file, line and column. See docs/simulation.md for the
// formats. Educators add a condition by dropping a JSON file into conditions/; nothing is compiled.
#pragma once

#include <array>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace medgen::sim {

// Physiological modifiers: the common language of conditions and drugs. A condition's effect and
// a drug's pharmacodynamic effect both name one of these; their contributions add up, and the
// physiology reads the sums (see physiology.h for how each is applied).
enum class Mod {
  kBleedingMlPerMin,        // whole-blood loss at MAP 90 (scales with pressure)
  kFluidLossMlPerH,         // plasma-water loss (vomiting, diarrhoea, osmotic diuresis on top of the model's)
  kCapillaryLeakMlPerH,     // plasma leaking into the interstitium
  kSvr,                     // fractional change of systemic vascular resistance (-0.4: vasodilation)
  kHr,                      // fractional change of heart rate drive (pain, anxiety, chronotropes)
  kContractility,           // fractional change of contractility (-0.3: infarct; +: inotropes)
  kVenousCapacitance,       // fractional change of unstressed venous volume (+: venodilation, lower preload)
  kShunt,                   // added intrapulmonary shunt fraction
  kVaMismatchMmhg,          // added alveolar-arterial O2 gradient from V/Q mismatch (oxygen helps)
  kBronchospasm,            // 0..1: airway narrowing (dead space up, tidal volume down)
  kBronchodilation,         // 0..1: fraction of bronchospasm relieved
  kRespDepression,          // 0..1: fraction of respiratory drive removed (opioids)
  kRrDrive,                 // fractional increase of ventilatory drive (pain, fever, anxiety): lowers PaCO2
  kSedationGcs,             // GCS points removed
  kIntrathoracicMmhg,       // raised intrathoracic pressure impeding venous return (tension pneumothorax)
  kLactateMmolPerLPerH,     // lactate production beyond that from low oxygen delivery
  kFeverC,                  // rise of the temperature set point
  kWbcRise,                 // rise of the white cell count target (10^9/L)
  kInsulinDeficiency,       // 0..1: loss of endogenous insulin secretion
  kKetonesMmolPerLPerH,     // ketogenesis at zero insulin (suppressed by insulin)
  kPotassiumLossMmolPerH,   // potassium lost from the body
  kPotassiumShiftMmolPerL,  // serum potassium shift (beta-2 agonists: negative)
  kTroponinNgPerLPerH,      // troponin release from myocardial injury
  kGlucoseProduction,       // fractional increase of endogenous glucose production
  kInsulinMuPerL,           // exogenous plasma insulin (mU/L)
  kUnmeasuredAnionsMmolPerLPerH,  // non-lactate strong anions (sepsis: Noritomi 2009), cleared by the kidneys
  kTachypnoea,  // non-CO2 drive (lung stretch, J receptors): fractional rise of rate with shallower breaths,
                // alveolar ventilation unchanged, so the PaCO2 set point cannot cancel it
  kAvConduction,   // fractional change of AV-nodal conduction: the ventricular rate in atrial fibrillation
                   // (-0.3: beta-blockers, diltiazem); no effect in sinus rhythm (they act there through `hr`)
  kVagolysis,      // 0..1: fraction of vagal tone removed (atropine): sinus rate up, a vagal (nodal) AV block
                   // conducts again; an infranodal escape rhythm does not respond
  kAntiarrhythmic, // 0..1: membrane stabilisation (amiodarone): a shock more often ends VF for good
  kPericardialMmhg,  // pericardial pressure (tamponade): the ventricle fills against it (transmural preload =
                     // Pv - intrathoracic - pericardial), venous pressure backs up; no effect on the lungs
  kIcpMmhg,  // rise of intracranial pressure above 10 mmHg (traumatic brain injury): CPP = MAP - ICP; consciousness
             // falls as CPP drops below 50 mmHg (no Cushing reflex, no herniation)
  kOxygenDeadSpace,  // COPD: fractional rise of dead space when oxygen releases hypoxic pulmonary vasoconstriction
                     // (with the Haldane effect), scaled by alveolar PO2 from 60 (none) to 300 mmHg (all)
  kSeizure,  // 0..1: generalised convulsive seizure activity (status epilepticus): unresponsive (10 GCS points at 1),
             // readable as the vital `seizure`; its sympathetic, metabolic and airway effects are the condition's own
  kBetaBlockade,  // 0..1: fraction of beta-adrenergic signalling blocked (beta-blocker poisoning): the sympathetic
                  // chronotropic and inotropic response and half the adrenergic counter-regulation of glucose are lost,
                  // and drug effects on the "beta_adrenergic" receptor need 1/(1 - x) times the concentration
                  // (competitive, surmountable); alpha-mediated vasoconstriction is untouched
  kCount
};
constexpr size_t kNumMods = static_cast<size_t>(Mod::kCount);
const char* mod_name(Mod m);
bool mod_from_name(const std::string& name, Mod* out);
std::string mod_names();  // comma-separated, for error messages

using Modifiers = std::array<double, kNumMods>;

enum Severity { kMild = 0, kModerate = 1, kSevere = 2 };
const char* severity_name(int s);

struct RouteSpec {
  double bioavailability = 1;           // fraction of the dose reaching plasma
  double absorption_half_life_min = 0;  // first-order absorption from a depot; 0 = straight into plasma
};

struct DrugEffect {
  Mod target = Mod::kSvr;
  double emax = 0;       // maximal change (sigmoid Emax model); negative for decreases
  double ec50 = 1;       // effect-site concentration for half the maximum (amount unit per L)
  double hill = 1;       // Hill coefficient
  double slope = 0;      // linear model instead (effect = slope * C) when emax == 0
  std::string receptor;  // for competitive antagonism ("mu_opioid")
};

// Dose limits of one route (bolus) or of an infusion (per hour), in the drug's amount unit. Above a soft
// limit an order needs confirmation (and counts as harmful); above a hard limit it is refused. 0: no limit.
struct DoseLimit {
  double soft_per_kg = 0, hard_per_kg = 0;  // per kg of body weight
  double soft_max = 0, hard_max = 0;        // absolute, whatever the weight
};

// Published pharmacokinetic / pharmacodynamic time course of a dose (minutes), each a [lo, hi] range
// from the literature; the tests simulate `dose_per_kg` by `route` and check the model's curve.
struct KineticsSpec {
  std::string route;           // route of the reference dose
  double dose_per_kg = 0;      // reference dose (amount unit per kg); 0: no kinetics block
  std::string measure;         // what the curve is read from: a modifier name, "plasma" or "glucose"
  double onset_lo = 0, onset_hi = 0, peak_lo = 0, peak_hi = 0, duration_lo = 0, duration_hi = 0;
  double half_life_lo = 0, half_life_hi = 0;  // elimination half-life range (0: not applicable)
  // Onset is when the measure first reaches `threshold` (absolute, when > 0) or `threshold_fraction` of its
  // peak; duration is how long it stays there.
  double threshold = 0, threshold_fraction = 0.2;
  std::string half_life_note;  // set when the model's half-life is an effective one (the test then skips it)
  std::string source;
};

struct DrugSpec {
  std::string name, title, file;
  std::vector<std::string> aliases, classes;
  std::string amount_unit;                  // "mg", "mcg", "g", "units", "mmol"
  double volume_l_per_kg = 0;               // one-compartment volume of distribution
  double half_life_min = 0;                 // elimination half-life
  double ke0_per_min = 0;                   // effect-site equilibration; 0: effect follows plasma
  std::map<std::string, RouteSpec> routes;  // "iv", "im", "sc", "neb", "in", "po"
  std::string default_route;                // when an order names none ("": IV if possible, else the first)
  std::vector<DrugEffect> effects;
  std::map<std::string, double> antagonist_ki;  // receptor -> Ki (amount unit per L)
  // A substance delivered straight into a body pool instead of a PK compartment (dextrose, potassium).
  std::string substance;               // "", "glucose", "potassium"
  double substance_mmol_per_unit = 0;  // mmol of the substance per amount unit
  double concentration_per_ml = 0;     // amount per mL of the usual preparation (doses given in mL)
  std::map<std::string, DoseLimit> bolus_limits;  // by route; "*" applies to routes not listed
  DoseLimit rate_limit_per_h;                     // infusion rate limits (amount unit per hour)
  DoseLimit arrest_limit;                         // IV/IO bolus limits during cardiac arrest (epinephrine 1 mg)
  bool has_arrest_limit = false;
  bool infusion = false;                          // may run as an infusion (an order with a rate)
  double iv_push_per_min = 0;  // an IV dose runs in at this rate (amount unit/min); 0: an instant push
  std::string limits_source;   // where the limits come from
  KineticsSpec kinetics;
  // The limit for a bolus by `route` ("*" when the route has none of its own); nullptr when none.
  const DoseLimit* bolus_limit(const std::string& route) const;
  std::vector<std::string> references;
};

struct EffectSpec {
  Mod target = Mod::kSvr;
  std::array<double, 3> by_severity{};                   // value at full onset, per severity
  double ramp_hours = 0.5;                               // time constant of onset
  double growth_per_hour = 0;                            // progression: value * (1 + growth * hours), >= 0
  double max = std::numeric_limits<double>::infinity();  // cap on |value|
};

enum class TreatmentMode { kResolve, kDecay, kHalt };

struct TreatmentSpec {
  std::string by;            // an action tag: drug name, drug class, procedure, "crystalloid", "oxygen"...
  std::vector<Mod> targets;  // empty: every effect of the condition
  TreatmentMode mode = TreatmentMode::kDecay;
  double delay_hours = 0;      // before the treatment starts to act
  double half_life_hours = 1;  // kDecay only
  std::array<bool, 3> severities{true, true, true};  // the tiers it acts in (status epilepticus: a benzodiazepine
                                                     // ends an early seizure, not an established one)
  std::string note;
};

struct InitialDrug {
  std::string drug, route;
  std::array<double, 3> per_kg{};  // dose per kg by severity, in the drug's amount unit
};

struct HistoryTopic {
  std::string topic;
  std::vector<std::string> keywords;
  std::string answer;  // may use {age}, {sex}, {weight}, {onset}, {comorbidities}, {allergies}
};

// The heart rhythm a condition imposes (see rhythm.h): from onset, or from `before_presentation_min`
// before the patient presents (a witnessed collapse), with a rate by severity (AF's uncontrolled
// ventricular rate, an escape rhythm's rate).
struct RhythmSpec {
  std::array<std::string, 3> kind;        // by severity: "" (sinus), "af", "av_block_nodal", "complete_heart_block", "vf", "pulseless_vt"
  std::array<double, 3> rate_bpm{};       // by severity (0 for VF)
  std::array<double, 3> before_min{-1, -1, -1};  // minutes before presentation it starts (-1: at onset)
};

struct ConditionSpec {
  std::string name, title, file, description;
  std::vector<std::string> aliases, sources;
  double onset_min_hours = 1, onset_max_hours = 2;  // condition began this long before presentation
  std::array<double, 3> severity_weights{1, 1, 1};
  double age_mean = 50, age_sd = 15, age_min = 18, age_max = 90, female_fraction = 0.5;
  std::map<std::string, double> comorbidities;  // name -> probability
  std::vector<EffectSpec> effects;
  std::vector<InitialDrug> initial_drugs;
  std::vector<TreatmentSpec> treatments;
  std::string presenting_complaint;  // template
  std::vector<HistoryTopic> history;
  std::array<std::vector<std::string>, 3> findings;   // examination findings by severity
  std::map<std::string, std::string> investigations;  // order name -> finding text (ecg, chest_xray...)
  std::string rubric;
  std::string setting = "emergency department";
  RhythmSpec rhythm;
};

struct ComorbiditySpec {
  std::string name, history;
  std::map<std::string, double> params;  // PatientParams field -> multiplier (or added for "add_*")
};

struct OrderSpec {
  std::string name, title, kind;  // kind: "lab", "imaging", "test"
  std::vector<std::string> aliases;
  double turnaround_min = 30;
  std::vector<std::string> results;  // variables reported (lab)
  std::string note;                  // shown when ordered (e.g. cultures: results in 48 h)
};

struct Criterion {
  std::string variable;  // a vital or lab (see Vitals::get)
  double below = std::numeric_limits<double>::quiet_NaN();
  double at_least = std::numeric_limits<double>::quiet_NaN();
  bool holds(double x) const;
  std::string describe() const;
};

struct RubricItem {
  std::string id, text, kind;  // kind: "do", "avoid", "target", "avoid_sustained"
  double points = 10;
  std::string action;           // "do"/"avoid": the action tag ("a|b": either)
  double within_min = -1;       // "do": deadline from the start of the session (-1: any time)
  double late_points = 0;       // "do": points when done after the deadline
  std::string before;           // "do": must happen before the first action with this tag
  double min_total_per_kg = 0;  // "do": total amount (mL/kg for fluids, amount unit/kg for drugs) by the deadline
  double max_total_per_kg = 0;  // "avoid": penalised only when the total exceeds this
  std::vector<Criterion> when;  // applies only if any holds (at the action for "avoid", during the session otherwise)
  double when_after_min = 0;    // "do"/"target": `when` is looked for only from this time on
  Criterion target;             // "target": reached by `within_min` and then held at the end;
                                // "avoid_sustained": the state penalised when it lasts `for_min`
  bool first_only = false;      // "avoid": judge only the first action with the tag (starting, not titrating)
  std::string during;           // "avoid_sustained": only while a drug with this tag runs as an infusion
  double for_min = 0;           // "avoid_sustained": minutes the state must last to be penalised
};

struct Rubric {
  std::string name, title, file;
  std::vector<std::string> sources;
  std::vector<RubricItem> items;
  double harmful_dose_penalty = 5;   // points per dose or rate given above a drug's soft limit (confirmed)
  double refused_order_penalty = 3;  // points per drug order refused by the dose checks (hard limit, unit, route)
};

struct Catalog {
  std::string dir;
  std::vector<DrugSpec> drugs;
  std::vector<ConditionSpec> conditions;
  std::map<std::string, ComorbiditySpec> comorbidities;
  std::vector<OrderSpec> orders;
  std::map<std::string, Rubric> rubrics;

  // Reads dir/{drugs,conditions,guidelines}/*.json, dir/comorbidities.json and dir/orders.json,
  // then `extra_conditions` (a folder or one file) if given. Cross-references are checked.
  static Catalog load(const std::string& dir, const std::string& extra_conditions = "");
  // The folder with the embedded data: $MEDGEN_SIM_DATA, else the source tree's data/sim, else ./data/sim.
  static std::string default_dir();

  const DrugSpec* find_drug(const std::string& name_or_alias) const;  // case-insensitive
  int drug_index(const std::string& name) const;                      // -1 when absent
  const ConditionSpec* find_condition(const std::string& name_or_alias) const;
  const OrderSpec* find_order(const std::string& name_or_alias) const;

  // What `medgen sim list --json` prints: {conditions: [{name, title, aliases, rubric, file}],
  // drugs: [{name, aliases, classes, unit}], orders: [{name, turnaround_min}]}.
  nlohmann::json summary_json() const;
};

// Parses one condition / drug / rubric file (exposed for tests and for `medgen sim check`).
ConditionSpec load_condition(const std::string& path);
DrugSpec load_drug(const std::string& path);
Rubric load_rubric(const std::string& path);

std::string lower(std::string s);

}  // namespace medgen::sim
