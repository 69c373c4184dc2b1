// Every condition file: loads, presents with the expected direction of change in its key vitals,
// runs untreated and guideline-treated (data/sim/scripts/<name>_good.json) with the expected course,
// and keeps every value finite and within survivable-or-documented ranges.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "medgen/core/error.h"
#include "sim_test_util.h"

namespace medgen::sim::test {
namespace {

TEST(Catalog, LoadsTheTenConditionsAndTheirRubrics) {
  const Catalog& c = catalog();
  for (const char* name : {"septic_shock", "haemorrhagic_shock", "anaphylaxis", "acute_asthma", "dka", "stemi",
                           "pneumonia", "opioid_overdose", "hypoglycaemia", "tension_pneumothorax"}) {
    const ConditionSpec* s = c.find_condition(name);
    ASSERT_NE(s, nullptr) << name;
    EXPECT_TRUE(c.rubrics.count(s->rubric)) << name;
    EXPECT_FALSE(s->sources.empty());
  }
  EXPECT_EQ(c.find_condition("sepsis")->name, "septic_shock");
  EXPECT_EQ(c.find_drug("adrenaline")->name, "epinephrine");
  for (const auto& d : c.drugs) EXPECT_FALSE(d.references.empty()) << d.name;
}

struct Direction {
  const char* condition;
  const char* variable;
  int sign;  // +1: higher than the patient's healthy baseline at presentation, -1: lower
};

// Key vitals at presentation (moderate severity) against the same patient before onset.
const Direction kDirections[] = {
    {"septic_shock", "map", -1},
    {"septic_shock", "hr", +1},
    {"septic_shock", "lactate", +1},
    {"septic_shock", "temp", +1},
    {"haemorrhagic_shock", "hr", +1},
    {"haemorrhagic_shock", "blood_volume", -1},
    {"anaphylaxis", "map", -1},
    {"anaphylaxis", "hr", +1},
    {"anaphylaxis", "rr", +1},
    {"acute_asthma", "rr", +1},
    {"acute_asthma", "spo2", -1},
    {"dka", "glucose", +1},
    {"dka", "ph", -1},
    {"dka", "hco3", -1},
    {"dka", "rr", +1},
    {"stemi", "troponin", +1},
    {"stemi", "hr", +1},
    {"pneumonia", "spo2", -1},
    {"pneumonia", "temp", +1},
    {"pneumonia", "wbc", +1},
    {"opioid_overdose", "rr", -1},
    {"opioid_overdose", "paco2", +1},
    {"opioid_overdose", "gcs", -1},
    {"hypoglycaemia", "glucose", -1},
    {"hypoglycaemia", "gcs", -1},
    {"tension_pneumothorax", "spo2", -1},
    {"tension_pneumothorax", "hr", +1},
    {"tension_pneumothorax", "cvp", +1},
};

TEST(Conditions, KeyVitalsMoveInTheExpectedDirection) {
  for (const Direction& d : kDirections) {
    const Case c = make_case(d.condition, "moderate", 11);
    Physiology healthy(c.patient, &catalog().drugs);
    const double base = get(healthy.vitals(), d.variable);
    Session s(catalog(), c);
    const double now = get(s.vitals(), d.variable);
    const double margin = std::string(d.variable) == "ph" ? 0.03 : std::max(0.015 * std::fabs(base), 0.02);
    if (d.sign > 0)
      EXPECT_GT(now, base + margin) << d.condition << " " << d.variable;
    else
      EXPECT_LT(now, base - margin) << d.condition << " " << d.variable;
  }
}

// Runs a case untreated and with its good-management script.
struct Runs {
  Session none, good;
  Score none_score, good_score;
};

Runs both(const std::string& condition, const std::string& severity = "moderate", uint64_t seed = 7) {
  const Case c = make_case(condition, severity, seed);
  const ConditionSpec& cond = *catalog().find_condition(condition);
  const Script script = Script::load(std::string(MEDGEN_SOURCE_DIR) + "/data/sim/scripts/" + condition + "_good.json",
                                     catalog(), cond, c.patient.weight_kg);
  Runs r{Session(catalog(), c), Session(catalog(), c), {}, {}};
  Script none;
  none.duration_s = script.duration_s;
  run_script(&r.none, none);
  run_script(&r.good, script);
  const Rubric& rub = catalog().rubrics.at(cond.rubric);
  r.none_score = score_session(r.none, rub);
  r.good_score = score_session(r.good, rub);
  return r;
}

void expect_in_ranges(const Session& s, const std::string& what) {
  for (const Sample& smp : s.samples()) {
    for (const auto& n : Vitals::names()) {
      const double x = get(smp.v, n);
      ASSERT_TRUE(std::isfinite(x)) << what << " " << n << " at " << smp.t_s;
    }
    const Vitals& v = smp.v;
    if (v.arrested) continue;  // documented: an arrest ends the physiology's plausibility
    ASSERT_LE(v.hr_bpm, 230) << what;
    ASSERT_GE(v.hr_bpm, 20) << what;
    ASSERT_LE(v.map_mmhg, 180) << what;
    ASSERT_GE(v.spo2_pct, 0) << what;
    ASSERT_LE(v.spo2_pct, 100.0001) << what;
    ASSERT_GE(v.ph, 6.5) << what;
    ASSERT_LE(v.ph, 7.8) << what;
    ASSERT_GE(v.potassium_mmol_l, 1.0) << what;
    ASSERT_LE(v.potassium_mmol_l, 9.0) << what;
    ASSERT_GE(v.glucose_mmol_l, 0.5) << what;
    ASSERT_LE(v.glucose_mmol_l, 60) << what;
    ASSERT_GE(v.temp_c, 33) << what;
    ASSERT_LE(v.temp_c, 42) << what;
    ASSERT_GE(v.gcs, 3) << what;
    ASSERT_LE(v.gcs, 15) << what;
  }
}

class EveryCondition : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryCondition, GoodManagementScoresHigherAndStaysInRange) {
  const Runs r = both(GetParam());
  EXPECT_GT(r.good_score.percent, r.none_score.percent + 30) << GetParam();
  EXPECT_GE(r.good_score.percent, 70) << GetParam();
  EXPECT_FALSE(r.good.dead()) << GetParam();
  expect_in_ranges(r.good, GetParam() + " treated");
  expect_in_ranges(r.none, GetParam() + " untreated");
}

TEST_P(EveryCondition, SameSeedSameRun) {
  const Runs a = both(GetParam()), b = both(GetParam());
  EXPECT_EQ(session_json(a.good, a.good_score).dump(), session_json(b.good, b.good_score).dump());
  EXPECT_EQ(session_json(a.none, a.none_score).dump(), session_json(b.none, b.none_score).dump());
}

INSTANTIATE_TEST_SUITE_P(Sim, EveryCondition,
                         ::testing::Values("septic_shock", "haemorrhagic_shock", "anaphylaxis", "acute_asthma", "dka",
                                           "stemi", "pneumonia", "opioid_overdose", "hypoglycaemia",
                                           "tension_pneumothorax"));

// The expected course of each condition, untreated against treated.
TEST(Course, UntreatedSepticShockDeterioratesAndTreatmentReachesMap65) {
  const Runs r = both("septic_shock", "severe");
  const Vitals first = r.none.samples().front().v, last = r.none.samples().back().v;
  EXPECT_LT(last.map_mmhg, first.map_mmhg - 5);
  EXPECT_GT(last.lactate_mmol_l, first.lactate_mmol_l);
  EXPECT_GE(r.good.vitals().map_mmhg, 65);
  // MAP >= 65 within 2 h of starting (fluids at 10 min, norepinephrine at 75 min).
  bool reached = false;
  for (const auto& s : r.good.samples())
    if (s.t_s <= 2 * 3600 && s.t_s >= 80 * 60 && s.v.map_mmhg >= 65) reached = true;
  EXPECT_TRUE(reached);
}

TEST(Course, HaemorrhageIsFatalUntreatedAndSurvivableWithControlAndBlood) {
  const Runs r = both("haemorrhagic_shock", "severe");
  EXPECT_TRUE(r.none.dead() || r.none.vitals().map_mmhg < 60) << r.none.vitals().map_mmhg;
  EXPECT_GT(r.none.vitals().lactate_mmol_l, r.good.vitals().lactate_mmol_l + 1);
  EXPECT_FALSE(r.good.dead());
  EXPECT_GT(r.good.vitals().sbp_mmhg, 90);
}

TEST(Course, TensionPneumothoraxKillsUnlessDecompressed) {
  const Runs r = both("tension_pneumothorax", "moderate");
  EXPECT_TRUE(r.none.dead() || r.none.vitals().map_mmhg < 70) << r.none.vitals().map_mmhg;
  EXPECT_LT(r.none.vitals().spo2_pct, 90);
  EXPECT_GT(r.good.vitals().spo2_pct, 94);
  EXPECT_GT(r.good.vitals().map_mmhg, 70);
}

TEST(Course, AsthmaWorsensUntreatedAndImprovesWithSalbutamol) {
  const Runs r = both("acute_asthma", "severe");
  EXPECT_LT(r.none.vitals().spo2_pct, r.none.samples().front().v.spo2_pct - 3);
  EXPECT_GT(r.good.vitals().spo2_pct, 93);
  EXPECT_LT(r.good.vitals().rr_per_min, r.good.samples().front().v.rr_per_min);
}

TEST(Course, StemiInfarctStopsGrowingWithPci) {
  const Runs r = both("stemi", "severe");
  EXPECT_GT(r.none.vitals().troponin_ng_l, 1.3 * r.good.vitals().troponin_ng_l);
  EXPECT_GT(r.good.vitals().map_mmhg, r.none.vitals().map_mmhg);
}

TEST(Course, PneumoniaHypoxaemiaRespondsToOxygen) {
  const Runs r = both("pneumonia", "moderate");
  EXPECT_LT(r.none.vitals().spo2_pct, 92);
  EXPECT_GE(r.good.vitals().spo2_pct, 92);
}

TEST(Course, HypoglycaemiaCorrectedByGlucose) {
  const Runs r = both("hypoglycaemia", "severe");
  EXPECT_LT(r.none.samples()[30].v.glucose_mmol_l, 3);
  EXPECT_GE(r.good.vitals().glucose_mmol_l, 4);
  EXPECT_EQ(r.good.vitals().gcs, 15);
}

TEST(Course, DkaResolvesWithFluidsInsulinAndPotassium) {
  const Runs r = both("dka", "moderate");
  EXPECT_GT(r.good.vitals().ph, 7.3);
  EXPECT_LT(r.good.vitals().glucose_mmol_l, 14);
  EXPECT_GT(r.good.vitals().potassium_mmol_l, 3.0) << "potassium replacement prevents hypokalaemia";
  EXPECT_LT(r.none.vitals().ph, r.good.vitals().ph);
}

TEST(Course, FluidOverloadCausesHypoxaemia) {
  Session s(catalog(), make_case("septic_shock", "mild"));
  const double spo2 = s.vitals().spo2_pct;
  s.act("fluids 5000 ml over 60 min");
  s.advance(1800);
  s.act("fluids 4000 ml over 60 min");
  s.advance(3 * 3600);
  EXPECT_LT(s.vitals().spo2_pct, spo2 - 3);
  const Score sc = score_session(s, catalog().rubrics.at("sepsis_hour1"));
  bool penalised = false;
  for (const auto& i : sc.items) penalised = penalised || (i.id == "fluid_overload" && i.status == "penalty");
  EXPECT_TRUE(penalised);
}

TEST(Cases, SameSeedSameCaseOtherSeedOtherPatient) {
  const Case a = make_case("septic_shock", "", 7), b = make_case("septic_shock", "", 7),
             c = make_case("septic_shock", "", 8);
  EXPECT_EQ(a.to_json().dump(), b.to_json().dump());
  EXPECT_NE(a.to_json().dump(), c.to_json().dump());
  EXPECT_NE(a.vignette.find("-year-old"), std::string::npos);
  // The vignette quotes the simulated presentation.
  char hr[32];
  std::snprintf(hr, sizeof hr, "heart rate %.0f/min", a.presentation.hr_bpm);
  EXPECT_NE(a.vignette.find(hr), std::string::npos) << a.vignette;
}

TEST(Cases, RoundTripThroughJson) {
  const Case a = make_case("dka", "severe", 3);
  const std::string path = testing::TempDir() + "/case.json";
  std::ofstream(path) << a.to_json().dump(2);
  Case b = Case::load(path, &catalog());
  present_case(catalog(), &b);
  EXPECT_EQ(a.to_json().dump(), b.to_json().dump());
}

TEST(Cases, PopulationRowReplacesTheDraws) {
  CaseOptions o;
  o.condition = "stemi";
  o.seed = 5;
  o.population = {{"age", "71.6"},     {"sex", "F"},        {"weight", "64"},
                  {"systolic", "150"}, {"diastolic", "90"}, {"bili", "3"}};
  o.population_source = "test";
  const Case c = generate_case(catalog(), o);
  EXPECT_EQ(c.patient.age_years, 71);
  EXPECT_TRUE(c.patient.female);
  EXPECT_EQ(c.patient.weight_kg, 64);
  const bool htn = std::find(c.comorbidities.begin(), c.comorbidities.end(), "hypertension") != c.comorbidities.end();
  EXPECT_EQ(c.patient.map_mmhg, htn ? std::round(110 * 1.12) : 110);  // (150 + 2 x 90) / 3, then comorbidity
  EXPECT_EQ(c.population, "test (age, sex, weight, systolic, diastolic)");
  o.population = {{"age", "7"}};  // outside the condition's range: clamped, not rejected
  EXPECT_EQ(generate_case(catalog(), o).patient.age_years, catalog().find_condition("stemi")->age_min);
}

TEST(Cases, ManyCasesAreConsistent) {
  for (const auto& cond : catalog().conditions)
    for (uint64_t seed = 0; seed < 12; ++seed) {
      const Case c = make_case(cond.name, "", seed);
      EXPECT_GE(c.patient.age_years, cond.age_min);
      EXPECT_LE(c.patient.age_years, cond.age_max);
      EXPECT_GE(c.onset_hours, cond.onset_min_hours);
      EXPECT_LE(c.onset_hours, cond.onset_max_hours + 0.05);
      const double bmi = c.patient.weight_kg / std::pow(c.height_cm / 100, 2);
      EXPECT_GT(bmi, c.patient.age_years < 16 ? 12 : 15) << cond.name;  // children: BMI 13-22 is usual
      EXPECT_LT(bmi, 56) << cond.name;
      EXPECT_TRUE(std::isfinite(c.presentation.map_mmhg));
    }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ConditionFiles, MalformedFileNamesFileLineAndColumn) {
  const std::string dir = testing::TempDir();
  const std::string good = std::string(MEDGEN_SOURCE_DIR) + "/data/sim/conditions/anaphylaxis.json";
  std::ifstream in(good);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // An unknown key on line 2, column 3.
  std::string bad = text;
  bad.insert(bad.find('\n') + 1, "  \"sevirity\": 1,\n");
  std::ofstream(dir + "/bad_key.json") << bad;
  EXPECT_NE(error_of([&] { load_condition(dir + "/bad_key.json"); }).find("bad_key.json:2:3: unknown key 'sevirity'"),
            std::string::npos)
      << error_of([&] { load_condition(dir + "/bad_key.json"); });
  // A syntax error: a missing comma.
  std::ofstream(dir + "/syntax.json") << "{\n  \"name\": \"x\"\n  \"title\": \"y\"\n}\n";
  const std::string e = error_of([&] { load_condition(dir + "/syntax.json"); });
  EXPECT_NE(e.find("syntax.json:3:"), std::string::npos) << e;
  // A wrong target deep in the effects.
  std::string bad_target = text;
  const size_t at = bad_target.find("\"svr\"");
  bad_target.replace(at, 5, "\"svrr\"");
  std::ofstream(dir + "/bad_target.json") << bad_target;
  const std::string e2 = error_of([&] { load_condition(dir + "/bad_target.json"); });
  EXPECT_NE(e2.find("unknown target 'svrr'"), std::string::npos) << e2;
  size_t line = 1;
  for (size_t i = 0; i < at; ++i) line += bad_target[i] == '\n';
  EXPECT_NE(e2.find("bad_target.json:" + std::to_string(line) + ":"), std::string::npos) << e2;
  // An out-of-range value.
  std::string bad_range = text;
  bad_range.replace(bad_range.find("\"min\": 0.1"), 10, "\"min\": -1");
  std::ofstream(dir + "/bad_range.json") << bad_range;
  EXPECT_NE(error_of([&] { load_condition(dir + "/bad_range.json"); }).find("'/onset_hours/min' = -1 is outside"),
            std::string::npos)
      << error_of([&] { load_condition(dir + "/bad_range.json"); });
}

TEST(ConditionFiles, AnEducatorCanAddAConditionWithoutRecompiling) {
  const std::string dir = testing::TempDir() + "/edu";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/gi_bleed.json") << R"JSON({
  "name": "upper_gi_bleed", "title": "Upper GI bleed", "sources": ["NICE CG141 (2012)"],
  "onset_hours": {"min": 1, "max": 3},
  "effects": [{"target": "bleeding_ml_per_min", "mild": 5, "moderate": 12, "severe": 25, "ramp_hours": 0.2}],
  "treatments": [{"by": "haemorrhage_control", "mode": "resolve", "note": "endoscopy"}],
  "presenting_complaint": "vomiting blood for {onset}.",
  "findings": {"mild": ["melaena"], "moderate": ["melaena", "pale"], "severe": ["melaena", "pale, cold"]},
  "rubric": "trauma_haemorrhage"
})JSON";
  const Catalog c = Catalog::load(std::string(MEDGEN_SOURCE_DIR) + "/data/sim", dir);
  ASSERT_NE(c.find_condition("upper_gi_bleed"), nullptr);
  CaseOptions o;
  o.condition = "upper_gi_bleed";
  o.severity = "moderate";  // severe (25 mL/min for up to 3 h) now exsanguinates within the half hour
  const Case k = generate_case(c, o);
  EXPECT_NE(k.vignette.find("vomiting blood"), std::string::npos);
  Session s(c, k);
  const double hr = s.vitals().hr_bpm;
  s.advance(1800);
  EXPECT_GT(s.vitals().hr_bpm, hr);
}


// ---- Presentation criteria (untreated, at arrival) over several seeds: non-CO2 respiratory drives
// must not be cancelled by the PaCO2 set point, and tension pneumothorax is obstructive shock.
const uint64_t kPresentationSeeds[] = {3, 7, 11, 21};

TEST(ConditionPresentation, SeverePneumoniaIsTachypnoeic) {
  for (uint64_t seed : kPresentationSeeds) {
    const Vitals v = Session(catalog(), make_case("pneumonia", "severe", seed)).vitals();
    EXPECT_GE(v.rr_per_min, 28) << "seed " << seed;  // CURB-65: RR >= 30
    EXPECT_LT(v.spo2_pct, 92) << "seed " << seed;
    EXPECT_LT(v.paco2_mmhg, 40) << "seed " << seed;  // rapid shallow breathing does not raise PaCO2
    const Vitals m = Session(catalog(), make_case("pneumonia", "moderate", seed)).vitals();
    EXPECT_GE(m.rr_per_min, 21) << "seed " << seed;
    EXPECT_LT(m.rr_per_min, v.rr_per_min) << "seed " << seed;
  }
}

TEST(ConditionPresentation, AcuteSevereAsthmaMeetsBtsCriteria) {
  for (uint64_t seed : kPresentationSeeds) {
    const Vitals v = Session(catalog(), make_case("acute_asthma", "severe", seed)).vitals();
    EXPECT_GE(v.hr_bpm, 110) << "seed " << seed;
    EXPECT_GE(v.rr_per_min, 25) << "seed " << seed;
    EXPECT_LT(v.spo2_pct, 92) << "seed " << seed;
    const Vitals m = Session(catalog(), make_case("acute_asthma", "moderate", seed)).vitals();
    EXPECT_LT(m.hr_bpm, 110) << "seed " << seed;
    EXPECT_LT(m.hr_bpm, v.hr_bpm) << "seed " << seed;
  }
}

TEST(ConditionPresentation, SevereTensionPneumothoraxIsObstructiveShock) {
  for (uint64_t seed : kPresentationSeeds) {
    const Case c = make_case("tension_pneumothorax", "severe", seed);
    const Vitals base = Physiology(c.patient, &catalog().drugs).vitals();
    const Vitals v = Session(catalog(), c).vitals();
    EXPECT_GE(v.rr_per_min, 28) << "seed " << seed;
    EXPECT_LT(v.map_mmhg, 65) << "seed " << seed;
    EXPECT_GT(v.cvp_mmhg, base.cvp_mmhg + 3) << "seed " << seed;  // distended neck veins
    EXPECT_GT(v.hr_bpm, 120) << "seed " << seed;
    EXPECT_LT(v.spo2_pct, 90) << "seed " << seed;
  }
}

TEST(ConditionPresentation, RapidShallowBreathingKeepsTidalVolumeAboveDeadSpace) {
  // The pattern drive raises the rate and lowers the tidal volume; it is bounded, so ventilation
  // does not collapse: an hour untreated keeps PaCO2 below 45 in severe pneumonia.
  Session s(catalog(), make_case("pneumonia", "severe", 3));
  const Vitals p = s.vitals();
  EXPECT_GT(p.tidal_ml, 2.2 * s.physiology().params().weight_kg);
  run(&s, {}, 60);
  EXPECT_LT(s.vitals().paco2_mmhg, 45);
  EXPECT_GT(s.vitals().tidal_ml, 2.2 * s.physiology().params().weight_kg);
}

TEST(ConditionPresentation, OpioidOverdoseStillHypoventilates) {
  for (uint64_t seed : kPresentationSeeds)
    for (const char* sev : {"moderate", "severe"}) {
      const Vitals v = Session(catalog(), make_case("opioid_overdose", sev, seed)).vitals();
      EXPECT_LE(v.rr_per_min, 8) << sev << " seed " << seed;
      EXPECT_GT(v.paco2_mmhg, 50) << sev << " seed " << seed;
    }
}

TEST(ConditionPresentation, NeedleDecompressionRescuesSevereTensionPneumothorax) {
  for (uint64_t seed : {3, 7}) {
    Session s(catalog(), make_case("tension_pneumothorax", "severe", seed));
    run(&s, {{1, "needle decompression"}}, 30);
    EXPECT_FALSE(s.dead()) << "seed " << seed;
    EXPECT_GT(s.vitals().map_mmhg, 70) << "seed " << seed;
    EXPECT_LT(s.vitals().rr_per_min, 28) << "seed " << seed;
  }
}

// ---- Acid-base, severity tiers and vasopressor stewardship (review fixes).

// Henderson-Hasselbalch and Winter's formula hold in every sample.
TEST(AcidBase, PhFromHendersonHasselbalchAndWinterCompensation) {
  const Runs r = both("septic_shock", "severe");
  for (const auto& s : r.none.samples()) {
    if (s.v.arrested) break;
    EXPECT_NEAR(s.v.ph, 6.1 + std::log10(s.v.hco3_mmol_l / (0.03 * s.v.paco2_mmhg)), 1e-9);
  }
  EXPECT_DOUBLE_EQ(paco2_set_point(24), 40);
  EXPECT_DOUBLE_EQ(paco2_set_point(12), 26);
  // Pure metabolic acidosis (DKA): PaCO2 within Winter's 1.5 x HCO3 + 8 +/- 2 at presentation.
  const Session d(catalog(), make_case("dka", "moderate"));
  const Vitals v = d.vitals();
  EXPECT_NEAR(v.paco2_mmhg, 1.5 * v.hco3_mmol_l + 8, 2.0) << v.hco3_mmol_l;
  EXPECT_LT(v.ph, 7.40);  // compensation never normalises pH
}

TEST(AcidBase, SepticShockLacticAcidosisLowersPhAndTreatmentImprovesIt) {
  const Runs r = both("septic_shock", "severe");
  const Vitals p = r.none.samples().front().v;
  EXPECT_GT(p.lactate_mmol_l, 4.0);
  EXPECT_GE(p.ph, 7.25);
  EXPECT_LE(p.ph, 7.36);
  EXPECT_LT(p.hco3_mmol_l, 24 - (p.lactate_mmol_l - 1) + 0.01);  // at least 1:1 with lactate
  // Untreated: lactate rises above 4 and pH falls below 7.30 as it does.
  bool acidaemic = false;
  for (const auto& s : r.none.samples())
    if (!s.v.arrested && s.v.lactate_mmol_l > 4 && s.v.ph < 7.30) acidaemic = true;
  EXPECT_TRUE(acidaemic) << r.none.vitals().ph;
  // pH falls over hours while lactate rises.
  EXPECT_LT(r.none.vitals().ph, p.ph);
  EXPECT_GT(r.none.vitals().lactate_mmol_l, p.lactate_mmol_l);
  // Treated: better pH and lower lactate than untreated at the end.
  EXPECT_GT(r.good.vitals().ph, r.none.vitals().ph + 0.03);
  EXPECT_LT(r.good.vitals().lactate_mmol_l, r.none.vitals().lactate_mmol_l);
}

TEST(AcidBase, OpioidOverdoseIsRespiratoryAcidosis) {
  const Session s(catalog(), make_case("opioid_overdose", "moderate"));
  const Vitals v = s.vitals();
  EXPECT_GT(v.paco2_mmhg, 50);
  EXPECT_NEAR(v.hco3_mmol_l, 24, 1.5);
  EXPECT_LT(v.ph, 7.30);
  // Naloxone brings PaCO2 back down.
  Session t(catalog(), make_case("opioid_overdose", "moderate"));
  run(&t, {{1, "naloxone 0.4 mg iv"}}, 20);
  EXPECT_LT(t.vitals().paco2_mmhg, v.paco2_mmhg - 10);
}

TEST(AcidBase, DkaPresentsWithLowBicarbonateAndPh) {
  for (const char* sev : {"moderate", "severe"}) {
    const Session s(catalog(), make_case("dka", sev));
    EXPECT_LT(s.vitals().hco3_mmol_l, 15) << sev;
    EXPECT_LT(s.vitals().ph, 7.25) << sev;
    EXPECT_LT(s.vitals().paco2_mmhg, 35) << sev;  // Kussmaul compensation
  }
}

TEST(AcidBase, AsthmaAlkalosisEarlyAcidosisWhenSevere) {
  const Session m(catalog(), make_case("acute_asthma", "mild"));
  EXPECT_GE(m.vitals().ph, 7.40);
  EXPECT_LE(m.vitals().paco2_mmhg, 40);
  Session s(catalog(), make_case("acute_asthma", "severe"));
  run(&s, {}, 120);
  EXPECT_GT(s.vitals().paco2_mmhg, 45);
  EXPECT_LT(s.vitals().ph, 7.35);
}

TEST(AcidBase, HaemorrhagicShockLacticAcidosis) {
  Session s(catalog(), make_case("haemorrhagic_shock", "severe"));
  run(&s, {}, 90);
  if (!s.vitals().arrested) {
    EXPECT_GT(s.vitals().lactate_mmol_l, 3);
    EXPECT_LT(s.vitals().hco3_mmol_l, 22);
  }
}

// Every drawn severity of septic shock is septic shock: hypotension and lactate > 2 at presentation.
TEST(Severity, EverySepticShockTierIsHypotensiveAndHypoperfused) {
  for (const char* sev : {"mild", "moderate", "severe"}) {
    const Session s(catalog(), make_case("septic_shock", sev));
    EXPECT_LT(s.vitals().map_mmhg, 66) << sev;
    EXPECT_GT(s.vitals().lactate_mmol_l, 2) << sev;
  }
  // Drawn severity, as in the review (an 85-year-old whose usual MAP is 96): at least 20% below the
  // patient's usual pressure (relative hypotension) and hypoperfused.
  const Case c = make_case("septic_shock", "", 7);
  const Session d(catalog(), c);
  EXPECT_LT(d.vitals().map_mmhg, 0.8 * c.patient.map_mmhg);
  EXPECT_GT(d.vitals().lactate_mmol_l, 2);
}

// A vasopressor with no indication (MAP >= 65) or left running at MAP >= 110 is penalised, and the
// guideline script (norepinephrine only if MAP < 65 after fluids, titrated) never overshoots.
TEST(Rubric, VasopressorWithoutIndicationOrOvershootIsPenalised) {
  const Rubric& rub = catalog().rubrics.at("sepsis_hour1");
  auto status = [](const Score& sc, const std::string& id) {
    for (const auto& i : sc.items)
      if (i.id == id) return i.status;
    return std::string("absent");
  };
  for (const char* sev : {"mild", "moderate", "severe"}) {
    const Runs r = both("septic_shock", sev);
    EXPECT_EQ(status(r.good_score, "vasopressor_indication"), "avoided") << sev;
    EXPECT_EQ(status(r.good_score, "vasopressor_titration"), "avoided") << sev;
    for (const auto& s : r.good.samples()) EXPECT_LT(s.v.map_mmhg, 110) << sev << " at " << s.t_s;
  }
  // The old script: norepinephrine at 75 min regardless of MAP, never titrated.
  Session s(catalog(), make_case("septic_shock", "mild"));
  run(&s,
      {{2, "order lactate; order blood cultures"},
       {8, "ceftriaxone 2 g iv"},
       {10, "fluids 30 ml/kg over 60 min"},
       {150, "norepinephrine 0.3 mcg/kg/min"}},
      360);
  const Score sc = score_session(s, rub);
  EXPECT_EQ(status(sc, "vasopressor_indication"), "penalty");
  EXPECT_EQ(status(sc, "vasopressor_titration"), "penalty");
}

}  // namespace
}  // namespace medgen::sim::test

