// Conditions added for issue 19 item 5 (third set): cardiac tamponade, pulmonary embolism and bacterial
// meningitis. Each one's presentation, untreated and guideline-treated course against the published figures
// cited in its file (data/sim/conditions/<name>.json), deterministic from the seeds; and its good script
// scoring at least 70% without death while its bad script scores clearly lower.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "medgen/sim/order_safety.h"
#include "sim_test_util.h"

namespace medgen::sim::test {
namespace {

const uint64_t kSeeds[] = {3, 7, 11};
const char* kTiers[] = {"mild", "moderate", "severe"};

void print(const char* tag, const std::string& c, const std::string& sev, uint64_t seed, const Vitals& v) {
  std::printf("%-18s %-8s seed %2d %-9s HR %3.0f SBP %3.0f MAP %3.0f CVP %4.1f CO %4.1f RR %4.1f SpO2 %3.0f PaCO2 %4.1f "
              "T %4.1f lac %4.1f trop %5.0f GCS %4.1f%s\n",
              c.c_str(), sev.c_str(), static_cast<int>(seed), tag, v.hr_bpm, v.sbp_mmhg, v.map_mmhg, v.cvp_mmhg,
              v.co_l_min, v.rr_per_min, v.spo2_pct, v.paco2_mmhg, v.temp_c, v.lactate_mmol_l, v.troponin_ng_l, v.gcs,
              v.arrested ? " ARREST" : "");
}

// Their good and bad scripts are compared with the others' in new_conditions_test.cpp (Sim/NewConditions).


// Cardiac tamponade (ESC 2015 pericardial; Spodick 2003; Roy 2007; Reddy 1978).
TEST(CardiacTamponade, PresentsWithBecksTriadWorsensUntreatedAndRecoversAfterPericardiocentesis) {
  for (uint64_t seed : kSeeds)
    for (const char* sev : kTiers) {
      const std::string s = sev;
      const Course none = course("cardiac_tamponade", sev, seed, "none"), good = course("cardiac_tamponade", sev, seed, "good"),
                   bad = course("cardiac_tamponade", sev, seed, "bad");
      print("present", "tamponade", sev, seed, none.start);
      print("untreated", "tamponade", sev, seed, none.end);
      print("drained", "tamponade", sev, seed, at(good, 35));
      print("treated", "tamponade", sev, seed, good.end);
      print("diuretic", "tamponade", sev, seed, bad.end);
      // The patient's own circulation: the same patient an hour after drainage at presentation, without fluid.
      const Vitals own = run_course("cardiac_tamponade", sev, seed, {{0, "pericardiocentesis"}}, 60).end;
      print("own", "tamponade", sev, seed, own);
      const Vitals& p = none.start;
      // Tachycardia (77% in Roy 2007): faster than the patient's own rate in every tier, > 100 in the moderate and
      // severe tiers. Hypotension is late (26%): the mild and moderate tiers keep SBP >= 100 at presentation.
      EXPECT_GT(p.hr_bpm, own.hr_bpm + 10) << sev << " " << seed;
      if (s != "mild") EXPECT_GT(p.hr_bpm, 100) << sev << " " << seed;
      if (s != "severe") EXPECT_GE(p.sbp_mmhg, 100) << sev << " " << seed;
      // Raised venous pressure (76%; Beck's triad) with a low output in the moderate and severe tiers: CVP at least
      // 1 mmHg above the patient's own (a weak rise: see docs), output at least 15% below it.
      if (s != "mild") {
        EXPECT_GE(p.cvp_mmhg, own.cvp_mmhg + 1) << sev << " " << seed;
        EXPECT_LT(p.co_l_min, 0.9 * own.co_l_min) << sev << " " << seed;
      }
      // The lungs are clear: the tamponade adds no shunt (SpO2 >= 94 on air).
      EXPECT_GE(p.spo2_pct, 94) << sev << " " << seed;
      // Untreated, the pericardium keeps filling (Spodick 2003): within 90 min the moderate tier is in shock (MAP <
      // 65) and the severe tier dies; the mild tier's MAP falls and its rate rises.
      if (s == "mild") {
        EXPECT_LT(none.end.map_mmhg, p.map_mmhg - 2) << seed;
        EXPECT_GT(none.end.hr_bpm, p.hr_bpm + 10) << seed;
      }
      if (s == "moderate") EXPECT_TRUE(none.dead || none.end.map_mmhg < 65) << seed;
      if (s == "severe") EXPECT_TRUE(none.dead) << seed;
      // Pericardiocentesis at 14 min: 20 minutes later venous pressure has fallen, the output and pressure have
      // risen (Reddy 1978), and by the end the rate has settled below 100 and by 10% or more.
      const Vitals& d = at(good, 35);
      EXPECT_FALSE(good.dead) << sev << " " << seed;
      EXPECT_GE(d.map_mmhg, 65) << sev << " " << seed;
      if (s != "mild") {
        EXPECT_LT(d.cvp_mmhg, p.cvp_mmhg - 0.3) << sev << " " << seed;
        EXPECT_GT(d.co_l_min, p.co_l_min * 1.15) << sev << " " << seed;
      }
      EXPECT_LT(good.end.hr_bpm, p.hr_bpm * 0.9) << sev << " " << seed;
      EXPECT_LT(good.end.hr_bpm, 100) << sev << " " << seed;
      // A diuretic and a nitrate (ESC 2015: not recommended) are worse than nothing: death, or a lower MAP than
      // untreated at 90 min.
      EXPECT_TRUE(bad.dead || (!none.dead && bad.end.map_mmhg < none.end.map_mmhg - 5)) << sev << " " << seed;
    }
}

// Pulmonary embolism (ESC 2019 risk classes; PIOPED II, Stein 2007; Goldhaber 1993).
TEST(PulmonaryEmbolism, PresentsByEscRiskClassAndAlteplaseRestoresTheCirculationFasterThanHeparin) {
  for (uint64_t seed : kSeeds)
    for (const char* sev : kTiers) {
      const std::string s = sev;
      const Course none = course("pulmonary_embolism", sev, seed, "none"),
                   good = course("pulmonary_embolism", sev, seed, "good");
      print("present", "pe", sev, seed, none.start);
      print("untreated", "pe", sev, seed, none.end);
      print("treated", "pe", sev, seed, good.end);
      const Vitals& p = none.start;
      // Every tier: hyperventilation (PaCO2 below 38) and a fall in saturation (SpO2 <= 94 on air); tachypnoea
      // (>= 20/min, 54-57% of all patients in PIOPED II) in the moderate and severe tiers.
      EXPECT_LT(p.paco2_mmhg, 38) << sev << " " << seed;
      EXPECT_LE(p.spo2_pct, 94) << sev << " " << seed;
      if (s != "mild") EXPECT_GE(p.rr_per_min, 20) << sev << " " << seed;
      // ESC 2019 risk classes: mild (low or intermediate-low) normotensive with SBP >= 100 and troponin at most
      // slightly raised; moderate (intermediate-high) normotensive (SBP >= 90) with troponin above the hs-TnT 99th
      // centile (14 ng/L) and sPESI >= 1 (HR >= 110, SBP < 100 or SpO2 < 90); severe (high risk) SBP < 90 with
      // hypoperfusion (lactate > 2) and SpO2 < 90 on air.
      if (s == "mild") {
        EXPECT_GE(p.sbp_mmhg, 100) << seed;
        EXPECT_LT(p.troponin_ng_l, 20) << seed;
      }
      if (s == "moderate") {
        EXPECT_GE(p.sbp_mmhg, 90) << seed;
        EXPECT_GT(p.troponin_ng_l, 14) << seed;
        EXPECT_TRUE(p.hr_bpm >= 110 || p.sbp_mmhg < 100 || p.spo2_pct < 90) << seed;
      }
      if (s == "severe") {
        EXPECT_LT(p.sbp_mmhg, 90) << seed;
        EXPECT_GT(p.lactate_mmol_l, 2) << seed;
        EXPECT_LT(p.spo2_pct, 90) << seed;
      }
      // Untreated for 3 h, the thrombus grows: normotensive tiers end with a lower MAP, a faster rate and a lower
      // SpO2; the high-risk tier stays in shock (SBP < 90) with rising lactate (or dies).
      if (s != "severe") {
        EXPECT_LT(none.end.map_mmhg, p.map_mmhg) << sev << " " << seed;
        EXPECT_GT(none.end.hr_bpm, p.hr_bpm) << sev << " " << seed;
        EXPECT_LT(none.end.spo2_pct, p.spo2_pct) << sev << " " << seed;
      } else {
        EXPECT_TRUE(none.dead || (none.end.sbp_mmhg < 90 && none.end.lactate_mmol_l > p.lactate_mmol_l + 0.5)) << seed;
      }
      // Treated (oxygen, heparin; alteplase 100 mg over 2 h when SBP < 90): alive, SpO2 >= 92 on oxygen, MAP
      // >= 65; normotensive tiers stable on heparin alone (MAP within 5 of presentation or higher); the high-risk
      // tier with SBP >= 90 and the rate down by at least 15% at 2 h.
      EXPECT_FALSE(good.dead) << sev << " " << seed;
      EXPECT_GE(good.end.spo2_pct, 92) << sev << " " << seed;
      EXPECT_GE(good.end.map_mmhg, 65) << sev << " " << seed;
      if (s != "severe") EXPECT_GE(good.end.map_mmhg, p.map_mmhg - 5) << sev << " " << seed;
      if (s == "severe") {
        const Vitals& v2 = at(good, 120);
        EXPECT_GE(v2.sbp_mmhg, 90) << seed;
        EXPECT_LT(v2.hr_bpm, 0.85 * p.hr_bpm) << seed;
      }
    }
  // High risk: alteplase against heparin alone (Goldhaber 1993: lysis improved RV function within hours, heparin
  // alone changed little). Both arms get oxygen, heparin and 500 mL of fluid; MAP and heart rate at 3 h.
  for (uint64_t seed : kSeeds) {
    const std::vector<std::pair<double, std::string>> base = {
        {1, "oxygen 15 l/min"}, {4, "heparin 80 units/kg iv"}, {5, "heparin 18 units/kg/h"}, {6, "bolus 500 ml over 15 min"}};
    auto lysis = base;
    lysis.push_back({14, "alteplase 10 mg iv over 2 min"});
    lysis.push_back({16, "alteplase 90 mg iv over 120 min"});
    const Course hep = run_course("pulmonary_embolism", "severe", seed, base, 180),
                 lys = run_course("pulmonary_embolism", "severe", seed, lysis, 180);
    print("heparin", "pe", "severe", seed, hep.end);
    print("alteplase", "pe", "severe", seed, lys.end);
    EXPECT_FALSE(lys.dead) << seed;
    EXPECT_TRUE(hep.dead || hep.end.map_mmhg < lys.end.map_mmhg - 10) << seed;
    EXPECT_TRUE(hep.dead || hep.end.hr_bpm > lys.end.hr_bpm + 10) << seed;
  }
}

// Bacterial meningitis (van de Beek 2004; ESCMID 2016; NICE NG240; Proulx 2005).
TEST(Meningitis, PresentsWithFeverAndLowGcsAndEarlyCeftriaxoneHaltsTheDecline) {
  for (uint64_t seed : kSeeds)
    for (const char* sev : kTiers) {
      const std::string s = sev;
      const Course none = course("meningitis", sev, seed, "none"), good = course("meningitis", sev, seed, "good"),
                   bad = course("meningitis", sev, seed, "bad");
      print("present", "meningitis", sev, seed, none.start);
      print("untreated", "meningitis", sev, seed, none.end);
      print("treated", "meningitis", sev, seed, good.end);
      print("late abx", "meningitis", sev, seed, bad.end);
      const Vitals& p = none.start;
      // Fever >= 38 C (77% in van de Beek 2004) in every tier; altered mental status (GCS < 14, 69%) in every tier
      // (the mild tier at 13-14 with a normal blood pressure); GCS 9-12 in the moderate tier; coma (GCS <= 8, 14%) in
      // the severe tier, which has the sepsis of the bacteraemia (lactate > 2, HR > 100, MAP < 85).
      EXPECT_GE(p.temp_c, 38) << sev << " " << seed;
      EXPECT_LT(p.gcs, 14) << sev << " " << seed;
      if (s == "mild") {
        EXPECT_GE(p.gcs, 13) << seed;
        EXPECT_GE(p.map_mmhg, 70) << seed;
      }
      if (s == "moderate") EXPECT_TRUE(p.gcs >= 9 && p.gcs < 13) << seed << " " << p.gcs;
      if (s == "severe") {
        EXPECT_LE(p.gcs, 8.5) << seed;
        EXPECT_GT(p.lactate_mmol_l, 2) << seed;
        EXPECT_GT(p.hr_bpm, 100) << seed;
        EXPECT_LT(p.map_mmhg, 85) << seed;
      }
      // Untreated for 4 h: consciousness keeps falling (moderate and severe by >= 0.5 GCS points), the fever
      // persists, and in the severe tier the blood pressure falls (MAP down >= 5 mmHg) as lactate rises.
      EXPECT_FALSE(none.dead) << sev << " " << seed;
      EXPECT_LT(none.end.gcs, p.gcs - (s == "mild" ? 0.2 : 0.5)) << sev << " " << seed;
      EXPECT_GE(none.end.temp_c, 38) << sev << " " << seed;
      if (s == "severe") {
        EXPECT_LT(none.end.map_mmhg, p.map_mmhg - 5) << seed;
        EXPECT_GT(none.end.lactate_mmol_l, p.lactate_mmol_l) << seed;
      }
      // Treated (dexamethasone then ceftriaxone at 10-11 min, fluids, intubation if GCS <= 8): alive with MAP >= 65
      // at 4 h, no further loss of consciousness (unless intubated), temperature falling.
      EXPECT_FALSE(good.dead) << sev << " " << seed;
      EXPECT_GE(good.end.map_mmhg, 65) << sev << " " << seed;
      if (!good.end.intubated) EXPECT_GE(good.end.gcs, p.gcs) << sev << " " << seed;
      EXPECT_LT(good.end.temp_c, p.temp_c) << sev << " " << seed;
      // Every hour counts (Proulx 2005; ESCMID: within 1 h): with ceftriaxone only at 150 min (after LP and CT), the
      // patient is less conscious at 4 h (moderate by >= 0.8 GCS points, mild >= 0.3) and, in the severe tier, has
      // a lower MAP than with ceftriaxone at 11 min.
      if (s == "mild") EXPECT_LT(bad.end.gcs, good.end.gcs - 0.3) << seed;
      if (s == "moderate") EXPECT_LT(bad.end.gcs, good.end.gcs - 0.8) << seed;
      if (s == "severe") EXPECT_LT(bad.end.map_mmhg, good.end.map_mmhg - 5) << seed;
    }
}

// Children (case.cpp, physiology.cpp): school-age cases have APLS-sized bodies and normal ranges, 80 mL/kg of
// blood, and rest at PaCO2 ~40 with SpO2 >= 95 on air.
TEST(Children, CasesHaveChildSizesAndNormalRanges) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const Case c = make_case("paediatric_asthma", "mild", seed);
    const PatientParams& p = c.patient;
    SCOPED_TRACE(seed);
    EXPECT_GE(p.age_years, 6);
    EXPECT_LE(p.age_years, 12);
    // APLS weight estimate 3 x age + 7 kg (6-12 years), within the spread of real children (+-40%).
    const double apls = 3 * p.age_years + 7;
    EXPECT_GT(p.weight_kg, 0.6 * apls) << p.weight_kg;
    EXPECT_LT(p.weight_kg, 1.4 * apls) << p.weight_kg;
    // APLS normal ranges at 5-12 years: HR 80-120 (allowing 75-130 for 6-year-olds), RR 20-25 (16-28 drawn).
    EXPECT_TRUE(p.hr_bpm >= 75 && p.hr_bpm <= 130) << p.hr_bpm;
    EXPECT_TRUE(p.rr_per_min >= 16 && p.rr_per_min <= 28) << p.rr_per_min;
    EXPECT_TRUE(p.map_mmhg >= 55 && p.map_mmhg <= 80) << p.map_mmhg;
    Physiology healthy(p, &catalog().drugs);
    const Vitals v0 = healthy.vitals();
    EXPECT_NEAR(v0.blood_volume_ml / p.weight_kg, 80, 1);
    healthy.advance(1800);
    const Vitals v = healthy.vitals();
    EXPECT_NEAR(v.paco2_mmhg, 40, 2.5);
    EXPECT_GE(v.spo2_pct, 95);
    EXPECT_NEAR(v.rr_per_min, p.rr_per_min, 2);
  }
  // The vignette says girl or boy.
  const Case c = make_case("paediatric_asthma", "mild", 3);
  EXPECT_NE(c.vignette.find(c.patient.female ? "girl" : "boy"), std::string::npos) << c.vignette;
}

