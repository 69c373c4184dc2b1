// Metrics against brute-force definitions, the design's refusals, tree SHAP adding up, model files
// round-tripping, the audit's refusals and warnings, and the cross-validated Mayo model's floor.
#include <gtest/gtest.h>

#include <cmath>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/predict/audit.h"
#include "medgen/predict/evaluate.h"
#include "medgen/predict/metrics.h"
#include "medgen/predict/trajectory.h"
#include "medgen/tabular/pipeline.h"

using namespace medgen;
using namespace medgen::predict;

namespace {

tabular::Dataset pbc() { return tabular::load_dataset(std::string(MEDGEN_SOURCE_DIR) + "/data/pbc.csv", ""); }

TrainInput mayo_input(const tabular::Dataset& data) {
  TrainInput in;
  in.table = &data.table;
  in.schema = &data.schema;
  in.source = "pbc.csv";
  in.outcome.time = "time";
  in.outcome.event = "status";
  in.outcome.event_value = "2";
  in.outcome.horizon = 1826;
  in.options.features = "age, edema, log(bili), log(albumin), log(protime)";
  in.options.bootstrap = 20;
  return in;
}

}  // namespace

TEST(Metrics, HarrellMatchesBruteForce) {
  Rng rng(3);
  const size_t n = 300;
  std::vector<double> risk(n), time(n);
  std::vector<int> event(n);
  for (size_t i = 0; i < n; ++i) {
    risk[i] = static_cast<double>(rng.next() % 20);       // ties in risk
    time[i] = 1 + static_cast<double>(rng.next() % 50);   // ties in time
    event[i] = rng.next() % 3 != 0;
  }
  double conc = 0, pairs = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      if (event[i] && time[i] < time[j]) {
        pairs += 1;
        conc += risk[i] > risk[j] ? 1 : risk[i] == risk[j] ? 0.5 : 0;
      }
  EXPECT_NEAR(harrell_c(risk, time, event), conc / pairs, 1e-12);
}

TEST(Metrics, KaplanMeierAndTimeAuc) {
  // Textbook: times 1,2,2,3,4 with events 1,1,0,1,0: S = 0.8 after 1, 0.6 after 2, 0.3 after 3.
  const KaplanMeier km = kaplan_meier({1, 2, 2, 3, 4}, {1, 1, 0, 1, 0});
  EXPECT_NEAR(km.at(1), 0.8, 1e-12);
  EXPECT_NEAR(km.at(2.5), 0.6, 1e-12);
  EXPECT_NEAR(km.at(3), 0.3, 1e-12);
  EXPECT_NEAR(km.before(3), 0.6, 1e-12);
  // Without censoring before the horizon the time-dependent AUC is the plain AUC of cases vs controls.
  const std::vector<double> t = {1, 2, 3, 6, 7, 8}, r = {5, 1, 4, 2, 3, 0};
  const std::vector<int> e = {1, 1, 1, 1, 0, 1};
  // cases (t <= 4): risks 5, 1, 4; controls: 2, 3, 0 -> 7 of 9 pairs
  EXPECT_NEAR(time_auc(r, t, e, 4), 7.0 / 9, 1e-12);
}

TEST(Metrics, CalibrationOfPerfectProbabilities) {
  Rng rng(5);
  std::vector<double> p, y;
  for (int i = 0; i < 20000; ++i) {
    const double q = 0.05 + 0.9 * ((rng.next() >> 11) * (1.0 / 9007199254740992.0));
    p.push_back(q);
    y.push_back(((rng.next() >> 11) * (1.0 / 9007199254740992.0)) < q);
  }
  const Calibration c = calibration(p, y, {});
  EXPECT_NEAR(c.slope, 1.0, 0.08);
  EXPECT_NEAR(c.citl, 0.0, 0.05);
  const DecisionCurve d = decision_curve(p, y);
  EXPECT_GT(d.model[49], d.treat_all[49]);  // at 50% the calibrated model beats treating everyone
}

TEST(Design, RefusesBadOutcomes) {
  tabular::Dataset data = pbc();
  OutcomeSpec o;
  o.time = "time";
  o.event = "status";
  o.event_value = "2";
  o.horizon = 1e7;
  Design d = Design::parse("age", data.table, data.schema, {"time", "status"});
  EXPECT_THROW(make_dataset(data.table, d, o, "pbc.csv"), InvalidInput);  // absurd horizon
  o.horizon = NAN;
  o.event_value = "7";
  EXPECT_THROW(make_dataset(data.table, d, o, "pbc.csv"), InvalidInput);  // no such event value
  EXPECT_THROW(Design::parse("log(sex)", data.table, data.schema, {}), InvalidInput);
  EXPECT_THROW(Design::parse("nope", data.table, data.schema, {}), InvalidInput);
  EXPECT_THROW(Design::parse("age, status", data.table, data.schema, {"status"}), InvalidInput);
}

