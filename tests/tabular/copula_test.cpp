#include "medgen/tabular/copula.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/tabular/pipeline.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::tabular;

namespace {

double missing_rate(const Column& c) { return static_cast<double>(c.count_missing()) / c.size(); }

std::map<std::string, double> frequencies(const Column& c) {
  std::map<std::string, double> f;
  for (int32_t code : c.codes) f[code < 0 ? "<missing>" : c.dictionary[static_cast<size_t>(code)]] += 1.0 / c.size();
  return f;
}

double tvd(const std::map<std::string, double>& a, const std::map<std::string, double>& b) {
  double d = 0;
  for (const auto& [k, v] : a) d += std::fabs(v - (b.count(k) ? b.at(k) : 0.0));
  for (const auto& [k, v] : b)
    if (!a.count(k)) d += v;
  return d / 2;
}

}  // namespace

TEST(Copula, KeepsTypesRangesMissingRatesAndFrequencies) {
  for (const char* name : {"pbc.csv", "pima2.csv", "colon.csv", "aids2.csv"}) {
    SCOPED_TRACE(name);
    auto real = test::load(test::data_dir() + "/" + name);
    Context ctx;
    ctx.seed = 7;
    auto synth = create_synthesizer("copula");
    synth->fit(real.table, real.schema, ctx);
    Table syn = synth->sample(20000, {}, ctx);
    ASSERT_EQ(syn.num_rows(), 20000u);
    for (size_t oc : output_columns(real.schema)) {
      const ColumnSchema& cs = real.schema.columns[oc];
      const Column& rc = real.table.column(cs.name);
      const Column& sc = syn.column(cs.name);
      SCOPED_TRACE(cs.name);
      ASSERT_EQ(sc.storage, rc.storage);
      if (cs.type == ColumnType::kIdentifier) {
        EXPECT_EQ(sc.dictionary.size(), 20000u);  // unique, regenerated
        continue;
      }
      EXPECT_NEAR(missing_rate(sc), missing_rate(rc), 0.02);
      if (cs.type == ColumnType::kNumerical) {
        for (size_t i = 0; i < sc.size(); ++i) {
          if (!sc.valid[i]) continue;
          ASSERT_GE(sc.values[i], cs.min);
          ASSERT_LE(sc.values[i], cs.max);
          if (cs.integer) ASSERT_EQ(sc.values[i], std::nearbyint(sc.values[i]));
        }
      } else if (sc.storage == Storage::kString) {
        EXPECT_LT(tvd(frequencies(rc), frequencies(sc)), 0.03);
      }
    }
  }
}

TEST(Copula, BeatsIndependentColumnsOnPairwiseCorrelation) {
  for (const char* name : {"pbc.csv", "pima2.csv"}) {
    SCOPED_TRACE(name);
    auto real = test::load(test::data_dir() + "/" + name);
    Context ctx;
    ctx.seed = 11;
    auto copula = create_synthesizer("copula");
    auto indep = create_synthesizer("independent");
    copula->fit(real.table, real.schema, ctx);
    indep->fit(real.table, real.schema, ctx);
    const double e_cop = correlation_error(real.table, copula->sample(10000, {}, ctx), real.schema);
    const double e_ind = correlation_error(real.table, indep->sample(10000, {}, ctx), real.schema);
    EXPECT_LT(e_cop, 0.5 * e_ind) << "copula " << e_cop << " independent " << e_ind;
    EXPECT_LT(e_cop, 0.06);
  }
}

TEST(Copula, SaveLoadGivesIdenticalSamples) {
  test::TempDir dir;
  auto real = test::load(test::data_dir() + "/pbc.csv");
  Context ctx;
  ctx.seed = 3;
  auto synth = create_synthesizer("copula");
  synth->fit(real.table, real.schema, ctx);
  save_model(*synth, Provenance{}, dir.file("m.medgen"));
  LoadedModel back = load_model(dir.file("m.medgen"));
  const std::vector<Condition> cond = {{"sex", "m"}};
  EXPECT_EQ(to_csv(synth->sample(500, {}, ctx), real.schema), to_csv(back.synthesizer->sample(500, {}, ctx), real.schema));
  EXPECT_EQ(to_csv(synth->sample(50, cond, ctx), real.schema), to_csv(back.synthesizer->sample(50, cond, ctx), real.schema));
  // Same seed, same rows; another seed, other rows.
  Context other = ctx;
  other.seed = 4;
  EXPECT_NE(to_csv(synth->sample(100, {}, ctx), real.schema), to_csv(synth->sample(100, {}, other), real.schema));
}

