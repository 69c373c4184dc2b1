// The module engine on tiny hand-written modules (one per state and transition type), the
// shipped modules in data/modules, strict loading errors, determinism and chunk independence.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "medgen/core/error.h"
#include "medgen/core/schema.h"
#include "medgen/records/clinical.h"
#include "medgen/records/modules.h"

using namespace medgen;
using namespace medgen::records;

namespace {

ModuleSet set_of(const std::vector<std::pair<std::string, std::string>>& modules,
                 const std::map<std::string, std::string>& submodules = {}) {
  ModuleSet set;
  for (const auto& [name, text] : modules) set.modules.push_back(parse_module(text, name));
  for (const auto& [name, text] : submodules) set.submodules[name] = parse_module(text, name + ".json");
  link_modules(&set);
  return set;
}

Dataset run(const ModuleSet& set, size_t patients, uint64_t seed = 1, PopulationOptions o = {}) {
  o.patients = patients;
  Context ctx;
  ctx.seed = seed;
  return run_population(set, o, ctx);
}

std::string text(const Column& c, size_t r) {
  return c.codes[r] < 0 ? std::string() : c.dictionary[static_cast<size_t>(c.codes[r])];
}

// Rows of `table` whose code is `code`: patient id -> times (the table's time column).
std::map<std::string, std::vector<double>> events(const Dataset& d, const std::string& table, const std::string& time,
                                                  const std::string& code) {
  std::map<std::string, std::vector<double>> out;
  const Table& t = d.table(table);
  const Column& c = t.column("code");
  const Column& p = t.column("patient");
  const Column& tm = t.column(time);
  for (size_t r = 0; r < t.num_rows(); ++r)
    if (text(c, r) == code) out[text(p, r)].push_back(tm.values[r]);
  return out;
}

std::map<std::string, double> births(const Dataset& d) {
  std::map<std::string, double> out;
  const Table& t = d.table("patients");
  for (size_t r = 0; r < t.num_rows(); ++r) out[text(t.column("id"), r)] = t.column("birth_date").values[r];
  return out;
}

std::string date(double t) { return format_datetime(t, "%Y-%m-%d"); }

// "YYYY-MM-DD" plus n years (29 February -> 28 February).
std::string plus_years(const std::string& d, int n) {
  std::string y = std::to_string(std::stoi(d.substr(0, 4)) + n);
  std::string md = d.substr(4);
  if (md == "-02-29") {
    const int yy = std::stoi(y);
    const bool leap = (yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0;
    if (!leap) md = "-02-28";
  }
  return y + md;
}

const char* kCode = R"("codes": [{"system": "SNOMED-CT", "code": "%s", "display": "x"}])";

std::string codes(const std::string& c) {
  std::string s = kCode;
  return s.replace(s.find("%s"), 2, c);
}

std::string all_csv(const Dataset& d) {
  std::string out;
  for (size_t t = 0; t < d.tables.size(); ++t) out += to_csv(d.tables[t], d.schema.tables[t].schema) + "\n";
  return out;
}

std::string source_dir() { return MEDGEN_SOURCE_DIR; }

}  // namespace

TEST(Modules, DelayExactThenOnsetIsExact) {
  const std::string m = R"({"name": "d", "states": {
    "Initial": {"type": "Initial", "direct_transition": "Wait"},
    "Wait": {"type": "Delay", "exact": {"quantity": 3, "unit": "years"}, "direct_transition": "Onset"},
    "Onset": {"type": "ConditionOnset", )" + codes("111") + R"(, "direct_transition": "End"},
    "End": {"type": "Terminal"}}})";
  PopulationOptions o;
  o.min_age = 4;
  const Dataset d = run(set_of({{"d.json", m}}), 50, 3, o);
  const auto b = births(d);
  const auto on = events(d, "conditions", "onset", "111");
  ASSERT_EQ(on.size(), 50u);
  for (const auto& [p, times] : on) {
    ASSERT_EQ(times.size(), 1u);
    EXPECT_EQ(format_datetime(times[0], "%Y-%m-%dT%H:%M:%S"), plus_years(date(b.at(p)), 3) + "T00:00:00") << p;
  }
}

