// Conditions added for issue 19 item 5 (fourth set): status epilepticus, acute ischaemic stroke, septic shock in a
// child, exacerbation of COPD, salicylate poisoning and traumatic brain injury. Each one's presentation, untreated
// and guideline-treated course against the figures cited in its file (data/sim/conditions/<name>.json),
// deterministic from the seeds; the mechanisms added for them (seizure, intracranial pressure, oxygen-induced dead
// space, bicarbonate, treatments by severity); their good and bad scripts are compared in new_conditions_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "sim_test_util.h"

namespace medgen::sim::test {
namespace {

const uint64_t kSeeds[] = {3, 7, 11};
const char* kTiers[] = {"mild", "moderate", "severe"};

void print(const char* tag, const std::string& c, const std::string& sev, uint64_t seed, const Vitals& v) {
  std::printf("%-10s %-8s seed %2d %-10s HR %3.0f SBP %3.0f MAP %3.0f RR %4.1f SpO2 %3.0f PaCO2 %4.1f pH %4.2f HCO3 %4.1f "
              "lac %4.1f T %4.1f GCS %4.1f ICP %4.1f CPP %4.1f seiz %3.1f%s\n",
              c.c_str(), sev.c_str(), static_cast<int>(seed), tag, v.hr_bpm, v.sbp_mmhg, v.map_mmhg, v.rr_per_min,
              v.spo2_pct, v.paco2_mmhg, v.ph, v.hco3_mmol_l, v.lactate_mmol_l, v.temp_c, v.gcs, v.icp_mmhg, v.cpp_mmhg,
              v.seizure, v.arrested ? " ARREST" : "");
}

// Status epilepticus (ILAE 2015; AES 2016; Alldredge 2001; ESETT 2019; Orringer 1977; Aminoff & Simon 1980).
TEST(StatusEpilepticus, ConvulsesWithLacticAcidosisAndStopsWithABenzodiazepineOrASecondLineAgent) {
  for (uint64_t seed : kSeeds)
    for (const char* sev : kTiers) {
      const std::string s = sev;
      const Course none = course("status_epilepticus", sev, seed, "none"), good = course("status_epilepticus", sev, seed, "good"),
                   bad = course("status_epilepticus", sev, seed, "bad");
      print("present", "status", sev, seed, none.start);
      print("untreated", "status", sev, seed, none.end);
      print("at 12 min", "status", sev, seed, at(good, 12));
      print("treated", "status", sev, seed, good.end);
      print("small doses", "status", sev, seed, bad.end);
      const Vitals& p = none.start;
      const PatientParams own = make_case("status_epilepticus", sev, seed).patient;
      // Convulsing and unresponsive (GCS <= 5), with the sympathetic surge (HR at least 10 above the patient's own) and
      // the lactic acidosis of a generalised seizure (Orringer 1977: lactate ~12 and pH ~7.14 just after one; here
      // 5-9 mmol/L and pH < 7.32 within 6-12 min of onset).
      EXPECT_GE(p.seizure, 0.5) << sev << " " << seed;
      EXPECT_LE(p.gcs, 5) << sev << " " << seed;
      EXPECT_GT(p.hr_bpm, own.hr_bpm + 10) << sev << " " << seed;
      EXPECT_GE(p.lactate_mmol_l, 4) << sev << " " << seed;
      EXPECT_LT(p.ph, 7.32) << sev << " " << seed;
      // Untreated for 2 h it does not stop: lactate and temperature rise (Aminoff & Simon 1980: acidosis and
      // hyperthermia), pH falls further.
      EXPECT_FALSE(none.dead) << sev << " " << seed;
      EXPECT_GE(none.end.seizure, 0.5) << sev << " " << seed;
      EXPECT_GT(none.end.lactate_mmol_l, p.lactate_mmol_l + 2) << sev << " " << seed;
      EXPECT_GT(none.end.temp_c, p.temp_c + 0.5) << sev << " " << seed;
      EXPECT_LT(none.end.ph, p.ph) << sev << " " << seed;
      // Lorazepam 4 mg at 3 min ends an early seizure (mild, moderate) within minutes (Alldredge 2001: 59%); the severe
      // tier is benzodiazepine-refractory (still convulsing at 12 min after two doses) and stops after levetiracetam
      // (ESETT: about half within 60 min; here by 35 min). Two hours later the patient is waking (GCS >= 10) with a
      // normal lactate.
      if (s != "severe") EXPECT_LT(at(good, 10).seizure, 0.5) << sev << " " << seed;
      if (s == "severe") EXPECT_GE(at(good, 12).seizure, 0.5) << seed;
      EXPECT_LT(at(good, 35).seizure, 0.5) << sev << " " << seed;
      EXPECT_FALSE(good.dead) << sev << " " << seed;
      EXPECT_GE(good.end.gcs, 10) << sev << " " << seed;
      EXPECT_LT(good.end.lactate_mmol_l, 2.5) << sev << " " << seed;
      EXPECT_GE(good.end.spo2_pct, 94) << sev << " " << seed;
      // Benzodiazepines alone, late and small (2 mg four times, no second-line agent): the refractory seizure goes on.
      if (s == "severe") EXPECT_GE(bad.end.seizure, 0.5) << seed;
    }
}

// Acute ischaemic stroke (AHA/ASA 2019; Qureshi 2007; NINDS 1995; Wallace & Levy 1981).
TEST(AcuteIschaemicStroke, PresentsHypertensiveAndLabetalolAndAlteplaseActAsPublished) {
  int over140 = 0, over185 = 0, n = 0;
  for (uint64_t seed : kSeeds)
    for (const char* sev : kTiers) {
      const std::string s = sev;
      const Course none = course("acute_ischaemic_stroke", sev, seed, "none"),
                   good = course("acute_ischaemic_stroke", sev, seed, "good"),
                   bad = course("acute_ischaemic_stroke", sev, seed, "bad");
      print("present", "stroke", sev, seed, none.start);
      print("untreated", "stroke", sev, seed, none.end);
      print("treated", "stroke", sev, seed, good.end);
      print("no lysis", "stroke", sev, seed, bad.end);
      const Vitals& p = none.start;
      const PatientParams own = make_case("acute_ischaemic_stroke", sev, seed).patient;
      ++n;
      over140 += p.sbp_mmhg >= 140;
      over185 += p.sbp_mmhg >= 185;
      // The acute hypertensive response: MAP at least 15 above the patient's own; consciousness by tier (a large MCA
      // stroke is drowsy; the focal deficit is examination text).
      EXPECT_GT(p.map_mmhg, own.map_mmhg + 15) << sev << " " << seed;
      if (s == "mild") EXPECT_GE(p.gcs, 14) << seed;
      if (s == "moderate") EXPECT_TRUE(p.gcs >= 13 && p.gcs < 14.5) << seed << " " << p.gcs;
      if (s == "severe") EXPECT_LT(p.gcs, 12.5) << seed;
      // Untreated for 3 h: the pressure does not settle within hours (Wallace & Levy 1981: over days) and the deficit
      // stays.
      EXPECT_FALSE(none.dead) << sev << " " << seed;
      EXPECT_GT(none.end.sbp_mmhg, 0.95 * p.sbp_mmhg) << sev << " " << seed;
      EXPECT_NEAR(none.end.gcs, p.gcs, 0.3) << sev << " " << seed;
      // Alteplase at 32 min (after labetalol when SBP >= 185): consciousness improves in the moderate and severe tiers
      // (NINDS 1995: early improvement 47% vs 39%), by more than without lysis; BP below 185 at the end.
      EXPECT_FALSE(good.dead) << sev << " " << seed;
      EXPECT_LT(good.end.sbp_mmhg, 185) << sev << " " << seed;
      if (s != "mild") {
        EXPECT_GT(good.end.gcs, p.gcs + 0.5) << sev << " " << seed;
        EXPECT_GT(good.end.gcs, bad.end.gcs + 0.5) << sev << " " << seed;
      }
    }
  // Qureshi 2007: SBP >= 140 in 77% and >= 185 in 15% of ischaemic strokes; here at least 6 of 9 and at least 1.
  std::printf("SBP >= 140 in %d of %d, >= 185 in %d\n", over140, n, over185);
  EXPECT_GE(over140, 6);
  EXPECT_GE(over185, 1);
  EXPECT_LE(over185, 4);
  // Labetalol 10 mg IV: the pressure falls within 5-10 min (label: onset within 5 min) by at least 8 mmHg systolic.
  for (uint64_t seed : kSeeds) {
    const Course lab = run_course("acute_ischaemic_stroke", "severe", seed, {{0, "labetalol 10 mg iv"}}, 10);
    const Course ref = run_course("acute_ischaemic_stroke", "severe", seed, {}, 10);
    std::printf("labetalol 10 mg seed %d: SBP %.0f -> %.0f at 10 min (untreated %.0f)\n", static_cast<int>(seed),
                lab.start.sbp_mmhg, lab.end.sbp_mmhg, ref.end.sbp_mmhg);
    EXPECT_LT(lab.end.sbp_mmhg, ref.end.sbp_mmhg - 8) << seed;
  }
}

// Septic shock in a child (SSC children 2020; APLS 2016; FEAST 2011).
TEST(PaediatricSepsis, PresentsWithTachycardiaBeforeHypotensionAndRespondsToWeightBasedBoluses) {
  for (uint64_t seed : kSeeds)
    for (const char* sev : kTiers) {
      const std::string s = sev;
      const Course none = course("paediatric_sepsis", sev, seed, "none"), good = course("paediatric_sepsis", sev, seed, "good"),
                   bad = course("paediatric_sepsis", sev, seed, "bad");
      print("present", "paed_sep", sev, seed, none.start);
      print("untreated", "paed_sep", sev, seed, none.end);
      print("at 30 min", "paed_sep", sev, seed, at(good, 30));
      print("treated", "paed_sep", sev, seed, good.end);
      print("late abx", "paed_sep", sev, seed, bad.end);
      const Vitals& p = none.start;
      const Case c = make_case("paediatric_sepsis", sev, seed);
      EXPECT_LT(c.patient.age_years, 13);
      // Tachycardia first (APLS): HR at least 20 above the child's own in every tier, fever, lactate >= 2; the
      // severe tier has hyperlactataemia (>= 4) and a MAP below the child's own.
      EXPECT_GT(p.hr_bpm, c.patient.hr_bpm + 20) << sev << " " << seed;
      EXPECT_GE(p.temp_c, 38) << sev << " " << seed;
      EXPECT_GE(p.lactate_mmol_l, 2) << sev << " " << seed;
      if (s == "severe") {
        EXPECT_GE(p.lactate_mmol_l, 4) << seed;
        EXPECT_LT(p.map_mmhg, c.patient.map_mmhg) << seed;
      }
      // Untreated for 4 h: more acidotic (lactate +0.3) with the rate no lower (+5 unless it is already at the child's
      // maximum), or dead.
      if (!none.dead) {
        EXPECT_GT(none.end.hr_bpm, std::min(p.hr_bpm + 5, 0.97 * p.hr_bpm + 0.03 * 210)) << sev << " " << seed;
        EXPECT_GT(none.end.lactate_mmol_l, p.lactate_mmol_l + 0.3) << sev << " " << seed;
      }
      // Treated (20 mL/kg at once, 10 mL/kg boluses on reassessment, ceftriaxone at 8 min, adrenaline if MAP < 60
      // after 75 min): the rate falls by at least 10% within 30 min of the first bolus; alive at 4 h with MAP >= 60 and
      // HR < 160, without hypoxaemia from the fluid (SpO2 >= 94).
      EXPECT_LT(at(good, 30).hr_bpm, 0.9 * p.hr_bpm) << sev << " " << seed;
      EXPECT_FALSE(good.dead) << sev << " " << seed;
      EXPECT_GE(good.end.map_mmhg, 60) << sev << " " << seed;
      EXPECT_LT(good.end.hr_bpm, 160) << sev << " " << seed;
      EXPECT_GE(good.end.spo2_pct, 94) << sev << " " << seed;
      // Maintenance fluid only and antibiotics at 2.5 h: a faster heart at the end (Han 2003: every hour of persistent
      // shock raised the odds of death).
      EXPECT_TRUE(bad.dead || bad.end.hr_bpm > good.end.hr_bpm + 10) << sev << " " << seed;
    }
}

// Exacerbation of COPD (BTS 2017 oxygen; BTS/ICS 2016; Austin 2010; Aubier 1980; Robinson 2000; Plant 2000).
TEST(CopdExacerbation, HypercapnicFailureWorsensOnHighFlowOxygenAndNivCorrectsIt) {
  for (uint64_t seed : kSeeds)
    for (const char* sev : kTiers) {
      const std::string s = sev;
      const Course none = course("copd_exacerbation", sev, seed, "none"), good = course("copd_exacerbation", sev, seed, "good"),
                   bad = course("copd_exacerbation", sev, seed, "bad");
      print("present", "copd", sev, seed, none.start);
      print("untreated", "copd", sev, seed, none.end);
      print("at 30 min", "copd", sev, seed, at(good, 30));
      print("hi-O2 30", "copd", sev, seed, at(bad, 30));
      print("treated", "copd", sev, seed, good.end);
      print("hi-O2 end", "copd", sev, seed, bad.end);
      const Vitals& p = none.start;
      // Hypoxaemia and hypercapnia in every tier; BTS/ICS acute hypercapnic respiratory failure (pH < 7.35, PaCO2 > 49)
      // from the moderate tier, pH < 7.25 in the severe one.
      EXPECT_LT(p.spo2_pct, 94) << sev << " " << seed;
      EXPECT_GT(p.paco2_mmhg, 45) << sev << " " << seed;
      if (s == "mild") EXPECT_GE(p.ph, 7.3) << seed;
      if (s != "mild") {
        EXPECT_LT(p.ph, 7.35) << sev << " " << seed;
        EXPECT_GT(p.paco2_mmhg, 49) << sev << " " << seed;
      }
      if (s == "severe") EXPECT_LT(p.ph, 7.25) << seed;
      // Untreated for 4 h: no better (pH not higher, SpO2 not higher).
      EXPECT_LE(none.end.ph, p.ph + 0.005) << sev << " " << seed;
      EXPECT_LE(none.end.spo2_pct, p.spo2_pct + 0.5) << sev << " " << seed;
      // Oxygen-induced hypercapnia: at 30 min, 15 L/min through a non-rebreather (SpO2 98-99) leaves PaCO2 higher than
      // oxygen titrated to 88-92% (Austin 2010; Robinson 2000: ~+20 mmHg on high inspired oxygen in retainers), by
      // more where the patient retains more CO2; and the acidosis deepens over the session.
      const double rise = at(bad, 30).paco2_mmhg - at(good, 30).paco2_mmhg;
      EXPECT_GT(rise, s == "mild" ? 1.5 : 4) << sev << " " << seed;
      EXPECT_GE(at(bad, 30).spo2_pct, 97) << sev << " " << seed;
      EXPECT_LT(bad.end.ph, p.ph) << sev << " " << seed;
      // Controlled oxygen, nebulisers, steroid and NIV at 62 min (pH < 7.35): SpO2 in or near the 88-92% target at 30 min
      // (85-97), pH better within the hour of NIV by >= 0.05 where acidotic (Plant 2000), and at 4 h pH >= 7.35 and
      // PaCO2 < 45, alive and not intubated.
      EXPECT_GE(at(good, 30).spo2_pct, 85) << sev << " " << seed;
      EXPECT_LE(at(good, 30).spo2_pct, 97) << sev << " " << seed;
      if (s != "mild") EXPECT_GT(at(good, 120).ph, at(good, 60).ph + 0.05) << sev << " " << seed;
      EXPECT_FALSE(good.dead) << sev << " " << seed;
      EXPECT_GE(good.end.ph, 7.35) << sev << " " << seed;
      EXPECT_LT(good.end.paco2_mmhg, 45) << sev << " " << seed;
    }
}

// Without the COPD modifier, oxygen changes no PaCO2 (the mechanism touches no other patient).
TEST(CopdExacerbation, OxygenRaisesDeadSpaceOnlyWhereTheConditionSaysSo) {
  PatientParams pp;
  Physiology air(pp, &catalog().drugs), o2(pp, &catalog().drugs);
  o2.set_fio2(0.85);
  air.advance(1800);
  o2.advance(1800);
  EXPECT_NEAR(o2.vitals().paco2_mmhg, air.vitals().paco2_mmhg, 0.2);
  EXPECT_GT(o2.vitals().spo2_pct, air.vitals().spo2_pct);
}

// Salicylate poisoning (Pearlman 2009; Proudfoot 2004; Prescott 1982; Stolbach 2008; EXTRIP 2015).
TEST(SalicylatePoisoning, MixedAcidBaseDisorderCorrectedByBicarbonateAndWorsenedByIntubation) {
  for (uint64_t seed : kSeeds)
    for (const char* sev : kTiers) {
      const std::string s = sev;
      const Course none = course("salicylate_poisoning", sev, seed, "none"),
                   good = course("salicylate_poisoning", sev, seed, "good"),
                   bad = course("salicylate_poisoning", sev, seed, "bad");
      print("present", "salicylate", sev, seed, none.start);
      print("untreated", "salicylate", sev, seed, none.end);
      print("treated", "salicylate", sev, seed, good.end);
      print("intubated", "salicylate", sev, seed, bad.end);
      const Vitals& p = none.start;
      // The adult's mixed disorder: respiratory alkalosis (PaCO2 < 36) with a metabolic acidosis (HCO3 < 21), pH near
      // normal in the mild and moderate tiers; severe poisoning with HCO3 < 15, fever and confusion (GCS < 13).
      EXPECT_LT(p.paco2_mmhg, 36) << sev << " " << seed;
      EXPECT_LT(p.hco3_mmol_l, 21) << sev << " " << seed;
      if (s != "severe") EXPECT_TRUE(p.ph >= 7.35 && p.ph <= 7.45) << sev << " " << seed << " " << p.ph;
      if (s == "severe") {
        EXPECT_LT(p.hco3_mmol_l, 15) << seed;
        EXPECT_GE(p.temp_c, 38) << seed;
        EXPECT_LT(p.gcs, 13) << seed;
      }
      // Untreated for 4 h: the acidosis grows (HCO3 down >= 1.5); in the severe tier the pH falls below 7.35.
      EXPECT_LT(none.end.hco3_mmol_l, p.hco3_mmol_l - 1.5) << sev << " " << seed;
      if (s == "severe") EXPECT_TRUE(none.dead || none.end.ph < 7.35) << seed;
      // Bicarbonate 1.5 mmol/kg then 1 mmol/kg/h with fluid: HCO3 up >= 3, pH 7.35-7.55 at 4 h, alive; the poisoning
      // clears (the hyperventilation settles: PaCO2 higher than at presentation).
      EXPECT_FALSE(good.dead) << sev << " " << seed;
      EXPECT_GT(good.end.hco3_mmol_l, p.hco3_mmol_l + 3) << sev << " " << seed;
      EXPECT_TRUE(good.end.ph >= 7.35 && good.end.ph <= 7.55) << sev << " " << seed << " " << good.end.ph;
      EXPECT_GT(good.end.paco2_mmhg, p.paco2_mmhg + 2) << sev << " " << seed;
      // Intubated at 20 min with ordinary ventilator settings (Stolbach 2008): the compensating hyperventilation is
      // lost, the pH ends lower than untreated, and the severe tier dies or reaches pH < 7.0.
      EXPECT_TRUE(bad.dead || bad.end.ph < none.end.ph - 0.04) << sev << " " << seed;
      if (s == "severe") EXPECT_TRUE(bad.dead || bad.end.ph < 7.0) << seed;
    }
}

// Sodium bicarbonate: 1 mmol/kg raises plasma bicarbonate by ~2 mmol/L, and the kidneys excrete the excess over hours.
TEST(SalicylatePoisoning, BicarbonateRaisesHco3AndIsExcreted) {
  PatientParams pp;
  Physiology p(pp, &catalog().drugs);
  const double h0 = p.vitals().hco3_mmol_l;
  const int k = catalog().drug_index("sodium bicarbonate");
  ASSERT_GE(k, 0);
  p.give_drug_over(k, pp.weight_kg, 420);
  p.advance(600);
  const double h1 = p.vitals().hco3_mmol_l;
  p.advance(12 * 3600);
  const double h2 = p.vitals().hco3_mmol_l;
  std::printf("HCO3 %.2f -> %.2f at 10 min -> %.2f at 12 h\n", h0, h1, h2);
  EXPECT_NEAR(h1 - h0, 2, 0.3);
  EXPECT_LT(h2 - h0, 0.5);
  EXPECT_GT(p.vitals().ph, 7.39);
}

// Traumatic brain injury (BTF 2016; Teasdale & Jennett 1974; Chesnut 1993; NICE NG232).
TEST(TraumaticBrainInjury, IcpRisesUntreatedAndFallsWithMannitolAndSurgery) {
  for (uint64_t seed : kSeeds)
    for (const char* sev : kTiers) {
      const std::string s = sev;
      const Course none = course("traumatic_brain_injury", sev, seed, "none"),
                   good = course("traumatic_brain_injury", sev, seed, "good"),
                   bad = course("traumatic_brain_injury", sev, seed, "bad");
      print("present", "tbi", sev, seed, none.start);
      print("untreated", "tbi", sev, seed, none.end);
      print("treated", "tbi", sev, seed, good.end);
      print("observed", "tbi", sev, seed, bad.end);
      const Vitals& p = none.start;
      // Severity by GCS (Teasdale & Jennett): mild 13-15, moderate 9-12, severe <= 8; ICP above the treatment threshold
      // of 22 mmHg (BTF) or about it (> 20) in the moderate tier and well above it (> 25) in the severe one, below 20 in
      // the mild one.
      if (s == "mild") {
        EXPECT_GE(p.gcs, 13) << seed;
        EXPECT_LT(p.icp_mmhg, 20) << seed;
      }
      if (s == "moderate") EXPECT_TRUE(p.gcs >= 9 && p.gcs <= 12) << seed << " " << p.gcs;
      if (s == "severe") EXPECT_LE(p.gcs, 8) << seed;
      if (s != "mild") EXPECT_GT(p.icp_mmhg, s == "severe" ? 25 : 20) << sev << " " << seed;
      // Untreated for 4 h, the haematoma expands: ICP up >= 5 mmHg and CPP down >= 5 where it is raised; the severe
      // tier ends deeply comatose (GCS <= 5).
      if (s != "mild") {
        EXPECT_GT(none.end.icp_mmhg, p.icp_mmhg + 5) << sev << " " << seed;
        EXPECT_LT(none.end.cpp_mmhg, p.cpp_mmhg - 5) << sev << " " << seed;
      }
      if (s == "severe") EXPECT_LE(none.end.gcs, 5) << seed;
      // Treated (oxygen, scalp haemostasis, CT, intubation and mannitol when GCS <= 8, craniotomy when GCS < 13): alive,
      // CPP >= 60 (BTF 60-70), SpO2 >= 94 and SBP >= 100 at 4 h; ICP below its presentation value where it was raised.
      EXPECT_FALSE(good.dead) << sev << " " << seed;
      EXPECT_GE(good.end.cpp_mmhg, 60) << sev << " " << seed;
      EXPECT_GE(good.end.spo2_pct, 94) << sev << " " << seed;
      EXPECT_GE(good.end.sbp_mmhg, 100) << sev << " " << seed;
      if (s != "mild") EXPECT_LT(good.end.icp_mmhg, p.icp_mmhg) << sev << " " << seed;
      // Observed without airway or surgery: lower CPP than treated where ICP was raised.
      if (s != "mild") EXPECT_LT(bad.end.cpp_mmhg, good.end.cpp_mmhg - 10) << sev << " " << seed;
    }
  // Mannitol 0.5 g/kg over 20 min: ICP at least 5 mmHg lower than untreated at 40 min (BTF: most effect at 20-60 min),
  // and consciousness no worse.
  for (uint64_t seed : kSeeds) {
    const Course m = run_course("traumatic_brain_injury", "severe", seed, {{0, "mannitol 0.5 g/kg iv over 20 min"}}, 40);
    const Course ref = run_course("traumatic_brain_injury", "severe", seed, {}, 40);
    std::printf("mannitol seed %d: ICP %.1f -> %.1f at 40 min (untreated %.1f)\n", static_cast<int>(seed), m.start.icp_mmhg,
                m.end.icp_mmhg, ref.end.icp_mmhg);
    EXPECT_LT(m.end.icp_mmhg, ref.end.icp_mmhg - 5) << seed;
    EXPECT_GE(m.end.gcs, ref.end.gcs) << seed;
  }
}

// The ICP term is zero when ICP is not raised: low blood pressure costs consciousness as before (MAP below 60).
TEST(TraumaticBrainInjury, CerebralPerfusionNotMapDecidesConsciousnessWhenIcpIsRaised) {
  const Course tbi = run_course("traumatic_brain_injury", "moderate", 3,
                                {{0, "labetalol 20 mg iv"}, {1, "labetalol 20 mg iv"}, {2, "labetalol 20 mg iv"}}, 20);
  const Course ref = run_course("traumatic_brain_injury", "moderate", 3, {}, 20);
  print("labetalol", "tbi", "moderate", 3, tbi.end);
  print("reference", "tbi", "moderate", 3, ref.end);
  // Lowering MAP with a raised ICP (secondary injury, Chesnut 1993) costs GCS points even while MAP stays above 60.
  EXPECT_GT(tbi.end.map_mmhg, 60);
  EXPECT_LT(tbi.end.cpp_mmhg, ref.end.cpp_mmhg - 5);
  EXPECT_LT(tbi.end.gcs, ref.end.gcs - 0.5);
}

// Parser: the new actions and drug orders are understood.
TEST(ConditionsV4Parser, ReadsTheNewDrugsAndProcedures) {
  const ConditionSpec& cond = *catalog().find_condition("copd_exacerbation");
  for (const char* t : {"niv", "start niv", "bipap", "non-invasive ventilation"}) {
    const Action a = parse_action(t, catalog(), cond, 70);
    EXPECT_EQ(a.kind, Action::Kind::kProcedure) << t;
    EXPECT_EQ(a.what, "niv") << t;
  }
  for (const char* t : {"craniotomy", "evacuate the haematoma", "neurosurgery"}) {
    const Action a = parse_action(t, catalog(), cond, 70);
    EXPECT_EQ(a.kind, Action::Kind::kProcedure) << t;
    EXPECT_EQ(a.what, "neurosurgery") << t;
  }
  const Action o = parse_action("oxygen 28%", catalog(), cond, 70);
  EXPECT_NEAR(o.fio2, 0.28, 1e-9);
  const Action lz = parse_action("lorazepam 4 mg iv", catalog(), cond, 70);
  EXPECT_EQ(lz.what, "lorazepam");
  EXPECT_NEAR(lz.amount, 4, 1e-9);
  const Action mz = parse_action("midazolam 10 mg im", catalog(), cond, 70);
  EXPECT_EQ(mz.what, "midazolam");
  const Action lev = parse_action("keppra 60 mg/kg iv over 10 min", catalog(), cond, 70);
  EXPECT_EQ(lev.what, "levetiracetam");
  EXPECT_NEAR(lev.amount, 4200, 1e-6);
  const Action bic = parse_action("sodium bicarbonate 1.5 mmol/kg iv over 30 min", catalog(), cond, 70);
  EXPECT_EQ(bic.what, "sodium bicarbonate");
  EXPECT_NEAR(bic.amount, 105, 1e-6);
  EXPECT_EQ(parse_action("mannitol 0.5 g/kg iv", catalog(), cond, 70).what, "mannitol");
  EXPECT_EQ(parse_action("labetalol 10 mg iv", catalog(), cond, 70).what, "labetalol");
}

}  // namespace
}  // namespace medgen::sim::test
