// The physiology engine: one patient's state advanced in time by ordinary differential equations,
// integrated with SUNDIALS CVODE (BDF, dense Newton). The model is a compact lumped one (see
// docs/simulation.md for the equations and their sources):
//  - circulation: arterial and venous volumes; Frank-Starling stroke volume from venous (preload)
//    pressure; MAP from arterial volume and compliance; flow through SVR; transcapillary exchange
//    with the interstitium; red-cell volume for haemoglobin;
//  - baroreflex: arterial (MAP) and cardiopulmonary (venous pressure) afferents drive sympathetic
//    activity with first-order dynamics (fast for heart rate, slower for SVR, venous tone and
//    contractility), so that blood loss raises heart rate before pressure falls;
//  - ventilation and gas exchange: respiratory rate and tidal volume -> alveolar ventilation ->
//    PaCO2; alveolar gas equation, V/Q mismatch and shunt with the Severinghaus oxyhaemoglobin curve;
//  - metabolism: lactate from oxygen delivery below critical, ketones, bicarbonate and pH
//    (Henderson-Hasselbalch), Bergman's minimal model for glucose and insulin, potassium with
//    acidaemia and insulin shifts, temperature, creatinine (renal perfusion), WBC, troponin;
//  - drugs: one-compartment pharmacokinetics with first-order absorption for IM/SC/nebulised doses,
//    an effect compartment (ke0) and sigmoid-Emax pharmacodynamics with competitive antagonism.
// Units are explicit in every name: time in seconds at the API, volumes in mL, pressures in mmHg.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "medgen/sim/catalog.h"
#include "medgen/sim/rhythm.h"

namespace medgen::sim {

// The patient before the condition: body size and baseline physiology (from the case generator).
struct PatientParams {
  double weight_kg = 70;
  double age_years = 50;
  bool female = false;
  double hr_bpm = 72;      // resting heart rate
  double map_mmhg = 90;    // baroreflex set point
  double rr_per_min = 14;  // resting respiratory rate
  double hb_g_dl = 14;
  double temp_c = 36.9;
  double glucose_mmol_l = 5.2;
  double potassium_mmol_l = 4.2;
  double creatinine_umol_l = 80;
  double wbc_e9_l = 7;
  double baroreflex_gain = 1;   // < 1 with beta-blockers, age
  double contractility = 1;     // < 1 with heart failure
  double shunt = 0.03;          // baseline intrapulmonary shunt
  double va_mismatch_mmhg = 5;  // baseline A-a gradient
  double insulin_sensitivity = 1;

  // Throws InvalidInput when a value is outside a survivable range.
  void validate() const;
};

// A condition's effect on one modifier over time (the condition clock starts at onset).
// Respiratory set point of the chemoreflex (mmHg): 40, lowered in metabolic acidosis to Winter's
// expected compensation 1.5 x HCO3 + 8, raised 0.7 mmHg per mmol/L of bicarbonate above 24.
double paco2_set_point(double hco3_mmol_l);

struct EffectCourse {
  Mod target = Mod::kSvr;
  double base = 0, ramp_s = 1800, growth_per_s = 0, max_abs = 1e300;
  double halt_at_s = -1;     // progression stops here
  double decay_from_s = -1;  // exponential decay starts here
  double decay_half_life_s = 3600;
  double resolve_at_s = -1;  // gone from here on
  double start_s = 0;        // the course's own clock starts here (0: at onset; complications start later)
  double value(double t_s) const;
};

// Mechanical ventilation through a tracheal tube (`intubated`: the settings replace the patient's own
// breathing) or non-invasive ventilation by mask (`niv`: the patient breathes, pressure support adds to each
// breath). FiO2 is the physiology's own (set_fio2) in every mode.
struct Ventilation {
  bool intubated = false;
  double rr_per_min = 16;       // ventilator rate
  double tidal_ml_per_kg = 7;   // set tidal volume per kg of the patient's weight
  double peep_cmh2o = 5;        // positive end-expiratory pressure (set; auto-PEEP comes on top)
  bool oesophageal = false;     // the tube is in the oesophagus: no ventilation at all (until re-intubated)
  bool niv = false;             // non-invasive ventilation (ignored when intubated)
  double ipap_cmh2o = 15;       // NIV inspiratory pressure; pressure support is IPAP - EPAP (CPAP: IPAP == EPAP)
  double epap_cmh2o = 5;        // NIV expiratory pressure (CPAP level): recruits like PEEP
};

// Plausible ranges of the settings a trainee may choose (what the session refuses beyond).
struct VentilatorLimits {
  static constexpr double kRrMin = 4, kRrMax = 40;
  static constexpr double kVtMinPerKg = 3, kVtMaxPerKg = 15;
  static constexpr double kPeepMin = 0, kPeepMax = 24;
  static constexpr double kFio2Min = 0.21, kFio2Max = 1.0;
  static constexpr double kIpapMax = 30, kEpapMax = 15;
};
// Expiratory time constant of the lungs in bronchospasm (s) and the auto-PEEP (cmH2O) that breath stacking
// builds on a ventilator at `rr_per_min` and `tidal_ml` with a fixed 1 s inspiration (see physiology.cpp).
double expiratory_time_constant_s(double bronchospasm);
double auto_peep_cmh2o(double rr_per_min, double tidal_ml, double bronchospasm, double weight_kg);

// Everything a monitor, a lab or the scorer can read. Units in the names.
struct Vitals {
  double time_s = 0;
  double hr_bpm = 0, sbp_mmhg = 0, dbp_mmhg = 0, map_mmhg = 0, cvp_mmhg = 0;
  double co_l_min = 0, sv_ml = 0, svr_dyn = 0, blood_volume_ml = 0;
  double rr_per_min = 0, tidal_ml = 0, spo2_pct = 0, pao2_mmhg = 0, paco2_mmhg = 0, fio2 = 0.21;
  double temp_c = 0, gcs = 15;
  double seizure = 0;  // 0..1: convulsive seizure activity (the `seizure` modifier), seen on examination
  double weight_kg = 70;  // the patient's weight (constant), so that a script can dose by weight band
  double icp_mmhg = 10, cpp_mmhg = 80;  // intracranial pressure (10 + the `icp_mmhg` modifier), MAP - ICP
  double lactate_mmol_l = 0, glucose_mmol_l = 0, ph = 7.4, hco3_mmol_l = 24, potassium_mmol_l = 4;
  double sodium_mmol_l = 140, chloride_mmol_l = 104, anion_gap_mmol_l = 12;  // anion gap = Na - (Cl + HCO3)
  double creatinine_umol_l = 0, wbc_e9_l = 0, hb_g_dl = 0, troponin_ng_l = 0, ketones_mmol_l = 0;
  double urine_ml_per_h = 0, urine_total_ml = 0, do2_ml_min = 0, interstitial_excess_ml = 0;
  double blood_lost_ml = 0, blood_lost_pct = 0;  // whole blood shed so far (% of the normal blood volume)
  double do2_ml_kg_min = 0;                       // oxygen delivery per kg
  double auto_peep_cmh2o = 0;  // intrinsic PEEP from breath stacking (ventilated, bronchospasm)
  double plateau_cmh2o = 0;    // ventilated: end-inspiratory (plateau) airway pressure; 0 otherwise
  double ischaemia_min = 0;  // cardiac arrest so far: no-flow minutes plus CPR minutes at a fraction (rhythm.h)
  bool intubated = false, arrested = false;
  Rhythm rhythm = Rhythm::kSinus;
  bool cpr = false, paced = false;  // chest compressions running; pacing with capture

