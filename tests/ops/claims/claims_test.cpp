// Claim review: each payer rule on hand-made lines, unknown codes, CSV and FHIR agreeing, the
// generator's planted denials found by the rules, and the denial model learning the payer
// pattern no rule states.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/ops/claims/claims.h"
#include "medgen/ops/claims/denial_model.h"

using namespace medgen;
using namespace medgen::ops::claims;
namespace fs = std::filesystem;

namespace {

const RuleSet& rules() {
  static const RuleSet r = RuleSet::load(std::string(MEDGEN_SOURCE_DIR) + "/data/ops/claims");
  return r;
}

const char* kHeader =
    "claim_id,line,patient_id,payer,service_date,procedure,modifiers,diagnoses,units,charge,prior_auth,coverage_start,"
    "coverage_end\n";

std::vector<LineReview> review_text(const std::string& body, bool unknown_findings = false) {
  ReviewOptions o;
  o.unknown_codes_as_findings = unknown_findings;
  return rules().review(parse_claims_csv(kHeader + body, "t.csv"), o);
}

bool has(const LineReview& r, Reason reason) {
  for (const auto& f : r.findings)
    if (f.reason == reason) return true;
  return false;
}

}  // namespace

TEST(ClaimRules, CleanLinesPass) {
  const auto r = review_text(
      "c1,1,p1,SUMMIT,2024-03-01,99213,,I10,1,120,,2023-01-01,\n"
      "c1,2,p1,SUMMIT,2024-03-01,83036,,E11.9,1,13,,2023-01-01,\n"
      "c2,1,p2,CIVIC,2024-03-02,73721,RT,M17.11,1,280,PA123,2023-01-01,2025-01-01\n");
  for (const auto& x : r) EXPECT_FALSE(x.denied) << (x.findings.empty() ? "" : x.findings[0].message);
}

TEST(ClaimRules, EachRuleFires) {
  const auto r = review_text(
      // prior authorisation missing for an MRI (every payer)
      "a,1,p1,SUMMIT,2024-03-01,73721,RT,M17.11,1,280,,2023-01-01,\n"
      // HbA1c without a diabetes diagnosis
      "b,1,p1,SUMMIT,2024-03-01,83036,,J06.9,1,13,,2023-01-01,\n"
      // venipuncture bundled into a metabolic panel on the same claim and day
      "c,1,p1,SUMMIT,2024-03-01,80053,,I10,1,15,,2023-01-01,\n"
      "c,2,p1,SUMMIT,2024-03-01,36415,,I10,1,10,,2023-01-01,\n"
      // arthrocentesis without a side modifier
      "d,1,p1,SUMMIT,2024-03-01,20610,,M17.11,1,70,,2023-01-01,\n"
      // service after the coverage ended
      "e,1,p1,SUMMIT,2024-03-01,99213,,I10,1,120,,2023-01-01,2023-12-31\n"
      // excluded service for this payer
      "f,1,p1,MERIDIAN,2024-03-01,S0610,,Z01.419,1,150,,2023-01-01,\n"
      // second annual wellness visit within a year
      "g,1,p9,SUMMIT,2024-01-10,G0439,,Z00.00,1,120,,2023-01-01,\n"
      "h,1,p9,SUMMIT,2024-06-10,G0439,,Z00.00,1,120,,2023-01-01,\n"
      // a year and a day later it is allowed again
      "i,1,p9,SUMMIT,2025-01-10,G0439,,Z00.00,1,120,,2023-01-01,\n");
  ASSERT_EQ(r.size(), 10u);
  EXPECT_TRUE(has(r[0], Reason::kPriorAuth));
  EXPECT_TRUE(has(r[1], Reason::kDxPx));
  EXPECT_FALSE(r[2].denied);
  EXPECT_TRUE(has(r[3], Reason::kCodePair));
  EXPECT_TRUE(has(r[4], Reason::kModifier));
  EXPECT_TRUE(has(r[5], Reason::kCoverage));
  EXPECT_TRUE(has(r[6], Reason::kExcluded));
  EXPECT_FALSE(r[7].denied);
  EXPECT_TRUE(has(r[8], Reason::kFrequency));
  EXPECT_FALSE(r[9].denied);
  EXPECT_EQ(r[0].findings[0].carc, "197");
  EXPECT_NE(r[0].findings[0].rule.find("prior_auth.csv:"), std::string::npos);
}

