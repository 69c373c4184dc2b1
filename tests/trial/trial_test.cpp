// The trial module: filters, the analysis against R's survival package on the colon trial, event
// times drawn by inverting a learned cumulative hazard, and a small end-to-end virtual trial.
#include <gtest/gtest.h>

#include <cmath>

#include "medgen/core/error.h"
#include "medgen/tabular/pipeline.h"
#include "medgen/trial/analysis.h"
#include "medgen/trial/learn.h"
#include "medgen/trial/simulate.h"

using namespace medgen;
using namespace medgen::trial;

namespace {

std::string colon_path() { return std::string(MEDGEN_SOURCE_DIR) + "/data/colon.csv"; }

const tabular::Dataset& colon() {
  static const tabular::Dataset d = tabular::load_dataset(colon_path(), "");
  return d;
}

TrialColumns colon_columns(int etype) {
  TrialColumns c;
  c.arm = "rx";
  c.control = "Obs";
  c.treatments = {"Lev+5FU"};
  c.time = "time";
  c.event = "status";
  c.where = {Filter::parse("etype=" + std::to_string(etype), "--where")};
  return c;
}

// A cell as a number, whether the schema made the column numbers or labels (0/1 -> boolean).
double num(const Table& t, const std::string& c, size_t i) {
  const Column& col = t.column(c);
  return col.storage == Storage::kNumber ? col.values[i] : std::stod(col.dictionary[col.codes[i]]);
}

// The real rows of two colon arms, as compare_arms takes them.
void colon_arms(int etype, std::vector<int>* tr, std::vector<double>* time, std::vector<int>* ev) {
  const Table& t = colon().table;
  const Column& rx = t.column("rx");
  for (size_t i = 0; i < t.num_rows(); ++i) {
    if (num(t, "etype", i) != etype) continue;
    const std::string& l = rx.dictionary[rx.codes[i]];
    if (l != "Obs" && l != "Lev+5FU") continue;
    tr->push_back(l == "Lev+5FU");
    time->push_back(num(t, "time", i));
    ev->push_back(static_cast<int>(num(t, "status", i)));
  }
}

}  // namespace

TEST(TrialFilter, ParsesAndMatches) {
  const Filter f = Filter::parse(" nodes >= 4 ", "--eligible");
  EXPECT_EQ(f.column, "nodes");
  EXPECT_EQ(f.op, ">=");
  EXPECT_EQ(f.value, "4");
  EXPECT_EQ(Filter::parse("rx!=Obs", "x").op, "!=");
  EXPECT_EQ(Filter::parse("age<60", "x").op, "<");
  EXPECT_THROW(Filter::parse("nodes", "--eligible"), InvalidInput);
  EXPECT_THROW(Filter::parse("=4", "--eligible"), InvalidInput);
  EXPECT_THROW(Filter::parse("a!4", "--eligible"), InvalidInput);
  EXPECT_THROW(Filter::parse("a>=", "--eligible"), InvalidInput);
  const Table& t = colon().table;
  EXPECT_THROW(Filter::parse("rx>Obs", "x").check(t, "colon"), InvalidInput);
  EXPECT_THROW(Filter::parse("nodes>four", "x").check(t, "colon"), InvalidInput);
  EXPECT_THROW(Filter::parse("nope=1", "x").check(t, "colon"), InvalidInput);
  size_t n = 0, lev = 0;
  const Filter four = Filter::parse("nodes>=4", "x"), levf = Filter::parse("rx=Lev", "x");
  for (size_t i = 0; i < t.num_rows(); ++i) n += four.matches(t, i), lev += levf.matches(t, i);
  EXPECT_EQ(lev, 2u * 310);  // 310 patients on levamisole alone, two rows each
  EXPECT_GT(n, 0u);
  EXPECT_LT(n, t.num_rows());
}

TEST(TrialAnalysis, LogRankByHand) {
  // Treated events at 1 and 3, control at 2 and 4: O - E = 2/3, V = 0.25 + 2/9 + 0.25.
  const double chi2 = logrank_chi2({1, 0, 1, 0}, {1, 2, 3, 4}, {1, 1, 1, 1});
  EXPECT_NEAR(chi2, (4.0 / 9) / (0.5 + 2.0 / 9), 1e-12);
}

