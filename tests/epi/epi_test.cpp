// The epi module: scores, samplers, the serial interval, R(t), the SEIR particle filter on an
// outbreak simulated with a known reproduction number, and the evaluation on a real series.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/epi/evaluate.h"
#include "medgen/epi/random.h"
#include "medgen/epi/renewal.h"
#include "medgen/epi/score.h"
#include "medgen/epi/seir.h"
#include "medgen/epi/series.h"

using namespace medgen;
using namespace medgen::epi;

namespace {

std::string data(const std::string& f) { return std::string(MEDGEN_SOURCE_DIR) + "/data/epi/" + f; }

Series load(const std::string& f) {
  Series s = read_series(data(f));
  EXPECT_TRUE(apply_metadata(&s, data("series.json")));
  return s;
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string p = (std::filesystem::temp_directory_path() / ("medgen_epi_" + name)).string();
  std::ofstream(p) << text;
  return p;
}

// A Poisson renewal outbreak: R = 2 for 25 days, then 0.6; serial interval w.
std::vector<double> renewal_outbreak(const std::vector<double>& w, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> x{5};
  for (size_t t = 1; t < 60; ++t) {
    double lambda = 0;
    for (size_t k = 1; k < w.size() && k <= t; ++k) lambda += w[k] * x[t - k];
    x.push_back(draw_poisson(rng, (t < 25 ? 2.0 : 0.6) * lambda));
  }
  return x;
}

}  // namespace

TEST(EpiScore, QuantileLevelsAndWis) {
  const auto& lv = quantile_levels();
  ASSERT_EQ(lv.size(), 23u);
  EXPECT_DOUBLE_EQ(lv[11], 0.5);
  // A point forecast's WIS is its absolute error.
  const std::vector<double> point(23, 10.0);
  EXPECT_NEAR(weighted_interval_score(point, 13), 3.0, 1e-12);
  EXPECT_NEAR(weighted_interval_score(point, 10), 0.0, 1e-12);
  // Quantiles of 0..100 are 100 x the levels; y at the median scores half-widths only.
  std::vector<double> s;
  for (int i = 0; i <= 100; ++i) s.push_back(100 - i);
  const std::vector<double> q = sample_quantiles(s);
  for (size_t k = 0; k < lv.size(); ++k) EXPECT_NEAR(q[k], 100 * lv[k], 1e-9);
  double expect = 0;
  for (size_t k = 0; k < 11; ++k) expect += lv[k] * (100 - 200 * lv[k]);
  EXPECT_NEAR(weighted_interval_score(q, 50), expect / 11.5, 1e-9);
  EXPECT_TRUE(covered(q, 50, 0.05));
  EXPECT_TRUE(covered(q, 25, 0.5));
  EXPECT_FALSE(covered(q, 24.9, 0.5));
  EXPECT_FALSE(covered(q, 98, 0.05));
}

TEST(EpiRandom, MomentsOfTheSamplers) {
  Rng rng(1);
  for (double lam : {0.3, 5.0, 80.0, 2500.0}) {
    const int n = 40000;
    double m = 0, v = 0;
    std::vector<double> x(n);
    for (auto& y : x) y = draw_poisson(rng, lam), m += y / n;
    for (double y : x) v += (y - m) * (y - m) / (n - 1);
    EXPECT_NEAR(m, lam, 5 * std::sqrt(lam / n)) << lam;
    EXPECT_NEAR(v / lam, 1, 0.05) << lam;
  }
  const int n = 40000;
  double m = 0, v = 0;
  std::vector<double> x(n);
  for (auto& y : x) y = draw_negbin(rng, 20, 4), m += y / n;
  for (double y : x) v += (y - m) * (y - m) / (n - 1);
  EXPECT_NEAR(m, 20, 0.3);
  EXPECT_NEAR(v, 20 + 400.0 / 4, 8);
  double g = 0;
  for (int i = 0; i < n; ++i) g += draw_gamma(rng, 0.5, 2) / n;
  EXPECT_NEAR(g, 1.0, 0.04);
  double total = 0;
  for (int y = 0; y < 2000; ++y) total += std::exp(negbin_logpmf(y, 30, 2));
  EXPECT_NEAR(total, 1, 1e-9);
}