// Acute asthma in a child over 5 (BTS/SIGN 158, 2019).
TEST(PaediatricAsthma, PresentsByBtsChildCriteriaAndRespondsToNebulisersWhileMorphineMakesItWorse) {
  for (uint64_t seed : kSeeds)
    for (const char* sev : kTiers) {
      const std::string s = sev;
      const Course none = course("paediatric_asthma", sev, seed, "none"), good = course("paediatric_asthma", sev, seed, "good"),
                   bad = course("paediatric_asthma", sev, seed, "bad");
      print("present", "paed_asthma", sev, seed, none.start);
      print("untreated", "paed_asthma", sev, seed, none.end);
      print("at 30 min", "paed_asthma", sev, seed, at(good, 30));
      print("treated", "paed_asthma", sev, seed, good.end);
      print("morphine", "paed_asthma", sev, seed, bad.end);
      const Vitals& p = none.start;
      // BTS/SIGN, over 5 years: moderate attack (mild tier) SpO2 >= 92% without the features of a severe one (HR
      // <= 125; RR around the 30/min line: 27-33 here); acute severe (moderate tier) has any of SpO2 < 92, HR > 125,
      // RR > 30; life-threatening (severe tier) SpO2 < 92 with a PaCO2 no longer low (>= 40: tiring).
      if (s == "mild") {
        EXPECT_GE(p.spo2_pct, 92) << seed;
        EXPECT_LE(p.hr_bpm, 125) << seed;
        EXPECT_LE(p.rr_per_min, 33) << seed;
      }
      if (s == "moderate") EXPECT_TRUE(p.spo2_pct < 92 || p.hr_bpm > 125 || p.rr_per_min > 30) << seed;
      if (s == "severe") {
        EXPECT_LT(p.spo2_pct, 92) << seed;
        EXPECT_GE(p.paco2_mmhg, 40) << seed;
      }
      // Untreated for 3 h the attack worsens: SpO2 falls and PaCO2 rises; the life-threatening tier dies or ends
      // with SpO2 < 85%.
      if (!none.dead) {
        EXPECT_LT(none.end.spo2_pct, p.spo2_pct) << sev << " " << seed;
        EXPECT_GT(none.end.paco2_mmhg, p.paco2_mmhg) << sev << " " << seed;
      }
      if (s == "severe") EXPECT_TRUE(none.dead || none.end.spo2_pct < 85) << seed;
      // Treated (oxygen, salbutamol 5 mg with ipratropium 250 mcg three times in the first hour, prednisolone,
      // IV magnesium 40 mg/kg if RR >= 30 at 30 min): SpO2 >= 94 at 30 min (BTS target 94-98%), RR at least half-way
      // back to the child's resting rate within the hour, PaCO2 < 42 at 3 h, alive; salbutamol's tachycardia stays
      // below 180/min.
      EXPECT_FALSE(good.dead) << sev << " " << seed;
      EXPECT_GE(at(good, 30).spo2_pct, 94) << sev << " " << seed;
      const double rr_rest = make_case("paediatric_asthma", sev, seed).patient.rr_per_min;
      EXPECT_LT(at(good, 60).rr_per_min, p.rr_per_min - 0.5 * (p.rr_per_min - rr_rest)) << sev << " " << seed;
      EXPECT_LT(good.end.paco2_mmhg, 42) << sev << " " << seed;
      double hr_max = 0;
      for (const Sample& x : good.samples) hr_max = std::max(hr_max, x.v.hr_bpm);
      EXPECT_LT(hr_max, 180) << sev << " " << seed;
      // Morphine for the distressed child and no bronchodilator (BTS: sedation is contraindicated): oxygen hides
      // the hypoventilation (SpO2 fine) while PaCO2 rises above its presentation value and 2.5 mmHg above the
      // treated child's, and consciousness falls.
      EXPECT_FALSE(bad.dead) << sev << " " << seed;
      EXPECT_GT(bad.end.paco2_mmhg, p.paco2_mmhg + 1.5) << sev << " " << seed;
      EXPECT_GT(bad.end.paco2_mmhg, good.end.paco2_mmhg + 2.5) << sev << " " << seed;
      EXPECT_LT(bad.end.gcs, good.end.gcs) << sev << " " << seed;
    }
}