TEST(ClaimRules, BypassModifierLiftsAnAllowedPairOnly) {
  const auto r = review_text(
      "a,1,p1,SUMMIT,2024-03-01,99214,,I10,1,180,,2023-01-01,\n"
      "a,2,p1,SUMMIT,2024-03-01,96127,59,F32.9,1,5,,2023-01-01,\n"
      "b,1,p1,SUMMIT,2024-03-02,80053,,I10,1,15,,,\n"
      "b,2,p1,SUMMIT,2024-03-02,36415,59,I10,1,10,,,\n");
  EXPECT_FALSE(r[1].denied);
  EXPECT_TRUE(has(r[3], Reason::kCodePair));  // modifier_allowed = 0
}

TEST(ClaimRules, UnknownCodesAreAnErrorNamingTheLineOrAFinding) {
  try {
    review_text("a,1,p1,SUMMIT,2024-03-01,99213,,I10,1,120,,,\nb,1,p1,SUMMIT,2024-03-01,XXXXX,,I10,1,1,,,\n");
    FAIL() << "no error";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("t.csv:3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("XXXXX"), std::string::npos);
  }
  EXPECT_THROW(review_text("a,1,p1,SUMMIT,2024-03-01,99213,ZZ,I10,1,120,,,\n"), InvalidInput);
  EXPECT_THROW(review_text("a,1,p1,SUMMIT,2024-03-01,99213,,Q99.9,1,120,,,\n"), InvalidInput);
  const auto r = review_text("a,1,p1,SUMMIT,2024-03-01,XXXXX,,I10,1,1,,,\n", true);
  EXPECT_TRUE(has(r[0], Reason::kUnknownCode));
}

TEST(ClaimRules, MalformedCsvNamesTheLine) {
  for (const std::string bad : {"a,1,p1,SUMMIT,2024-02-30,99213,,I10,1,120,,,\n",
                                "a,1,p1,SUMMIT,2024-03-01,99213,,I10,-1,120,,,\n",
                                "a,1,p1,SUMMIT,2024-03-01,99213,,,1,120,,,\n",
                                "a,1,p1,SUMMIT,2024-03-01,99213,,I10,1,1e400,,,\n"}) {
    try {
      parse_claims_csv(std::string(kHeader) + "a,1,p1,SUMMIT,2024-03-01,99213,,I10,1,120,,,\n" + bad, "t.csv");
      FAIL() << bad;
    } catch (const InvalidInput& e) {
      EXPECT_NE(std::string(e.what()).find("t.csv:3"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(parse_claims_csv("claim_id,procedure\n1,2\n", "t.csv"), InvalidInput);
}

TEST(ClaimGenerate, PlantedRuleDenialsAreFoundAndCleanLinesPass) {
  GenerateOptions g;
  g.patients = 600;
  g.seed = 3;
  const auto lines = generate_claims(rules(), g);
  ASSERT_GT(lines.size(), 2000u);
  const auto reviews = rules().review(lines, ReviewOptions{});
  const auto rec = recall_by_reason(lines, reviews);
  for (const char* r : {"coverage", "excluded", "prior_auth", "dx_px", "code_pair", "frequency", "modifier"}) {
    ASSERT_TRUE(rec["recall_by_reason"].contains(r)) << r;
    EXPECT_GE(rec["recall_by_reason"][r]["recall"].get<double>(), 0.97) << r;
  }
  size_t clean = 0, flagged_clean = 0, denied = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    denied += lines[i].denied == 1;
    if (lines[i].denied == 0) ++clean, flagged_clean += reviews[i].denied;
  }
  EXPECT_LT(static_cast<double>(flagged_clean) / clean, 0.01);
  const double rate = static_cast<double>(denied) / lines.size();
  EXPECT_GT(rate, 0.12);
  EXPECT_LT(rate, 0.26);
  // Deterministic from the seed.
  EXPECT_EQ(claims_to_csv(lines), claims_to_csv(generate_claims(rules(), g)));
}

TEST(ClaimIo, FhirAndCsvGiveTheSameReview) {
  GenerateOptions g;
  g.patients = 150;
  g.seed = 5;
  const auto lines = generate_claims(rules(), g);
  const auto from_csv = parse_claims_csv(claims_to_csv(lines), "g.csv");
  const auto from_fhir = parse_claims_fhir(claims_to_fhir(lines).dump(), "g.json");
  ASSERT_EQ(from_csv.size(), lines.size());
  ASSERT_EQ(from_fhir.size(), lines.size());
  const auto a = rules().review(from_csv, {}), b = rules().review(from_fhir, {});
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_EQ(a[i].findings.size(), b[i].findings.size()) << i << " " << from_fhir[i].where;
    for (size_t k = 0; k < a[i].findings.size(); ++k) EXPECT_EQ(a[i].findings[k].reason, b[i].findings[k].reason);
  }
  const auto cr = claim_responses(from_fhir, b, rules());
  EXPECT_EQ(cr["resourceType"], "Bundle");
  EXPECT_EQ(cr["entry"][0]["resource"]["resourceType"], "ClaimResponse");
  // A Claim without items names the resource.
  try {
    parse_claims_fhir(R"({"resourceType":"Claim","id":"x1","patient":{"reference":"Patient/p"},"insurer":{"display":"A"}})",
                      "c.json");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("Claim/x1"), std::string::npos) << e.what();
  }
}

TEST(DenialModel, LearnsThePayerPatternWithReasonsAndRoundTrips) {
  GenerateOptions g;
  g.patients = 700;
  g.seed = 11;
  const auto train = generate_claims(rules(), g);
  g.seed = 12;
  g.patients = 400;
  const auto test = generate_claims(rules(), g);
  DenialModelParams p;
  p.rounds = 60;
  p.max_depth = 4;
  p.seed = 1;
  const DenialModel m = DenialModel::train(train, rules(), p);
  ReviewOptions ro;
  const auto reviews = review_claims(test, rules(), &m, ro);
  const auto rec = recall_by_reason(test, reviews);
  EXPECT_GE(rec["recall_by_reason"]["payer_pattern"]["recall"].get<double>(), 0.6) << rec.dump();
  // Random denials cannot be learned: their recall stays low.
  EXPECT_LE(rec["recall_by_reason"]["noise"]["recall"].get<double>(), 0.3) << rec.dump();
  size_t with_charge_reason = 0, pattern = 0;
  for (size_t i = 0; i < test.size(); ++i)
    if (test[i].denial_reason == "payer_pattern" && reviews[i].denied) {
      ++pattern;
      ASSERT_FALSE(reviews[i].model_reasons.empty());
      with_charge_reason += reviews[i].model_reasons[0].first.rfind("charge_ratio", 0) == 0 ||
                            reviews[i].model_reasons[0].first.rfind("payer=", 0) == 0;
    }
  ASSERT_GT(pattern, 0u);
  EXPECT_GT(static_cast<double>(with_charge_reason) / pattern, 0.8);

  const std::string path = testing::TempDir() + "/denial_" + std::to_string(getpid()) + ".json";
  m.save(path);
  const DenialModel back = DenialModel::load(path);
  std::vector<std::vector<std::pair<std::string, double>>> r1, r2;
  const auto p1 = m.predict(test, rules(), 0, &r1), p2 = back.predict(test, rules(), 0, &r2);
  for (size_t i = 0; i < p1.size(); i += 17) EXPECT_NEAR(p1[i], p2[i], 1e-6);
  // A damaged model file is refused.
  std::string text = read_file(path);
  write_file_atomic(path, text.substr(0, text.size() / 2));
  EXPECT_THROW(DenialModel::load(path), ModelFormat);
  write_file_atomic(path, R"({"format":"medgen-claims-denial","version":1,"payers":[],"categories":[],"features":[],"booster":{}})");
  EXPECT_THROW(DenialModel::load(path), ModelFormat);
  fs::remove(path);
}

TEST(DenialModel, RefusesUnlabelledOrOneClassData) {
  const auto lines = parse_claims_csv(std::string(kHeader) + "a,1,p1,SUMMIT,2024-03-01,99213,,I10,1,120,,,\n", "t.csv");
  EXPECT_THROW(DenialModel::train(lines, rules(), {}), InvalidInput);
}
