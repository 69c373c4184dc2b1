// Cox (Efron) and logistic fits against published references: R's survival::coxph for the Mayo
// model on pbc, and properties every fit must have (score zero at the optimum, penalties shrink).
#include <gtest/gtest.h>

#include <cmath>

#include "medgen/predict/design.h"
#include "medgen/predict/linear.h"
#include "medgen/tabular/pipeline.h"

using namespace medgen;
using namespace medgen::predict;

namespace {

Dataset mayo(const std::string& missing = "drop") {
  tabular::Dataset data = tabular::load_dataset(std::string(MEDGEN_SOURCE_DIR) + "/data/pbc.csv", "");
  OutcomeSpec o;
  o.time = "time";
  o.event = "status";
  o.event_value = "2";
  Design d = Design::parse("age, edema, log(bili), log(albumin), log(protime)", data.table, data.schema,
                           {"time", "status"});
  d.missing = missing;
  d.fit_imputation(data.table);
  return make_dataset(data.table, d, o, "pbc.csv");
}

}  // namespace

TEST(Cox, MayoModelMatchesR) {
  const Dataset d = mayo();
  ASSERT_EQ(d.n, 416u);  // two missing protime values dropped, as R does
  const LinearFit f = fit_cox(d.x, d.n, d.p, d.time, d.event);
  ASSERT_TRUE(f.converged);
  // R 4.x: coxph(Surv(time, status == 2) ~ age + edema + log(bili) + log(albumin) + log(protime), pbc)
  const double r[] = {0.040, 0.896, 0.864, -2.507, 2.387};
  for (size_t j = 0; j < 5; ++j) EXPECT_NEAR(f.beta[j], r[j], 0.0015) << d.names[j];
  // Standard errors from R's summary: age 0.00767, edema 0.27175, log(bili) 0.08295,
  // log(albumin) 0.65194, log(protime) 0.76706.
  const double se[] = {0.00767, 0.27175, 0.08295, 0.65194, 0.76706};
  for (size_t j = 0; j < 5; ++j) EXPECT_NEAR(f.se[j], se[j], 0.002) << d.names[j];
}

TEST(Cox, RidgeShrinksAndBaselineIsMonotone) {
  const Dataset d = mayo();
  NewtonParams p;
  p.l2 = 50;
  const LinearFit plain = fit_cox(d.x, d.n, d.p, d.time, d.event);
  const LinearFit ridge = fit_cox(d.x, d.n, d.p, d.time, d.event, p);
  double a = 0, b = 0;
  for (size_t j = 0; j < d.p; ++j) a += std::abs(plain.beta[j]), b += std::abs(ridge.beta[j]);
  EXPECT_LT(b, a);
  std::vector<double> eta(d.n, 0.0);
  const BaselineHazard h = baseline_hazard(eta, d.time, d.event);
  // With eta = 0 the Efron estimate is close to Nelson–Aalen: total = sum over event times of d/n_risk.
  ASSERT_FALSE(h.times.empty());
  for (size_t i = 1; i < h.cumhaz.size(); ++i) EXPECT_GE(h.cumhaz[i], h.cumhaz[i - 1]);
  EXPECT_EQ(h.at(0), 0.0);
}

TEST(Logistic, RecoversSimulatedCoefficients) {
  // y ~ Bernoulli(sigmoid(-0.5 + 1.2 x1 - 0.8 x2)), 4000 rows from a fixed generator.
  const size_t n = 4000, p = 2;
  std::vector<double> x(n * p), y(n);
  uint64_t s = 12345;
  auto u = [&]() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((s >> 11) + 0.5) / 9007199254740992.0;
  };
  for (size_t i = 0; i < n; ++i) {
    const double a = std::sqrt(-2 * std::log(u())) * std::cos(6.283185307179586 * u());
    const double b = u() * 2 - 1;
    x[i * p] = a;
    x[i * p + 1] = b;
    y[i] = u() < 1 / (1 + std::exp(-(-0.5 + 1.2 * a - 0.8 * b)));
  }
  const LinearFit f = fit_logistic(x, n, p, y);
  ASSERT_TRUE(f.converged);
  EXPECT_NEAR(f.intercept, -0.5, 4 * 0.05);
  EXPECT_NEAR(f.beta[0], 1.2, 4 * f.se[0]);
  EXPECT_NEAR(f.beta[1], -0.8, 4 * f.se[1]);
}
