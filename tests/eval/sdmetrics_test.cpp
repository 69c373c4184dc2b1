// SDMetrics 0.29's quality definitions (medgen evaluate --sdmetrics) on tables worked by hand
// from its published metric definitions: equal-width bins over each table's own range, the
// maximum and missing values in the bin past the last edge, a missing label a category of its
// own, constant numeric columns without a pair score.
#include <gtest/gtest.h>

#include <cmath>

#include "medgen/core/rng.h"
#include "medgen/eval/evaluate.h"

using namespace medgen;
using namespace medgen::eval;
using json = nlohmann::ordered_json;

namespace {

Context seeded(uint64_t s) {
  Context c;
  c.seed = s;
  return c;
}

double num(const json& j) { return j.is_number() ? j.get<double>() : NAN; }

Schema xyg_schema() {
  Schema s;
  s.columns.resize(3);
  s.columns[0].name = "x";
  s.columns[1].name = "y";
  s.columns[2].name = "g";
  s.columns[2].type = ColumnType::kCategorical;
  s.columns[2].values = {"a", "b"};
  return s;
}

// NaN: missing number; code -1: missing label.
Table xyg(const std::vector<double>& x, const std::vector<double>& y, const std::vector<int32_t>& g) {
  Table t;
  t.columns = {Column::numbers("x", x.size()), Column::numbers("y", y.size()), Column::strings("g", g.size(), {"a", "b"})};
  for (size_t i = 0; i < x.size(); ++i) {
    t.columns[0].values[i] = x[i];
    t.columns[0].valid[i] = !std::isnan(x[i]);
    t.columns[1].values[i] = y[i];
    t.columns[1].valid[i] = !std::isnan(y[i]);
    t.columns[2].codes[i] = g[i];
  }
  return t;
}

TEST(SdmetricsQuality, HandWorkedTable) {
  // Real x {0,1,2,10}, y = 2x, g (a,a,b,missing); synthetic x {0,5,5,10}, y {1,1,2,2}, g (a,b,b,b).
  // Shapes: x KS 1/2, y KS 1/2, g TVD on present labels (2/3,1/3) vs (1/4,3/4) = 5/12:
  //   (0.5 + 0.5 + 7/12) / 3.
  // (x, y): Pearson 1 vs 5 / sqrt(50) -> 1 - (1 - 0.70711) / 2.
  // (x, g): real x over [0, 10] in bins of 1: 0 -> 1, 1 -> 2, 2 -> 3, 10 (the maximum) -> 11;
  //   cells (1,a) (2,a) (3,b) (11,missing) 1/4 each. Synthetic over its own [0, 10]: 0 -> 1,
  //   5 -> 6, 10 -> 11: (1,a) 1/4, (6,b) 1/2, (11,b) 1/4. TVD = (0 + 3/4 + 3/4) / 2 = 3/4 -> 1/4.
  // (y, g): real over [0, 20] in bins of 2: the same cells; synthetic over its own [1, 2] in bins
  //   of 0.1: 1 -> 1, 2 -> 11: (1,a) 1/4, (1,b) 1/4, (11,b) 1/2. TVD 3/4 -> 1/4.
  const Table real = xyg({0, 1, 2, 10}, {0, 2, 4, 20}, {0, 0, 1, -1});
  const Table syn = xyg({0, 5, 5, 10}, {1, 1, 2, 2}, {0, 1, 1, 1});
  EvalOptions o;
  o.detection = false;
  o.sdmetrics = true;
  const json r = evaluate(real, syn, nullptr, xyg_schema(), o, seeded(1));
  const double shapes = (0.5 + 0.5 + 7.0 / 12.0) / 3.0;
  const double xy = 1.0 - (1.0 - 5.0 / std::sqrt(50.0)) / 2.0;
  const double trends = (xy + 0.25 + 0.25) / 3.0;
  const json& sdm = r["fidelity"]["sdmetrics"];
  EXPECT_NEAR(num(sdm["column_shapes"]), shapes, 1e-12);
  EXPECT_NEAR(num(sdm["pair_trends"]["score"]), trends, 1e-12);
  EXPECT_NEAR(num(sdm["pair_trends"]["pairs"][0]["score"]), xy, 1e-12);
  EXPECT_NEAR(num(sdm["pair_trends"]["pairs"][1]["score"]), 0.25, 1e-12);
  EXPECT_NEAR(num(sdm["pair_trends"]["pairs"][2]["score"]), 0.25, 1e-12);
  EXPECT_NEAR(num(r["summary"]["quality"]), (shapes + trends) / 2, 1e-12);
  EXPECT_NEAR(num(r["summary"]["pair_trends"]), trends, 1e-12);
  EXPECT_EQ(r["summary"]["quality_definition"], "sdmetrics");
  EXPECT_EQ(r["options"]["quality_definition"], "sdmetrics");

  // Without --sdmetrics the headline is medgen's and SDMetrics' is the alternative.
  o.sdmetrics = false;
  const json m = evaluate(real, syn, nullptr, xyg_schema(), o, seeded(1));
  EXPECT_EQ(m["summary"]["quality_definition"], "medgen");
  EXPECT_NEAR(num(m["summary"]["quality_alternative"]), (shapes + trends) / 2, 1e-12);
  EXPECT_NEAR(num(r["summary"]["quality_alternative"]), num(m["summary"]["quality"]), 1e-12);
}

TEST(SdmetricsQuality, ConstantColumnsHaveNoPairScoreAndMissingLabelsCount) {
  // Synthetic y constant: (x, y) has no score and leaves the mean. Labels: real (a, missing),
  // synthetic (a, a): a missing label is a category of its own in the contingency table.
  // (x, g): real x {0, 10}: bins 1 and 11 -> cells (1,a) (11,missing); synthetic x {0, 10} the
  // same bins -> (1,a) (11,a). TVD = (1/2 + 1/2) / 2 = 1/2 -> 1/2. (y, g): real y {0, 10} as x;
  // synthetic y {3, 3}: a zero range widened to [2.5, 3.5], 3 -> bin 6: (6,a) twice.
  // TVD = (1/2 + 1/2 + 1) / 2 = 1 -> 0.
  const Table real = xyg({0, 10}, {0, 10}, {0, -1});
  const Table syn = xyg({0, 10}, {3, 3}, {0, 0});
  EvalOptions o;
  o.detection = false;
  const json r = evaluate(real, syn, nullptr, xyg_schema(), o, seeded(1));
  const json& pt = r["fidelity"]["sdmetrics"]["pair_trends"];
  EXPECT_TRUE(pt["pairs"][0]["score"].is_null());
  EXPECT_EQ(pt["pairs_scored"], 2);
  EXPECT_EQ(pt["pairs_without_score"], 1);
  EXPECT_NEAR(num(pt["pairs"][1]["score"]), 0.5, 1e-12);
  EXPECT_NEAR(num(pt["pairs"][2]["score"]), 0.0, 1e-12);
  EXPECT_NEAR(num(pt["score"]), 0.25, 1e-12);
}

}  // namespace