TEST(Modules, DelayRangeStaysInRange) {
  const std::string m = R"({"states": {
    "Initial": {"type": "Initial", "direct_transition": "Wait"},
    "Wait": {"type": "Delay", "range": {"low": 10, "high": 20, "unit": "days"}, "direct_transition": "Onset"},
    "Onset": {"type": "ConditionOnset", )" + codes("1") + R"(, "direct_transition": "End"},
    "End": {"type": "Terminal"}}})";
  PopulationOptions o;
  o.min_age = 1;
  const Dataset d = run(set_of({{"r.json", m}}), 200, 4, o);
  const auto b = births(d);
  double lo = 1e9, hi = 0;
  for (const auto& [p, times] : events(d, "conditions", "onset", "1")) {
    const double days = (times[0] - b.at(p)) / 86400.0;
    lo = std::min(lo, days);
    hi = std::max(hi, days);
  }
  EXPECT_GE(lo, 10.0);
  EXPECT_LE(hi, 20.0);
  EXPECT_LT(lo, 11.0);  // the whole range is used, not one value
  EXPECT_GT(hi, 19.0);
}

TEST(Modules, DistributedTransitionFrequencies) {
  const std::string m = R"({"states": {
    "Initial": {"type": "Initial", "distributed_transition": [
       {"distribution": 0.3, "transition": "A"}, {"distribution": 0.7, "transition": "B"}]},
    "A": {"type": "ConditionOnset", )" + codes("10") + R"(, "direct_transition": "End"},
    "B": {"type": "ConditionOnset", )" + codes("20") + R"(, "direct_transition": "End"},
    "End": {"type": "Terminal"}}})";
  const Dataset d = run(set_of({{"dist.json", m}}), 2000, 5);
  const double a = static_cast<double>(events(d, "conditions", "onset", "10").size());
  const double b = static_cast<double>(events(d, "conditions", "onset", "20").size());
  EXPECT_EQ(a + b, 2000);
  const double sd = std::sqrt(2000 * 0.3 * 0.7);
  EXPECT_NEAR(a, 600, 4 * sd);
}

TEST(Modules, DistributionFromAttributeAndSetAttribute) {
  const std::string m = R"({"states": {
    "Initial": {"type": "Initial", "direct_transition": "Set"},
    "Set": {"type": "SetAttribute", "attribute": "p", "value": 0.8, "direct_transition": "Pick"},
    "Pick": {"type": "Simple", "distributed_transition": [
       {"distribution": {"attribute": "p", "default": 0.1}, "transition": "A"},
       {"distribution": 0.2, "transition": "End"}]},
    "A": {"type": "ConditionOnset", )" + codes("10") + R"(, "direct_transition": "End"},
    "End": {"type": "Terminal"}}})";
  const Dataset d = run(set_of({{"attr.json", m}}), 2000, 6);
  const double a = static_cast<double>(events(d, "conditions", "onset", "10").size());
  EXPECT_NEAR(a, 1600, 4 * std::sqrt(2000 * 0.8 * 0.2));
}

TEST(Modules, ConditionalOnGenderAndAge) {
  const std::string m = R"({"states": {
    "Initial": {"type": "Initial", "conditional_transition": [
      {"condition": {"condition_type": "Gender", "gender": "F"}, "transition": "Woman"},
      {"transition": "Adult"}]},
    "Woman": {"type": "ConditionOnset", )" + codes("2") + R"(, "direct_transition": "Adult"},
    "Adult": {"type": "Guard", "allow": {"condition_type": "Age", "operator": ">=", "quantity": 40, "unit": "years"},
              "direct_transition": "Forty"},
    "Forty": {"type": "ConditionOnset", )" + codes("40") + R"(, "direct_transition": "End"},
    "End": {"type": "Terminal"}}})";
  const Dataset d = run(set_of({{"g.json", m}}), 300, 7);
  const Table& pt = d.table("patients");
  std::set<std::string> women;
  for (size_t r = 0; r < pt.num_rows(); ++r)
    if (text(pt.column("gender"), r) == "female") women.insert(text(pt.column("id"), r));
  const auto w = events(d, "conditions", "onset", "2");
  EXPECT_EQ(w.size(), women.size());
  for (const auto& [p, t] : w) EXPECT_TRUE(women.count(p)) << p;
  // age 40 reached on the first weekly step at or after the 40th birthday
  const auto b = births(d);
  const auto forty = events(d, "conditions", "onset", "40");
  const double end = [] {
    double t;
    parse_datetime("2025-01-01", "%Y-%m-%d", &t);
    return t;
  }();
  size_t old = 0;
  for (const auto& [p, birth] : b) {
    double at40;
    parse_datetime(plus_years(date(birth), 40), "%Y-%m-%d", &at40);
    if (at40 + 7 * 86400 <= end) ++old;
    if (forty.count(p)) {
      const double t = forty.at(p)[0];
      EXPECT_GE(t, at40);
      EXPECT_LT(t, at40 + 7 * 86400.0);
    } else {
      EXPECT_GT(at40, end - 7 * 86400.0) << p;
    }
  }
  EXPECT_GE(forty.size(), old);
}

