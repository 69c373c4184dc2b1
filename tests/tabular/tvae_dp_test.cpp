// tvae trained by DP-SGD (issue 20 item 1): the budget recorded in the model, quality at a large
// epsilon against a trivial baseline, and the refusals (bad budgets, a run that would spend more).
#include "medgen/tabular/tvae.h"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/model_file.h"
#include "medgen/privacy/accountant.h"
#include "medgen/tabular/model_info.h"
#include "medgen/tabular/pipeline.h"
#include "dp_test_util.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::tabular;
using json = nlohmann::json;
using test_dp::categorical_columns;
using test_dp::tv_distance;

namespace {

std::string first_line_only(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

// The budget spent is at most the target and is recorded with the noise multiplier, the clip,
// the sampling rate and the steps; the history keeps no loss computed from the rows.
TEST(TvaeDp, RecordsTheBudgetInTheModel) {
  auto real = test::load(test::data_dir() + "/pbc.csv");
  Context ctx;
  ctx.seed = 4;
  const json params{{"epochs", 4}, {"batch_size", 64}, {"epsilon", 3.0}, {"delta", 1e-5}};
  auto s = create_synthesizer("tvae", params);
  s->fit(real.table, real.schema, ctx);
  EXPECT_EQ(test::model_digest(*s), test::model_digest(*[&] {
              auto t = create_synthesizer("tvae", params);
              t->fit(real.table, real.schema, ctx);
              return t;
            }()));  // deterministic from the seed

  LoadedModel m = load_model_bytes(test::model_bytes(*s), "model");
  const json& dp = m.header["summary"]["privacy"];
  ASSERT_TRUE(dp.is_object()) << m.header["summary"].dump();
  EXPECT_EQ(dp["mechanism"], "dp-sgd");
  EXPECT_LE(dp["epsilon"].get<double>(), 3.0);
  EXPECT_GT(dp["epsilon"].get<double>(), 2.9);  // calibrated to the target, not far below it
  EXPECT_EQ(dp["epsilon_target"], 3.0);
  EXPECT_EQ(dp["delta"], 1e-5);
  EXPECT_EQ(dp["clip"], 1.0);
  EXPECT_NEAR(dp["sampling_rate"].get<double>(), 64.0 / 418, 1e-12);
  EXPECT_EQ(dp["steps"], 4 * 7);  // ceil(418 / 64) steps per epoch
  EXPECT_GT(dp["noise_multiplier"].get<double>(), 0.3);
  EXPECT_GT(dp["transformer_rho"].get<double>(), 0);
  EXPECT_EQ(m.header["params"]["epsilon"], 3.0);
  for (const json& row : m.header["summary"]["history"]) EXPECT_EQ(row.size(), 1u) << row.dump();
  // The spent epsilon recomputed from the recorded quantities.
  EXPECT_NEAR(dp["epsilon"].get<double>(),
              privacy::epsilon_spent_with_zcdp({{dp["sampling_rate"].get<double>(), dp["noise_multiplier"].get<double>(),
                                                 dp["steps"].get<long long>()}},
                                               dp["transformer_rho"].get<double>(), 1e-5)
                  .epsilon,
              1e-9);
  const std::string info = model_info_text(m.header);
  EXPECT_NE(info.find("privacy       DP-SGD (epsilon"), std::string::npos) << info;
  EXPECT_NE(model_info_json(m.header)["disclosure"]["privacy"], "exact");
  // It samples, with every column; a column without missing values gets no missing slot (its
  // noisy missing count stays under 3 standard deviations), so no synthetic value is missing.
  const Table syn = m.synthesizer->sample(200, {}, ctx);
  EXPECT_EQ(syn.num_rows(), 200u);
  ASSERT_EQ(real.table.column("time").count_missing(), 0u);
  EXPECT_EQ(syn.column("time").count_missing(), 0u);
}

// At a large epsilon the private model keeps the category frequencies far better than a uniform
// draw does (the trivial baseline), on every categorical column of pbc.
TEST(TvaeDp, LargeEpsilonBeatsTheUniformBaseline) {
  auto real = test::load(test::data_dir() + "/pbc.csv");
  Context ctx;
  ctx.seed = 7;
  auto s = create_synthesizer("tvae", {{"epochs", 60}, {"batch_size", 64}, {"epsilon", 1000.0}, {"delta", 1e-5}});
  s->fit(real.table, real.schema, ctx);
  const Table syn = s->sample(2000, {}, ctx);
  double model_tv = 0, uniform_tv = 0;
  const std::vector<size_t> cats = categorical_columns(real.schema);
  ASSERT_FALSE(cats.empty());
  for (size_t c : cats) {
    const ColumnSchema& cs = real.schema.columns[c];
    Column uniform = Column::strings(cs.name, 2000, cs.values);
    for (size_t r = 0; r < 2000; ++r) uniform.codes[r] = static_cast<int32_t>(r % cs.values.size());
    const double m = tv_distance(real.table.column(cs.name), syn.column(cs.name), cs.values);
    const double u = tv_distance(real.table.column(cs.name), uniform, cs.values);
    SCOPED_TRACE(cs.name);
    EXPECT_LT(m, 0.15);
    model_tv += m;
    uniform_tv += u;
  }
  EXPECT_LT(model_tv, 0.5 * uniform_tv) << "model " << model_tv << " uniform " << uniform_tv;
}

// Bad budgets and a run that would spend more than the budget: InvalidInput, one line, naming
// the problem.
TEST(TvaeDp, RefusesBadParameters) {
  const std::vector<std::pair<json, std::string>> bad = {
      {json{{"epsilon", 0}}, "epsilon"},
      {json{{"epsilon", -1}}, "epsilon"},
      {json{{"epsilon", 1}, {"delta", 0}}, "delta"},
      {json{{"epsilon", 1}, {"delta", 1}}, "delta"},
      {json{{"epsilon", 1}, {"dp_clip", 0}}, "dp_clip"},
      {json{{"epsilon", 1}, {"dp_clip", 1e9}}, "dp_clip"},
      {json{{"delta", 1e-6}}, "needs 'epsilon'"},
      {json{{"epsilon", 1}, {"dp_transformer_share", 1}}, "dp_transformer_share"}};
  for (const auto& [p, key] : bad) {
    try {
      create_synthesizer("tvae", p);
      ADD_FAILURE() << p.dump();
    } catch (const InvalidInput& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_NE(what.find(key), std::string::npos) << what;
    }
  }
  auto real = test::load(test::data_dir() + "/pbc.csv");
  // delta must be below 1 / rows (418 rows).
  auto big_delta = create_synthesizer("tvae", {{"epochs", 1}, {"epsilon", 1.0}, {"delta", 0.01}});
  try {
    big_delta->fit(real.table, real.schema, Context{});
    ADD_FAILURE() << "delta 0.01 accepted for 418 rows";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("1 / rows"), std::string::npos) << e.what();
  }
  // A fixed noise multiplier too small for the budget.
  auto loud = create_synthesizer("tvae", {{"epochs", 50}, {"batch_size", 64}, {"epsilon", 1.0}, {"delta", 1e-5},
                                          {"dp_noise_multiplier", 0.3}});
  try {
    loud->fit(real.table, real.schema, Context{});
    ADD_FAILURE() << "a run over budget was accepted";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("would spend epsilon"), std::string::npos) << e.what();
  }
  // A numeric column without public bounds.
  auto t = real;
  for (ColumnSchema& cs : t.schema.columns)
    if (cs.name == "bili") cs.max = std::numeric_limits<double>::quiet_NaN();
  auto s = create_synthesizer("tvae", {{"epochs", 1}, {"epsilon", 1.0}, {"delta", 1e-5}});
  EXPECT_THROW(s->fit(t.table, t.schema, Context{}), InvalidInput);
}

