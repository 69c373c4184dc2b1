// Safe ordering: every drug order is checked against the limits in its drug file before it is given.
// Hard limits and wrong units are refused with the reason; soft limits wait for 'confirm'; every
// refused or confirmed order shows in the debrief and costs points.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "medgen/core/error.h"
#include "medgen/sim/order_safety.h"
#include "sim_test_util.h"

namespace medgen::sim::test {
namespace {

std::string last_text(const std::vector<Event>& ev) { return ev.empty() ? "" : ev.back().text; }

TEST(OrderSafety, OverdoseAboveTheHardLimitIsRefusedBeforeItIsGiven) {
  Session s(catalog(), make_case("opioid_overdose", "moderate"));
  const auto ev = s.act("give 100 mg naloxone");
  EXPECT_EQ(ev.back().kind, "error");
  EXPECT_NE(last_text(ev).find("refused"), std::string::npos) << last_text(ev);
  EXPECT_NE(last_text(ev).find("hard limit of 10 mg"), std::string::npos) << last_text(ev);
  EXPECT_TRUE(s.actions().empty()) << "nothing was given";
  EXPECT_EQ(s.physiology().plasma_concentration(catalog().drug_index("naloxone")), 0);
  ASSERT_EQ(s.safety_log().size(), 1u);
  EXPECT_EQ(s.safety_log()[0].outcome, "refused");
  s.advance(60);
  const Score sc = score_session(s, catalog().rubrics.at(s.condition().rubric));
  bool counted = false;
  for (const auto& i : sc.items) counted = counted || (i.id == "refused_order" && i.points < 0);
  EXPECT_TRUE(counted);
  EXPECT_NE(debrief_text(s, sc).find("Order safety"), std::string::npos);
}

TEST(OrderSafety, ThousandFoldUnitErrorIsRefusedWithTheLikelyUnit) {
  Session s(catalog(), make_case("septic_shock", "severe"));
  const auto ev = s.act("norepinephrine 0.1 mg/kg/min");
  EXPECT_EQ(ev.back().kind, "error");
  EXPECT_NE(last_text(ev).find("did you mean 0.1 mcg/kg/min"), std::string::npos) << last_text(ev);
  EXPECT_EQ(s.physiology().infusion(catalog().drug_index("norepinephrine")), 0);
  // The intended order goes through.
  s.act("norepinephrine 0.1 mcg/kg/min");
  EXPECT_GT(s.physiology().infusion(catalog().drug_index("norepinephrine")), 0);
}

TEST(OrderSafety, InsulinBolusOfAHundredUnitsIsRefused) {
  Session s(catalog(), make_case("hypoglycaemia", "mild"));
  const double g0 = s.vitals().glucose_mmol_l;
  const auto ev = s.act("100 units insulin iv");
  EXPECT_EQ(ev.back().kind, "error") << last_text(ev);
  s.advance(8 * 60);
  EXPECT_GT(s.vitals().glucose_mmol_l, g0 - 1.0) << "no insulin was given";
}

TEST(OrderSafety, WrongDimensionOrRouteIsRefusedAndCounted) {
  Session s(catalog(), make_case("dka", "moderate"));
  EXPECT_EQ(s.act("insulin 10 mg iv").back().kind, "error");                    // mass for a drug dosed in units
  EXPECT_EQ(s.act("ceftriaxone 2 g/h").back().kind, "error");                  // a rate for a drug given as doses
  EXPECT_EQ(s.act("potassium chloride 10 mmol im").back().kind, "error");      // no such route
  ASSERT_EQ(s.safety_log().size(), 3u);
  for (const auto& f : s.safety_log()) EXPECT_EQ(f.outcome, "refused") << f.text;
}

TEST(OrderSafety, SoftLimitWaitsForConfirmationOrCancel) {
  Session s(catalog(), make_case("opioid_overdose", "moderate"));
  auto ev = s.act("naloxone 4 mg iv");
  EXPECT_NE(last_text(ev).find("Type 'confirm'"), std::string::npos) << last_text(ev);
  EXPECT_TRUE(s.actions().empty());
  s.act("cancel");
  EXPECT_TRUE(s.actions().empty());
  EXPECT_EQ(s.act("confirm").back().text, "nothing waits for confirmation");
  s.act("naloxone 4 mg iv");
  s.act("confirm");
  ASSERT_EQ(s.actions().size(), 1u);
  EXPECT_TRUE(s.actions()[0].harmful);
  ASSERT_EQ(s.safety_log().size(), 4u);
  EXPECT_EQ(s.safety_log()[1].outcome, "cancelled");
  EXPECT_EQ(s.safety_log()[3].outcome, "confirmed");
  // Within the usual range: given at once, no record.
  Session t(catalog(), make_case("opioid_overdose", "moderate"));
  t.act("naloxone 0.4 mg iv");
  EXPECT_EQ(t.actions().size(), 1u);
  EXPECT_TRUE(t.safety_log().empty());
}

TEST(OrderSafety, EveryGuidelineDoseIsWithinTheSoftLimits) {
  // The doses the guideline scripts use never trigger a check (for a 45 kg and a 120 kg patient).
  const ConditionSpec& c = *catalog().find_condition("dka");
  for (double kg : {45.0, 120.0})
    for (const char* text :
         {"epinephrine 0.5 mg im", "norepinephrine 0.2 mcg/kg/min", "insulin 0.1 units/kg/h", "dextrose 10% 200 ml iv",
          "dextrose 10% 100 ml/h", "potassium chloride 10 mmol/h", "ceftriaxone 2 g iv", "naloxone 0.4 mg iv",
          "naloxone 0.4 mg im", "salbutamol 5 mg neb", "magnesium sulfate 2 g iv", "hydrocortisone 200 mg iv",
          "morphine 5 mg iv", "aspirin 300 mg po", "amoxicillin 1 g iv", "clarithromycin 500 mg iv",
          "heparin 80 units/kg iv", "heparin 18 units/kg/h", "alteplase 10 mg iv", "dexamethasone 10 mg iv"}) {
      const Action a = parse_action(text, catalog(), c, kg);
      ASSERT_EQ(a.kind, Action::Kind::kDrug) << text;
      const DoseCheck chk = check_dose(*catalog().find_drug(a.what), a, kg);
      EXPECT_EQ(chk.verdict, DoseCheck::Verdict::kOk) << text << " at " << kg << " kg: " << chk.reason;
    }
}

// The weight limits of the new drugs (issue 19 item 5, third set).
TEST(OrderSafety, HeparinAndAlteplaseAreCheckedByWeight) {
  const ConditionSpec& c = *catalog().find_condition("pulmonary_embolism");
  auto verdict = [&](const std::string& text, double kg) {
    const Action a = parse_action(text, catalog(), c, kg);
    return check_dose(*catalog().find_drug(a.what), a, kg).verdict;
  };
  // Actilyse SmPC: in PE at most 1.5 mg/kg below 65 kg; 90 mg is fine at 70 kg, held at 45 kg, refused at 150 mg.
  EXPECT_EQ(verdict("alteplase 90 mg iv over 120 min", 70), DoseCheck::Verdict::kOk);
  EXPECT_EQ(verdict("alteplase 90 mg iv over 120 min", 45), DoseCheck::Verdict::kConfirm);
  EXPECT_EQ(verdict("alteplase 200 mg iv", 80), DoseCheck::Verdict::kRefuse);
  // Heparin: 80 units/kg bolus is usual; 10,000 units is the usual maximum bolus; 18 units/kg/h is the
  // infusion; 40 units/kg/h is refused; a mistaken 80,000 units is refused.
  EXPECT_EQ(verdict("heparin 15000 units iv", 120), DoseCheck::Verdict::kConfirm);
  EXPECT_EQ(verdict("heparin 80000 units iv", 80), DoseCheck::Verdict::kRefuse);
  EXPECT_EQ(verdict("heparin 45 units/kg/h", 70), DoseCheck::Verdict::kRefuse);
  // Dexamethasone 10 mg is the meningitis dose; 40 mg is held; 100 mg refused.
  EXPECT_EQ(verdict("dexamethasone 10 mg iv", 45), DoseCheck::Verdict::kOk);
  EXPECT_EQ(verdict("dexamethasone 40 mg iv", 70), DoseCheck::Verdict::kConfirm);
  EXPECT_EQ(verdict("dexamethasone 100 mg iv", 70), DoseCheck::Verdict::kRefuse);
}

TEST(OrderSafety, NaturalPhrasings) {
  const ConditionSpec& c = *catalog().find_condition("opioid_overdose");
  auto p = [&](const std::string& t) { return parse_action(t, catalog(), c, 70); };
  EXPECT_EQ(p("check vitals").kind, Action::Kind::kVitals);
  EXPECT_EQ(p("repeat obs please").kind, Action::Kind::kVitals);
  Action a = p("give a litre of saline stat");
  EXPECT_EQ(a.kind, Action::Kind::kFluid);
  EXPECT_DOUBLE_EQ(a.volume_ml, 1000);
  a = p("push 0.4 of naloxone IV");
  EXPECT_EQ(a.kind, Action::Kind::kDrug);
  EXPECT_EQ(a.route, "iv");
  EXPECT_DOUBLE_EQ(a.amount, 0.4);
  EXPECT_TRUE(a.unit_assumed);
  a = p("start norepi at 0.1 mcg/kg/min");
  EXPECT_NEAR(a.rate_per_s, 0.1 * 70 / 60, 1e-12);
  a = p("naloxone zero point four milligrams intravenously");
  EXPECT_DOUBLE_EQ(a.amount, 0.4);
  a = p("give two and a half litres of hartmann's over three hours");
  EXPECT_DOUBLE_EQ(a.volume_ml, 2500);
  EXPECT_DOUBLE_EQ(a.over_s, 3 * 3600);
  a = p("insulin six units an hour");
  EXPECT_NEAR(a.rate_per_s, 6 / 3600.0, 1e-12);
  EXPECT_EQ(p("order glucose").kind, Action::Kind::kOrder);
  EXPECT_EQ(p("give glucose 10% 200 ml").kind, Action::Kind::kDrug);
}

TEST(OrderSafety, LimitAboveHardInADrugFileIsLocated) {
  const std::string path = (std::filesystem::temp_directory_path() / "medgen_sim_bad_limit.json").string();
  std::ofstream(path) << "{\"name\": \"x\", \"amount_unit\": \"mg\", \"pk\": {\"volume_l_per_kg\": 1, \"half_life_min\": 10},\n"
                         " \"routes\": {\"iv\": {}},\n"
                         " \"limits\": {\"bolus\": {\"iv\": {\"soft_max\": 5, \"hard_max\": 2}}, \"source\": \"s\"},\n"
                         " \"references\": [\"r\"]}\n";
  try {
    load_drug(path);
    FAIL() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("medgen_sim_bad_limit.json:3:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("soft_max is above hard_max"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace medgen::sim::test

namespace medgen::sim::test {
namespace {

// A drug of a class the patient is allergic to is held for confirmation before it is given.
TEST(OrderSafety, AllergyHoldsTheOrderForConfirmation) {
  Case c = make_case("pneumonia", "moderate", 7);
  c.allergies = "penicillin (rash as a child)";
  Session s(catalog(), c);
  const auto ev = s.act("amoxicillin 1 g iv");
  EXPECT_NE(ev.back().text.find("allergic to penicillin"), std::string::npos) << ev.back().text;
  EXPECT_TRUE(s.actions().empty());
  s.act("clarithromycin 500 mg iv");  // the alternative: given, and the held order is dropped
  ASSERT_EQ(s.actions().size(), 1u);
  EXPECT_EQ(s.safety_log().back().outcome, "cancelled");
}

}  // namespace
}  // namespace medgen::sim::test