TEST(EpiSeries, ReadsAndRefusesBadFiles) {
  const Series s = load("flu2009.csv");
  EXPECT_EQ(s.cases.size(), 32u);
  EXPECT_EQ(s.step, "day");
  EXPECT_EQ(s.labels[0], "2009-04-27");
  EXPECT_NEAR(s.si_mean, 2.596, 0.01);
  EXPECT_EQ(load("influenza_de.csv").step, "week");
  const std::string bad = write_temp("neg.csv", "t,cases\n0,1\n1,2\n2,-3\n");
  try {
    read_series(bad);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("neg.csv:4:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_series(write_temp("frac.csv", "cases\n1\n2.5\n")), InvalidInput);
  EXPECT_THROW(read_series(write_temp("short.csv", "cases\n1\n2\n3\n")), InvalidInput);
  EXPECT_THROW(read_series(write_temp("nocol.csv", "n\n1\n")), InvalidInput);
  EXPECT_THROW(read_series(data("flu2009.csv"), "nope"), InvalidInput);
  Series other = read_series(data("flu2009.csv"));
  other.source = "/elsewhere/unknown.csv";
  EXPECT_FALSE(apply_metadata(&other, data("series.json")));
  EXPECT_THROW(apply_metadata(&other, write_temp("meta.json", "{\"a\": 1}")), InvalidInput);
}

TEST(EpiSeries, DiscretisedGammaSerialInterval) {
  const std::vector<double> w = discretised_gamma_si(6.0, 2.0);
  EXPECT_EQ(w[0], 0.0);
  double sum = 0, mean = 0;
  for (size_t k = 0; k < w.size(); ++k) sum += w[k], mean += k * w[k];
  EXPECT_NEAR(sum, 1, 1e-12);
  EXPECT_NEAR(mean, 6.0, 0.05);
  EXPECT_NO_THROW(check_si(w, "x"));
  EXPECT_THROW(discretised_gamma_si(-1, 2), InvalidInput);
  EXPECT_THROW(check_si({0.5, 0.5}, "x"), InvalidInput);
}

TEST(EpiRenewal, EstimatesKnownReproductionNumbers) {
  const std::vector<double> w{0, 1};  // each generation one step later
  std::vector<double> growth;
  for (int t = 0; t < 20; ++t) growth.push_back(std::pow(2.0, t));
  const REstimate r = estimate_r(growth, 19, w, {});
  EXPECT_NEAR(r.mean(), 2.0, 0.01);
  const std::vector<double> flat(30, 40.0);
  EXPECT_NEAR(estimate_r(flat, 29, discretised_gamma_si(4, 2), {}).mean(), 1.0, 0.01);
  // Projections of a flat series stay around it; persistence keeps the last value as median.
  const auto q = renewal_forecast(flat, 29, discretised_gamma_si(4, 2), {}, 3, 2000, 1);
  EXPECT_NEAR(median_of(q[2]), 40, 3);
  const auto p = persistence_forecast(growth, 19, 2);
  EXPECT_DOUBLE_EQ(median_of(p[0]), growth[19]);
  for (double v : p[1]) EXPECT_GE(v, 0.0);
}

TEST(EpiSeir, TracksAKnownReproductionNumber) {
  const std::vector<double> w = discretised_gamma_si(5, 2);
  const std::vector<double> x = renewal_outbreak(w, 4);
  SeirParams p;
  p.latent = p.infectious = 2.5;
  p.particles = 800;
  p.rw_sd = 0.15;
  p.dispersion = 30;
  std::vector<size_t> origins;
  for (size_t t = 30; t < 55; ++t) origins.push_back(t);
  const FilterResult r = run_filter(x, x.size() - 1, p, origins, 3, 800, 9);
  ASSERT_EQ(r.forecasts.size(), origins.size());
  EXPECT_GT(r.r_effective[20], 1.3);  // truth 2
  EXPECT_LT(r.r_effective[45], 1.0);  // truth 0.6
  size_t inside = 0, n = 0;
  for (const auto& f : r.forecasts)
    for (int h = 1; h <= 3; ++h)
      if (f.origin + h < x.size()) n++, inside += covered(f.quantiles[h - 1], x[f.origin + h], 0.05);
  EXPECT_GE(static_cast<double>(inside) / n, 0.8) << inside << " of " << n;
  SeirParams bad = p;
  bad.dispersion = 0;
  EXPECT_THROW(run_filter(x, 10, bad, {}, 1, 10, 1), InvalidInput);
}

TEST(EpiEvaluate, MeaslesHagelloch) {
  const Series s = load("measles1861.csv");
  EvaluateOptions o;
  o.particles = 300;
  o.draws = 300;
  const nlohmann::json r = evaluate_forecasts(s, o, 3);
  EXPECT_EQ(r["horizons"].get<int>(), 7);
  EXPECT_EQ(r["train_steps"].get<size_t>(), 24u);
  const auto& m = r["methods"];
  for (const char* k : {"seir", "renewal", "persistence"}) {
    EXPECT_GT(m[k]["overall"]["forecasts"].get<size_t>(), 100u);
    EXPECT_TRUE(std::isfinite(m[k]["overall"]["wis"].get<double>()));
  }
  // Hagelloch's measles burns through its 188 children: the renewal projection, blind to the
  // depletion of susceptibles, overshoots; the SEIR does far better.
  EXPECT_LT(m["seir"]["overall"]["wis"].get<double>(), 0.6 * m["renewal"]["overall"]["wis"].get<double>());
  EXPECT_EQ(r["forecast_beyond_end"]["seir"].size(), 7u);
  EXPECT_EQ(evaluate_forecasts(s, o, 3).dump(), r.dump());  // deterministic from the seed
  EvaluateOptions bad = o;
  bad.train_share = 0.95;
  EXPECT_THROW(evaluate_forecasts(s, bad, 3), InvalidInput);
}