TEST(Predict, MayoCrossValidatedFloorAndRoundTrip) {
  tabular::Dataset data = pbc();
  TrainInput in = mayo_input(data);
  in.options.groups = {"sex"};
  Context ctx;
  ctx.seed = 11;
  const TrainResult r = train_and_evaluate(in, ctx);
  const auto& perf = r.model.card["performance"];
  EXPECT_GE(perf["c_index"]["value"].get<double>(), 0.80);
  EXPECT_NEAR(perf["apparent_c_index"].get<double>(), 0.835, 0.002);  // R: concordance 0.835
  // Model file round trip gives the same predictions.
  const Model back = Model::from_json(nlohmann::json::parse(r.model.to_json().dump()), "mem");
  const nlohmann::json a = apply_model(r.model, data.table), b = apply_model(back, data.table);
  ASSERT_EQ(a["rows"].size(), 418u);
  for (size_t i = 0; i < 418; ++i) EXPECT_EQ(a["rows"][i]["risk"], b["rows"][i]["risk"]);
  // The audit flags the small group (44 men).
  const auto& g = r.model.card["bias_audit"]["groups"][0];
  EXPECT_EQ(g["levels"].size(), 2u);
}

TEST(Predict, BoostedSurvivalContributionsAddUp) {
  tabular::Dataset data = pbc();
  TrainInput in = mayo_input(data);
  in.options.model = "xgboost";
  in.options.features = "age, bili, albumin, protime, edema, sex";
  in.options.boost.rounds = 40;
  in.options.folds = 3;
  Context ctx;
  const TrainResult r = train_and_evaluate(in, ctx);
  EXPECT_GT(r.model.card["performance"]["c_index"]["value"].get<double>(), 0.75);
  const nlohmann::json p = apply_model(r.model, data.table);
  for (const auto& row : p["rows"]) {
    double s = row["base"].get<double>();
    for (const auto& c : row["contributions"]) s += c["contribution"].get<double>();
    EXPECT_NEAR(s, row["margin"].get<double>(), 1e-4);
  }
}

TEST(Predict, LeakingFeatureIsRefused) {
  tabular::Dataset data = pbc();
  TrainInput in = mayo_input(data);
  Column leak = Column::numbers("dead", data.table.num_rows());
  const Column& st = data.table.column("status");
  for (size_t i = 0; i < leak.size(); ++i) leak.values[i] = st.values[i] == 2, leak.valid[i] = 1;
  data.table.columns.push_back(leak);
  ColumnSchema cs;
  cs.name = "dead";
  data.schema.columns.push_back(cs);
  in.options.features = "age, dead";
  EXPECT_THROW(train_and_evaluate(in, Context{}), InvalidInput);
  in.options.allow_leak = true;
  EXPECT_NO_THROW(train_and_evaluate(in, Context{}));
}

TEST(Audit, OneLevelGroupIsRefused) {
  tabular::Dataset data = pbc();
  AuditInput a;
  a.table = &data.table;
  a.rows = {0, 1, 3, 4};  // all women
  a.risk = {0.1, 0.2, 0.3, 0.4};
  a.margin = a.risk;
  a.y = {0, 1, 0, 1};
  EXPECT_THROW(audit(a, {"sex"}), InvalidInput);
  EXPECT_THROW(GroupSpec::parse("age:60,50"), InvalidInput);
}

TEST(Trajectory, IntervalsCoverOnHeldOutPatients) {
  tabular::Dataset data = tabular::load_dataset(std::string(MEDGEN_SOURCE_DIR) + "/data/pbcseq.csv", "");
  TrajectoryOptions o;
  o.id = "id";
  o.time = "day";
  o.markers = {"albumin"};
  const nlohmann::json r = forecast_trajectories(data.table, o, "pbcseq.csv");
  const double cov = r["markers"][0]["evaluation"]["coverage95"].get<double>();
  EXPECT_GT(cov, 0.90);
  EXPECT_LT(cov, 0.99);
}
