// ctgan trained by DP-SGD (issue 20 item 1; the discriminator is the private part, one row per
// decision): the budget recorded in the model, quality at a large epsilon against a trivial
// baseline, and the refusals (bad budgets, a resumed private run, a run that would spend more).
#include "medgen/tabular/ctgan.h"

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


// The budget spent is at most the target and is recorded with the noise multiplier, the clip,
// the sampling rate and the steps (discriminator updates); the history keeps no loss computed
// from the rows; the same seed gives the same file.
TEST(CtganDp, RecordsTheBudgetInTheModel) {
  auto real = test::load(test::data_dir() + "/pbc.csv");
  Context ctx;
  ctx.seed = 4;
  // batch_size 64 is no multiple of the default pac (10): under DP-SGD a decision is one row.
  const json params{{"epochs", 3}, {"batch_size", 64}, {"discriminator_steps", 2}, {"epsilon", 3.0}, {"delta", 1e-5}};
  auto s = create_synthesizer("ctgan", params);
  s->fit(real.table, real.schema, ctx);
  EXPECT_EQ(test::model_digest(*s), test::model_digest(*[&] {
              auto t = create_synthesizer("ctgan", params);
              t->fit(real.table, real.schema, ctx);
              return t;
            }()));  // deterministic from the seed

  LoadedModel m = load_model_bytes(test::model_bytes(*s), "model");
  const json& dp = m.header["summary"]["privacy"];
  ASSERT_TRUE(dp.is_object()) << m.header["summary"].dump();
  EXPECT_EQ(dp["mechanism"], "dp-sgd");
  EXPECT_EQ(dp["private_part"], "discriminator");
  EXPECT_EQ(dp["pac"], 1);
  EXPECT_LE(dp["epsilon"].get<double>(), 3.0);
  EXPECT_GT(dp["epsilon"].get<double>(), 2.9);  // calibrated to the target, not far below it
  EXPECT_EQ(dp["delta"], 1e-5);
  EXPECT_NEAR(dp["sampling_rate"].get<double>(), 64.0 / 418, 1e-12);
  EXPECT_EQ(dp["steps"], 3 * 7 * 2);  // epochs x ceil(418 / 64) batches x discriminator updates
  EXPECT_GT(dp["transformer_rho"].get<double>(), 0);
  for (const json& row : m.header["summary"]["history"]) EXPECT_EQ(row.size(), 1u) << row.dump();
  EXPECT_NEAR(dp["epsilon"].get<double>(),
              privacy::epsilon_spent_with_zcdp({{dp["sampling_rate"].get<double>(), dp["noise_multiplier"].get<double>(),
                                                 dp["steps"].get<long long>()}},
                                               dp["transformer_rho"].get<double>(), 1e-5)
                  .epsilon,
              1e-9);
  const std::string info = model_info_text(m.header);
  EXPECT_NE(info.find("privacy       DP-SGD (epsilon"), std::string::npos) << info;
  EXPECT_NE(model_info_json(m.header)["disclosure"]["privacy"], "exact");
  const Table syn = m.synthesizer->sample(200, {}, ctx);
  EXPECT_EQ(syn.num_rows(), 200u);
  ASSERT_EQ(real.table.column("time").count_missing(), 0u);
  EXPECT_EQ(syn.column("time").count_missing(), 0u);
  // Conditional sampling still works (frequencies from the released histograms).
  const Table cond = m.synthesizer->sample(50, {{"sex", "m"}}, ctx);
  for (size_t r = 0; r < cond.num_rows(); ++r) ASSERT_EQ(cond.column("sex").dictionary[cond.column("sex").codes[r]], "m");
}

// At a large epsilon the private model keeps the category frequencies far better than a uniform
// draw does (the trivial baseline), on every categorical column of pbc.
TEST(CtganDp, LargeEpsilonBeatsTheUniformBaseline) {
  auto real = test::load(test::data_dir() + "/pbc.csv");
  Context ctx;
  ctx.seed = 7;
  auto s = create_synthesizer("ctgan", {{"epochs", 40}, {"batch_size", 64}, {"epsilon", 1000.0}, {"delta", 1e-5}});
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
    EXPECT_LT(m, 0.2);
    model_tv += m;
    uniform_tv += u;
  }
  EXPECT_LT(model_tv, 0.3 * uniform_tv) << "model " << model_tv << " uniform " << uniform_tv;  // measured: 0.22 / 1.38
}

// Bad budgets, a resumed private run and a run that would spend more than the budget:
// InvalidInput, one line, naming the problem.
TEST(CtganDp, RefusesBadParameters) {
  const std::vector<std::pair<json, std::string>> bad = {
      {json{{"epsilon", 0}}, "epsilon"},
      {json{{"epsilon", 1}, {"delta", 1}}, "delta"},
      {json{{"epsilon", 1}, {"dp_clip", 0}}, "dp_clip"},
      {json{{"delta", 1e-6}}, "needs 'epsilon'"}};
  for (const auto& [p, key] : bad) {
    try {
      create_synthesizer("ctgan", p);
      ADD_FAILURE() << p.dump();
    } catch (const InvalidInput& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_NE(what.find(key), std::string::npos) << what;
    }
  }
  // Without DP the batch must still hold whole packs.
  EXPECT_THROW(create_synthesizer("ctgan", {{"batch_size", 64}}), InvalidInput);
  auto real = test::load(test::data_dir() + "/pbc.csv");
  auto big_delta = create_synthesizer("ctgan", {{"epochs", 1}, {"epsilon", 1.0}, {"delta", 0.01}});
  try {
    big_delta->fit(real.table, real.schema, Context{});
    ADD_FAILURE() << "delta 0.01 accepted for 418 rows";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("1 / rows"), std::string::npos) << e.what();
  }
  auto loud = create_synthesizer("ctgan", {{"epochs", 50}, {"batch_size", 64}, {"epsilon", 1.0}, {"delta", 1e-5},
                                           {"dp_noise_multiplier", 0.3}});
  try {
    loud->fit(real.table, real.schema, Context{});
    ADD_FAILURE() << "a run over budget was accepted";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("would spend epsilon"), std::string::npos) << e.what();
  }
  test::TempDir dir;
  auto resumed = create_synthesizer("ctgan", {{"epochs", 1}, {"epsilon", 1.0}, {"delta", 1e-5}});
  resumed->set_checkpoint(dir.file("c.ckpt"), true);
  try {
    resumed->fit(real.table, real.schema, Context{});
    ADD_FAILURE() << "a private run was resumed";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("--resume"), std::string::npos) << e.what();
  }
}

// Through the CLI: the budget options reach ctgan and `info` prints what was spent.
TEST(CtganDp, Cli) {
  test::TempDir dir;
  const std::string data = test::data_dir() + "/pbc.csv";
  const std::string fit = std::string(MEDGEN_CLI) + " fit " + data + " -s ctgan --epochs 2 --batch-size 64 -q -o " +
                          dir.file("m.medgen");
  ASSERT_EQ(std::system((fit + " --epsilon 3 --delta 1e-5").c_str()), 0);
  ASSERT_EQ(std::system((std::string(MEDGEN_CLI) + " info " + dir.file("m.medgen") + " >" + dir.file("info.txt")).c_str()), 0);
  const std::string info = read_file(dir.file("info.txt"));
  EXPECT_NE(info.find("DP-SGD (epsilon"), std::string::npos) << info;
  const int rc = std::system((fit + " --epsilon 1 --delta 0.01 2>" + dir.file("err.txt")).c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  const std::string err = read_file(dir.file("err.txt"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find("delta"), std::string::npos) << err;
}