// Dose checks at a child's weight: the usual paediatric doses pass, adult doses are held (above the per-kg soft
// limits) and gross errors refused.
TEST(PaediatricAsthma, DoseChecksUseTheChildsWeight) {
  const ConditionSpec& c = *catalog().find_condition("paediatric_asthma");
  auto verdict = [&](const std::string& text, double kg) {
    const Action a = parse_action(text, catalog(), c, kg);
    EXPECT_EQ(a.kind, Action::Kind::kDrug) << text;
    return check_dose(*catalog().find_drug(a.what), a, kg).verdict;
  };
  for (double kg : {18.0, 25.0, 40.0})
    for (const char* t : {"salbutamol 5 mg neb", "ipratropium 250 mcg neb", "prednisolone 30 mg po",
                          "magnesium sulfate 40 mg/kg iv over 20 min", "hydrocortisone 4 mg/kg iv",
                          "salbutamol 250 mcg iv"})
      EXPECT_EQ(verdict(t, kg), DoseCheck::Verdict::kOk) << t << " at " << kg << " kg";
  // Adult doses in a 15-20 kg child: held for confirmation.
  EXPECT_EQ(verdict("magnesium sulfate 2 g iv", 20), DoseCheck::Verdict::kConfirm);       // 100 mg/kg
  EXPECT_EQ(verdict("ipratropium 500 mcg neb", 15), DoseCheck::Verdict::kConfirm);        // adult dose
  EXPECT_EQ(verdict("salbutamol 250 mcg iv", 15), DoseCheck::Verdict::kConfirm);          // 17 mcg/kg
  EXPECT_EQ(verdict("hydrocortisone 200 mg iv", 15), DoseCheck::Verdict::kConfirm);       // 13 mg/kg
  // Gross errors: refused.
  EXPECT_EQ(verdict("magnesium sulfate 4 g iv", 20), DoseCheck::Verdict::kRefuse);        // 200 mg/kg
  EXPECT_EQ(verdict("salbutamol 1 mg iv", 20), DoseCheck::Verdict::kRefuse);              // 50 mcg/kg
}