TEST(Modules, CounterLoopAndObservationFromAttribute) {
  const std::string m = R"({"states": {
    "Initial": {"type": "Initial", "direct_transition": "Count"},
    "Count": {"type": "Counter", "attribute": "n", "action": "increment", "conditional_transition": [
      {"condition": {"condition_type": "Attribute", "attribute": "n", "operator": "<", "value": 3}, "transition": "Count"},
      {"transition": "Down"}]},
    "Down": {"type": "Counter", "attribute": "n", "action": "decrement", "amount": 0.5, "direct_transition": "Record"},
    "Record": {"type": "Observation", "category": "survey", "codes": [{"system": "LOINC", "code": "1-1", "display": "n"}],
               "attribute": "n", "unit": "1", "direct_transition": "End"},
    "End": {"type": "Terminal"}}})";
  const Dataset d = run(set_of({{"c.json", m}}), 5, 8);
  const Table& o = d.table("observations");
  ASSERT_EQ(o.num_rows(), 5u);
  for (size_t r = 0; r < 5; ++r) EXPECT_DOUBLE_EQ(o.column("value").values[r], 2.5);
}

TEST(Modules, ObservationOfATextAttributeKeepsTheValueOfItsTime) {
  const std::string m = R"({"states": {
    "Initial": {"type": "Initial", "direct_transition": "Set"},
    "Set": {"type": "SetAttribute", "attribute": "stage", "value": "high", "direct_transition": "Record"},
    "Record": {"type": "Observation", "codes": [{"system": "LOINC", "code": "1-2", "display": "stage"}],
               "attribute": "stage", "direct_transition": "Change"},
    "Change": {"type": "SetAttribute", "attribute": "stage", "value": "low", "direct_transition": "End"},
    "End": {"type": "Terminal"}}})";
  const Dataset d = run(set_of({{"t.json", m}}), 2, 8);
  const Table& o = d.table("observations");
  ASSERT_EQ(o.num_rows(), 2u);
  EXPECT_EQ(text(o.column("value_code"), 0), "high");
  EXPECT_FALSE(o.column("value").valid[0]);
}

TEST(Modules, CallSubmoduleRunsAndReturns) {
  const std::string sub = R"({"states": {
    "Initial": {"type": "Initial", "direct_transition": "Wait"},
    "Wait": {"type": "Delay", "exact": {"quantity": 2, "unit": "days"}, "direct_transition": "X"},
    "X": {"type": "ConditionOnset", )" + codes("5") + R"(, "direct_transition": "Done"},
    "Done": {"type": "Terminal"}}})";
  const std::string main = R"({"states": {
    "Initial": {"type": "Initial", "direct_transition": "Call"},
    "Call": {"type": "CallSubmodule", "submodule": "lib/sub", "direct_transition": "After"},
    "After": {"type": "Delay", "exact": {"quantity": 1, "unit": "days"}, "direct_transition": "Y"},
    "Y": {"type": "ConditionOnset", )" + codes("6") + R"(, "direct_transition": "End"},
    "End": {"type": "Terminal"}}})";
  PopulationOptions o;
  o.min_age = 1;
  const Dataset d = run(set_of({{"main.json", main}}, {{"lib/sub", sub}}), 20, 9, o);
  const auto b = births(d);
  const auto x = events(d, "conditions", "onset", "5"), y = events(d, "conditions", "onset", "6");
  ASSERT_EQ(x.size(), 20u);
  ASSERT_EQ(y.size(), 20u);
  for (const auto& [p, t] : x) {
    EXPECT_DOUBLE_EQ(t[0] - b.at(p), 2 * 86400.0);
    EXPECT_DOUBLE_EQ(y.at(p)[0] - b.at(p), 3 * 86400.0);
  }
}