TEST(TrialAnalysis, MatchesRSurvivalOnColon) {
  // R 4.2.2, survival 3.4: coxph(Surv(time, status) ~ trt, ties = "efron") and survdiff on the
  // colon rows of Obs and Lev+5FU.
  const double r_beta[2] = {-0.512605, -0.372809}, r_se[2] = {0.118675, 0.118789}, r_lr[2] = {19.06515, 9.965666};
  for (int e = 1; e <= 2; ++e) {
    std::vector<int> tr, ev;
    std::vector<double> tm;
    colon_arms(e, &tr, &tm, &ev);
    ASSERT_EQ(tm.size(), 619u);
    const Comparison c = compare_arms(tr, tm, ev);
    EXPECT_TRUE(c.converged);
    EXPECT_NEAR(c.log_hr, r_beta[e - 1], 1e-5) << "etype " << e;
    EXPECT_NEAR(c.se, r_se[e - 1], 1e-5);
    EXPECT_NEAR(c.logrank_chi2, r_lr[e - 1], 1e-4);
    EXPECT_LT(c.wald_p, 0.01);
  }
}

TEST(TrialAnalysis, NoEventsInOneArmIsNotEstimable) {
  const Comparison c = compare_arms({0, 0, 1, 1}, {1, 2, 3, 4}, {1, 1, 0, 0});
  EXPECT_FALSE(c.converged);
  EXPECT_EQ(c.wald_p, 1.0);
}

TEST(TrialLearn, EventTimesInvertTheCumulativeHazard) {
  ArmOutcome o;
  for (int i = 1; i <= 10; ++i) {
    o.baseline.times.push_back(i);
    o.baseline.cumhaz.push_back(0.1 * i);  // hazard 0.1 per unit
  }
  o.tail_rate = 0.1;
  EXPECT_DOUBLE_EQ(o.cumhaz(2.5), 0.25);
  EXPECT_DOUBLE_EQ(o.cumhaz(20), 2.0);
  Rng rng(3);
  const int n = 40000;
  double sum = 0, sum_hr = 0;
  for (int i = 0; i < n; ++i) sum += o.draw_time(0, 1, rng), sum_hr += o.draw_time(std::log(2.0), 0.5, rng);
  // Exponential with rate 0.1 in both (exp(eta) * hr = 1): mean 10, SE 10 / sqrt(n) = 0.05.
  EXPECT_NEAR(sum / n, 10, 0.25);
  EXPECT_NEAR(sum_hr / n, 10, 0.25);
  double sum4 = 0;
  for (int i = 0; i < n; ++i) sum4 += o.draw_time(0, 4, rng);
  EXPECT_NEAR(sum4 / n, 2.5, 0.07);
}

TEST(TrialLearn, RefusesBadColumnsAndLabels) {
  const auto& d = colon();
  Context ctx;
  TrialColumns c = colon_columns(1);
  c.control = "Placebo";
  EXPECT_THROW(learn_trial(d.table, d.schema, "colon", c, {}, ctx), InvalidInput);
  c = colon_columns(1);
  c.time = "nope";
  EXPECT_THROW(learn_trial(d.table, d.schema, "colon", c, {}, ctx), InvalidInput);
  c = colon_columns(1);
  c.arm = "age";
  EXPECT_THROW(learn_trial(d.table, d.schema, "colon", c, {}, ctx), InvalidInput);
  c = colon_columns(1);
  c.where = {Filter::parse("etype=3", "--where")};
  EXPECT_THROW(learn_trial(d.table, d.schema, "colon", c, {}, ctx), InvalidInput);
}

TEST(TrialSimulate, ColonRecurrenceSmall) {
  const auto& d = colon();
  Context ctx;
  ctx.seed = 11;
  LearnOptions lo;
  lo.synthesizer = "cart";
  const LearnedTrial L = learn_trial(d.table, d.schema, "colon", colon_columns(1), lo, ctx);
  ASSERT_EQ(L.arms.size(), 2u);
  EXPECT_EQ(L.arms[0].patients, 315u);
  EXPECT_EQ(L.arms[1].patients, 304u);
  // id and study are left out (an identifier; constant).
  for (const auto& c : L.covariate_schema.columns) EXPECT_TRUE(c.name != "id" && c.name != "study") << c.name;

  TrialDesign design;
  design.hr = {NAN};
  design.trials = 60;
  const nlohmann::json r = simulate_trials(L, d.table, design, ctx);
  const auto& c = r["comparisons"][0];
  EXPECT_NEAR(c["real_reference"]["log_hr"].get<double>(), -0.512605, 1e-5);
  // Learned arms at the real sizes: the real HR (0.60) is a typical draw, and such a trial
  // almost always rejects the null (real chi-square 19).
  EXPECT_TRUE(c["reference_inside_interval"].get<bool>()) << c.dump();
  EXPECT_GT(c["power_wald"].get<double>(), 0.8);
  EXPECT_LT(c["type1_wald"].get<double>(), 0.2);
  // Deterministic from the seed; the thread count does not change the result.
  Context two = ctx;
  two.threads = 2;
  TrialDesign small = design;
  small.trials = 10;
  EXPECT_EQ(simulate_trials(L, d.table, small, ctx).dump(), simulate_trials(L, d.table, small, two).dump());
}

