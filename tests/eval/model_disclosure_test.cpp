// The evaluation report states what the model file behind the synthetic table reveals.
#include <gtest/gtest.h>

#include "medgen/core/error.h"
#include "medgen/eval/evaluate.h"
#include "medgen/eval/report_html.h"
#include "medgen/tabular/disclosure.h"
#include "medgen/tabular/synthesizer.h"
#include "test_util.h"

using namespace medgen;

TEST(ModelDisclosure, ReportCarriesAModelFileSection) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  auto synth = tabular::create_synthesizer("copula");
  synth->fit(real.table, real.schema, Context{});
  test::TempDir dir;
  tabular::save_model(*synth, tabular::Provenance{}, dir.file("m.medgen"));
  const nlohmann::json disclosure = tabular::model_disclosure_json(tabular::load_model(dir.file("m.medgen")).header);
  EXPECT_EQ(disclosure["privacy"], "exact");
  EXPECT_GT(disclosure["real_values"].get<size_t>(), 0u);

  eval::EvalOptions o;
  o.detection = false;
  nlohmann::ordered_json r = eval::evaluate(real.table, synth->sample(300, {}, Context{}), nullptr, real.schema, o, Context{});
  const std::string without = eval::render_html(r);
  EXPECT_EQ(without.find("<h2>Model file</h2>"), std::string::npos);
  eval::add_model_disclosure(&r, "m.medgen", disclosure);
  EXPECT_EQ(r["model"]["disclosure"]["privacy"], "exact");
  const std::string html = eval::render_html(r);
  EXPECT_NE(html.find("<h2>Model file</h2>"), std::string::npos);
  EXPECT_NE(html.find("privacy exact: holds real values"), std::string::npos);
  EXPECT_THROW(eval::add_model_disclosure(&r, "m", nlohmann::json::array()), InvalidInput);
}

// A differentially private model's budget is in the report: the summary line and its own row.
TEST(ModelDisclosure, ReportShowsTheBudgetOfAPrivateModel) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  auto synth = tabular::create_synthesizer("mst", nlohmann::json{{"epsilon", 2.5}, {"delta", 1e-9}});
  synth->fit(real.table, real.schema, Context{});
  test::TempDir dir;
  tabular::save_model(*synth, tabular::Provenance{}, dir.file("m.medgen"));
  const nlohmann::json disclosure = tabular::model_disclosure_json(tabular::load_model(dir.file("m.medgen")).header);
  EXPECT_EQ(disclosure["privacy"], "dp");
  EXPECT_EQ(disclosure["epsilon"], 2.5);

  eval::EvalOptions o;
  o.detection = false;
  nlohmann::ordered_json r = eval::evaluate(real.table, synth->sample(300, {}, Context{}), nullptr, real.schema, o, Context{});
  eval::add_model_disclosure(&r, "m.medgen", disclosure);
  const std::string html = eval::render_html(r);
  EXPECT_NE(html.find("differential privacy spent (&epsilon;, &delta;)</th><td>2.5, 1e-09"), std::string::npos);
}