TEST(Modules, DeathEndsTheRecord) {
  const std::string dying = R"({"states": {
    "Initial": {"type": "Initial", "direct_transition": "Wait"},
    "Wait": {"type": "Delay", "exact": {"quantity": 10, "unit": "days"}, "direct_transition": "Onset"},
    "Onset": {"type": "ConditionOnset", )" + codes("7") + R"(, "direct_transition": "Die"},
    "Die": {"type": "Death", "condition_onset": "Onset", "range": {"low": 1, "high": 2, "unit": "years"},
            "direct_transition": "End"},
    "End": {"type": "Terminal"}}})";
  const std::string clinic = R"({"states": {
    "Initial": {"type": "Initial", "direct_transition": "Wait"},
    "Wait": {"type": "Delay", "exact": {"quantity": 1, "unit": "months"}, "direct_transition": "Visit"},
    "Visit": {"type": "Encounter", "encounter_class": "ambulatory", )" + codes("185345009") + R"(, "direct_transition": "Weight"},
    "Weight": {"type": "Observation", "codes": [{"system": "LOINC", "code": "29463-7", "display": "Body weight"}],
               "range": {"low": 3, "high": 90}, "unit": "kg", "direct_transition": "Drug"},
    "Drug": {"type": "MedicationOrder", "codes": [{"system": "RxNorm", "code": "1191", "display": "aspirin"}],
             "direct_transition": "Leave"},
    "Leave": {"type": "EncounterEnd", "direct_transition": "Wait"}}})";
  PopulationOptions o;
  o.min_age = 5;
  const Dataset d = run(set_of({{"a_die.json", dying}, {"b_clinic.json", clinic}}), 40, 10, o);
  const Table& pt = d.table("patients");
  std::map<std::string, double> death;
  for (size_t r = 0; r < pt.num_rows(); ++r) {
    ASSERT_TRUE(pt.column("deceased").valid[r]);
    death[text(pt.column("id"), r)] = pt.column("deceased").values[r];
    const double age_at_death = (pt.column("deceased").values[r] - pt.column("birth_date").values[r]) / 86400.0;
    EXPECT_GE(age_at_death, 10 + 365 - 1);
    EXPECT_LE(age_at_death, 10 + 2 * 366 + 1);
  }
  size_t visits = 0;
  for (const auto& [table, col] : std::vector<std::pair<std::string, std::string>>{
           {"encounters", "start"}, {"encounters", "end"}, {"observations", "time"}, {"medications", "start"},
           {"medications", "end"}, {"conditions", "onset"}}) {
    const Table& t = d.table(table);
    for (size_t r = 0; r < t.num_rows(); ++r) {
      if (!t.column(col).valid[r]) continue;
      EXPECT_LE(t.column(col).values[r], death.at(text(t.column("patient"), r))) << table << "." << col;
    }
    if (table == "encounters") visits = t.num_rows();
  }
  EXPECT_GT(visits, 40u * 10);
  // the cause of death is recorded
  EXPECT_EQ(events(d, "observations", "time", "69453-9").size(), 40u);
}