TEST(Copula, ConditionalSamplingReturnsExactlyNMatchingRowsFromTheConditional) {
  // Two groups with different means of x and y: the conditional must follow the group.
  Rng rng(5);
  const size_t n = 4000;
  Table t;
  t.columns.push_back(Column::strings("group", n, {"a", "b", "c"}));
  t.columns.push_back(Column::strings("sex", n, {"f", "m"}));
  t.columns.push_back(Column::numbers("x", n));
  for (size_t i = 0; i < n; ++i) {
    const int g = rng.uniform() < 0.7 ? 0 : (rng.uniform() < 0.8 ? 1 : 2);  // c is rare (~6%)
    t.columns[0].codes[i] = g;
    t.columns[1].codes[i] = rng.uniform() < (g == 2 ? 0.8 : 0.4) ? 1 : 0;
    t.columns[2].values[i] = 10.0 * g + rng.normal();
    t.columns[2].valid[i] = 1;
  }
  Schema s;
  s.columns = {{"group", ColumnType::kCategorical}, {"sex", ColumnType::kCategorical}, {"x", ColumnType::kNumerical}};
  s.columns[0].values = {"a", "b", "c"};
  s.columns[1].values = {"f", "m"};
  s.columns[2].min = -100;
  s.columns[2].max = 100;
  s.columns[2].decimals = 3;
  Context ctx;
  auto synth = create_synthesizer("copula");
  synth->fit(t, s, ctx);

  for (size_t want : {size_t{1}, size_t{777}, size_t{5000}}) {
    Table out = synth->sample(want, {{"group", "c"}}, ctx);
    ASSERT_EQ(out.num_rows(), want);
    for (int32_t code : out.column("group").codes) ASSERT_EQ(code, 2);
  }
  Table c = synth->sample(5000, {{"group", "c"}}, ctx);
  double mean = 0, males = 0;
  for (size_t i = 0; i < 5000; ++i) {
    mean += c.column("x").values[i] / 5000;
    males += c.column("sex").codes[i] == 1 ? 1.0 / 5000 : 0.0;
  }
  EXPECT_GT(mean, 15.0);   // group c sits at x ~ 20, the whole table at ~ 3.6
  // 80% male in group c vs ~42% overall: a Gaussian copula carries this through one latent
  // correlation, so it moves the share up but not all the way.
  EXPECT_GT(males, 0.5);

  // Two conditions at once.
  Table both = synth->sample(3000, {{"group", "b"}, {"sex", "m"}}, ctx);
  ASSERT_EQ(both.num_rows(), 3000u);
  for (size_t i = 0; i < 3000; ++i) {
    ASSERT_EQ(both.column("group").codes[i], 1);
    ASSERT_EQ(both.column("sex").codes[i], 1);
  }

  // Balanced sampling over a rare class.
  Table bal = sample_balanced(*synth, 3001, "group", {}, ctx);
  ASSERT_EQ(bal.num_rows(), 3001u);
  std::vector<int> counts(3, 0);
  for (int32_t code : bal.column("group").codes) ++counts[static_cast<size_t>(code)];
  EXPECT_EQ(counts, (std::vector<int>{1001, 1000, 1000}));
}

