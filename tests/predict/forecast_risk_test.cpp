// The risk implied by a biomarker forecast (trajectory.h, forecast_risk): one point per visit of
// the patient asked for, the point risk inside its interval, and refusals for models that give
// no risk by a horizon.
#include <gtest/gtest.h>

#include "medgen/core/error.h"
#include "medgen/predict/evaluate.h"
#include "medgen/predict/trajectory.h"
#include "medgen/tabular/pipeline.h"

using namespace medgen;
using namespace medgen::predict;

TEST(ForecastRisk, UpdatedAfterEveryVisitWithAnInterval) {
  tabular::Dataset pbc = tabular::load_dataset(std::string(MEDGEN_SOURCE_DIR) + "/data/pbc.csv", "");
  tabular::Dataset seq = tabular::load_dataset(std::string(MEDGEN_SOURCE_DIR) + "/data/pbcseq.csv", "");
  TrainInput in;
  in.table = &pbc.table;
  in.schema = &pbc.schema;
  in.source = "pbc.csv";
  in.outcome.time = "time";
  in.outcome.event = "status";
  in.outcome.event_value = "2";
  in.outcome.horizon = 1826;
  in.options.features = "age, edema, log(bili), log(albumin), log(protime)";
  in.options.folds = 2;
  in.options.bootstrap = 0;
  const Model mayo = train_and_evaluate(in, Context{}).model;
  TrajectoryOptions t;
  t.id = "id";
  t.time = "day";
  t.markers = {"bili", "albumin"};
  ForecastRiskOptions r;
  r.patient = "4";
  r.seed = 3;
  const nlohmann::json out = forecast_risk(seq.table, t, mayo, r, "pbcseq.csv");
  ASSERT_EQ(out["points"].size(), 7u);  // patient 4's seven visits
  double last_time = -1;
  for (const auto& p : out["points"]) {
    EXPECT_GT(p["visit_time"].get<double>(), last_time);
    last_time = p["visit_time"].get<double>();
    ASSERT_TRUE(p.contains("risk")) << p.dump();
    const double risk = p["risk"], lo = p["risk_lo95"], hi = p["risk_hi95"];
    EXPECT_LE(lo, risk + 1e-12);
    EXPECT_GE(hi, risk - 1e-12);
    EXPECT_GE(lo, 0.0);
    EXPECT_LE(hi, 1.0);
  }
  // Every patient's latest visit without --patient.
  r.patient = "";
  EXPECT_EQ(forecast_risk(seq.table, t, mayo, r, "pbcseq.csv")["points"].size(), 312u);
  // At a landmark: each patient's latest visit by day 365 (every pbcseq patient has a visit at day 0).
  r.at = 365;
  const nlohmann::json landmark = forecast_risk(seq.table, t, mayo, r, "pbcseq.csv");
  EXPECT_EQ(landmark["points"].size(), 312u);
  for (const auto& p : landmark["points"]) EXPECT_LE(p["visit_time"].get<double>(), 365);
  r.at = -1;
  EXPECT_THROW(forecast_risk(seq.table, t, mayo, r, "pbcseq.csv"), InvalidInput);
  r.at = std::numeric_limits<double>::quiet_NaN();
  r.patient = "9999";
  EXPECT_THROW(forecast_risk(seq.table, t, mayo, r, "pbcseq.csv"), InvalidInput);
  // A model without a horizon gives no risk to imply.
  Model no_horizon = Model::from_json(mayo.to_json(), "mem");
  no_horizon.outcome.horizon = std::numeric_limits<double>::quiet_NaN();
  r.patient = "4";
  EXPECT_THROW(forecast_risk(seq.table, t, no_horizon, r, "pbcseq.csv"), InvalidInput);
}