TEST(Modules, EncounterLinksEventsAndEndsThem) {
  const std::string m = R"({"states": {
    "Initial": {"type": "Initial", "direct_transition": "Onset"},
    "Onset": {"type": "ConditionOnset", "target_encounter": "ED", )" + codes("9") + R"(, "assign_to_attribute": "c",
              "direct_transition": "ED"},
    "ED": {"type": "Encounter", "encounter_class": "emergency", )" + codes("50849002") + R"(, "direct_transition": "Drug"},
    "Drug": {"type": "MedicationOrder", "codes": [{"system": "RxNorm", "code": "7242", "display": "naloxone"}],
             "assign_to_attribute": "m", "direct_transition": "Xray"},
    "Xray": {"type": "Procedure", "codes": [{"system": "SNOMED-CT", "code": "399208008", "display": "CXR"}],
             "direct_transition": "Plan"},
    "Plan": {"type": "CarePlanStart", "codes": [{"system": "SNOMED-CT", "code": "734163000", "display": "Care plan"}],
             "direct_transition": "Allergy"},
    "Allergy": {"type": "AllergyOnset", "codes": [{"system": "SNOMED-CT", "code": "91935009", "display": "peanut"}],
                "direct_transition": "Panel"},
    "Panel": {"type": "DiagnosticReport", )" + codes("1") + R"(, "observations": [
        {"codes": [{"system": "LOINC", "code": "2345-7", "display": "glucose"}], "unit": "mg/dL", "exact": {"quantity": 90}},
        {"codes": [{"system": "LOINC", "code": "2823-3", "display": "K"}], "unit": "mmol/L", "range": {"low": 3, "high": 5}}],
        "direct_transition": "Stay"},
    "Stay": {"type": "Delay", "exact": {"quantity": 2, "unit": "hours"}, "direct_transition": "Stop"},
    "Stop": {"type": "MedicationEnd", "referenced_by_attribute": "m", "direct_transition": "Heal"},
    "Heal": {"type": "ConditionEnd", "referenced_by_attribute": "c", "direct_transition": "PlanEnd"},
    "PlanEnd": {"type": "CarePlanEnd", "careplan": "Plan", "direct_transition": "AllergyEnd"},
    "AllergyEnd": {"type": "AllergyEnd", "allergy_onset": "Allergy", "direct_transition": "Leave"},
    "Leave": {"type": "EncounterEnd", "direct_transition": "End"},
    "End": {"type": "Terminal"}}})";
  PopulationOptions o;
  o.min_age = 1;
  const Dataset d = run(set_of({{"e.json", m}}), 3, 11, o);
  const Table& e = d.table("encounters");
  ASSERT_EQ(e.num_rows(), 3u);
  EXPECT_EQ(text(e.column("class"), 0), "EMER");
  EXPECT_DOUBLE_EQ(e.column("end").values[0] - e.column("start").values[0], 7200.0);
  for (const char* table : {"conditions", "medications", "procedures", "careplans", "observations"}) {
    const Table& t = d.table(table);
    ASSERT_GE(t.num_rows(), 3u) << table;
    for (size_t r = 0; r < t.num_rows(); ++r)
      EXPECT_EQ(text(t.column("encounter"), r), text(t.column("patient"), r) + "-e1") << table;
  }
  const Table& c = d.table("conditions");
  EXPECT_DOUBLE_EQ(c.column("abatement").values[0] - c.column("onset").values[0], 7200.0);
  const Table& med = d.table("medications");
  EXPECT_EQ(text(med.column("status"), 0), "stopped");
  EXPECT_EQ(text(med.column("code_system"), 0), "http://www.nlm.nih.gov/research/umls/rxnorm");
  EXPECT_TRUE(d.table("careplans").column("end").valid[0]);
  EXPECT_TRUE(d.table("allergies").column("abatement").valid[0]);
  EXPECT_EQ(d.table("observations").num_rows(), 6u);
  EXPECT_DOUBLE_EQ(d.table("observations").column("value").values[0], 90);
}

TEST(Modules, WellnessEncounterWaitsForTheNextBirthday) {
  const std::string m = R"({"states": {
    "Initial": {"type": "Initial", "direct_transition": "Wait"},
    "Wait": {"type": "Delay", "exact": {"quantity": 100, "unit": "days"}, "direct_transition": "Checkup"},
    "Checkup": {"type": "Encounter", "wellness": true, "direct_transition": "Bp"},
    "Bp": {"type": "Observation", "codes": [{"system": "LOINC", "code": "8480-6", "display": "SBP"}],
           "range": {"low": 100, "high": 140}, "unit": "mm[Hg]", "direct_transition": "End"},
    "End": {"type": "Terminal"}}})";
  PopulationOptions o;
  o.min_age = 2;
  const Dataset d = run(set_of({{"w.json", m}}), 10, 12, o);
  const auto b = births(d);
  const Table& e = d.table("encounters");
  ASSERT_EQ(e.num_rows(), 10u);
  for (size_t r = 0; r < e.num_rows(); ++r) {
    const std::string p = text(e.column("patient"), r);
    EXPECT_EQ(date(e.column("start").values[r]), plus_years(date(b.at(p)), 1));
    EXPECT_EQ(text(e.column("code"), r), "162673000");
  }
}

