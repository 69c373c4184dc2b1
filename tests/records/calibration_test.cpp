#include "../../src/records/calibration.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"

namespace medgen::records::detail {
namespace {

using json = nlohmann::json;

std::vector<double> normal(size_t n, double mean, double sd, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> v(n);
  for (double& x : v) x = mean + sd * rng.normal();
  return v;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double sd_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

// A model sample N(0, 1) mapped onto data N(5, 2): fresh model draws come out with the data's
// mean, spread and quantiles, and the map keeps their order.
TEST(QuantileMap, CarriesOneDistributionOntoAnother) {
  const QuantileMap m = QuantileMap::fit(normal(4000, 0, 1, 1), normal(4000, 5, 2, 2), 50, 40);
  ASSERT_FALSE(m.identity());
  std::vector<double> fresh = normal(20000, 0, 1, 3), mapped;
  for (double x : fresh) mapped.push_back(m(x));
  EXPECT_NEAR(mean_of(mapped), 5, 0.1);
  EXPECT_NEAR(sd_of(mapped), 2, 0.1);
  std::sort(fresh.begin(), fresh.end());
  for (size_t i = 1; i < fresh.size(); ++i) ASSERT_LE(m(fresh[i - 1]), m(fresh[i]));
  // Beyond the knots: shifted with the end knot, so the order holds there too.
  EXPECT_NEAR(m(m.from.back() + 3) - m.to.back(), 3, 1e-9);
  EXPECT_NEAR(m(m.from.front() - 3) - m.to.front(), -3, 1e-9);
  // Positive quantities below the knots scale instead: a gap a tenth of the model's shortest
  // maps to a tenth of the data's shortest.
  std::vector<double> model, data;
  for (int i = 1; i <= 200; ++i) {
    model.push_back(100.0 + i);
    data.push_back(30.0 + i);
  }
  const QuantileMap g = QuantileMap::fit(model, data, 50, 40);
  EXPECT_NEAR(g(10.1), 3.1, 1e-9);
  EXPECT_GT(g(0.5), 0.0);
}

TEST(QuantileMap, IdentityWhereThereIsTooLittleToMap) {
  EXPECT_TRUE(QuantileMap::fit(normal(30, 0, 1, 1), normal(4000, 0, 1, 2), 50, 40).identity());
  EXPECT_TRUE(QuantileMap::fit(normal(4000, 0, 1, 1), normal(30, 0, 1, 2), 50, 40).identity());
  EXPECT_TRUE(QuantileMap::fit(std::vector<double>(100, 7.0), normal(400, 0, 1, 2), 50, 40).identity());
  const QuantileMap id;
  EXPECT_EQ(id(3.5), 3.5);
  EXPECT_TRUE(std::isnan(id(NAN)));
}

// A point mass in the model's sample (half its values 0) maps to the middle of the data's
// quantiles it covers, not to one end.
TEST(QuantileMap, PointMassesMapToTheMiddleOfTheirLevels) {
  std::vector<double> model(1000, 0.0), data;
  for (size_t i = 0; i < 500; ++i) model[i] = 1 + static_cast<double>(i) / 500;
  for (size_t i = 0; i < 1000; ++i) data.push_back(static_cast<double>(i) / 999);
  const QuantileMap m = QuantileMap::fit(model, data, 50, 40);
  EXPECT_NEAR(m(0.0), 0.25, 0.02);
  EXPECT_NEAR(m(1.5), 0.75, 0.03);
}

TEST(QuantileMap, JsonRoundTripAndValidation) {
  const QuantileMap m = QuantileMap::fit(normal(500, 0, 1, 1), normal(500, 1, 1, 2), 20, 40);
  const QuantileMap back = QuantileMap::from_json(json::parse(m.to_json().dump()), 50, "m");
  EXPECT_EQ(back.from, m.from);
  EXPECT_EQ(back.to, m.to);
  EXPECT_TRUE(QuantileMap::from_json(json{{"from", json::array()}, {"to", json::array()}}, 50, "m").identity());
  const std::vector<json> bad = {
      json{{"from", {1.0, 2.0}}, {"to", {1.0}}},              // sizes differ
      json{{"from", {2.0, 1.0}}, {"to", {1.0, 2.0}}},         // decreasing
      json{{"from", {1.0, 2.0}}, {"to", {1.0, "x"}}},         // not a number
      json{{"from", {1.0, 1.0}}, {"to", {1.0, 2.0}}},         // every model knot equal
      json{{"from", {1.0}}, {"to", {1.0}}},                   // one knot
      json{{"to", {1.0, 2.0}}},                               // missing
  };
  for (const json& j : bad) EXPECT_THROW(QuantileMap::from_json(j, 50, "m"), ModelFormat) << j.dump();
  std::vector<double> many(60);
  for (size_t i = 0; i < many.size(); ++i) many[i] = static_cast<double>(i);
  EXPECT_THROW(QuantileMap::from_json(json{{"from", many}, {"to", many}}, 50, "m"), ModelFormat);
}

// Shifting the model's log shares by share_shift gives the data's shares (up to the half
// count added to each), within the limit.
TEST(ShareShift, MovesModelSharesOntoTheData) {
  const std::vector<double> data = {900, 80, 20}, model = {300, 300, 400};
  const std::vector<double> s = share_shift(data, model, 5.0);
  std::vector<double> p(3);
  double z = 0;
  for (size_t i = 0; i < 3; ++i) z += p[i] = model[i] / 1000 * std::exp(s[i]);
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(p[i] / z, data[i] / 1000, 2e-3);
  for (double x : share_shift({1000, 0}, {0, 1000}, 3.0)) EXPECT_LE(std::fabs(x), 3.0);
  // Odds: the model's 10% "yes" shifted by the log odds ratio gives the data's 30%.
  const double o = odds_shift({700, 300}, {900, 100}, 5.0);
  EXPECT_NEAR(1.0 / (1.0 + std::exp(-(std::log(0.1 / 0.9) + o))), 0.3, 2e-3);
  EXPECT_LE(std::fabs(odds_shift({0, 1000}, {1000, 0}, 3.0)), 3.0);
}

}  // namespace
}  // namespace medgen::records::detail