TEST(TrialSimulate, DesignOptions) {
  const auto& d = colon();
  Context ctx;
  ctx.seed = 5;
  LearnOptions lo;
  lo.synthesizer = "copula";
  const LearnedTrial L = learn_trial(d.table, d.schema, "colon", colon_columns(2), lo, ctx);
  TrialDesign design;
  design.hr = {0.5};
  design.per_arm = {200, 200};
  design.accrual = 1000;
  design.follow_up = 1500;
  design.dropout = 0.2;
  design.eligible = {Filter::parse("node4=1", "--eligible")};
  const SimulatedTrial s = simulate_one(L, design, false, 99, ctx);
  ASSERT_EQ(s.time.size(), 400u);
  double max_t = 0;
  size_t censored = 0;
  for (size_t i = 0; i < s.time.size(); ++i) max_t = std::max(max_t, s.time[i]), censored += !s.event[i];
  EXPECT_LE(max_t, 2500.0);  // nobody is followed beyond accrual + follow-up
  EXPECT_GT(censored, 0u);
  // Bad designs.
  TrialDesign bad = design;
  bad.hr = {0.5, 0.7};
  EXPECT_THROW(bad.validate(2), InvalidInput);
  bad = design;
  bad.follow_up = NAN;
  EXPECT_THROW(bad.validate(2), InvalidInput);
  bad = design;
  bad.per_arm = {1, 100};
  EXPECT_THROW(bad.validate(2), InvalidInput);
  bad = design;
  bad.eligible = {Filter::parse("nodes>100", "--eligible")};
  bad.trials = 10;
  EXPECT_THROW(simulate_trials(L, d.table, bad, ctx), InvalidInput);
  bad = design;
  bad.eligible = {Filter::parse("rx=Obs", "--eligible")};
  EXPECT_THROW(simulate_trials(L, d.table, bad, ctx), InvalidInput);
}

TEST(TrialSimulate, NullDesignTypeOneErrorSmall) {
  // 1,000 null trials (Monte Carlo SE 0.7%): within 3 SE of 5%. The slow suite checks 5% +- 1%
  // over 10,000.
  const auto& d = colon();
  Context ctx;
  ctx.seed = 8;
  const LearnedTrial L = learn_trial(d.table, d.schema, "colon", colon_columns(1), {}, ctx);
  TrialDesign design;
  design.hr = {1.0};
  design.trials = 500;
  const nlohmann::json r = simulate_trials(L, d.table, design, ctx);
  const auto& c = r["comparisons"][0];
  for (const char* test : {"rejections_wald", "rejections_logrank"}) {
    const double rate = (c["design"][test]["rate"].get<double>() + c["null"][test]["rate"].get<double>()) / 2;
    EXPECT_NEAR(rate, 0.05, 3 * std::sqrt(0.05 * 0.95 / 1000)) << test;
  }
  EXPECT_NEAR(c["null"]["hr_estimate"]["mean_log_hr"].get<double>(), 0.0, 0.03);
}

TEST(TrialSimulate, PbcNumberArmAndEventValue) {
  // pbc: trt 1 (D-penicillamine) / 2 (placebo) as numbers, 106 patients not randomised (trt
  // missing) left out; death is status 2 (1, transplant, is censored). R: coxph(Surv(time,
  // status == 2) ~ I(trt == 1)) gives 0.057224 (SE 0.179165) on 312 patients, 125 deaths.
  const tabular::Dataset d = tabular::load_dataset(std::string(MEDGEN_SOURCE_DIR) + "/data/pbc.csv", "");
  TrialColumns c;
  c.arm = "trt";
  c.control = "2";
  c.time = "time";
  c.event = "status";
  c.event_value = "2";
  Context ctx;
  ctx.seed = 3;
  LearnOptions lo;
  lo.synthesizer = "copula";
  const LearnedTrial L = learn_trial(d.table, d.schema, "pbc", c, lo, ctx);
  ASSERT_EQ(L.arms.size(), 2u);
  EXPECT_EQ(L.arms[1].label, "1");
  EXPECT_EQ(L.arms[0].patients, 154u);
  EXPECT_EQ(L.arms[1].patients, 158u);
  EXPECT_EQ(L.arms[0].events + L.arms[1].events, 125u);
  TrialDesign design;
  design.hr = {NAN};
  design.trials = 20;
  const nlohmann::json r = simulate_trials(L, d.table, design, ctx);
  EXPECT_NEAR(r["comparisons"][0]["real_reference"]["log_hr"].get<double>(), 0.057224, 1e-5);
  EXPECT_NEAR(r["comparisons"][0]["real_reference"]["se"].get<double>(), 0.179165, 1e-5);
}