TEST(Modules, LogicalConditionsAndPriorState) {
  // ConditionOnset A; Guard passes when (Active Condition A and not Female) or At Least 2 of
  // {True, Age >= 0, False}: every patient passes. PriorState within 1 day of A: yes.
  const std::string m = R"({"states": {
    "Initial": {"type": "Initial", "direct_transition": "A"},
    "A": {"type": "ConditionOnset", )" + codes("100") + R"(, "direct_transition": "G"},
    "G": {"type": "Guard", "allow": {"condition_type": "Or", "conditions": [
          {"condition_type": "And", "conditions": [
             {"condition_type": "Active Condition", "codes": [{"system": "SNOMED-CT", "code": "100"}]},
             {"condition_type": "Not", "condition": {"condition_type": "Gender", "gender": "F"}}]},
          {"condition_type": "At Least", "minimum": 2, "conditions": [
             {"condition_type": "True"},
             {"condition_type": "Age", "operator": ">=", "quantity": 0, "unit": "years"},
             {"condition_type": "False"}]}]},
          "complex_transition": [
            {"condition": {"condition_type": "PriorState", "name": "A", "within": {"quantity": 1, "unit": "days"}},
             "distributions": [{"distribution": 1.0, "transition": "B"}]},
            {"transition": "End"}]},
    "B": {"type": "Symptom", "symptom": "cough", "range": {"low": 60, "high": 90}, "direct_transition": "S"},
    "S": {"type": "Simple", "conditional_transition": [
          {"condition": {"condition_type": "Symptom", "symptom": "cough", "operator": ">=", "value": 50}, "transition": "C"},
          {"transition": "End"}]},
    "C": {"type": "ConditionOnset", )" + codes("200") + R"(, "direct_transition": "D"},
    "D": {"type": "ConditionEnd", "codes": [{"system": "SNOMED-CT", "code": "100"}], "direct_transition": "E"},
    "E": {"type": "Simple", "conditional_transition": [
          {"condition": {"condition_type": "At Most", "maximum": 0, "conditions": [
             {"condition_type": "Active Condition", "codes": [{"system": "SNOMED-CT", "code": "100"}]}]},
           "transition": "F"},
          {"transition": "End"}]},
    "F": {"type": "ConditionOnset", )" + codes("300") + R"(, "direct_transition": "End"},
    "End": {"type": "Terminal"}}})";
  const Dataset d = run(set_of({{"l.json", m}}), 30, 13);
  EXPECT_EQ(events(d, "conditions", "onset", "200").size(), 30u);
  EXPECT_EQ(events(d, "conditions", "onset", "300").size(), 30u);
}

TEST(Modules, DemographicsTableGivesBirthGenderAndAttributes) {
  Table t;
  Column birth = Column::numbers("birth_date", 3), sex = Column::strings("sex", 3, {"F", "M"}),
         smoker = Column::strings("smoker", 3, {"no", "yes"});
  const char* dates[] = {"1950-06-01", "1980-01-15", "2000-12-31"};
  for (size_t i = 0; i < 3; ++i) {
    parse_datetime(dates[i], "%Y-%m-%d", &birth.values[i]);
    birth.valid[i] = 1;
    sex.codes[i] = i == 1 ? 1 : 0;
    smoker.codes[i] = i == 0 ? 1 : 0;
  }
  t.columns = {birth, sex, smoker};
  Schema s;
  s.columns.resize(3);
  s.columns[0].name = "birth_date";
  s.columns[0].type = ColumnType::kDatetime;
  s.columns[0].datetime_format = "%Y-%m-%d";
  s.columns[1].name = "sex";
  s.columns[1].type = ColumnType::kCategorical;
  s.columns[2].name = "smoker";
  s.columns[2].type = ColumnType::kBoolean;
  s.columns[2].values = {"no", "yes"};
  const std::string m = R"({"states": {
    "Initial": {"type": "Initial", "conditional_transition": [
      {"condition": {"condition_type": "Attribute", "attribute": "smoker", "operator": "==", "value": true}, "transition": "S"},
      {"transition": "End"}]},
    "S": {"type": "ConditionOnset", )" + codes("77176002") + R"(, "direct_transition": "End"},
    "End": {"type": "Terminal"}}})";
  PopulationOptions o;
  o.patients = 0;
  o.demographics = &t;
  o.demographics_schema = &s;
  Context ctx;
  const Dataset d = run_population(set_of({{"s.json", m}}), o, ctx);
  const Table& pt = d.table("patients");
  ASSERT_EQ(pt.num_rows(), 3u);
  EXPECT_EQ(date(pt.column("birth_date").values[1]), "1980-01-15");
  EXPECT_EQ(text(pt.column("gender"), 0), "female");
  EXPECT_EQ(text(pt.column("gender"), 1), "male");
  const auto sm = events(d, "conditions", "onset", "77176002");
  ASSERT_EQ(sm.size(), 1u);
  EXPECT_EQ(sm.begin()->first, "p1");
  o.patients = 4;
  EXPECT_THROW(run_population(set_of({{"s.json", m}}), o, ctx), InvalidInput);
}

