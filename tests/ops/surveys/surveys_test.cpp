// Patient surveys: questionnaire round trip, responses checked against items, the statistics
// against hand-computed values, the analysis finding a planted unit difference, themes and
// sentiment, the HTML report, and synthetic responses from the copula.
#include <gtest/gtest.h>

#include <cmath>

#include "medgen/core/error.h"
#include "medgen/ops/surveys/surveys.h"

using namespace medgen;
using namespace medgen::ops::surveys;
using json = nlohmann::json;

namespace {

const Library& lib() {
  static const Library l = Library::load(std::string(MEDGEN_SOURCE_DIR) + "/data/ops/surveys/library.json");
  return l;
}
const Themes& themes() {
  static const Themes t = Themes::load(std::string(MEDGEN_SOURCE_DIR) + "/data/ops/surveys/themes.json");
  return t;
}
Questionnaire full() { return make_questionnaire(lib(), {"all"}, "px", "Patient experience"); }

}  // namespace

TEST(SurveyQuestionnaire, FhirRoundTrip) {
  const Questionnaire q = full();
  ASSERT_GE(q.domains.size(), 8u);
  const json f = q.to_fhir();
  EXPECT_EQ(f["resourceType"], "Questionnaire");
  const Questionnaire back = Questionnaire::from_fhir(f, "q.json");
  ASSERT_EQ(back.items.size(), q.items.size());
  for (size_t k = 0; k < q.items.size(); ++k) {
    EXPECT_EQ(back.items[k].link_id, q.items[k].link_id);
    const Scale &a = q.scales.at(q.items[k].scale), &b = back.scales.at(back.items[k].scale);
    EXPECT_EQ(a.levels(), b.levels());
    EXPECT_EQ(a.top_box, b.top_box);
    EXPECT_EQ(back.items[k].nps, q.items[k].nps);
  }
  EXPECT_EQ(back.comment_link_id, "comment");
  EXPECT_THROW(make_questionnaire(lib(), {"nurse_communication", "nope"}, "x", "x"), InvalidInput);
}

TEST(SurveyResponses, CsvAnswersAreCheckedAgainstItems) {
  const Questionnaire q = make_questionnaire(lib(), {"cleanliness", "overall_rating", "discharge_information"}, "pq", "t");
  const auto r = parse_responses_csv(
      "response_id,unit,period,room_clean,overall,discharge_help,comment\n"
      "1,A,2025-01,Always,10,Yes,fine\n"
      "2,A,2025-01,2,0,2,\n"
      "3,B,2025-02,,7,,\n",
      "r.csv", q);
  ASSERT_EQ(r.size(), 3u);
  const int clean = q.item_index("room_clean"), overall = q.item_index("overall"), help = q.item_index("discharge_help");
  EXPECT_EQ(r[0].values[clean], 4);
  EXPECT_EQ(r[0].values[overall], 10);
  EXPECT_EQ(r[0].values[help], 2);  // "Yes" is the second (best) option
  EXPECT_EQ(r[1].values[overall], 0);  // 0 is an answer, not a blank
  EXPECT_EQ(r[2].values[clean], kNoAnswer);
  try {
    parse_responses_csv("response_id,room_clean,overall\n1,Always,10\n2,Often,3\n", "r.csv", q);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("r.csv:3:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_responses_csv("response_id,overall\n1,11\n", "r.csv", q), InvalidInput);
  try {
    parse_responses_csv("response_id,nurse_respect\n1,4\n", "r.csv", q);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("r.csv:1"), std::string::npos) << e.what();
  }
}

TEST(SurveyResponses, QuestionnaireResponsesRoundTripAndMismatchesNameTheResource) {
  const Questionnaire q = full();
  SynthOptions o;
  o.base_rows = 60;
  const auto base = generate_base(q, o, 3);
  const auto back = parse_responses_fhir(responses_to_fhir(base, q).dump(), "b.json", q);
  ASSERT_EQ(back.size(), base.size());
  for (size_t i = 0; i < base.size(); ++i) {
    EXPECT_EQ(back[i].values, base[i].values);
    EXPECT_EQ(back[i].unit, base[i].unit);
    EXPECT_EQ(back[i].comment, base[i].comment);
  }
  json qr = responses_to_fhir(base, q)["entry"][0]["resource"];
  qr["item"][0]["item"][0]["linkId"] = "not_an_item";
  try {
    parse_responses_fhir(qr.dump(), "one.json", q);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("QuestionnaireResponse/R1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not_an_item"), std::string::npos) << e.what();
  }
  // NDJSON: the line is named.
  json good = responses_to_fhir(base, q)["entry"][1]["resource"];
  json bad = good;
  bad["questionnaire"] = "https://example.org/other";
  try {
    parse_responses_fhir(good.dump() + "\n" + bad.dump() + "\n", "r.ndjson", q);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("r.ndjson:2"), std::string::npos) << e.what();
  }
}

