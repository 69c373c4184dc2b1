#include "medgen/sim/physiology.h"

#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "medgen/core/error.h"

namespace medgen::sim {

namespace {

// State layout. Drug states follow: per drug depot amount, central amount, effect-site concentration.
enum : int {
  kVa,
  kVv,
  kVi,
  kRbc,
  kSympFast,
  kSympSlow,
  kRr,
  kPaco2,
  kLac,
  kKet,
  kKpool,
  kGlu,
  kX,
  kIns,
  kTemp,
  kCreat,
  kWbc,
  kTrop,
  kUrine,
  kUa,    // unmeasured (non-lactate, non-ketone) strong anions, mmol/L
  kBled,  // whole blood shed since the start, mL
  kIsch,  // ischaemic minutes of cardiac arrest (no flow counts 1 per minute, CPR less)
  kNumCore
};

constexpr double kLn2 = 0.69314718055994531;
const std::string kBetaReceptor = "beta_adrenergic";  // drug effects that beta-blockade antagonises
constexpr double kPvRef = 7.0;               // mean venous (filling) pressure at rest, mmHg
constexpr double kPk = 5.0;                  // Frank-Starling curvature, mmHg
constexpr double kGlucoseVolLPerKg = 0.2;    // extracellular distribution of glucose
constexpr double kPotassiumVolLPerKg = 4.0;  // apparent: ~100 mmol deficit per 0.3 mmol/L (intracellular buffer)
constexpr double kBicarbonateVolLPerKg = 0.5;  // apparent space of infused bicarbonate (~1 mmol/kg raises HCO3 ~2)
constexpr double kIb = 10;                   // basal insulin, mU/L
constexpr double kSg = 0.025, kP2 = 0.025, kP3 = 1.3e-5;  // Bergman minimal model, per min
constexpr double kGlucoseKmMmolL = 2;
constexpr double kSodiumMmolL = 140;   // serum sodium at the patient's own glucose
constexpr double kAnionGapMmolL = 12;  // Na - (Cl + HCO3) without excess strong anions (Kraut & Madias 2007)  // saturation of insulin-mediated uptake (see derive)

double clamp(double x, double lo, double hi) { return std::min(hi, std::max(lo, x)); }
double pos(double x) { return x > 0 ? x : 0; }
// Smooth ramp from 0 (x <= 0) to 1 (x >= 1).
double smooth01(double x) {
  x = clamp(x, 0, 1);
  return x * x * (3 - 2 * x);
}

// Severinghaus (1979) oxyhaemoglobin dissociation curve; P in mmHg, saturation 0..1.
double odc(double p) {
  if (p <= 0) return 0;
  return 1.0 / (23400.0 / (p * p * p + 150.0 * p) + 1.0);
}
double odc_inverse(double s) {
  s = clamp(s, 1e-4, 0.99999);
  double lo = 0, hi = 700;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (odc(mid) < s ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

// Breath stacking on a ventilator. Expiration is passive with time constant tau = R x C: 2.5 s per unit of
// bronchospasm (0.5 s at the 0.2 of a mild attack, 1.5 s at 0.6; normal lungs empty in well under the expiratory
// time, so without bronchospasm nothing is trapped). With a 1 s inspiration the expiratory time is 60/RR - 1 s;
// each breath leaves exp(-Te/tau) of its volume behind, and at steady state the trapped volume is
// VT f / (1 - f) (a geometric series), held at a static compliance of 50 mL/cmH2O per 70 kg: auto-PEEP. At RR 30
// in a severe attack (tau 1.5 s) it reaches ~10 cmH2O, at RR 12 under 1 (Tuxen & Lane 1987: trapped volume
// and hypotension rise with minute ventilation in ventilated severe asthma).
double expiratory_time_constant_s(double bronchospasm) { return 2.5 * clamp(bronchospasm, 0, 0.95); }
double auto_peep_cmh2o(double rr_per_min, double tidal_ml, double bronchospasm, double weight_kg) {
  const double tau = expiratory_time_constant_s(bronchospasm);
  if (tau <= 0 || rr_per_min <= 0) return 0;
  const double te = std::max(0.2, 60.0 / rr_per_min - 1.0);
  const double f = std::exp(-te / tau);
  const double compliance_ml_per_cmh2o = 50.0 * weight_kg / 70.0;
  return std::min(40.0, tidal_ml * f / (1 - f) / compliance_ml_per_cmh2o);
}

double paco2_set_point(double hco3_mmol_l) {
  if (hco3_mmol_l < 24) return clamp(std::min(40.0, 1.5 * hco3_mmol_l + 8.0), 10, 40);
  return std::min(55.0, 40.0 + 0.7 * (hco3_mmol_l - 24.0));
}

double EffectCourse::value(double t) const {
  if (t < start_s) return 0;
  if (resolve_at_s >= 0 && t >= resolve_at_s) return 0;
  const double ramp = 1 - std::exp(-(t - start_s) / std::max(ramp_s, 1.0));
  const double tg = halt_at_s >= 0 ? std::min(t, halt_at_s) : t;
  double v = base * ramp * std::max(0.0, 1 + growth_per_s * std::max(0.0, tg - start_s));
  if (decay_from_s >= 0 && t > decay_from_s) v *= std::exp(-kLn2 * (t - decay_from_s) / decay_half_life_s);
  return clamp(v, -max_abs, max_abs);
}

void PatientParams::validate() const {
  auto check = [](double v, double lo, double hi, const char* what) {
    if (!std::isfinite(v) || v < lo || v > hi)
      throw InvalidInput(std::string("patient ") + what + " = " + std::to_string(v) + " is outside [" +
                         std::to_string(lo) + ", " + std::to_string(hi) + "]");
  };
  check(weight_kg, 10, 250, "weight_kg");
  check(age_years, 2, 110, "age_years");
  check(hr_bpm, 35, 150, "hr_bpm");
  check(map_mmhg, 45, 140, "map_mmhg");
  check(rr_per_min, 6, 40, "rr_per_min");
  check(hb_g_dl, 5, 20, "hb_g_dl");
  check(temp_c, 34, 39, "temp_c");
  check(glucose_mmol_l, 2.5, 25, "glucose_mmol_l");
  check(potassium_mmol_l, 2.5, 6.5, "potassium_mmol_l");
  check(creatinine_umol_l, 15, 1000, "creatinine_umol_l");
  check(wbc_e9_l, 1, 30, "wbc_e9_l");
  check(baroreflex_gain, 0, 2, "baroreflex_gain");
  check(contractility, 0.2, 1.5, "contractility");
  check(shunt, 0, 0.4, "shunt");
  check(va_mismatch_mmhg, 0, 80, "va_mismatch_mmhg");
  check(insulin_sensitivity, 0.1, 3, "insulin_sensitivity");
}

bool Vitals::get(const std::string& n, double* out) const {
  struct Entry {
    const char* name;
    double Vitals::*field;
  };
  static const Entry kEntries[] = {{"hr", &Vitals::hr_bpm},
                                   {"sbp", &Vitals::sbp_mmhg},
                                   {"dbp", &Vitals::dbp_mmhg},
                                   {"map", &Vitals::map_mmhg},
                                   {"cvp", &Vitals::cvp_mmhg},
                                   {"co", &Vitals::co_l_min},
                                   {"sv", &Vitals::sv_ml},
                                   {"svr", &Vitals::svr_dyn},
                                   {"blood_volume", &Vitals::blood_volume_ml},
                                   {"rr", &Vitals::rr_per_min},
                                   {"tidal_volume", &Vitals::tidal_ml},
                                   {"spo2", &Vitals::spo2_pct},
                                   {"pao2", &Vitals::pao2_mmhg},
                                   {"paco2", &Vitals::paco2_mmhg},
                                   {"fio2", &Vitals::fio2},
                                   {"temp", &Vitals::temp_c},
                                   {"gcs", &Vitals::gcs},
                                   {"seizure", &Vitals::seizure},
                                   {"weight", &Vitals::weight_kg},
                                   {"icp", &Vitals::icp_mmhg},
                                   {"cpp", &Vitals::cpp_mmhg},
                                   {"lactate", &Vitals::lactate_mmol_l},
                                   {"glucose", &Vitals::glucose_mmol_l},
                                   {"ph", &Vitals::ph},
                                   {"hco3", &Vitals::hco3_mmol_l},
                                   {"potassium", &Vitals::potassium_mmol_l},
                                   {"sodium", &Vitals::sodium_mmol_l},
                                   {"chloride", &Vitals::chloride_mmol_l},
                                   {"anion_gap", &Vitals::anion_gap_mmol_l},
                                   {"creatinine", &Vitals::creatinine_umol_l},
                                   {"wbc", &Vitals::wbc_e9_l},
                                   {"hb", &Vitals::hb_g_dl},
                                   {"troponin", &Vitals::troponin_ng_l},
                                   {"ketones", &Vitals::ketones_mmol_l},
                                   {"urine_rate", &Vitals::urine_ml_per_h},
                                   {"urine_total", &Vitals::urine_total_ml},
                                   {"blood_lost", &Vitals::blood_lost_ml},
                                   {"blood_lost_pct", &Vitals::blood_lost_pct},
                                   {"do2_per_kg", &Vitals::do2_ml_kg_min},
                                   {"do2", &Vitals::do2_ml_min},
                                   {"ischaemia_min", &Vitals::ischaemia_min},
                                   {"auto_peep", &Vitals::auto_peep_cmh2o},
                                   {"plateau", &Vitals::plateau_cmh2o}};
  for (const Entry& e : kEntries)
    if (n == e.name) {
      *out = this->*e.field;
      return true;
    }
  return false;
}

const std::vector<std::string>& Vitals::names() {
  static const std::vector<std::string> kNames = {
      "hr",           "sbp",      "dbp",          "map",        "cvp",         "co",        "sv",         "svr",
      "blood_volume", "rr",       "tidal_volume", "spo2",       "pao2",        "paco2",     "fio2",       "temp",
      "gcs",          "seizure",  "icp",  "cpp",  "weight",  "lactate",  "glucose",      "ph",         "hco3",        "potassium", "sodium",     "chloride",   "anion_gap", "creatinine", "wbc",
      "hb",           "troponin", "ketones",      "urine_rate", "urine_total", "blood_lost", "blood_lost_pct", "do2", "do2_per_kg", "ischaemia_min"};
  return kNames;
}

struct Physiology::Impl {
  PatientParams p;
  const std::vector<DrugSpec>* drugs = nullptr;
  std::vector<EffectCourse> courses;
  std::vector<double> infusion;  // per drug, amount per second
  std::vector<double> ka;        // per drug, absorption rate of the depot (1/s)
  double fio2 = 0.21;
  Ventilation vent;
  bool arrested = false;  // is_arrest(rhythm)
  Rhythm rhythm = Rhythm::kSinus;
  double rhythm_rate = 0;          // AF's uncontrolled ventricular rate, an escape rhythm's rate
  bool cpr = false;
  Pacing pacing;
  double rosc_t = -1, rosc_isch = 0;  // the last return of spontaneous circulation and the ischaemia behind it
  struct Fluid {
    FluidKind kind;
    double remaining_ml, rate_ml_s;
  };
  std::vector<Fluid> fluids;
  struct TimedDose {  // an IV dose running in over minutes (dextrose 10%, a slow push)
    int drug;
    double remaining, rate_per_s;
  };
  std::vector<TimedDose> timed;
  std::vector<double> timed_rate;  // per drug, sum of the running timed doses (amount per second)

  // Constants derived from the patient.
  double w = 70, tbv = 4900, ca = 1.6, cv = 100, va_u = 0, vv_u0 = 0, svr0 = 1, hr0 = 72, svmax = 90, co0 = 83;
  double kf = 0.04, ci = 300, gfr0_l_min = 0.1;
  double vt_rest_ml = 490;  // resting tidal volume: alveolar ventilation gives PaCO2 40 at the patient's resting rate
  // Children (under 16): metabolic rate per kg rises as weight falls (Kleiber: VO2 ~ weight^0.75, the same
  // scaling as the resting cardiac output), and their normal rates are faster, so breaths become shallower only
  // above twice the resting rate. Adults: 1 and 30/min, as before.
  double metab_per_kg = 1, shallow_rr = 30;
  // Heart rate above which diastolic filling falls off (adults 165/min); children's hearts fill at faster rates,
  // scaled by their normal resting rate (APLS mean 120 - 3 x age against an adult's 72).
  double fill_ref = 165;

  // CVODE.
  SUNContext ctx = nullptr;
  void* mem = nullptr;
  N_Vector y = nullptr, atol = nullptr;
  SUNMatrix A = nullptr;
  SUNLinearSolver LS = nullptr;
  double t = 0;
  bool dirty = true;
  int n = 0;
  long steps_before = 0;

  struct Derived {
    Modifiers mods{};
    double hr, sv, co_ml_s, pa, pv, pth, ppc, svr, auto_peep, plateau, sbp, dbp, rr, pattern, vt_ml, va_l_min, paco2_target, sa, pao2, do2, renal,
        urine_ml_s, hco3, ph, k_serum, gcs, hb, bleed_ml_s, glucose_in, fio2;
  };

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { free_cvode(); }  // also when a Physiology is move-assigned over
  void derive(double tt, const double* s, double* ds, Derived* d) const;
  void init_cvode();
  void free_cvode();
  static int rhs(sunrealtype tt, N_Vector yv, N_Vector ydot, void* user) {
    auto* self = static_cast<Impl*>(user);
    Derived d;
    self->derive(tt, N_VGetArrayPointer(yv), N_VGetArrayPointer(ydot), &d);
    return 0;
  }
};

void Physiology::Impl::derive(double tt, const double* s, double* ds, Derived* d) const {
  Modifiers& m = d->mods;
  m.fill(0);
  for (const EffectCourse& c : courses) m[static_cast<size_t>(c.target)] += c.value(tt);
  // Drugs: plasma and effect-site concentrations, competitive antagonism, sigmoid Emax.
  const size_t nd = drugs->size();
  auto conc = [&](size_t k) {
    const DrugSpec& dr = (*drugs)[k];
    if (!dr.substance.empty()) return 0.0;
    const double cp = std::max(0.0, s[kNumCore + 3 * k + 1]) / (dr.volume_l_per_kg * w);
    return dr.ke0_per_min > 0 ? std::max(0.0, s[kNumCore + 3 * k + 2]) : cp;
  };
  // Beta-adrenergic blockade (a condition's or a drug's) is summed first: agonists on the beta receptor read it.
  // Blocking a fraction b of the receptors competitively is an antagonist at C/Ki = b/(1 - b), so their EC50 is
  // multiplied by 1/(1 - b) (surmountable by higher concentrations).
  auto drug_effect = [&](const DrugEffect& e, double c, double beta) {
    if (e.emax == 0) return e.slope * c;
    double ec50 = e.ec50;
    if (!e.receptor.empty())
      for (size_t j = 0; j < nd; ++j) {
        auto it = (*drugs)[j].antagonist_ki.find(e.receptor);
        if (it != (*drugs)[j].antagonist_ki.end()) ec50 *= 1 + conc(j) / it->second;
      }
    if (beta > 0 && e.receptor == kBetaReceptor) ec50 /= 1 - beta;
    const double ch = std::pow(c, e.hill);
    return e.emax * ch / (std::pow(ec50, e.hill) + ch);
  };
  constexpr size_t kBeta = static_cast<size_t>(Mod::kBetaBlockade);
  for (size_t k = 0; k < nd; ++k)
    for (const DrugEffect& e : (*drugs)[k].effects)
      if (e.target == Mod::kBetaBlockade && conc(k) > 0) m[kBeta] += drug_effect(e, conc(k), 0);
  const double beta = clamp(m[kBeta], 0, 0.98);
  for (size_t k = 0; k < nd; ++k) {
    const DrugSpec& dr = (*drugs)[k];
    if (dr.effects.empty()) continue;
    const double c = conc(k);
    if (c <= 0) continue;
    for (const DrugEffect& e : dr.effects)
      if (e.target != Mod::kBetaBlockade) m[static_cast<size_t>(e.target)] += drug_effect(e, c, beta);
  }
  auto M = [&](Mod x) { return m[static_cast<size_t>(x)]; };

  // --- acid-base first: it feeds the reflexes and the heart.
  // Metabolic: every strong anion added (lactate above its baseline of 1 mmol/L, ketoacids,
  // unmeasured anions) consumes bicarbonate 1:1. Respiratory: PaCO2 is a state driven by alveolar
  // ventilation (below). pH by Henderson-Hasselbalch.
  const double lac = std::max(0.0, s[kLac]), ket = std::max(0.0, s[kKet]);
  const double paco2 = clamp(s[kPaco2], 5, 200);
  // Infused bicarbonate is carried as a negative unmeasured-anion state (a base excess), so the state itself
  // enters here; it is never negative without bicarbonate, so other patients are unchanged.
  d->hco3 = clamp(24.0 - (lac - 1.0) - ket - s[kUa], 2, 45);
  d->ph = 6.1 + std::log10(d->hco3 / (0.03 * paco2));
  const double temp = s[kTemp];
  const double glu = std::max(0.0, s[kGlu]);

  // --- circulation.
  const double volume = s[kVa] + s[kVv];
  const double hct = volume > 1 ? clamp(s[kRbc] / volume, 0, 0.9) : 0;
  d->hb = hct * 34.0;
  const double symp_f = s[kSympFast], symp_s = s[kSympSlow];
  // The beta-adrenergic (chronotropic, inotropic) part of the sympathetic response is lost to beta-blockade; vagal
  // withdrawal (negative activity) and the alpha-mediated vascular tone are not.
  const double symp_hr = symp_f > 0 ? symp_f * (1 - beta) : symp_f;
  const double symp_inotropy = symp_s > 0 ? symp_s * (1 - beta) : symp_s;
  // Airway pressure reaches the pleural space in part: 0.3 of PEEP (or of NIV's expiratory pressure), half of the
  // auto-PEEP of hyperinflated lungs (dynamic hyperinflation compresses the heart and great veins: the
  // hypotension of over-ventilated asthma).
  const double bronch = clamp(M(Mod::kBronchospasm) * (1 - clamp(M(Mod::kBronchodilation), 0, 1)), 0, 0.95);
  const bool niv = vent.niv && !vent.intubated;
  d->auto_peep = vent.intubated ? auto_peep_cmh2o(vent.rr_per_min, vent.tidal_ml_per_kg * w, bronch, w) : 0.0;
  d->plateau = vent.intubated ? vent.peep_cmh2o + d->auto_peep + vent.tidal_ml_per_kg * 70.0 / 50.0 : 0.0;
  d->pth = pos(M(Mod::kIntrathoracicMmhg)) + (vent.intubated ? 0.3 * vent.peep_cmh2o + 0.5 * d->auto_peep : 0.0) +
           (niv ? 0.3 * vent.epap_cmh2o : 0.0);
  const double vv_u = vv_u0 * (1 - 0.2 * symp_s) * std::max(0.3, 1 + M(Mod::kVenousCapacitance));
  d->pv = (s[kVv] - vv_u) / cv;
  d->pa = (s[kVa] - va_u) / ca;
  const double acid_depression = clamp(1 - 1.2 * pos(7.2 - d->ph), 0.3, 1);
  const double fever_hr = 1 + 0.07 * (temp - 37.0);
  // Heart rate saturates towards the age-predicted maximum (Tanaka: 208 - 0.7 x age) above a knee.
  // Atropine removes vagal tone (up to +60% at full vagolysis: 0.04 mg/kg raises a resting rate by ~40%).
  const double vag = clamp(M(Mod::kVagolysis), 0, 1);
  double hr = hr0 * (1 + 1.0 * p.baroreflex_gain * symp_hr) * std::max(0.2, 1 + M(Mod::kHr)) * fever_hr * (1 + 0.6 * vag);
  const double hr_max = 208 - 0.7 * p.age_years, knee = 0.75 * hr_max;
  if (hr > knee) hr = knee + (hr_max - knee) * std::tanh((hr - knee) / (hr_max - knee));
  // The rhythm decides which rate the ventricles follow (rhythm.h). In AF the AV node conducts a chaotic
  // atrial rhythm: the rate is the condition's uncontrolled rate, lowered by AV-nodal blockers and moved
  // only a little by sympathetic tone (+-15% of the sinus node's range), so the baroreflex cannot defend
  // it. A vagal (nodal) block conducts again as atropine removes vagal tone (from 20% to 50% vagolysis:
  // ERC 2021, atropine 0.5 mg repeated). An infranodal escape rhythm ignores atropine and rises only a
  // little with sympathetic drive and catecholamines.
  double atrial_kick = 1;
  switch (rhythm) {
    case Rhythm::kAf:
      hr = rhythm_rate * std::max(0.3, 1 + M(Mod::kAvConduction)) * (1 + 0.15 * p.baroreflex_gain * symp_hr) * fever_hr;
      atrial_kick = 0.8;  // the atrial contribution to ventricular filling, 15-25% (lost in AF)
      break;
    case Rhythm::kAvBlockNodal:
      hr = rhythm_rate * (1 + 0.2 * symp_hr) + pos(hr - rhythm_rate) * smooth01((vag - 0.2) / 0.3);
      break;
    case Rhythm::kCompleteHeartBlock:
      hr = rhythm_rate * (1 + 0.1 * symp_hr) * (1 + 0.3 * clamp(M(Mod::kHr), 0, 1));
      atrial_kick = 0.85;  // AV dissociation
      break;
    default:
      break;
  }
  if (pacing.capture && pacing.rate_bpm > hr && !arrested) {
    hr = pacing.rate_bpm;
    atrial_kick = 0.85;  // ventricular pacing without AV synchrony
  }
  d->hr = clamp(hr, 15, 230);
  // After a return of spontaneous circulation the myocardium is stunned in proportion to the arrest's
  // ischaemic minutes (4% of contractility per minute, at most 40%), recovering over hours (half-life 4 h).
  const double since_rosc = rosc_t >= 0 ? tt - rosc_t : -1;
  const double stunning = since_rosc >= 0 ? std::min(0.4, 0.04 * rosc_isch) * std::exp(-kLn2 * since_rosc / 14400.0) : 0;
  const double contr = std::max(0.05, p.contractility * (1 + 0.3 * symp_inotropy) * (1 + M(Mod::kContractility)) *
                                          acid_depression * (1 - stunning));
  // Cardiac tamponade: the ventricles fill against the pericardial pressure, so the transmural filling
  // pressure is the venous pressure less both the pleural and the pericardial pressure; venous pressure
  // backs up (Beck's raised JVP) while the output falls. The lungs are untouched (no shunt term).
  d->ppc = pos(M(Mod::kPericardialMmhg));
  const double preload = pos(d->pv - d->pth - d->ppc);
  const double fill = 1.0 / (1.0 + std::pow(d->hr / fill_ref, 4));
  // Raised pleural pressure with mediastinal shift (tension pneumothorax) also compresses the
  // heart and kinks the venae cavae: ventricular filling falls in proportion to the pressure, so
  // the obstructive shock is graded rather than only a cliff where it reaches the filling pressure.
  // Dynamic hyperinflation does the same (Tuxen & Lane 1987: a tension-pneumothorax-like picture): 3% of filling
  // lost per cmH2O of auto-PEEP (zero without bronchospasm, so nothing else changes).
  const double compression = clamp(1 - 0.05 * pos(M(Mod::kIntrathoracicMmhg)) - 0.03 * d->auto_peep, 0.3, 1);
  d->sv = svmax * contr * (1 - std::exp(-preload / kPk)) * fill * compression * atrial_kick;
  // CPR: chest compressions give ~20% of the resting cardiac output (20-30%: AHA 2020), less when the
  // circulation is empty.
  const double cpr_flow = cpr ? 0.2 * co0 * std::min(1.0, (1 - std::exp(-preload / kPk)) / (1 - std::exp(-kPvRef / kPk))) : 0.0;
  d->co_ml_s = arrested ? cpr_flow : d->hr / 60.0 * d->sv;
  d->svr = svr0 * (1 + 0.45 * symp_s) * std::max(0.15, 1 + M(Mod::kSvr));
  const double q = (d->pa - d->pv) / d->svr;
  const double pp = arrested ? 0 : 0.9 * d->sv / ca;
  d->sbp = d->pa + pp * 2.0 / 3.0;
  d->dbp = d->pa - pp / 3.0;
  d->renal = smooth01((d->pa - 50.0) / 25.0);
  const double size = w / 70.0;  // condition flows are given for a 70 kg adult
  d->bleed_ml_s = size * pos(M(Mod::kBleedingMlPerMin)) / 60.0 * clamp(d->pa / 90.0, 0, 1.5);
  const double osmotic_ml_s = 0.003 * size * pos(glu - 10.0) * d->renal;
  d->urine_ml_s = w / 3600.0 * d->renal * clamp(1 + 0.12 * (d->pv - kPvRef) + s[kVi] / 2000.0, 0.1, 6) + osmotic_ml_s;
  const double j = kf * ((d->pv - kPvRef) - s[kVi] / ci) + size * pos(M(Mod::kCapillaryLeakMlPerH)) / 3600.0;
  double fluid_in = 0, rbc_in = 0;
  for (const Fluid& f : fluids) {
    fluid_in += f.rate_ml_s;
    if (f.kind == FluidKind::kBlood) rbc_in += 0.6 * f.rate_ml_s;  // packed red cells, haematocrit ~0.6
  }

  // --- ventilation and gas exchange.
  // The state kRr is the chemoreflex ("ventilatory") rate: with the tidal volume it sets alveolar
  // ventilation and so PaCO2. Non-CO2 drives (lung stretch and J receptors, hypoxaemia via the
  // carotid bodies) change the breathing pattern: the rate rises by the factor (1 + pattern) while
  // the tidal volume above dead space shrinks by the same factor, so alveolar ventilation, and the
  // PaCO2 set-point loop, are unchanged (rapid shallow breathing that the CO2 loop cannot cancel).
  // The tidal volume never falls below the dead space, so this cannot collapse ventilation.
  const double resp_dep = clamp(M(Mod::kRespDepression), 0, 0.97);
  // In arrest with CPR and no tube: bag-mask ventilation, 2 breaths per 30 compressions (~8/min of 6 mL/kg).
  const bool bagging = arrested && cpr && !vent.intubated;
  const double rr_chem = vent.intubated ? (vent.oesophageal ? 0.0 : vent.rr_per_min) : bagging ? 8.0 : arrested ? 0.0 : std::max(0.0, s[kRr]);
  double vt = vent.intubated ? vent.tidal_ml_per_kg * w : bagging ? 6.0 * w : vt_rest_ml * (1 - 0.35 * bronch);
  if (!vent.intubated && !bagging && rr_chem > shallow_rr) vt *= std::pow(shallow_rr / rr_chem, 0.3);  // rapid shallow breathing
  // NIV: pressure support (IPAP - EPAP) adds to every spontaneous breath, 0.25 mL/kg per cmH2O (a 10 cmH2O
  // support adds ~175 mL in a 70 kg adult), less through obstructed airways; CPAP adds none.
  if (niv && !arrested) vt += 0.25 * w * pos(vent.ipap_cmh2o - vent.epap_cmh2o) * (1 - 0.5 * bronch);
  // COPD: hypoxic pulmonary vasoconstriction keeps blood away from poorly ventilated units; oxygen releases it
  // and, with the Haldane effect, raises the physiological dead space as alveolar PO2 climbs from 60 to
  // 300 mmHg (Aubier 1980, Robinson 2000: PaCO2 up ~20 mmHg on high-flow oxygen in exacerbations).
  const double fio2_in = vent.intubated ? std::max(fio2, 0.21) : fio2;
  const double o2_release = clamp((fio2_in * 713.0 - paco2 / 0.8 - 60.0) / 240.0, 0, 1);
  const double vd = 2.2 * w * (1 + 0.8 * bronch) * (1 + pos(M(Mod::kOxygenDeadSpace)) * o2_release);
  d->va_l_min = rr_chem * pos(vt - vd) / 1000.0;

  const double metab = 1 + 0.1 * (temp - 37.0);
  const double vco2 = 3.0 * w * metab * metab_per_kg, vo2 = 3.5 * w * metab * metab_per_kg;
  d->paco2_target = std::min(150.0, 0.863 * vco2 / std::max(d->va_l_min, 0.3));
  d->fio2 = fio2_in;
  const double pao2_alv = d->fio2 * 713.0 - paco2 / 0.8;
  const double vam = p.va_mismatch_mmhg + M(Mod::kVaMismatchMmhg) + 40.0 * bronch;
  const double sc = odc(pao2_alv - vam);
  double qs = p.shunt + pos(M(Mod::kShunt)) + 0.015 * pos(d->pv - 14.0) + 0.004 * pos(M(Mod::kIntrathoracicMmhg)) +
              0.00003 * pos(s[kVi] - 1500.0);
  if (vent.intubated) qs *= clamp(1 - 0.025 * vent.peep_cmh2o, 0.5, 1);
  if (niv) qs *= clamp(1 - 0.025 * vent.epap_cmh2o, 0.5, 1);  // EPAP/CPAP recruits like PEEP
  qs = clamp(qs, 0, 0.8);
  const double co_l_min = d->co_ml_s * 0.06;
  const double cap = 13.4 * std::max(d->hb, 1.0);  // mL O2 per L blood per unit saturation
  double e = co_l_min > 0.05 ? vo2 / (co_l_min * cap) : 1.0;
  double sa = sc - qs / (1 - qs) * e;
  if (sa - e < 0.15) {  // supply-limited: extraction cannot take venous saturation below ~15%
    e = (sc - 0.15) * (1 - qs);
    sa = sc - qs / (1 - qs) * std::max(e, 0.0);
  }
  d->sa = clamp(sa, 0.05, 1.0);
  // Breathing pattern (see above): the condition's `tachypnoea` drive plus the hypoxic drive, hyperbolic
  // in PaO2 and steep below ~60 mmHg (0.1 at 50, 0.33 at 40, at most 1); both blunted by opioids.
  d->pattern = 0;
  if (!vent.intubated && !arrested) {
    const double pao2 = d->sa < 0.93 ? odc_inverse(d->sa) : 100.0;
    const double hypoxic = std::min(1.0, 0.25 * pos(60.0 - pao2) / std::max(pao2 - 25.0, 5.0));
    // Hypovolaemia quickens breathing (ATLS shock classes: RR 20-30 at 15-30% blood loss, 30-40 at
    // 30-40%, above 35 beyond 40%). The intravascular deficit runs at ~70% of the blood shed while the
    // interstitium refills the circulation, hence 8 x the deficit beyond 7% of the patient's volume.
    const double hypovolaemic = 8.0 * pos(1.0 - (s[kVa] + s[kVv]) / tbv - 0.07);
    d->pattern = clamp((pos(M(Mod::kTachypnoea)) + hypoxic + hypovolaemic) * (1 - resp_dep), 0, 2.5);
    vt = vd + pos(vt - vd) / (1 + d->pattern);
  }
  d->rr = std::min(60.0, rr_chem * (1 + d->pattern));
  d->vt_ml = vt;
  d->do2 = co_l_min * cap * d->sa;
  d->pao2 = 0;  // filled by vitals() only (inverse curve is not needed in the right-hand side)

  // --- potassium, consciousness.
  const double x = s[kX];
  d->k_serum =
      std::max(0.0, s[kKpool]) + clamp(2.5 * (7.4 - d->ph) - 12.0 * x + M(Mod::kPotassiumShiftMmolPerL), -1.8, 4);
  double gcs = 15;
  gcs -= 0.25 * pos(60 - d->pa);
  // Raised intracranial pressure: perfusion of the brain is MAP - ICP (10 mmHg normally, so the MAP term above is a
  // CPP of 50); each mmHg of CPP below 50 that raised ICP adds costs 0.4 GCS points. The term is zero when ICP is
  // not raised (it was 0.15 per mmHg of MAP below 60 until 2026-12-02, when the two terms did not cancel).
  const double icp = pos(M(Mod::kIcpMmhg));
  gcs -= 0.4 * (pos(60 - (d->pa - icp)) - pos(60 - d->pa));
  gcs -= 40.0 * pos(0.85 - d->sa);
  gcs -= 0.12 * pos(paco2 - 60);
  gcs -= 5.0 * pos(3.0 - glu);
  // ATLS: anxious, then confused beyond ~30% blood shed (an intravascular deficit of ~20%), lethargic beyond 40%.
  gcs -= 15.0 * pos(1.0 - (s[kVa] + s[kVv]) / tbv - 0.20);
  gcs -= pos(M(Mod::kSedationGcs));
  // A generalised convulsion: unresponsive while it lasts (GCS 3-5 at full activity).
  gcs -= 10.0 * clamp(M(Mod::kSeizure), 0, 1);
  // Hypoxic-ischaemic brain injury after an arrest: 1.5 GCS points per ischaemic minute (at most 12),
  // recovering with a half-life of 3 h (most survivors of a short arrest wake within hours).
  if (since_rosc >= 0) gcs -= std::min(12.0, 1.5 * rosc_isch) * std::exp(-kLn2 * since_rosc / 10800.0);
  if (vent.intubated || arrested) gcs = 3;
  d->gcs = clamp(gcs, 3, 15);
  d->glucose_in = 0;
  if (!ds) return;

  // ===== derivatives (per second).
  // Baroreflex: arterial (MAP error) and cardiopulmonary (preload error) afferents, plus the
  // chemoreflex (hypoxaemia) and the adrenergic response to hypoglycaemia.
  // The cardiopulmonary term is clamped below: unloading (blood loss) drives the response, while
  // volume loading only mildly withdraws sympathetic tone.
  // The low-pressure receptors act mostly on heart rate, less on vasomotor tone, so that early
  // blood loss raises heart rate without pushing MAP above its set point.
  const double cp = clamp((kPvRef - (d->pv - d->pth - d->ppc)) / kPvRef, -0.15, 1.0);
  const double common = 4.0 * (p.map_mmhg - d->pa) / p.map_mmhg + 3.0 * pos(0.9 - d->sa) + 0.3 * pos(3.5 - glu);
  auto activity = [](double drive) {
    return drive >= 0 ? std::tanh(drive) : 0.3 * std::tanh(drive);
  };  // vagal range smaller
  ds[kSympFast] = (activity(common + 1.0 * cp) - symp_f) / 3.0;
  ds[kSympSlow] = (activity(common + 0.8 * cp) - symp_s) / 20.0;
  ds[kVa] = d->co_ml_s - q;
  // Maintenance intake equals the resting urine output, so that fluid balance holds over the hours
  // of a condition's onset; the kidneys then defend volume by cutting urine output.
  const double intake_ml_s = w / 3600.0;
  ds[kVv] = q - d->co_ml_s - d->bleed_ml_s - j - d->urine_ml_s - size * pos(M(Mod::kFluidLossMlPerH)) / 3600.0 +
            fluid_in + intake_ml_s;
  ds[kVi] = j;
  ds[kRbc] = -d->bleed_ml_s * hct + rbc_in;
  ds[kUrine] = d->urine_ml_s;
  ds[kBled] = d->bleed_ml_s;
  // The arrest's ischaemic clock: a minute of no flow counts 1; with CPR the perfusion pressure it makes
  // (arterial minus venous) slows the clock, to 0.57 at the ~24 mmHg that compressions make with the
  // arrest's own sympathetic vasoconstriction (0.57: the ratio of Valenzuela 1997's defibrillation and
  // CPR-plus-defibrillation coefficients, 0.139 / 0.245), and further as vasopressors raise it.
  ds[kIsch] = arrested ? (cpr ? clamp(1.0 - 0.018 * pos(d->pa - d->pv), 0.3, 1.0) : 1.0) / 60.0 : 0.0;

  // Ventilatory control. The chemoreflex defends a PaCO2 set point: 40 mmHg, lowered in metabolic
  // acidosis to Winter's expected compensation (1.5 x HCO3 + 8; Albert, Dell & Winters 1967) and
  // raised in metabolic alkalosis (+0.7 per mmol/L). The feed-forward factor 40/set is the
  // ventilation that reaches the set point at resting CO2 output and dead space, so compensation is
  // Winter's (pH never fully normalised); deviations of PaCO2 from the set point add drive with the
  // dog-leg shape of the awake CO2 response (0.15 per mmHg above, 0.1 below: hypocapnia from other
  // drives is only partly resisted). Opioids remove a fraction of all drive and flatten the CO2
  // response slope (by half their depression).
  // Other drives (condition, hypoxaemia, fever, bronchospasm, hypotension) add to it.
  const double set = paco2_set_point(d->hco3);
  const double err = paco2 - set;
  const double co2_drive = (err > 0 ? 0.15 : 0.1) * err * (1 - 0.5 * resp_dep);
  const double other = M(Mod::kRrDrive) + 0.06 * pos(90 - 100 * d->sa) + 0.1 * pos(temp - 37) + 0.8 * bronch +
                       0.3 * pos(1 - d->pa / 65.0);
  const double rr_target =
      clamp(p.rr_per_min * (40.0 / set) * std::max(0.0, 1 + other + co2_drive) * (1 - resp_dep), 0, 45);
  ds[kRr] = (rr_target - s[kRr]) / 20.0;
  ds[kPaco2] = (d->paco2_target - paco2) / 90.0;

  // Lactate: production from oxygen delivery below critical (8 mL/kg/min), cleared by the liver
  // with a ~20 min half-life that lengthens with hypoperfusion.
  const double clear = kLn2 / 1200.0 * clamp(d->co_ml_s / co0, 0.25, 1.2);
  const double anaerobic = pos(1 - d->do2 / (8.0 * w));
  ds[kLac] = kLn2 / 1200.0 * 1.0 + 12.0 / 3600.0 * anaerobic + pos(M(Mod::kLactateMmolPerLPerH)) / 3600.0 - clear * lac;
  const double ins_total = std::max(0.0, s[kIns]) + pos(M(Mod::kInsulinMuPerL));
  ds[kKet] = pos(M(Mod::kKetonesMmolPerLPerH)) / 3600.0 * (5.0 / (5.0 + ins_total)) - kLn2 / 7200.0 * ket;
  // Unmeasured anions (the strong-ion gap of sepsis, Noritomi 2009): produced by the condition,
  // excreted by perfused kidneys with a 4-hour half-life.
  // Excreted with a 4 h half-life scaled by renal perfusion; a base excess from bicarbonate (negative state) too.
  ds[kUa] = pos(M(Mod::kUnmeasuredAnionsMmolPerLPerH)) / 3600.0 - kLn2 / (4 * 3600.0) * d->renal * s[kUa];

  // Glucose and insulin: Bergman's minimal model (per minute, converted).
  // Insulin-mediated uptake saturates (Michaelis-Menten in glucose, relative to the patient's own level), so
  // that in hyperglycaemia it is a near-constant flux: treated DKA glucose falls steadily by a few mmol/L
  // per hour instead of exponentially. Below the patient's level the minimal model is unchanged.
  const double sat = std::min(1.0, (kGlucoseKmMmolL + p.glucose_mmol_l) / (kGlucoseKmMmolL + glu));
  const double sg_eff = std::max(0.005, kSg + x * sat);
  // Counter-regulation below 3.8 mmol/L: glucagon's half and adrenaline's half; beta-blockade removes the latter.
  const double counter = 1.5 * pos(3.8 - glu) / 3.8 * (1 - 0.5 * beta);
  double dglu = -sg_eff * glu + kSg * p.glucose_mmol_l * (1 + M(Mod::kGlucoseProduction) + counter) -
                0.008 * pos(glu - 10.0) * d->renal;
  ds[kGlu] = dglu / 60.0;
  // Acidaemia causes insulin resistance (why glucose falls only a few mmol/L per hour in treated DKA).
  const double si = p.insulin_sensitivity * clamp(1 - 3.0 * pos(7.35 - d->ph), 0.25, 1);
  ds[kX] = (-kP2 * x + kP3 * si * (ins_total - kIb)) / 60.0;
  const double secretion =
      kIb * clamp(1 - M(Mod::kInsulinDeficiency), 0, 1) * std::min(10.0, std::pow(glu / p.glucose_mmol_l, 2));
  ds[kIns] = (secretion - s[kIns]) / 600.0;

  // Potassium pool: losses (osmotic diuresis at ~40 mmol/L urine K), renal excretion of an excess.
  const double kvol = kPotassiumVolLPerKg * w;
  double dk = (-pos(M(Mod::kPotassiumLossMmolPerH)) / 3600.0 - osmotic_ml_s * 0.04) / kvol;
  if (s[kKpool] > p.potassium_mmol_l) dk -= (s[kKpool] - p.potassium_mmol_l) / (4 * 3600.0) * d->renal;
  ds[kKpool] = dk;

  ds[kTemp] = (p.temp_c + M(Mod::kFeverC) - temp) / 1800.0;
  const double gfr = gfr0_l_min * d->renal;
  ds[kCreat] = (gfr0_l_min * p.creatinine_umol_l - gfr * s[kCreat]) / (0.6 * w * 60.0);
  ds[kWbc] = (p.wbc_e9_l + M(Mod::kWbcRise) - s[kWbc]) / (6 * 3600.0);
  ds[kTrop] = (5.0 * kLn2 / 36000.0 + pos(M(Mod::kTroponinNgPerLPerH)) / 3600.0) - s[kTrop] * kLn2 / 36000.0;

  // Drugs: depot -> central (first-order absorption), elimination, effect site.
  for (size_t k = 0; k < nd; ++k) {
    const DrugSpec& dr = (*drugs)[k];
    const int b = kNumCore + 3 * static_cast<int>(k);
    const double absorbed = ka[k] * s[b];
    ds[b] = -absorbed;
    if (!dr.substance.empty()) {
      const double mmol_s = (absorbed + infusion[k] + timed_rate[k]) * dr.substance_mmol_per_unit;
      if (dr.substance == "glucose")
        ds[kGlu] += mmol_s / (kGlucoseVolLPerKg * w);
      else if (dr.substance == "bicarbonate")
        ds[kUa] -= mmol_s / (kBicarbonateVolLPerKg * w);
      else
        ds[kKpool] += mmol_s / kvol;
      ds[b + 1] = 0;
      ds[b + 2] = 0;
      continue;
    }
    const double kel = kLn2 / (dr.half_life_min * 60.0);
    ds[b + 1] = absorbed + infusion[k] + timed_rate[k] - kel * s[b + 1];
    const double cp = s[b + 1] / (dr.volume_l_per_kg * w);
    ds[b + 2] = dr.ke0_per_min > 0 ? dr.ke0_per_min / 60.0 * (cp - s[b + 2]) : 0.0;
  }
}

void Physiology::Impl::free_cvode() {
  if (mem) CVodeFree(&mem);
  if (LS) SUNLinSolFree(LS);
  if (A) SUNMatDestroy(A);
  if (y) N_VDestroy(y);
  if (atol) N_VDestroy(atol);
  if (ctx) SUNContext_Free(&ctx);
  mem = nullptr;
  LS = nullptr;
  A = nullptr;
  y = atol = nullptr;
}

void Physiology::Impl::init_cvode() {
  n = kNumCore + 3 * static_cast<int>(drugs->size());
  if (SUNContext_Create(nullptr, &ctx) != 0) throw Error("SUNDIALS: cannot create a context");
  y = N_VNew_Serial(n, ctx);
  atol = N_VNew_Serial(n, ctx);
  double* s = N_VGetArrayPointer(y);
  double* a = N_VGetArrayPointer(atol);
  std::fill(s, s + n, 0.0);
  const double va0 = va_u + p.map_mmhg * ca;
  s[kVa] = va0;
  s[kVv] = tbv - va0;
  s[kRbc] = p.hb_g_dl / 34.0 * tbv;
  s[kRr] = p.rr_per_min;
  s[kPaco2] = 40;
  s[kLac] = 1.0;
  s[kKpool] = p.potassium_mmol_l;
  s[kGlu] = p.glucose_mmol_l;
  s[kIns] = kIb;
  s[kTemp] = p.temp_c;
  s[kCreat] = p.creatinine_umol_l;
  s[kWbc] = p.wbc_e9_l;
  s[kTrop] = 5;
  const double scale[kNumCore] = {0.05, 0.05, 0.05, 0.01, 1e-5, 1e-5, 1e-3, 1e-3, 1e-4, 1e-4,
                                  1e-5, 1e-4, 1e-8, 1e-4, 1e-4, 1e-3, 1e-4, 1e-3, 0.01, 1e-4, 0.01, 1e-4};
  for (int i = 0; i < n; ++i) a[i] = i < kNumCore ? scale[i] : 1e-9;
  mem = CVodeCreate(CV_BDF, ctx);
  if (!mem || CVodeInit(mem, &Impl::rhs, 0.0, y) != 0) throw Error("SUNDIALS: CVodeInit failed");
  CVodeSVtolerances(mem, 1e-5, atol);
  CVodeSetUserData(mem, this);
  A = SUNDenseMatrix(n, n, ctx);
  LS = SUNLinSol_Dense(y, A, ctx);
  CVodeSetLinearSolver(mem, LS, A);
  CVodeSetMaxNumSteps(mem, 200000);
  CVodeSetMaxStep(mem, 600.0);
  t = 0;
  dirty = false;
}

Physiology::Physiology(const PatientParams& p, const std::vector<DrugSpec>* drugs) : impl_(new Impl) {
  p.validate();
  Impl& m = *impl_;
  m.p = p;
  m.drugs = drugs;
  m.infusion.assign(drugs->size(), 0.0);
  m.timed_rate.assign(drugs->size(), 0.0);
  m.ka.assign(drugs->size(), 0.0);
  m.w = p.weight_kg;
  // Blood volume: 70 (men) or 65 (women) mL/kg; 80 mL/kg in children under 12 (APLS).
  m.tbv = (p.age_years < 12 ? 80.0 : p.female ? 65.0 : 70.0) * m.w;
  const double size = m.w / 70.0;
  if (p.age_years < 16) {
    m.metab_per_kg = std::pow(size, -0.25);
    m.shallow_rr = std::max(30.0, 2.0 * p.rr_per_min);
    m.fill_ref = 165.0 * std::max(1.0, (120.0 - 3.0 * p.age_years) / 72.0);
  }
  m.ca = 1.6 * size * clamp(1.0 - 0.006 * pos(p.age_years - 40), 0.6, 1.0);  // stiffer arteries with age
  m.cv = 100.0 * size;
  m.ci = 600.0 * size;  // interstitium plus the intracellular water that follows it
  m.kf = 0.06 * size;
  m.va_u = 0.12 * m.tbv;
  const double va0 = m.va_u + p.map_mmhg * m.ca;
  m.vv_u0 = (m.tbv - va0) - kPvRef * m.cv;
  m.co0 = 5000.0 / 60.0 * std::pow(size, 0.75);
  m.hr0 = p.hr_bpm;
  const double fill = 1.0 / (1.0 + std::pow(m.hr0 / m.fill_ref, 4));
  m.svmax = m.co0 * 60.0 / m.hr0 / ((1 - std::exp(-kPvRef / kPk)) * fill);
  m.svr0 = (p.map_mmhg - kPvRef) / m.co0;
  // Resting tidal volume such that alveolar ventilation at the resting rate gives PaCO2 40 mmHg
  // (VCO2 3 mL/kg/min, dead space 2.2 mL/kg), within 5-10 mL/kg.
  m.vt_rest_ml = m.w * clamp(2.2 + 0.863 * 3.0 * m.metab_per_kg / 40.0 * 1000.0 / p.rr_per_min, 5.0, 10.0);
  m.gfr0_l_min = 0.1 * clamp(1 - 0.008 * pos(p.age_years - 40), 0.4, 1) * 80.0 / std::max(p.creatinine_umol_l, 40.0) *
                 (p.female ? 0.85 : 1.0) * size;
  m.init_cvode();
}

Physiology::~Physiology() = default;
Physiology::Physiology(Physiology&&) noexcept = default;
Physiology& Physiology::operator=(Physiology&&) noexcept = default;

double Physiology::time_s() const { return impl_->t; }
long Physiology::steps() const {
  long s = 0;
  CVodeGetNumSteps(impl_->mem, &s);
  return impl_->steps_before + s;
}
const PatientParams& Physiology::params() const { return impl_->p; }
void Physiology::set_courses(std::vector<EffectCourse> c) {
  impl_->courses = std::move(c);
  impl_->dirty = true;
}
std::vector<EffectCourse>& Physiology::courses() {
  impl_->dirty = true;
  return impl_->courses;
}

void Physiology::advance(double seconds) {
  if (!(seconds >= 0) || !std::isfinite(seconds)) throw InvalidInput("advance: seconds must be finite and >= 0");
  Impl& m = *impl_;
  const double end = m.t + seconds;
  while (m.t < end - 1e-9) {
    // Piecewise-constant inputs: stop where a fluid bag runs out.
    double stop = end;
    for (const auto& f : m.fluids) stop = std::min(stop, m.t + f.remaining_ml / f.rate_ml_s);
    for (const auto& d : m.timed) stop = std::min(stop, m.t + d.remaining / d.rate_per_s);
    stop = std::max(stop, std::min(end, m.t + 1e-6));
    if (m.dirty) {
      long s = 0;
      CVodeGetNumSteps(m.mem, &s);
      m.steps_before += s;
      CVodeReInit(m.mem, m.t, m.y);
      m.dirty = false;
    }
    CVodeSetStopTime(m.mem, stop);
    double tret = m.t;
    const int flag = CVode(m.mem, stop, m.y, &tret, CV_NORMAL);
    if (flag < 0)
      throw Error("physiology integration failed (CVODE flag " + std::to_string(flag) +
                  ") at t = " + std::to_string(m.t) + " s");
    const double dt = tret - m.t;
    m.t = tret;
    bool changed = false;
    for (auto& f : m.fluids) {
      f.remaining_ml -= f.rate_ml_s * dt;
      if (f.remaining_ml <= 1e-6) changed = true;
    }
    bool dose_ended = false;
    for (auto& d : m.timed) {
      d.remaining -= d.rate_per_s * dt;
      if (d.remaining <= 1e-9 * (1 + d.rate_per_s)) dose_ended = true;
    }
    if (dose_ended) {
      m.timed.erase(std::remove_if(m.timed.begin(), m.timed.end(),
                                   [](const Impl::TimedDose& d) { return d.remaining <= 1e-9 * (1 + d.rate_per_s); }),
                    m.timed.end());
      std::fill(m.timed_rate.begin(), m.timed_rate.end(), 0.0);
      for (const auto& d : m.timed) m.timed_rate[d.drug] += d.rate_per_s;
      m.dirty = true;
    }
    if (changed) {
      m.fluids.erase(
          std::remove_if(m.fluids.begin(), m.fluids.end(), [](const Impl::Fluid& f) { return f.remaining_ml <= 1e-6; }),
          m.fluids.end());
      m.dirty = true;
    }
  }
}

void Physiology::give_drug(int drug, double amount, const std::string& route) {
  Impl& m = *impl_;
  MEDGEN_ASSERT(drug >= 0 && static_cast<size_t>(drug) < m.drugs->size());
  const DrugSpec& d = (*m.drugs)[drug];
  auto it = d.routes.find(route);
  if (it == d.routes.end()) throw InvalidInput("drug " + d.name + " cannot be given by route " + route);
  double* s = N_VGetArrayPointer(m.y);
  const int b = kNumCore + 3 * drug;
  const double dose = amount * it->second.bioavailability;
  if (it->second.absorption_half_life_min > 0) {
    m.ka[drug] = kLn2 / (it->second.absorption_half_life_min * 60.0);
    s[b] += dose;
  } else if (!d.substance.empty()) {
    const double mmol = dose * d.substance_mmol_per_unit;
    if (d.substance == "glucose")
      s[kGlu] += mmol / (kGlucoseVolLPerKg * m.w);
    else if (d.substance == "bicarbonate")
      s[kUa] -= mmol / (kBicarbonateVolLPerKg * m.w);
    else
      s[kKpool] += mmol / (kPotassiumVolLPerKg * m.w);
  } else {
    s[b + 1] += dose;
  }
  m.dirty = true;
}

void Physiology::give_drug_over(int drug, double amount, double seconds) {
  Impl& m = *impl_;
  MEDGEN_ASSERT(drug >= 0 && static_cast<size_t>(drug) < m.drugs->size());
  if (!(amount > 0)) return;
  if (!(seconds > 0)) {
    give_drug(drug, amount, "iv");
    return;
  }
  m.timed.push_back({drug, amount, amount / seconds});
  m.timed_rate[drug] += amount / seconds;
  m.dirty = true;
}

void Physiology::set_infusion(int drug, double amount_per_s) {
  MEDGEN_ASSERT(drug >= 0 && static_cast<size_t>(drug) < impl_->drugs->size());
  impl_->infusion[drug] = std::max(0.0, amount_per_s);
  impl_->dirty = true;
}
double Physiology::infusion(int drug) const { return impl_->infusion[drug]; }

void Physiology::give_fluid(FluidKind kind, double volume_ml, double rate_ml_per_s) {
  if (volume_ml <= 0 || rate_ml_per_s <= 0) return;
  impl_->fluids.push_back({kind, volume_ml, rate_ml_per_s});
  impl_->dirty = true;
}
void Physiology::stop_fluids() {
  impl_->fluids.clear();
  impl_->dirty = true;
}
void Physiology::set_fio2(double f) {
  impl_->fio2 = clamp(f, 0.21, 1.0);
  impl_->dirty = true;
}
void Physiology::set_ventilation(const Ventilation& v) {
  impl_->vent = v;
  impl_->dirty = true;
}
const Ventilation& Physiology::ventilation() const { return impl_->vent; }
void Physiology::set_arrested(bool a) {
  if (a == impl_->arrested) return;
  set_rhythm(a ? Rhythm::kAsystole : Rhythm::kSinus);
}
void Physiology::set_rhythm(Rhythm r, double rate_bpm) {
  Impl& m = *impl_;
  if (m.arrested && !is_arrest(r)) {  // return of spontaneous circulation
    m.rosc_t = m.t;
    m.rosc_isch = N_VGetArrayPointer(m.y)[kIsch];
  }
  m.rhythm = r;
  if (rate_bpm > 0) m.rhythm_rate = rate_bpm;
  m.arrested = is_arrest(r);
  if (m.arrested) m.pacing.capture = false;
  m.dirty = true;
}
Rhythm Physiology::rhythm() const { return impl_->rhythm; }
void Physiology::set_cpr(bool on) {
  impl_->cpr = on;
  impl_->dirty = true;
}
bool Physiology::cpr() const { return impl_->cpr; }
void Physiology::set_pacing(const Pacing& p) {
  impl_->pacing = p;
  impl_->dirty = true;
}
const Pacing& Physiology::pacing() const { return impl_->pacing; }

double Physiology::plasma_concentration(int drug) const {
  const DrugSpec& d = (*impl_->drugs)[drug];
  if (!d.substance.empty()) return 0;
  return N_VGetArrayPointer(impl_->y)[kNumCore + 3 * drug + 1] / (d.volume_l_per_kg * impl_->w);
}
double Physiology::effect_concentration(int drug) const {
  const DrugSpec& d = (*impl_->drugs)[drug];
  if (d.ke0_per_min <= 0) return plasma_concentration(drug);
  return N_VGetArrayPointer(impl_->y)[kNumCore + 3 * drug + 2];
}

Modifiers Physiology::modifiers() const {
  Impl::Derived d;
  impl_->derive(impl_->t, N_VGetArrayPointer(impl_->y), nullptr, &d);
  return d.mods;
}

Vitals Physiology::vitals() const {
  const Impl& m = *impl_;
  const double* s = N_VGetArrayPointer(m.y);
  Impl::Derived d;
  m.derive(m.t, s, nullptr, &d);
  Vitals v;
  v.time_s = m.t;
  v.arrested = m.arrested;
  v.intubated = m.vent.intubated;
  v.hr_bpm = m.arrested ? 0 : d.hr;
  v.map_mmhg = d.pa;
  v.sbp_mmhg = d.sbp;
  v.dbp_mmhg = d.dbp;
  v.cvp_mmhg = d.pv;
  v.co_l_min = d.co_ml_s * 0.06;
  v.sv_ml = m.arrested ? 0 : d.sv;
  v.svr_dyn = d.svr * 1333.22;
  v.blood_volume_ml = s[kVa] + s[kVv];
  v.rr_per_min = d.rr;
  v.tidal_ml = d.vt_ml;
  v.spo2_pct = 100.0 * d.sa;
  v.pao2_mmhg = odc_inverse(d.sa);
  v.paco2_mmhg = clamp(s[kPaco2], 5, 200);
  v.fio2 = d.fio2;
  v.temp_c = s[kTemp];
  v.gcs = d.gcs;
  v.seizure = clamp(d.mods[static_cast<size_t>(Mod::kSeizure)], 0, 1);
  v.weight_kg = m.w;
  v.icp_mmhg = 10.0 + pos(d.mods[static_cast<size_t>(Mod::kIcpMmhg)]);
  v.cpp_mmhg = d.pa - v.icp_mmhg;
  v.lactate_mmol_l = std::max(0.0, s[kLac]);
  v.glucose_mmol_l = std::max(0.0, s[kGlu]);
  v.ph = d.ph;
  v.hco3_mmol_l = d.hco3;
  v.potassium_mmol_l = d.k_serum;
  // Sodium falls 1.6 mmol/L per 5.55 mmol/L (100 mg/dL) of glucose above the patient's level as water
  // follows glucose out of cells (Katz 1973). Every strong anion that consumed bicarbonate (lactate,
  // ketoacids, unmeasured anions) widens the anion gap 1:1 from its normal 12 mmol/L; chloride is what
  // electroneutrality leaves (no chloride load from saline: a known simplification).
  v.sodium_mmol_l = kSodiumMmolL - 0.288 * (v.glucose_mmol_l - m.p.glucose_mmol_l);
  v.anion_gap_mmol_l = kAnionGapMmolL + (std::max(0.0, s[kLac]) - 1.0) + std::max(0.0, s[kKet]) + std::max(0.0, s[kUa]);
  v.chloride_mmol_l = v.sodium_mmol_l - d.hco3 - v.anion_gap_mmol_l;
  v.creatinine_umol_l = s[kCreat];
  v.wbc_e9_l = s[kWbc];
  v.hb_g_dl = d.hb;
  v.troponin_ng_l = s[kTrop];
  // The state is the total ketoacid anion concentration (what consumes bicarbonate); a capillary
  // or laboratory ketone result measures beta-hydroxybutyrate, ~55% of it in DKA (with acetoacetate).
  v.ketones_mmol_l = 0.55 * std::max(0.0, s[kKet]);
  v.urine_ml_per_h = d.urine_ml_s * 3600.0;
  v.urine_total_ml = s[kUrine];
  v.blood_lost_ml = s[kBled];
  v.blood_lost_pct = 100.0 * s[kBled] / m.tbv;
  v.do2_ml_kg_min = d.do2 / m.w;
  v.do2_ml_min = d.do2;
  v.interstitial_excess_ml = s[kVi];
  v.ischaemia_min = s[kIsch];
  v.auto_peep_cmh2o = d.auto_peep;
  v.plateau_cmh2o = d.plateau;
  v.rhythm = m.rhythm;
  v.cpr = m.cpr && m.arrested;
  v.paced = m.pacing.capture && m.pacing.rate_bpm >= d.hr - 1e-9 && !m.arrested;
  return v;
}

}  // namespace medgen::sim