namespace {

std::string load_error(const std::string& text, const std::string& name = "asthma.json") {
  try {
    parse_module(text, name);
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(Modules, BadModulesNameFileAndPath) {
  EXPECT_EQ(load_error(R"({"states": {"Initial": {"type": "Initial", "direct_transition": "Onset"},
    "Onset": {"type": "Simple", "direct_transition": "Foo"}}})"),
            "asthma.json: states.Onset.direct_transition: no state 'Foo'");
  EXPECT_NE(load_error(R"({"states": {"Initial": {"type": "Initial", "direct_transition": "X"},
    "X": {"type": "Teleport", "direct_transition": "Initial"}}})").find("asthma.json: states.X.type: unknown state type 'Teleport'"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"states": {"Initial": {"type": "Initial", "direct_transition": "X"},
    "X": {"type": "Delay", "exact": {"quantity": 1, "unit": "years"}, "colour": 1, "direct_transition": "Initial"}}})")
                .find("asthma.json: states.X: unknown key 'colour' for a Delay state"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"states": {"Initial": {"type": "Initial", "direct_transition": "X"},
    "X": {"type": "Delay", "exact": {"quantity": 1, "unit": "fortnights"}, "direct_transition": "Initial"}}})")
                .find("states.X.exact.unit: unknown unit 'fortnights'"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"states": {"Initial": {"type": "Initial", "distributed_transition": [
      {"distribution": 0.7, "transition": "Initial"}, {"distribution": 0.7, "transition": "Initial"}]}}})")
                .find("states.Initial.distributed_transition: the distributions add up to 1.4"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"states": {"Initial": {"type": "Initial", "conditional_transition": [
      {"condition": {"condition_type": "Moon", "phase": "full"}, "transition": "Initial"}]}}})")
                .find("states.Initial.conditional_transition[0].condition.condition_type: unknown condition type 'Moon'"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"states": {"Start": {"type": "Initial", "direct_transition": "Start"}}})").find("named \"Initial\""),
            std::string::npos);
  EXPECT_NE(load_error(R"({"states": {"Initial": {"type": "Initial"}}})").find("states.Initial: no transition"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"states": {"Initial": {"type": "Initial", "direct_transition": "T"},
    "T": {"type": "Terminal", "direct_transition": "Initial"}}})").find("states.T: a Terminal state has no transition"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"states": {"Initial": {"type": "Initial", "direct_transition": "C"},
    "C": {"type": "ConditionOnset", "codes": [{"system": "Snowmed", "code": "1"}], "direct_transition": "C"}}})")
                .find("states.C.codes[0].system: unknown code system 'Snowmed'"),
            std::string::npos);
  EXPECT_NE(load_error("{\"states\": {\n  \"Initial\": {,}}}").find("asthma.json:2:"), std::string::npos);
  // a submodule that does not exist
  ModuleSet set;
  set.modules.push_back(parse_module(R"({"states": {"Initial": {"type": "Initial", "direct_transition": "C"},
    "C": {"type": "CallSubmodule", "submodule": "nope", "direct_transition": "T"}, "T": {"type": "Terminal"}}})",
                                     "m.json"));
  try {
    link_modules(&set);
    ADD_FAILURE() << "no error";
  } catch (const InvalidInput& e) {
    EXPECT_STREQ(e.what(), "m.json: states.C.submodule: no module 'nope'");
  }
}

TEST(Modules, LoopWithoutDelayIsAnError) {
  const std::string m = R"({"states": {"Initial": {"type": "Initial", "direct_transition": "A"},
    "A": {"type": "Simple", "direct_transition": "B"}, "B": {"type": "Simple", "direct_transition": "A"}}})";
  try {
    run(set_of({{"loop.json", m}}), 1);
    ADD_FAILURE() << "no error";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("loop.json: states."), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("without a Delay"), std::string::npos) << e.what();
  }
}

TEST(Modules, DeterministicAndIndependentOfChunksAndThreads) {
  const ModuleSet set = load_modules({source_dir() + "/data/modules"});
  PopulationOptions o;
  o.patients = 60;
  o.chunk_patients = 1000;
  Context ctx;
  ctx.seed = 21;
  const std::string a = all_csv(run_population(set, o, ctx));
  o.chunk_patients = 7;
  ctx.threads = 3;
  size_t chunks = 0;
  std::vector<size_t> sizes;
  run_population(set, o, ctx, [&](const Dataset& c) {
    ++chunks;
    sizes.push_back(c.table("patients").num_rows());
  });
  EXPECT_EQ(chunks, 9u);
  EXPECT_EQ(sizes.back(), 4u);
  const std::string b = all_csv(run_population(set, o, ctx));
  EXPECT_EQ(a, b);
  ctx.seed = 22;
  EXPECT_NE(a, all_csv(run_population(set, o, ctx)));
}