TEST(SurveyStats, AgainstHandComputedValues) {
  const Interval w = wilson(8, 10, 0.95);
  EXPECT_NEAR(w.lo, 0.4902, 1e-4);
  EXPECT_NEAR(w.hi, 0.9433, 1e-4);
  EXPECT_NEAR(fisher_exact_p(1, 9, 11, 3), 0.002759, 1e-6);
  double x2;
  int df;
  const double p = chi_square_p({{10, 20}, {30, 40}}, &x2, &df);
  EXPECT_NEAR(x2, 0.793651, 1e-5);
  EXPECT_EQ(df, 1);
  EXPECT_NEAR(p, std::erfc(std::sqrt(x2 / 2)), 1e-9);
  double u;
  const double pm = mann_whitney_p({1, 2, 3}, {4, 5, 6}, &u);
  EXPECT_EQ(u, 0);
  EXPECT_NEAR(pm, std::erfc((4.5 - 0.5) / std::sqrt(5.25) / std::sqrt(2.0)), 1e-9);
  double h;
  const double pk = kruskal_wallis_p({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}, &h);
  EXPECT_NEAR(h, 7.2, 1e-9);
  EXPECT_NEAR(pk, std::exp(-3.6), 1e-9);
  const auto adj = holm({0.01, 0.04, 0.03});
  EXPECT_NEAR(adj[0], 0.03, 1e-12);
  EXPECT_NEAR(adj[1], 0.06, 1e-12);
  EXPECT_NEAR(adj[2], 0.06, 1e-12);
}

TEST(SurveyAnalysis, FindsAPlantedUnitDifferenceAndComputesNps) {
  const Questionnaire q = full();
  SynthOptions o;
  o.base_rows = 1500;
  o.units = {"Ward A", "Ward B"};
  o.periods = {"P1"};
  auto rs = generate_base(q, o, 9);
  // Ward B: every answer pushed to the worst level on half its respondents.
  for (auto& r : rs)
    if (r.unit == "Ward B" && std::hash<std::string>{}(r.id) % 2 == 0)
      for (size_t k = 0; k < q.items.size(); ++k)
        if (r.values[k] != kNoAnswer) r.values[k] = q.scales.at(q.items[k].scale).is_integer() ? 2 : 1;
  const json a = analyze(q, rs, themes(), {});
  size_t sig = 0;
  for (const auto& t : a["compare_units"]["tests"]) sig += t["significant"].get<bool>();
  EXPECT_GT(sig, q.items.size());  // most items, on both measures
  // Periods: one group only, nothing to compare.
  EXPECT_TRUE(a["compare_periods"]["tests"].empty());
  // NPS from its definition.
  const int k = q.item_index("nps");
  double n = 0, pro = 0, det = 0;
  for (const auto& r : rs)
    if (r.values[k] != kNoAnswer) n += 1, pro += r.values[k] >= 9, det += r.values[k] <= 6;
  EXPECT_NEAR(a["nps"]["nps"].get<double>(), 100 * (pro - det) / n, 1e-3);
  EXPECT_LT(a["nps"]["nps_ci"][0].get<double>(), a["nps"]["nps"].get<double>());
  EXPECT_GT(a["nps"]["nps_ci"][1].get<double>(), a["nps"]["nps"].get<double>());
  for (const auto& d : a["domains"]) {
    EXPECT_LE(d["top_box_ci"][0].get<double>(), d["top_box"].get<double>());
    EXPECT_GE(d["top_box_ci"][1].get<double>(), d["top_box"].get<double>());
  }
  // Without a difference (one population split at random) the Holm-corrected tests stay quiet.
  SynthOptions one = o;
  one.units = {"X"};
  auto same = generate_base(q, one, 10);
  for (auto& r : same)
    if (std::hash<std::string>{}(r.id) % 2) r.unit = "Y";
  const json quiet = analyze(q, same, themes(), {});
  size_t false_alarms = 0;
  for (const auto& t : quiet["compare_units"]["tests"]) false_alarms += t["significant"].get<bool>();
  EXPECT_LE(false_alarms, 1u);
  const std::string html = html_report(q, a);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
}

