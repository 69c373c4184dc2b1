// privacy "coarse" (issue 11, item 6): what the model file keeps from the real data, and that
// the synthesizer still works from what is kept.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "medgen/core/model_file.h"
#include "medgen/tabular/disclosure.h"
#include "medgen/tabular/pipeline.h"
#include "medgen/tabular/synthesizer.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::tabular;
using json = nlohmann::json;

namespace {

json header_of(const Synthesizer& s) {
  test::TempDir dir;
  save_model(s, Provenance{}, dir.file("m.medgen"));
  return ModelFile::load(dir.file("m.medgen")).header;
}

const json* latent(const json& h, const std::string& column) {
  const int ci = [&] {
    const json& cols = h["schema"]["columns"];
    for (size_t i = 0; i < cols.size(); ++i)
      if (cols[i]["name"] == column) return static_cast<int>(i);
    return -1;
  }();
  for (const json& l : h["state"]["latents"])
    if (l["column"] == ci && l["kind"] != "missing") return &l;
  return nullptr;
}

}  // namespace

TEST(Privacy, CoarseCopulaKeepsNoQuantileTablesOfRealValues) {
  auto real = test::load(test::data_dir() + "/pbc.csv");
  auto coarse = create_synthesizer("copula", {{"privacy", "coarse"}, {"marginals", "empirical"}});
  coarse->fit(real.table, real.schema, Context{});
  const json h = header_of(*coarse);
  // Every empirical table is 200 entries interpolated between 21 knots: within each of the 20
  // segments the entries lie on one line.
  for (const json& l : h["state"]["latents"]) {
    if (l["kind"] != "continuous") continue;
    const auto q = l["quantiles"].get<std::vector<double>>();
    ASSERT_EQ(q.size(), 200u);
    for (size_t seg = 0; seg < 20; ++seg)
      for (size_t i = seg * 10 + 1; i + 1 < seg * 10 + 10; ++i)
        EXPECT_NEAR(q[i + 1] - q[i], q[i] - q[i - 1], 1e-9 * (1 + std::fabs(q[i])));
  }
  // Bounds rounded outward: age 26.28..78.44 on a grid of 5, bilirubin 0.3..28 on a grid of 2.
  const Schema& s = coarse->schema();
  EXPECT_EQ(s.column("age").min, 25.0);
  EXPECT_EQ(s.column("age").max, 80.0);
  EXPECT_EQ(s.column("bili").min, 0.0);
  EXPECT_EQ(s.column("bili").max, 28.0);
  // It still samples, within the rounded bounds, and survives a save/load.
  test::TempDir dir;
  save_model(*coarse, Provenance{}, dir.file("m.medgen"));
  LoadedModel back = load_model(dir.file("m.medgen"));
  const Table t = back.synthesizer->sample(500, {}, Context{});
  for (size_t r = 0; r < t.num_rows(); ++r)
    if (t.column("age").valid[r]) {
      EXPECT_GE(t.column("age").values[r], 25.0);
      EXPECT_LE(t.column("age").values[r], 80.0);
    }
  EXPECT_EQ(model_disclosure_json(back.header)["privacy"], "coarse");
  EXPECT_EQ(model_disclosure(back.header).rfind("privacy coarse:", 0), 0u);
}

TEST(Privacy, CoarseDropsValuesSeenFewerThanFiveTimes) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  auto coarse = create_synthesizer("copula", {{"privacy", "coarse"}});
  coarse->fit(real.table, real.schema, Context{});
  // pregnant: 0..13 each seen 9+ times are kept; 14 (2 women), 15 and 17 (one each) are not.
  const json h = header_of(*coarse);
  const json* l = latent(h, "pregnant");
  ASSERT_NE(l, nullptr);
  ASSERT_EQ((*l)["family"], "discrete");
  const auto levels = (*l)["levels"].get<std::vector<double>>();
  EXPECT_EQ(levels.back(), 13.0);
  EXPECT_EQ(levels.size(), 14u);
  const Table t = coarse->sample(3000, {}, Context{});
  const Column& p = t.column("pregnant");
  EXPECT_LE(*std::max_element(p.values.begin(), p.values.end()), 13.0);

  // A label seen twice: not in the model's schema, never sampled, refused as a condition.
  Schema schema;
  schema.columns.resize(2);
  schema.columns[0].name = "ward";
  schema.columns[0].type = ColumnType::kCategorical;
  schema.columns[0].values = {"a", "b", "rare"};
  schema.columns[1].name = "x";
  schema.columns[1].type = ColumnType::kNumerical;
  Table tab;
  tab.columns.push_back(Column::strings("ward", 60, schema.columns[0].values));
  tab.columns.push_back(Column::numbers("x", 60));
  for (size_t r = 0; r < 60; ++r) {
    tab.columns[0].codes[r] = r < 2 ? 2 : static_cast<int32_t>(r % 2);
    tab.columns[1].values[r] = static_cast<double>(r) * 1.37;
    tab.columns[1].valid[r] = 1;
  }
  auto c2 = create_synthesizer("copula", {{"privacy", "coarse"}});
  c2->fit(tab, schema, Context{});
  EXPECT_EQ(c2->schema().column("ward").values, (std::vector<std::string>{"a", "b"}));
  EXPECT_THROW(c2->sample(5, {{"ward", "rare"}}, Context{}), InvalidInput);
  const Table t2 = c2->sample(200, {}, Context{});
  for (int32_t code : t2.column("ward").codes) EXPECT_NE(t2.column("ward").dictionary[static_cast<size_t>(code)], "rare");
  LoadedModel back = load_model_bytes(ModelFile{header_of(*c2), ""}.serialize(), "m");
  EXPECT_EQ(back.synthesizer->sample(10, {{"ward", "b"}}, Context{}).num_rows(), 10u);
}

TEST(Privacy, ExactModelsSayTheyHoldRealValues) {
  auto real = test::load(test::data_dir() + "/pbc.csv");
  auto exact = create_synthesizer("copula", {{"marginals", "empirical"}});
  exact->fit(real.table, real.schema, Context{});
  const json d = model_disclosure_json(header_of(*exact));
  EXPECT_EQ(d["privacy"], "exact");
  EXPECT_GT(d["real_values"].get<size_t>(), 1000u);  // pbc's empirical tables are its order statistics
  EXPECT_EQ(d["bounds"], "exact");
  EXPECT_EQ(model_disclosure(header_of(*exact)).rfind("privacy exact:", 0), 0u);
}

// The fidelity cost stays small on a real table (docs/evaluation.md has the figures).
TEST(Privacy, CoarseCostsLittleCorrelationFidelity) {
  auto real = test::load(test::data_dir() + "/pbc.csv");
  double err[2];
  int i = 0;
  for (const char* level : {"exact", "coarse"}) {
    auto s = create_synthesizer("copula", {{"privacy", level}});
    Context ctx;
    ctx.seed = 3;
    s->fit(real.table, real.schema, ctx);
    err[i++] = correlation_error(real.table, s->sample(2000, {}, ctx), real.schema);
  }
  EXPECT_LT(err[1], err[0] + 0.02) << "exact " << err[0] << " coarse " << err[1];
}