TEST(Copula, RejectsBadRequests) {
  auto real = test::load(test::data_dir() + "/pbc.csv");
  Context ctx;
  auto synth = create_synthesizer("copula");
  synth->fit(real.table, real.schema, ctx);
  EXPECT_THROW(synth->sample(0, {}, ctx), InvalidInput);
  EXPECT_THROW(synth->sample(10, {{"nope", "x"}}, ctx), InvalidInput);
  EXPECT_THROW(synth->sample(10, {{"sex", "x"}}, ctx), InvalidInput);
  EXPECT_THROW(synth->sample(10, {{"bili", "1"}}, ctx), InvalidInput);
  EXPECT_THROW(synth->sample(10, {{"sex", "m"}, {"sex", "f"}}, ctx), InvalidInput);
  EXPECT_THROW(create_synthesizer("copula", {{"marginals", "magic"}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("copula", {{"colour", 1}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("nope"), InvalidInput);
  EXPECT_THROW(parse_condition("sex"), InvalidInput);
}

TEST(Copula, HighCardinalityCategoricalFits) {
  const size_t n = 20000;
  Table t;
  std::vector<std::string> levels;
  for (int i = 0; i < 10000; ++i) levels.push_back("code" + std::to_string(i));
  t.columns.push_back(Column::strings("icd", n, levels));
  t.columns.push_back(Column::numbers("age", n));
  Rng rng(1);
  for (size_t i = 0; i < n; ++i) {
    t.columns[0].codes[i] = static_cast<int32_t>(i % 10000);
    t.columns[1].values[i] = 50 + 10 * rng.normal();
    t.columns[1].valid[i] = 1;
  }
  Schema s;
  s.columns = {{"icd", ColumnType::kCategorical}, {"age", ColumnType::kNumerical}};
  s.columns[0].values = levels;
  s.columns[1].min = 0;
  s.columns[1].max = 120;
  s.columns[1].decimals = 1;
  Context ctx;
  auto synth = create_synthesizer("copula");
  synth->fit(t, s, ctx);
  Table out = synth->sample(1000, {{"icd", "code1234"}}, ctx);
  for (int32_t code : out.column("icd").codes) ASSERT_EQ(code, 1234);
}

TEST(Copula, DatesIdentifiersAndTextSurviveTheCsvRoundTrip) {
  // A clinic export: ids, admission dates (day/month/year), a follow-up timestamp, free text.
  std::string csv = "mrn,admitted,followup,age,note\n";
  Rng rng(9);
  for (int i = 0; i < 300; ++i) {
    const int day = 1 + static_cast<int>(rng.below(28)), month = 1 + static_cast<int>(rng.below(12));
    char row[256];
    std::snprintf(row, sizeof row, "MRN%05d,%02d/%02d/2023,2024-%02d-%02dT%02d:%02d:00,%d,\"patient %d seen, notes %d\"\n", i + 1,
                  day, month, month, day, static_cast<int>(rng.below(24)), static_cast<int>(rng.below(60)),
                  40 + static_cast<int>(rng.below(40)), i, static_cast<int>(rng.below(1000)));
    csv += row;
  }
  RawTable raw = parse_csv(csv, "clinic.csv");
  std::vector<std::string> warnings;
  const Schema schema = infer_schema(raw, {}, {}, &warnings);
  ASSERT_EQ(schema.column("admitted").type, ColumnType::kDatetime);
  ASSERT_EQ(schema.column("followup").type, ColumnType::kDatetime);
  ASSERT_EQ(schema.column("mrn").type, ColumnType::kIdentifier);
  ASSERT_EQ(schema.column("note").type, ColumnType::kText);
  Context ctx;
  auto synth = create_synthesizer("copula");
  synth->fit(to_table(raw, schema), schema, ctx);
  const Table syn = synth->sample(1000, {}, ctx);
  EXPECT_EQ(syn.find("note"), -1);  // free text never leaves
  const std::string text = to_csv(syn, schema);
  // Parse the synthetic CSV back with the same schema: every date is valid in its format.
  Schema out_schema = schema;
  out_schema.columns.erase(out_schema.columns.begin() + out_schema.find("note"));
  const Table back = to_table(parse_csv(text, "synthetic.csv"), out_schema);
  const Column& adm = back.column("admitted");
  for (size_t i = 0; i < back.num_rows(); ++i) {
    ASSERT_TRUE(adm.valid[i]);
    ASSERT_GE(adm.values[i], schema.column("admitted").min);
    ASSERT_LE(adm.values[i], schema.column("admitted").max);
  }
  const Column& ids = back.column("mrn");
  EXPECT_EQ(ids.dictionary.size(), 1000u);
  EXPECT_EQ(ids.dictionary[0], "MRN00001");
}