// Through the CLI: the budget options reach tvae, `info` prints what was spent, and a bad budget
// is one line on stderr with exit code 2.
TEST(TvaeDp, Cli) {
  test::TempDir dir;
  const std::string data = test::data_dir() + "/pbc.csv";
  const std::string fit = std::string(MEDGEN_CLI) + " fit " + data + " -s tvae --epochs 2 --batch-size 64 -q -o " +
                          dir.file("m.medgen");
  ASSERT_EQ(std::system((fit + " --epsilon 3 --delta 1e-5").c_str()), 0);
  ASSERT_EQ(std::system((std::string(MEDGEN_CLI) + " info " + dir.file("m.medgen") + " >" + dir.file("info.txt")).c_str()), 0);
  const std::string info = read_file(dir.file("info.txt"));
  EXPECT_NE(info.find("DP-SGD (epsilon"), std::string::npos) << info;
  EXPECT_NE(info.find("differentially private"), std::string::npos) << info;
  for (const std::string flags : {"--epsilon 0", "--epsilon 1 --delta 0.01"}) {
    const int rc = std::system((fit + " " + flags + " 2>" + dir.file("err.txt")).c_str());
    ASSERT_TRUE(WIFEXITED(rc));
    EXPECT_EQ(WEXITSTATUS(rc), 2) << flags;
    const std::string err = read_file(dir.file("err.txt"));
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    const std::string line = first_line_only(err);
    EXPECT_TRUE(line.find("delta") != std::string::npos || line.find("epsilon") != std::string::npos) << err;
  }
}
