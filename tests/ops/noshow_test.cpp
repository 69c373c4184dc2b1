// No-show model: the generator's rates, training, calibration, reasons, model file checks.
#include <gtest/gtest.h>

#include <cmath>

#include "medgen/core/error.h"
#include "medgen/ops/noshow.h"

using namespace medgen;
using namespace medgen::ops;

namespace {

std::vector<AppointmentRecord> rows(size_t n, uint64_t seed) {
  GeneratorParams g;
  g.appointments = n;
  return generate_appointments(g, seed);
}

const NoShowModel& model() {
  static const NoShowModel m = [] {
    NoShowParams p;
    p.rounds = 80;
    return NoShowModel::train(rows(6000, 1), p, 1);
  }();
  return m;
}

}  // namespace

TEST(NoShowGenerator, RateAndEffectsFollowThePublishedDirections) {
  auto r = rows(20000, 3);
  double ns = 0, remind_ns = 0, remind_n = 0, none_ns = 0, none_n = 0, hist_ns = 0, hist_n = 0;
  for (const auto& a : r) {
    ns += a.no_show;
    (a.reminders ? remind_ns : none_ns) += a.no_show;
    (a.reminders ? remind_n : none_n) += 1;
    if (a.prior_appointments >= 3 && a.prior_noshows * 2 >= a.prior_appointments) {
      hist_ns += a.no_show;
      hist_n += 1;
    }
  }
  EXPECT_NEAR(ns / r.size(), 0.19, 0.015);
  EXPECT_LT(remind_ns / remind_n, none_ns / none_n);      // reminders lower the rate
  EXPECT_GT(hist_ns / hist_n, 1.5 * ns / r.size());       // past no-shows predict
  auto again = rows(500, 3);
  EXPECT_EQ(appointments_to_csv(again), appointments_to_csv(rows(500, 3)));
}

TEST(NoShowModel, DiscriminatesAndIsCalibratedOnHeldOutRows) {
  auto test = rows(5000, 99);
  std::vector<double> p = model().probabilities(test);
  std::vector<int> y;
  for (const auto& a : test) y.push_back(a.no_show);
  const auto m = evaluate_probabilities(p, y);
  EXPECT_GT(m.auc, 0.62);
  EXPECT_NEAR(m.calibration_slope, 1.0, 0.25);
  EXPECT_NEAR(m.calibration_intercept, 0.0, 0.3);
  double mean = 0;
  for (double v : p) mean += v;
  EXPECT_NEAR(mean / p.size(), m.no_show_rate, 0.03);
}

TEST(NoShowModel, ReasonsAreShapContributionsThatAddUp) {
  auto test = rows(50, 7);
  auto preds = model().predict(test, 10);
  ASSERT_EQ(preds.size(), 50u);
  for (const auto& p : preds) {
    ASSERT_EQ(p.reasons.size(), noshow_feature_names().size());
    double margin = 0;
    for (const auto& r : p.reasons) margin += r.contribution;
    for (size_t k = 1; k < p.reasons.size(); ++k)
      EXPECT_GE(std::fabs(p.reasons[k - 1].contribution), std::fabs(p.reasons[k].contribution));
    // Contributions plus the bias give the raw margin: the bias is the same for every row.
    const double bias = std::log(p.raw_probability / (1 - p.raw_probability)) - margin;
    static double first_bias = bias;
    EXPECT_NEAR(bias, first_bias, 1e-3);
  }
}

TEST(NoShowModel, RoundTripsAndRejectsBadFiles) {
  const std::string text = model().serialize();
  const NoShowModel back = NoShowModel::deserialize(text, "m.json");
  auto test = rows(100, 5);
  EXPECT_EQ(model().probabilities(test), back.probabilities(test));
  EXPECT_THROW(NoShowModel::deserialize("{\"format\": \"other\"}", "m.json"), ModelFormat);
  EXPECT_THROW(NoShowModel::deserialize("{\n\"format\": ", "m.json"), InvalidInput);
  auto j = nlohmann::json::parse(text);
  j["calibration"]["calibrated"][0] = 2.0;
  EXPECT_THROW(NoShowModel::deserialize(j.dump(), "m.json"), ModelFormat);
  j = nlohmann::json::parse(text);
  j["booster"]["learner"]["learner_model_param"]["num_feature"] = "3";
  EXPECT_THROW(NoShowModel::deserialize(j.dump(), "m.json"), ModelFormat);
}

TEST(NoShowModel, TrainingNeedsBothClasses) {
  auto r = rows(200, 2);
  for (auto& a : r) a.no_show = 0;
  EXPECT_THROW(NoShowModel::train(r, NoShowParams{}, 1), InvalidInput);
}
