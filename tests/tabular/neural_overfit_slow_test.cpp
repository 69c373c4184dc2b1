// Each neural synthesizer must overfit a tiny table: its training loss falls and its samples
// reproduce the table's categories, the pairing between two columns and the ordering of a
// numeric column across groups. Labelled slow: 1,000 epochs each (about 10-20 s).
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>

#include "test_util.h"

using namespace medgen;
using namespace medgen::tabular;
using json = nlohmann::json;

namespace {

// 60 patients: diagnosis -> drug is a function; temperature depends on the diagnosis.
void tiny(Table* t, Schema* s) {
  const std::vector<std::string> dx = {"flu", "covid", "asthma"}, drug = {"oseltamivir", "nirmatrelvir", "salbutamol"};
  const double temp[] = {39.0, 38.0, 37.0};
  const size_t n = 60;
  Rng rng(12);
  t->columns = {Column::strings("dx", n, dx), Column::strings("drug", n, drug), Column::numbers("temp", n)};
  for (size_t i = 0; i < n; ++i) {
    const int k = static_cast<int>(i % 3);
    t->columns[0].codes[i] = k;
    t->columns[1].codes[i] = k;
    t->columns[2].values[i] = std::round((temp[k] + 0.2 * rng.normal()) * 10) / 10;
    t->columns[2].valid[i] = 1;
  }
  s->columns = {{"dx", ColumnType::kCategorical}, {"drug", ColumnType::kCategorical}, {"temp", ColumnType::kNumerical}};
  s->columns[0].values = dx;
  s->columns[1].values = drug;
  s->columns[2].min = 35;
  s->columns[2].max = 41;
  s->columns[2].decimals = 1;
}

double mean_of(const json& history, const std::string& key, size_t from, size_t to) {
  double s = 0;
  for (size_t i = from; i < to; ++i) s += history[i].at(key).get<double>();
  return s / static_cast<double>(to - from);
}

void overfits(const std::string& model, const json& params, const std::string& loss_key) {
  Table t;
  Schema s;
  tiny(&t, &s);
  Context ctx;
  ctx.seed = 9;
  auto synth = create_synthesizer(model, params);
  synth->fit(t, s, ctx);
  const json history = synth->summary().at("history");
  ASSERT_GE(history.size(), 40u);
  const double first = mean_of(history, loss_key, 0, 10), last = mean_of(history, loss_key, history.size() - 10, history.size());
  std::printf("%s %s: first 10 epochs %.4f, last 10 %.4f\n", model.c_str(), loss_key.c_str(), first, last);
  EXPECT_LT(last, first - 0.5 * std::abs(first)) << "the loss must fall";

  const size_t n = 600;
  const Table syn = synth->sample(n, {}, ctx);
  std::map<int, size_t> dx_count;
  size_t paired = 0;
  double temp_sum[3] = {0, 0, 0};
  for (size_t i = 0; i < n; ++i) {
    const int d = syn.columns[0].codes[i];
    ASSERT_GE(d, 0);
    ++dx_count[d];
    paired += syn.columns[1].codes[i] == d;
    temp_sum[d] += syn.columns[2].values[i];
  }
  std::printf("%s: pairing kept in %zu of %zu rows; dx counts %zu %zu %zu\n", model.c_str(), paired, n, dx_count[0],
              dx_count[1], dx_count[2]);
  ASSERT_EQ(dx_count.size(), 3u) << "every category comes back";
  for (const auto& [d, c] : dx_count) EXPECT_GT(c, n / 6) << "category " << d << " under-represented";
  // Chance keeps a third of the pairs; the models must learn the pairing (measured: ctgan
  // 81%, tvae 75%; the GAN's discriminator and the VAE's KL term keep both short of 100%).
  EXPECT_GT(paired, n * 2 / 3) << "diagnosis -> drug pairing";
  const double flu = temp_sum[0] / dx_count[0], covid = temp_sum[1] / dx_count[1], asthma = temp_sum[2] / dx_count[2];
  std::printf("%s: mean temp flu %.2f covid %.2f asthma %.2f (real 39, 38, 37)\n", model.c_str(), flu, covid, asthma);
  EXPECT_GT(flu, covid);
  EXPECT_GT(covid, asthma);
}

}  // namespace

TEST(NeuralOverfit, Ctgan) { overfits("ctgan", {{"epochs", 1000}, {"batch_size", 60}}, "cond_ce"); }
TEST(NeuralOverfit, Tvae) { overfits("tvae", {{"epochs", 1000}, {"batch_size", 20}}, "reconstruction"); }
