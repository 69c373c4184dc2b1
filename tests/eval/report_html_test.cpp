// The HTML report without a browser (tests/eval/cli_evaluate.sh loads it in Chromium): the
// charts are there, names are escaped, nothing is fetched or run.
#include "medgen/eval/report_html.h"

#include <gtest/gtest.h>

#include "medgen/core/rng.h"
#include "medgen/eval/evaluate.h"
#include "medgen/eval/gate.h"

using namespace medgen;
using namespace medgen::eval;

namespace {

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST(ReportHtml, ChartsEscapedNamesNoScriptsNoNetwork) {
  Rng rng(1);
  const size_t n = 300;
  Table t;
  t.columns = {Column::numbers("<b>dose & rate</b>", n), Column::strings("ward", n, {"a", "b", "c"}),
               Column::numbers("when", n)};
  for (size_t r = 0; r < n; ++r) {
    t.columns[0].values[r] = rng.normal();
    t.columns[0].valid[r] = r % 10 != 0;
    t.columns[1].codes[r] = static_cast<int32_t>(rng.below(3));
    t.columns[2].values[r] = 1.6e9 + 86400.0 * static_cast<double>(rng.below(365));
    t.columns[2].valid[r] = 1;
  }
  t.columns[2].values[0] = 1.6e9;  // 2020-09-13, the first bin's label
  Schema s;
  s.columns.resize(3);
  s.columns[0].name = "<b>dose & rate</b>";
  s.columns[1].name = "ward";
  s.columns[1].type = ColumnType::kCategorical;
  s.columns[1].values = {"a", "b", "c"};
  s.columns[2].name = "when";
  s.columns[2].type = ColumnType::kDatetime;
  s.columns[2].datetime_format = "%Y-%m-%d";
  Context ctx;
  nlohmann::ordered_json r = evaluate(t, t, nullptr, s, EvalOptions{}, ctx);
  r["gate"] = apply_gate(r, Gate{}).to_json();
  const std::string html = render_html(r);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(count(html, "<svg class=\"chart column-chart\""), 3u);
  EXPECT_EQ(count(html, "<svg class=\"chart heatmap\""), 1u);
  EXPECT_EQ(count(html, "<svg class=\"chart dcr-chart\""), 1u);
  EXPECT_NE(html.find("&lt;b&gt;dose &amp; rate&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>dose"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_NE(html.find("Release gate: FAILED"), std::string::npos);  // no holdout: privacy not measured
  EXPECT_NE(html.find("needs --holdout"), std::string::npos);
  EXPECT_NE(html.find(">2020-09-13<"), std::string::npos) << "dates label the date histogram";
  // The detection AUC is the first headline card; the hints of the detector follow its table.
  const size_t det = html.find("Detection AUC (XGBoost)"), qual = html.find("Overall quality");
  ASSERT_NE(det, std::string::npos);
  EXPECT_LT(det, qual);
  EXPECT_NE(html.find("What gives the synthetic rows away"), std::string::npos);
  EXPECT_GE(count(html, "<table class=\"hints\">"), 1u);  // columns (pairs only where the trees nest splits)
}
