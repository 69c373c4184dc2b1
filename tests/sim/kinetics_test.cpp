// Every drug's time course against the published onset, peak, duration and elimination half-life
// written in its file ("kinetics"): a reference dose is simulated in a healthy 70 kg adult and the curve
// of the stated measure is read (onset: first reaching the threshold; peak: the maximum; duration: time
// above the threshold). Then the clinical courses the issue asked for: naloxone wearing off before a
// long-acting opioid, insulin in DKA, dextrose by strength and rate, fluids over time.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "sim_test_util.h"

namespace medgen::sim::test {
namespace {

struct Curve {
  double onset_min = -1, peak_min = -1, duration_min = 0, half_life_min = -1, peak = 0;
};

double measure(const Physiology& p, const DrugSpec& d, int k, const std::string& what, const Vitals& base) {
  if (what == "plasma") return p.plasma_concentration(k);
  const Vitals v = p.vitals();
  if (what == "glucose") return v.glucose_mmol_l - base.glucose_mmol_l;
  if (what == "potassium") return v.potassium_mmol_l - base.potassium_mmol_l;
  if (what == "hco3") return v.hco3_mmol_l - base.hco3_mmol_l;
  if (what == "antagonism") return p.plasma_concentration(k) / d.antagonist_ki.begin()->second;  // EC50 shift - 1
  Mod m;
  mod_from_name(what, &m);
  return std::fabs(p.modifiers()[static_cast<size_t>(m)]);
}

Curve simulate(const DrugSpec& d) {
  const KineticsSpec& ks = d.kinetics;
  const int k = catalog().drug_index(d.name);
  PatientParams pp;  // healthy 70 kg adult
  Physiology p(pp, &catalog().drugs);
  const Vitals base = p.vitals();
  const double dose = ks.dose_per_kg * pp.weight_kg;
  if ((ks.route == "iv" || ks.route == "io") && d.iv_push_per_min > 0)
    p.give_drug_over(k, dose, dose / d.iv_push_per_min * 60.0);
  else
    p.give_drug(k, dose, ks.route);
  const double horizon_min = std::max(240.0, 3 * std::max({ks.duration_hi, ks.peak_hi, ks.half_life_hi}));
  std::vector<double> t, y;
  for (double m = 0; m <= horizon_min; m += 0.25) {
    t.push_back(m);
    y.push_back(measure(p, d, k, ks.measure, base));
    p.advance(15);
  }
  Curve c;
  size_t ip = 0;
  for (size_t i = 0; i < y.size(); ++i)
    if (y[i] > y[ip]) ip = i;
  c.peak = y[ip];
  c.peak_min = t[ip];
  const double thr = ks.threshold > 0 ? ks.threshold : ks.threshold_fraction * c.peak;
  for (size_t i = 0; i < y.size(); ++i)
    if (y[i] >= thr) {
      if (c.onset_min < 0) c.onset_min = t[i];
      c.duration_min = t[i] - c.onset_min + 0.25;
    }
  // Elimination half-life from the plasma curve after an IV bolus (drugs with a plasma compartment).
  if (d.substance.empty() && d.routes.count("iv")) {
    Physiology q(pp, &catalog().drugs);
    q.give_drug(k, dose, "iv");
    q.advance(600);
    const double c1 = q.plasma_concentration(k);
    q.advance(1800);
    const double c2 = q.plasma_concentration(k);
    if (c1 > 0 && c2 > 0) c.half_life_min = 30 * std::log(2.0) / std::log(c1 / c2);
  }
  return c;
}

TEST(Kinetics, EveryDrugHasItsPublishedTimeCourse) {
  for (const DrugSpec& d : catalog().drugs) {
    SCOPED_TRACE(d.name);
    const KineticsSpec& ks = d.kinetics;
    ASSERT_GT(ks.dose_per_kg, 0) << d.file << " has no kinetics block";
    ASSERT_FALSE(ks.source.empty());
    const Curve c = simulate(d);
    std::printf("%-24s %-4s %-22s onset %6.2f min  peak %6.2f min  duration %7.1f min  half-life %6.1f min\n",
                d.name.c_str(), ks.route.c_str(), ks.measure.c_str(), c.onset_min, c.peak_min, c.duration_min,
                c.half_life_min);
    ASSERT_GT(c.peak, 0) << "no effect";
    // Times are read every 15 s; half-lives to 1% (integration tolerance).
    const double dt = 0.25;
    if (ks.onset_hi > 0) {
      EXPECT_GE(c.onset_min, ks.onset_lo - dt);
      EXPECT_LE(c.onset_min, ks.onset_hi + dt);
    }
    if (ks.peak_hi > 0) {
      EXPECT_GE(c.peak_min, ks.peak_lo - dt);
      EXPECT_LE(c.peak_min, ks.peak_hi + dt);
    }
    if (ks.duration_hi > 0) {
      EXPECT_GE(c.duration_min, ks.duration_lo - dt);
      EXPECT_LE(c.duration_min, ks.duration_hi + dt);
    }
    if (ks.half_life_hi > 0 && ks.half_life_note.empty() && c.half_life_min > 0) {
      EXPECT_GE(c.half_life_min, ks.half_life_lo * 0.99);
      EXPECT_LE(c.half_life_min, ks.half_life_hi * 1.01);
    }
  }
}

}  // namespace
}  // namespace medgen::sim::test