// SDMetrics' LogisticDetection (evaluate --sdmetrics): typed as a CSV reader types columns,
// every row of both tables, scored 1 - (2 max(AUC, .5) - 1) over 3 stratified folds.
namespace {

Schema four_schema() {
  Schema s;
  s.columns.resize(4);
  s.columns[0].name = "x";
  s.columns[1].name = "g";
  s.columns[1].type = ColumnType::kCategorical;
  s.columns[1].values = {"a", "b", "c", "d"};
  s.columns[2].name = "stage";
  s.columns[2].type = ColumnType::kCategorical;
  s.columns[2].values = {"1", "2", "3"};
  s.columns[3].name = "flag";
  s.columns[3].type = ColumnType::kCategorical;
  s.columns[3].values = {"True", "False"};
  return s;
}

// x ~ N(shift, 1); g a/b/c (missing every 7th row; level d from row `d_from` on); stage 1-3; flag.
Table four(size_t n, double shift, size_t d_from, uint64_t seed) {
  Rng rng(seed);
  Table t;
  t.columns = {Column::numbers("x", n), Column::strings("g", n, {"a", "b", "c", "d"}),
               Column::strings("stage", n, {"1", "2", "3"}), Column::strings("flag", n, {"True", "False"})};
  for (size_t i = 0; i < n; ++i) {
    t.columns[0].values[i] = shift + rng.normal();
    t.columns[0].valid[i] = 1;
    t.columns[1].codes[i] = i % 7 == 6 ? -1 : (i >= d_from ? 3 : static_cast<int32_t>(rng.below(3)));
    t.columns[2].codes[i] = static_cast<int32_t>(rng.below(3));
    t.columns[3].codes[i] = static_cast<int32_t>(rng.below(2));
  }
  return t;
}

json logistic_of(const Table& real, const Table& syn) {
  EvalOptions o;
  o.sdmetrics = true;
  const json r = evaluate(real, syn, nullptr, four_schema(), o, seeded(3));
  EXPECT_TRUE(r["summary"].contains("logistic_detection_sdmetrics"));
  return r["fidelity"]["detection"]["sdmetrics_logistic"];
}

}  // namespace

TEST(SdmetricsDetection, FeaturesFollowPandasTypes) {
  // x: 1 number; g: one-hot a, b, c and missing (4); stage (numbers as text): 1 number;
  // flag (True/False): 1 number. 7 features. Synthetic rows with level d, unknown to the real
  // table, count as unknown levels (all-zero one-hot).
  const json l = logistic_of(four(600, 0, 600, 1), four(400, 0, 300, 2));
  EXPECT_EQ(l["features"], 7);
  EXPECT_EQ(l["rows_real"], 600);
  EXPECT_EQ(l["rows_other"], 400);
  size_t d_rows = 0;
  for (size_t i = 300; i < 400; ++i) d_rows += i % 7 != 6;
  EXPECT_EQ(l["unknown_levels"].get<size_t>(), d_rows);
}

TEST(SdmetricsDetection, ScoresTwinsHighAndShiftedLow) {
  const json same = logistic_of(four(900, 0, 900, 5), four(900, 0, 900, 6));
  EXPECT_GT(same["score"].get<double>(), 0.85);
  EXPECT_EQ(same["auc_folds"].size(), 3u);
  // x shifted by 2 standard deviations: a linear model separates it (AUC ~ 0.92).
  const json shifted = logistic_of(four(900, 0, 900, 5), four(900, 2, 900, 6));
  EXPECT_GT(shifted["auc"].get<double>(), 0.85);
  EXPECT_LT(shifted["score"].get<double>(), 0.3);
  EXPECT_NEAR(shifted["score"].get<double>(), 2.0 - 2.0 * shifted["auc"].get<double>(), 1e-9);
}
