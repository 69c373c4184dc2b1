// Pharmacokinetics against the analytic one-compartment solutions, and the pharmacodynamic effects
// the conditions rely on (naloxone, epinephrine, insulin).
#include <gtest/gtest.h>

#include <cmath>

#include "sim_test_util.h"

namespace medgen::sim::test {
namespace {

DrugSpec plain_drug(double v_l_per_kg, double half_life_min, double absorption_half_life_min) {
  DrugSpec d;
  d.name = "testdrug";
  d.amount_unit = "mg";
  d.volume_l_per_kg = v_l_per_kg;
  d.half_life_min = half_life_min;
  d.routes["iv"] = RouteSpec{};
  d.routes["im"] = RouteSpec{0.8, absorption_half_life_min};
  return d;
}

TEST(Pharmacokinetics, IvBolusFollowsAnalyticOneCompartment) {
  const std::vector<DrugSpec> drugs = {plain_drug(0.5, 30, 10)};
  PatientParams pp;
  pp.weight_kg = 80;
  Physiology p(pp, &drugs);
  p.give_drug(0, 100, "iv");
  const double v = 0.5 * 80, k = std::log(2.0) / (30 * 60);
  for (int i = 1; i <= 12; ++i) {
    p.advance(600);
    const double expected = 100 / v * std::exp(-k * p.time_s());
    ASSERT_NEAR(p.plasma_concentration(0), expected, 1e-3 * expected + 1e-9) << "t = " << p.time_s();
  }
}

TEST(Pharmacokinetics, ImDoseFollowsBatemanFunction) {
  const std::vector<DrugSpec> drugs = {plain_drug(0.2, 60, 8)};
  Physiology p(PatientParams{}, &drugs);
  p.give_drug(0, 10, "im");
  const double v = 0.2 * 70, ke = std::log(2.0) / 3600, ka = std::log(2.0) / 480, f = 0.8;
  double peak_t = 0, peak = 0;
  for (int i = 1; i <= 120; ++i) {
    p.advance(60);
    const double t = p.time_s();
    const double expected = f * 10 / v * ka / (ka - ke) * (std::exp(-ke * t) - std::exp(-ka * t));
    ASSERT_NEAR(p.plasma_concentration(0), expected, 2e-3 * expected + 1e-9) << "t = " << t;
    if (p.plasma_concentration(0) > peak) {
      peak = p.plasma_concentration(0);
      peak_t = t;
    }
  }
  const double tmax = std::log(ka / ke) / (ka - ke);
  EXPECT_NEAR(peak_t, tmax, 60);
}

TEST(Pharmacokinetics, InfusionReachesRateOverClearance) {
  const std::vector<DrugSpec> drugs = {plain_drug(0.3, 20, 5)};
  Physiology p(PatientParams{}, &drugs);
  const double rate_mg_s = 2.0 / 60;  // 2 mg/min
  p.set_infusion(0, rate_mg_s);
  p.advance(6 * 3600);
  const double cl_l_s = std::log(2.0) / (20 * 60) * 0.3 * 70;
  EXPECT_NEAR(p.plasma_concentration(0), rate_mg_s / cl_l_s, 1e-3 * rate_mg_s / cl_l_s);
  p.set_infusion(0, 0);
  p.advance(20 * 60);  // one half-life
  EXPECT_NEAR(p.plasma_concentration(0), 0.5 * rate_mg_s / cl_l_s, 2e-3 * rate_mg_s / cl_l_s);
}

TEST(Pharmacodynamics, NaloxoneReversesOpioidRespiratoryDepressionWithinMinutes) {
  Session s(catalog(), make_case("opioid_overdose", "severe"));
  const Vitals before = s.vitals();
  ASSERT_LT(before.rr_per_min, 8);
  ASSERT_GT(before.paco2_mmhg, 60);
  s.act("naloxone 0.4 mg iv");
  s.advance(180);
  EXPECT_GE(s.vitals().rr_per_min, 10) << "naloxone must restore breathing within 3 minutes";
  s.advance(600);
  EXPECT_LT(s.vitals().paco2_mmhg, 50);
  EXPECT_GT(s.vitals().gcs, before.gcs + 3);
  // Without naloxone the same patient is still depressed 13 minutes later.
  Session untreated(catalog(), make_case("opioid_overdose", "severe"));
  untreated.advance(780);
  EXPECT_LT(untreated.vitals().rr_per_min, 8);
}

TEST(Pharmacodynamics, NaloxoneWearsOffBeforeTheOpioid) {
  Session s(catalog(), make_case("opioid_overdose", "severe"));
  s.act("naloxone 0.4 mg iv");
  s.advance(600);
  const double rr_reversed = s.vitals().rr_per_min;
  s.advance(3 * 3600);
  EXPECT_LT(s.vitals().rr_per_min, rr_reversed - 2) << "renarcotisation: naloxone's half-life is about an hour";
}

TEST(Pharmacodynamics, EpinephrineInAnaphylaxisRaisesPressureAndFades) {
  const Case c = make_case("anaphylaxis", "severe");
  Session treated(catalog(), c), untreated(catalog(), c);
  treated.act("epinephrine 0.5 mg im");
  treated.advance(600);
  untreated.advance(600);
  EXPECT_GT(treated.vitals().map_mmhg, untreated.vitals().map_mmhg + 10);
  EXPECT_GT(treated.vitals().spo2_pct, untreated.vitals().spo2_pct);
  // The drug itself: in a healthy patient an IM dose's effect on heart rate is largely gone within ~45 min
  // (the thigh depot absorbs with a 10 min half-life: plasma peak at 6-10 min, Simons 2001).
  const std::vector<DrugSpec>& drugs = catalog().drugs;
  Physiology p(PatientParams{}, &drugs);
  const int epi = catalog().drug_index("epinephrine");
  const double hr0 = p.vitals().hr_bpm;
  p.give_drug(epi, 500, "im");
  double peak = 0;
  for (int m = 0; m < 15; ++m) {
    p.advance(60);
    peak = std::max(peak, p.vitals().hr_bpm);
  }
  EXPECT_GT(peak, hr0 + 8);
  p.advance(30 * 60);
  EXPECT_LT(p.vitals().hr_bpm - hr0, 0.25 * (peak - hr0)) << "45 min after the dose";
}

TEST(Pharmacodynamics, InsulinLowersGlucoseAndPotassiumInDka) {
  const Case c = make_case("dka", "moderate");
  Session treated(catalog(), c), untreated(catalog(), c);
  const Vitals v0 = treated.vitals();
  EXPECT_GT(v0.glucose_mmol_l, 20);
  EXPECT_LT(v0.ph, 7.3);
  treated.act("insulin 0.1 units/kg/h");
  treated.advance(4 * 3600);
  untreated.advance(4 * 3600);
  const Vitals t = treated.vitals(), u = untreated.vitals();
  EXPECT_LT(t.glucose_mmol_l, v0.glucose_mmol_l - 8);
  EXPECT_LT(t.potassium_mmol_l, v0.potassium_mmol_l - 0.4);
  EXPECT_LT(t.ketones_mmol_l, u.ketones_mmol_l);
  EXPECT_GT(t.ph, u.ph);
}

TEST(Pharmacodynamics, ExcessiveInsulinCausesHypoglycaemia) {
  Physiology p(PatientParams{}, &catalog().drugs);
  p.set_infusion(catalog().drug_index("insulin"), 0.3 * 70 / 3600.0);  // 0.3 units/kg/h: 3x the DKA rate
  p.advance(3 * 3600);
  EXPECT_LT(p.vitals().glucose_mmol_l, 3.0);
  EXPECT_LT(p.vitals().gcs, 15);
}

TEST(Pharmacodynamics, NorepinephrineRaisesMapInSepticShock) {
  const Case c = make_case("septic_shock", "severe");
  Session s(catalog(), c);
  const double map0 = s.vitals().map_mmhg;
  s.act("norepinephrine 0.15 mcg/kg/min");
  s.advance(900);
  EXPECT_GT(s.vitals().map_mmhg, map0 + 10);
}

TEST(Pharmacodynamics, OpioidBolusInAHealthyPatientDepressesBreathingDoseDependently) {
  auto rr_after = [](double mg) {
    Physiology p(PatientParams{}, &catalog().drugs);
    p.give_drug(catalog().drug_index("morphine"), mg, "iv");
    p.advance(1800);
    return p.vitals().rr_per_min;
  };
  const double small = rr_after(5), big = rr_after(40);
  EXPECT_GT(small, 10);
  EXPECT_LT(big, small - 4);
}

TEST(Pharmacodynamics, OpioidOverdoseInSepsisCausesHypotensionAndHypoventilation) {
  const Case c = make_case("septic_shock", "moderate");
  Session harmed(catalog(), c), control(catalog(), c);
  harmed.act("morphine 30 mg iv confirm");  // above the soft limit: confirmed in the order
  harmed.advance(1800);
  control.advance(1800);
  EXPECT_LT(harmed.vitals().map_mmhg, control.vitals().map_mmhg - 5);
  EXPECT_LT(harmed.vitals().rr_per_min, control.vitals().rr_per_min - 6);
  EXPECT_TRUE(harmed.actions().back().harmful) << "30 mg is above the drug file's 0.15 mg/kg";
}

}  // namespace
}  // namespace medgen::sim::test