namespace medgen::sim::test {
namespace {

// Naloxone 0.4 mg IV reverses an opioid overdose within minutes and wears off within 30-90 min, before
// the opioid: the patient re-narcotises (RR falls back, GCS drops) and needs another dose.
TEST(Kinetics, NaloxoneWearsOffBeforeTheOpioidAndThePatientRenarcotises) {
  for (uint64_t seed : {3, 7, 11}) {
    SCOPED_TRACE(seed);
    Session s(catalog(), make_case("opioid_overdose", "severe", seed));
    const double rr0 = s.vitals().rr_per_min;
    s.act("naloxone 0.4 mg iv");
    s.advance(180);
    const double rr_reversed = s.vitals().rr_per_min;
    EXPECT_GE(rr_reversed, 10) << "reversal within 3 min";
    double renarcotised_min = -1;
    for (int m = 4; m <= 150 && renarcotised_min < 0; ++m) {
      s.advance(60);
      if (s.vitals().rr_per_min < 10 || s.vitals().rr_per_min < rr0 + 0.5 * (rr_reversed - rr0)) renarcotised_min = m;
    }
    std::printf("seed %llu: RR %.1f -> %.1f at 3 min; re-narcotised at %.0f min\n", (unsigned long long)seed, rr0,
                rr_reversed, renarcotised_min);
    EXPECT_GE(renarcotised_min, 20);
    EXPECT_LE(renarcotised_min, 100);
  }
}

// JBDS / ADA: fixed-rate insulin 0.1 units/kg/h lowers glucose by ~3 mmol/L/h (50-75 mg/dL/h); the
// model is accepted within 2.5-5 mmol/L/h averaged over the first 3 hours (fluids add some dilution and
// glycosuria), and DKA (ketones < 0.6 mmol/L and pH > 7.3, JBDS) does not resolve within 4 hours.
TEST(Kinetics, FixedRateInsulinLowersDkaGlucoseAFewMmolPerHour) {
  for (const char* sev : {"mild", "moderate", "severe"})
    for (uint64_t seed : {3, 7, 11}) {
      SCOPED_TRACE(std::string(sev) + " " + std::to_string(seed));
      Session s(catalog(), make_case("dka", sev, seed));
      s.act("fluids 1000 ml over 60 min; insulin 0.1 units/kg/h");
      const double g0 = s.vitals().glucose_mmol_l;
      s.advance(3600);
      s.act("fluids 1000 ml over 120 min");
      s.advance(2 * 3600);
      const double rate = (g0 - s.vitals().glucose_mmol_l) / 3;
      s.act("fluids 1000 ml over 240 min");
      s.advance(3600);
      const Vitals v = s.vitals();
      std::printf("DKA %s seed %llu: glucose %.1f, falling %.1f mmol/L/h over 3 h; at 4 h ketones %.1f pH %.2f\n",
                  sev, (unsigned long long)seed, g0, rate, v.ketones_mmol_l, v.ph);
      EXPECT_GE(rate, 2.5);
      EXPECT_LE(rate, 5.0);
      EXPECT_FALSE(v.ketones_mmol_l < 0.6 && v.ph > 7.3) << "resolved within 4 h";
    }
}

// Dextrose by strength and rate: 250 mL of 10% (25 g) runs in over ~19 min at the drug file's rate,
// 50 mL of 50% (the same 25 g) over ~2.5 min; "over 30 min" is honoured.
TEST(Kinetics, DextroseIsGivenOverTimeByStrength) {
  auto peak_minute = [](const std::string& order) {
    Session s(catalog(), make_case("hypoglycaemia", "moderate", 7));
    s.act(order);
    double best = 0;
    int at = 0;
    for (int m = 1; m <= 60; ++m) {
      s.advance(60);
      if (s.vitals().glucose_mmol_l > best) {
        best = s.vitals().glucose_mmol_l;
        at = m;
      }
    }
    return at;
  };
  const int d10 = peak_minute("dextrose 10% 250 ml iv"), d50 = peak_minute("dextrose 50% 50 ml iv"),
            slow = peak_minute("dextrose 10% 250 ml iv over 30 min");
  std::printf("glucose peaks: 250 mL 10%% at %d min, 50 mL 50%% at %d min, 250 mL 10%% over 30 min at %d min\n", d10,
              d50, slow);
  EXPECT_GE(d10, 15);
  EXPECT_LE(d10, 25);
  EXPECT_LE(d50, 5);
  EXPECT_GE(slow, 28);
  EXPECT_LE(slow, 35);
}

// IV fluids run at their rate: half of a litre over an hour is in after 30 minutes.
TEST(Kinetics, FluidsAreGivenOverTimeAtARate) {
  Session s(catalog(), make_case("haemorrhagic_shock", "moderate", 7));
  Session ref(catalog(), make_case("haemorrhagic_shock", "moderate", 7));
  s.act("saline 1000 ml over 60 min");
  s.advance(1800);
  ref.advance(1800);
  const double gained = s.vitals().blood_volume_ml + s.vitals().interstitial_excess_ml -
                        (ref.vitals().blood_volume_ml + ref.vitals().interstitial_excess_ml);
  std::printf("after 30 min of 1 L over 60 min: %.0f mL more in blood and interstitium\n", gained);
  EXPECT_GT(gained, 350);
  EXPECT_LT(gained, 550);
}

}  // namespace
}  // namespace medgen::sim::test