namespace medgen::sim::test {
namespace {

// Issue 19: the hypoglycaemia guideline script scored 66.7% on case seed 48 (moderate, 80 kg: 88 units of
// rapid-acting insulin), because it gave one dose of 10% glucose and a fixed 100 mL/h infusion without
// acting on the recheck, while JBDS repeats the glucose whenever the recheck is below 4 mmol/L. The
// script now follows that loop and raises the infusion when glucose stays low; every drawn case of
// seeds 1-48 (severity drawn too; 1-60 checked once, lowest 77.8%) scores at least 70%.
TEST(Guideline, HypoglycaemiaScriptReachesSeventyPercentOnDrawnCases) {
  const ConditionSpec& cond = *catalog().find_condition("hypoglycaemia");
  for (uint64_t seed = 1; seed <= 48; ++seed) {
    CaseOptions o;
    o.condition = "hypoglycaemia";
    o.seed = seed;
    const Case c = generate_case(catalog(), o);
    Session s(catalog(), c);
    run_script(&s, Script::load(std::string(MEDGEN_SOURCE_DIR) + "/data/sim/scripts/hypoglycaemia_good.json",
                                catalog(), cond, c.patient.weight_kg));
    EXPECT_GE(score_session(s, catalog().rubrics.at(cond.rubric)).percent, 70) << "seed " << seed;
  }
}

}  // namespace
}  // namespace medgen::sim::test