  // By name ("hr", "map", "spo2", "lactate", ...); false when unknown.
  bool get(const std::string& name, double* out) const;
  static const std::vector<std::string>& names();
};

enum class FluidKind { kCrystalloid, kBlood };

class Physiology {
 public:
  // `drugs` must outlive the object (PK states are allocated for every drug of the catalog).
  Physiology(const PatientParams& p, const std::vector<DrugSpec>* drugs);
  ~Physiology();
  Physiology(Physiology&&) noexcept;
  Physiology& operator=(Physiology&&) noexcept;

  // Advances the clock by `seconds` (>= 0) under the current inputs.
  void advance(double seconds);
  double time_s() const;
  Vitals vitals() const;

  // Condition effects (replaces the set); courses are mutable for treatments.
  void set_courses(std::vector<EffectCourse> c);
  std::vector<EffectCourse>& courses();

  // Inputs. Amounts in the drug's amount unit; rates per second.
  void give_drug(int drug, double amount, const std::string& route);
  // An IV dose that runs in at a constant rate over `seconds` (0: an instant push), alongside any infusion.
  void give_drug_over(int drug, double amount, double seconds);
  void set_infusion(int drug, double amount_per_s);
  double infusion(int drug) const;
  void give_fluid(FluidKind kind, double volume_ml, double rate_ml_per_s);
  void stop_fluids();
  void set_fio2(double fio2);
  void set_ventilation(const Ventilation& v);
  const Ventilation& ventilation() const;
  // Cardiac arrest outside the rhythm model's own causes (a sustained lethal derangement): asystole/PEA.
  // set_arrested(false) is a return of spontaneous circulation in sinus rhythm.
  void set_arrested(bool a);
  // The rhythm (rhythm.h): `rate_bpm` is AF's uncontrolled ventricular rate or an escape rhythm's rate.
  // Leaving an arrest rhythm is a return of spontaneous circulation: what the arrest cost (the ischaemic
  // minutes) stuns the myocardium and the brain for hours.
  void set_rhythm(Rhythm r, double rate_bpm = 0);
  Rhythm rhythm() const;
  // Chest compressions (with bag-mask ventilation when not intubated): ~20% of the resting cardiac output
  // in arrest; nothing otherwise.
  void set_cpr(bool on);
  bool cpr() const;
  // Transcutaneous pacing (demand): with capture the ventricular rate is at least `rate_bpm`.
  void set_pacing(const Pacing& p);
  const Pacing& pacing() const;

  // Plasma and effect-site concentration of a drug (amount unit per L).
  double plasma_concentration(int drug) const;
  double effect_concentration(int drug) const;
  // The summed modifiers at the current time (condition + drugs).
  Modifiers modifiers() const;
  const PatientParams& params() const;
  long steps() const;  // CVODE internal steps so far (for benchmarks)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace medgen::sim