namespace medgen::sim::test {
namespace {

// DKA is a high anion gap acidosis: sodium, chloride and the gap are reported (U&E, blood gas), with
// Na - (Cl + HCO3) = gap, sodium lowered by hyperglycaemia (1.6 mmol/L per 5.55 mmol/L, Katz 1973),
// and the gap closing with treatment (JBDS 2021 uses it to follow resolution).
TEST(Electrolytes, DkaHasAHighAnionGapThatClosesWithTreatment) {
  Session s(catalog(), make_case("dka", "severe", 7));
  Vitals v = s.vitals();
  EXPECT_NEAR(v.sodium_mmol_l - (v.chloride_mmol_l + v.hco3_mmol_l), v.anion_gap_mmol_l, 1e-9);
  EXPECT_GT(v.anion_gap_mmol_l, 20);
  EXPECT_LT(v.sodium_mmol_l, 137) << "dilutional hyponatraemia at glucose " << v.glucose_mmol_l;
  EXPECT_GT(v.chloride_mmol_l, 90);
  EXPECT_LT(v.chloride_mmol_l, 112);
  const auto ev = s.act("order electrolytes");
  s.advance(50 * 60);
  bool reported = false;
  for (const auto& e : s.log())
    reported = reported || (e.kind == "result" && e.text.find("anion_gap") != std::string::npos &&
                            e.text.find("sodium") != std::string::npos && e.text.find("chloride") != std::string::npos);
  EXPECT_TRUE(reported);
  s.act("fluids 1000 ml over 60 min; insulin 0.1 units/kg/h");
  s.advance(6 * 3600);
  EXPECT_LT(s.vitals().anion_gap_mmol_l, v.anion_gap_mmol_l - 8);
  // A healthy patient: normal values.
  Physiology p(PatientParams{}, &catalog().drugs);
  const Vitals h = p.vitals();
  EXPECT_NEAR(h.sodium_mmol_l, 140, 0.5);
  EXPECT_NEAR(h.chloride_mmol_l, 104, 1);
  EXPECT_NEAR(h.anion_gap_mmol_l, 12, 0.5);
}

}  // namespace
}  // namespace medgen::sim::test
