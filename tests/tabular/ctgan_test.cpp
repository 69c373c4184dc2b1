// CTGAN through the registry (which loads the LibTorch library on first use).
#include "medgen/tabular/ctgan.h"

#include <gtest/gtest.h>

#include <cmath>

#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/core/rng.h"
#include "medgen/tabular/pipeline.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::tabular;
using json = nlohmann::json;

TEST(Ctgan, KeepsTypesRangesAndConditionsOnEveryColumn) {
  auto real = test::load(test::data_dir() + "/pbc.csv");
  Context ctx;
  auto synth = create_synthesizer("ctgan", {{"epochs", 5}});
  synth->fit(real.table, real.schema, ctx);
  const Table syn = synth->sample(1000, {}, ctx);
  ASSERT_EQ(syn.num_rows(), 1000u);
  for (size_t oc : output_columns(real.schema)) {
    const ColumnSchema& cs = real.schema.columns[oc];
    if (cs.type != ColumnType::kNumerical) continue;
    const Column& sc = syn.column(cs.name);
    for (size_t i = 0; i < sc.size(); ++i) {
      if (!sc.valid[i]) continue;
      ASSERT_GE(sc.values[i], cs.min) << cs.name;
      ASSERT_LE(sc.values[i], cs.max) << cs.name;
      if (cs.integer) ASSERT_EQ(sc.values[i], std::nearbyint(sc.values[i])) << cs.name;
    }
  }
  // Every categorical/boolean column can be conditioned on, alone or together.
  for (const char* col : {"sex", "ascites", "hepato", "spiders"}) {
    const ColumnSchema& cs = real.schema.column(col);
    const Table out = synth->sample(120, {{col, cs.values[1]}}, ctx);
    ASSERT_EQ(out.num_rows(), 120u);
    for (int32_t c : out.column(col).codes) ASSERT_EQ(c, 1) << col;
  }
  const Table both = synth->sample(77, {{"sex", "m"}, {"spiders", "1"}}, ctx);
  ASSERT_EQ(both.num_rows(), 77u);
  for (size_t i = 0; i < 77; ++i) {
    ASSERT_EQ(both.column("sex").codes[i], 1);
    ASSERT_EQ(both.column("spiders").codes[i], 1);
  }
  EXPECT_THROW(synth->sample(5, {{"sex", "x"}}, ctx), InvalidInput);
}

TEST(Ctgan, SameSeedSameModelAndResumeEqualsUninterrupted) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  Context ctx;
  ctx.seed = 4;
  auto a = create_synthesizer("ctgan", {{"epochs", 4}, {"batch_size", 200}});
  auto b = create_synthesizer("ctgan", {{"epochs", 4}, {"batch_size", 200}});
  a->fit(real.table, real.schema, ctx);
  b->fit(real.table, real.schema, ctx);
  EXPECT_EQ(test::model_digest(*a), test::model_digest(*b));

  test::TempDir dir;
  auto first = create_synthesizer("ctgan", {{"epochs", 2}, {"batch_size", 200}, {"checkpoint_every", 2}});
  first->set_checkpoint(dir.file("c.ckpt"), false);
  first->fit(real.table, real.schema, ctx);
  auto rest = create_synthesizer("ctgan", {{"epochs", 4}, {"batch_size", 200}});
  rest->set_checkpoint(dir.file("c.ckpt"), true);
  rest->fit(real.table, real.schema, ctx);
  EXPECT_EQ(to_csv(a->sample(200, {}, ctx), real.schema), to_csv(rest->sample(200, {}, ctx), real.schema));

  // Save and load: the same samples.
  save_model(*a, Provenance{}, dir.file("a.medgen"));
  LoadedModel back = load_model(dir.file("a.medgen"));
  EXPECT_EQ(to_csv(a->sample(100, {{"diabetes", "pos"}}, ctx), real.schema),
            to_csv(back.synthesizer->sample(100, {{"diabetes", "pos"}}, ctx), real.schema));
}

TEST(Ctgan, MinimaxLossAndBatchNormModesRun) {
  auto real = test::load(test::data_dir() + "/birthwt.csv");
  Context ctx;
  for (const char* loss : {"wgan-gp", "minimax"})
    for (const char* bn : {"eval", "train"}) {
      auto s = create_synthesizer("ctgan", {{"epochs", 2}, {"loss", loss}, {"sample_batchnorm", bn}});
      s->fit(real.table, real.schema, ctx);
      EXPECT_EQ(s->sample(123, {}, ctx).num_rows(), 123u) << loss << " " << bn;
    }
}

TEST(Ctgan, RejectsBadOptions) {
  EXPECT_THROW(create_synthesizer("ctgan", {{"batch_size", 505}}), InvalidInput);  // not a multiple of pac
  EXPECT_THROW(create_synthesizer("ctgan", {{"loss", "hinge"}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("ctgan", {{"sample_batchnorm", "maybe"}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("ctgan", {{"pac", 0}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("ctgan", {{"colour", 1}}), InvalidInput);
}

TEST(Ctgan, MinimaxAndWganGpBothTrainOnPbc) {
  auto real = test::load(test::data_dir() + "/pbc.csv");
  Context ctx;
  ctx.seed = 21;
  for (const char* loss : {"wgan-gp", "minimax"}) {
    SCOPED_TRACE(loss);
    auto s = create_synthesizer("ctgan", {{"epochs", 40}, {"batch_size", 100}, {"loss", loss}});
    s->fit(real.table, real.schema, ctx);
    const json h = s->summary().at("history");
    ASSERT_EQ(h.size(), 40u);
    double ce_first = 0, ce_last = 0;
    for (size_t i = 0; i < 5; ++i) {
      ce_first += h[i].at("cond_ce").get<double>() / 5;
      ce_last += h[h.size() - 1 - i].at("cond_ce").get<double>() / 5;
    }
    for (const json& e : h) {
      ASSERT_TRUE(std::isfinite(e.at("generator").get<double>()));
      ASSERT_TRUE(std::isfinite(e.at("discriminator").get<double>()));
    }
    // The generator learns to honour its condition under either objective.
    EXPECT_LT(ce_last, 0.8 * ce_first);
    if (std::string(loss) == "minimax") {
      // Binary cross-entropy of D on real and fake: between 0 and 2 log 2 + slack, never negative.
      EXPECT_GT(h.back().at("discriminator").get<double>(), 0.0);
    }
    EXPECT_EQ(s->sample(200, {{"sex", "f"}}, ctx).num_rows(), 200u);
  }
}