// Parser: the new actions and drug orders are understood.
TEST(ConditionsV3Parser, ReadsPericardiocentesisHeparinAndAlteplase) {
  const ConditionSpec& cond = *catalog().find_condition("cardiac_tamponade");
  for (const char* t : {"pericardiocentesis", "needle pericardiocentesis", "drain the pericardium", "pericardial drain",
                        "echo-guided pericardiocentesis please"}) {
    const Action a = parse_action(t, catalog(), cond, 70);
    EXPECT_EQ(a.kind, Action::Kind::kProcedure) << t;
    EXPECT_EQ(a.what, "pericardiocentesis") << t;
  }
  EXPECT_EQ(parse_action("needle decompression", catalog(), cond, 70).what, "needle_decompression");
  const Action h = parse_action("heparin 80 units/kg iv", catalog(), cond, 70);
  EXPECT_EQ(h.kind, Action::Kind::kDrug);
  EXPECT_EQ(h.what, "heparin");
  EXPECT_NEAR(h.amount, 80 * 70, 1e-6);
  const Action a = parse_action("give alteplase 50 mg iv", catalog(), cond, 70);
  EXPECT_EQ(a.kind, Action::Kind::kDrug);
  EXPECT_EQ(a.what, "alteplase");
  EXPECT_NEAR(a.amount, 50, 1e-6);
  const Action d = parse_action("dexamethasone 10 mg iv", catalog(), cond, 70);
  EXPECT_EQ(d.what, "dexamethasone");
  EXPECT_EQ(parse_action("order ctpa", catalog(), cond, 70).what, "ct");
  EXPECT_EQ(parse_action("lumbar puncture", catalog(), cond, 70).what, "lumbar_puncture");
}

}  // namespace
}  // namespace medgen::sim::test