TEST(Modules, ShippedModulesLoadRunAndEmitAtPlausibleRates) {
  const ModuleSet set = load_modules({source_dir() + "/data/modules"});
  ASSERT_EQ(set.modules.size(), 10u);
  PopulationOptions o;
  o.patients = 400;
  Context ctx;
  ctx.seed = 5;
  PopulationSummary sum;
  const auto t0 = std::chrono::steady_clock::now();
  const Dataset d = run_population(set, o, ctx, &sum);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  check_dataset(d);  // keys resolve, times in order
  // Share of patients with the module's key condition ever: [low, high] around what the
  // remarks' incidences give for ages uniform in 0-90 (wide: 400 patients).
  struct Expect {
    const char* code;
    double low, high;
  };
  const std::map<std::string, Expect> expect = {
      {"acute_asthma", {"J45.901", 0.01, 0.12}},    {"anaphylaxis", {"39579001", 0.003, 0.08}},
      {"dka", {"46635009", 0.0, 0.03}},             {"haemorrhagic_shock", {"R57.1", 0.0, 0.03}},
      {"hypoglycaemia", {"44054006", 0.05, 0.35}},  {"opioid_overdose", {"F11.20", 0.0, 0.04}},
      {"pneumonia", {"233604007", 0.15, 0.65}},     {"septic_shock", {"76571007", 0.0, 0.08}},
      {"stemi", {"I21.3", 0.005, 0.12}},            {"tension_pneumothorax", {"J93", 0.0, 0.02}}};
  const Table& c = d.table("conditions");
  for (const auto& [file, e] : expect) {
    std::set<std::string> who;
    for (size_t r = 0; r < c.num_rows(); ++r)
      if (text(c.column("code"), r).rfind(e.code, 0) == 0) who.insert(text(c.column("patient"), r));
    const double share = static_cast<double>(who.size()) / 400.0;
    EXPECT_GE(share, e.low) << file;
    EXPECT_LE(share, e.high) << file;
  }
  EXPECT_GT(sum.deceased, 0u);
  EXPECT_LT(sum.deceased, 80u);
  EXPECT_GT(d.table("encounters").num_rows(), 100u);
  EXPECT_GT(d.table("medications").num_rows(), 100u);
  EXPECT_GT(d.table("procedures").num_rows(), 20u);
  EXPECT_GT(d.table("allergies").num_rows(), 0u);
  EXPECT_GT(d.table("careplans").num_rows(), 0u);
  EXPECT_LT(secs, 5.0);
}

TEST(Modules, StartDateKeepsWhatIsStillActive) {
  const ModuleSet set = load_modules({source_dir() + "/data/modules"});
  PopulationOptions o;
  o.patients = 100;
  o.start_date = "2015-01-01";
  Context ctx;
  const Dataset d = run_population(set, o, ctx);
  double start;
  parse_datetime("2015-01-01", "%Y-%m-%d", &start);
  const Table& e = d.table("encounters");
  for (size_t r = 0; r < e.num_rows(); ++r) EXPECT_GE(e.column("start").values[r], start);
  const Table& c = d.table("conditions");
  for (size_t r = 0; r < c.num_rows(); ++r)
    if (c.column("abatement").valid[r]) {
      EXPECT_GE(c.column("abatement").values[r], start);
    }
  check_dataset(d);
}

TEST(Modules, OptionsAreChecked) {
  const ModuleSet set = load_modules({source_dir() + "/data/modules/pneumonia.json"});
  PopulationOptions o;
  Context ctx;
  o.end_date = "2025-13-01";
  EXPECT_THROW(run_population(set, o, ctx), InvalidInput);
  o = {};
  o.start_date = "2030-01-01";
  EXPECT_THROW(run_population(set, o, ctx), InvalidInput);
  o = {};
  o.max_age = 200;
  EXPECT_THROW(run_population(set, o, ctx), InvalidInput);
  EXPECT_THROW(load_modules({source_dir() + "/data/modules/nope.json"}), IoError);
}
