// Free-text actions: what trainees type, typos, units, and garbage (never a crash).
#include <gtest/gtest.h>

#include "medgen/core/rng.h"
#include "sim_test_util.h"

namespace medgen::sim::test {
namespace {

const ConditionSpec& sepsis() { return *catalog().find_condition("septic_shock"); }
Action parse(const std::string& s, double kg = 80) { return parse_action(s, catalog(), sepsis(), kg); }

TEST(ActionParser, DrugsWithUnitsRoutesAndRates) {
  Action a = parse("give epinephrine 0.5 mg im");
  EXPECT_EQ(a.kind, Action::Kind::kDrug);
  EXPECT_EQ(a.what, "epinephrine");
  EXPECT_EQ(a.route, "im");
  EXPECT_DOUBLE_EQ(a.amount, 500);  // mcg, the drug's unit
  a = parse("Adrenaline 500 micrograms IM");
  EXPECT_EQ(a.what, "epinephrine");
  EXPECT_DOUBLE_EQ(a.amount, 500);
  a = parse("start norepinephrine 0.1 mcg/kg/min");
  EXPECT_EQ(a.kind, Action::Kind::kDrug);
  EXPECT_NEAR(a.rate_per_s, 0.1 * 80 / 60.0, 1e-12);
  a = parse("noradrenaline 0.1 micrograms per kg per minute");
  EXPECT_NEAR(a.rate_per_s, 0.1 * 80 / 60.0, 1e-12);
  a = parse("insulin 0.1 units/kg/h");
  EXPECT_NEAR(a.rate_per_s, 0.1 * 80 / 3600.0, 1e-12);
  a = parse("ceftriaxone 2 g iv");
  EXPECT_DOUBLE_EQ(a.amount, 2000);
  a = parse("dextrose 10% 150 ml iv");
  EXPECT_EQ(a.what, "dextrose");
  EXPECT_DOUBLE_EQ(a.amount, 15);  // g
  a = parse("salbutamol 5mg nebulised");
  EXPECT_EQ(a.route, "neb");
  EXPECT_DOUBLE_EQ(a.amount, 5);
  a = parse("stop norepinephrine");
  EXPECT_EQ(a.kind, Action::Kind::kStopDrug);
}

TEST(ActionParser, FluidsOxygenOrdersProceduresQuestions) {
  Action a = parse("fluids 30 ml/kg", 70);
  EXPECT_EQ(a.kind, Action::Kind::kFluid);
  EXPECT_DOUBLE_EQ(a.volume_ml, 2100);
  a = parse("bolus 500 ml over 15 min");
  EXPECT_DOUBLE_EQ(a.volume_ml, 500);
  EXPECT_NEAR(a.fluid_rate_ml_s, 500 / 900.0, 1e-12);
  a = parse("blood 2 units");
  EXPECT_TRUE(a.blood);
  EXPECT_DOUBLE_EQ(a.volume_ml, 600);
  a = parse("oxygen 15 l/min");
  EXPECT_EQ(a.kind, Action::Kind::kOxygen);
  EXPECT_GT(a.fio2, 0.8);
  EXPECT_NEAR(parse("oxygen 40%").fio2, 0.4, 1e-12);
  EXPECT_NEAR(parse("fio2 0.6").fio2, 0.6, 1e-12);
  EXPECT_EQ(parse("order lactate").what, "lactate");
  EXPECT_EQ(parse("check a blood gas").what, "blood_gas");
  EXPECT_EQ(parse("send blood cultures").what, "blood_cultures");
  EXPECT_EQ(parse("cxr").what, "chest_xray");
  EXPECT_EQ(parse("intubate").kind, Action::Kind::kIntubate);
  EXPECT_EQ(parse("needle decompression").what, "needle_decompression");
  a = parse("ask about allergies");
  EXPECT_EQ(a.kind, Action::Kind::kAsk);
  EXPECT_EQ(a.what, "allergies");
  EXPECT_EQ(parse("any pain?").what, "pain");
  EXPECT_EQ(parse("wait 10 min").seconds, 600);
}

TEST(ActionParser, TyposGetSuggestions) {
  // A misspelt drug name close to one drug only is read as that drug and said back.
  Action a = parse("give norepinefrine 0.1 mcg/kg/min");
  EXPECT_EQ(a.kind, Action::Kind::kDrug);
  EXPECT_EQ(a.what, "norepinephrine");
  EXPECT_NE(a.note.find("read 'norepinefrine' as norepinephrine"), std::string::npos) << a.note;
  a = parse("give norepinefrin 0.1 mcg/kg/min");  // too far to guess: a suggestion instead
  EXPECT_EQ(a.kind, Action::Kind::kUnknown);
  EXPECT_NE(a.message.find("did you mean 'norepinephrine'"), std::string::npos) << a.message;
  a = parse("order lactat");
  EXPECT_NE(a.message.find("did you mean 'lactate'"), std::string::npos) << a.message;
  a = parse("epinephrine");
  EXPECT_NE(a.message.find("how much epinephrine"), std::string::npos) << a.message;
  a = parse("norepinephrine 0.1 mcg/kg/min im");
  EXPECT_NE(a.message.find("cannot be given im"), std::string::npos) << a.message;
  a = parse("ask about the weather");
  EXPECT_NE(a.message.find("you can ask about"), std::string::npos) << a.message;
  a = parse("insulin 5 ml");
  EXPECT_NE(a.message.find("units"), std::string::npos) << a.message;
}

TEST(ActionParser, GarbageNeverCrashes) {
  Rng rng(1);
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 ./%?;-";
  Session s(catalog(), make_case("septic_shock", "mild"));
  for (int i = 0; i < 2000; ++i) {
    std::string t;
    const int n = static_cast<int>(rng.below(40));
    for (int k = 0; k < n; ++k) t += alphabet[rng.below(alphabet.size())];
    if (i % 3 == 0) t = "give " + t;
    if (i % 5 == 0) t = "fluids " + t;
    EXPECT_NO_THROW(s.act(t)) << t;
  }
  for (const char* t : {"", " ", ";;;", "fluids -5 ml", "fluids 1e308 ml", "wait -3 min", "oxygen 500%", "fio2 7",
                        "epinephrine nan mg", "epinephrine -1 mg im", "wait 99999 h", "blood 0 units"})
    EXPECT_NO_THROW(s.act(t)) << t;
  EXPECT_FALSE(s.dead());
}

TEST(Session, EventsAlarmsAndResults) {
  Session s(catalog(), make_case("septic_shock", "severe"));
  bool hypotension = false;
  for (const auto& e : s.log()) hypotension = hypotension || e.text.find("hypotension") != std::string::npos;
  EXPECT_TRUE(hypotension) << "alarms present on arrival are shown";
  s.act("order lactate");
  const auto ev = s.advance(6 * 60);
  bool result = false;
  for (const auto& e : ev) result = result || (e.kind == "result" && e.text.find("lactate") != std::string::npos);
  EXPECT_TRUE(result);
  const auto answer = s.act("ask about allergies");
  ASSERT_FALSE(answer.empty());
  EXPECT_EQ(answer.back().kind, "answer");
}

TEST(Session, HarmfulDoseIsFlaggedAndPenalised) {
  Session s(catalog(), make_case("anaphylaxis", "moderate"));
  // 1 mg IV is above the soft limit for an IV bolus outside arrest: held until confirmed.
  auto ev = s.act("epinephrine 1 mg iv");
  ASSERT_FALSE(ev.empty());
  EXPECT_NE(ev.back().text.find("not given yet"), std::string::npos) << ev.back().text;
  EXPECT_TRUE(s.actions().empty());
  ev = s.act("confirm");
  bool warned = false;
  for (const auto& e : ev) warned = warned || e.kind == "warning";
  EXPECT_TRUE(warned);
  ASSERT_EQ(s.safety_log().size(), 2u);
  EXPECT_EQ(s.safety_log()[1].outcome, "confirmed");
  s.advance(600);
  const Score sc = score_session(s, catalog().rubrics.at("anaphylaxis_rcuk"));
  EXPECT_LT(sc.penalties, -20);  // IV bolus item plus the harmful-dose penalty
  EXPECT_GT(s.vitals().hr_bpm, 120) << "1 mg IV epinephrine: tachycardia";
}

TEST(Session, CardiacArrestAndDeathEndTheSession) {
  Session s(catalog(), make_case("tension_pneumothorax", "severe"));
  s.advance(4 * 3600);
  EXPECT_TRUE(s.dead());
  bool arrest = false, death = false;
  for (const auto& e : s.log()) {
    arrest = arrest || e.text.find("CARDIAC ARREST") != std::string::npos;
    death = death || e.text.find("DEATH") != std::string::npos;
  }
  EXPECT_TRUE(arrest);
  EXPECT_TRUE(death);
  EXPECT_NO_THROW(s.act("needle decompression"));
}

TEST(Debrief, TextHtmlAndXapi) {
  Session s(catalog(), make_case("septic_shock", "moderate"));
  run(&s, {{1, "order lactate; order blood cultures"}, {5, "ceftriaxone 2 g iv"}, {6, "fluids 30 ml/kg"}}, 120);
  const Score sc = score_session(s, catalog().rubrics.at("sepsis_hour1"));
  const std::string text = debrief_text(s, sc);
  EXPECT_NE(text.find("Score"), std::string::npos);
  EXPECT_NE(text.find("Broad-spectrum antibiotics"), std::string::npos);
  const std::string html = debrief_html(s, sc);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<polyline"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos) << "self-contained: no external resources";
  const auto x = xapi_statements(s, sc, "Ada", "2026-01-01T09:00:00Z");
  // attempted, one interacted per action, completed, passed or failed.
  ASSERT_EQ(x.size(), s.actions().size() + 3);
  EXPECT_EQ(x.back()["result"]["score"]["scaled"].get<double>(), sc.percent / 100);
  EXPECT_EQ(x.front()["verb"]["id"], "http://adlnet.gov/expapi/verbs/attempted");
  EXPECT_EQ(x.front()["timestamp"], "2026-01-01T09:00:00Z");
  EXPECT_EQ(x[1]["timestamp"], "2026-01-01T09:01:00Z");
  EXPECT_EQ(x[1]["verb"]["id"], "http://adlnet.gov/expapi/verbs/interacted");
  EXPECT_EQ(x[1]["actor"]["name"], "Ada");
}

}  // namespace
}  // namespace medgen::sim::test