TEST(SurveyThemes, SentimentWithNegationAndEscapedExamples) {
  std::vector<int> hits;
  EXPECT_GT(themes().sentiment("The nurses were kind and the room was clean.", &hits), 0);
  EXPECT_LT(themes().sentiment("The room was not clean at all.", &hits), 0);
  EXPECT_LT(themes().sentiment("Far too noisy to sleep.", &hits), 0);
  bool noise = false;
  for (size_t t = 0; t < hits.size(); ++t) noise |= hits[t] && themes().themes[t].id == "noise";
  EXPECT_TRUE(noise);
  const Questionnaire q = make_questionnaire(lib(), {"cleanliness"}, "c", "<b>t</b>");
  std::vector<Response> rs(2);
  for (auto& r : rs) r.values = {4};
  rs[0].comment = "<script>alert(1)</script> the room was dirty";
  const std::string html = html_report(q, analyze(q, rs, themes(), {}));
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
}

TEST(SurveySynth, CopulaResponsesAreValidAndKeepTheDependence) {
  const Questionnaire q = full();
  SynthOptions o;
  o.n = 600;
  o.base_rows = 800;
  Context ctx;
  ctx.seed = 4;
  json fit;
  const auto rs = synthesize(q, o, ctx, &fit);
  ASSERT_EQ(rs.size(), 600u);
  EXPECT_EQ(fit["synthesizer"], "copula");
  const int a = q.item_index("overall"), b = q.item_index("nps");
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, n = 0;
  for (const auto& r : rs) {
    EXPECT_TRUE(std::find(o.units.begin(), o.units.end(), r.unit) != o.units.end()) << r.unit;
    for (size_t k = 0; k < q.items.size(); ++k) {
      const Scale& s = q.scales.at(q.items[k].scale);
      if (r.values[k] == kNoAnswer) continue;
      EXPECT_GE(r.values[k], s.is_integer() ? s.min : 1);
      EXPECT_LE(r.values[k], s.is_integer() ? s.max : static_cast<int>(s.options.size()));
    }
    if (r.values[a] == kNoAnswer || r.values[b] == kNoAnswer) continue;
    const double x = r.values[a], y = r.values[b];
    sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y, n += 1;
  }
  const double corr = (sxy / n - sx / n * sy / n) /
                      std::sqrt((sxx / n - sx / n * sx / n) * (syy / n - sy / n * sy / n));
  EXPECT_GT(corr, 0.3);  // the latent satisfaction ties the two ratings together
  // The synthetic responses parse back through the CSV reader.
  EXPECT_EQ(parse_responses_csv(responses_to_csv(rs, q), "s.csv", q).size(), rs.size());
  // Same seed, same responses.
  const auto again = synthesize(q, o, ctx, nullptr);
  EXPECT_EQ(responses_to_csv(again, q), responses_to_csv(rs, q));
}
