// TVAE through the registry (which loads the LibTorch library on first use).
#include "medgen/tabular/tvae.h"

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

TEST(Tvae, KeepsTypesRangesAndMissingValues) {
  auto real = test::load(test::data_dir() + "/pbc.csv");
  Context ctx;
  auto synth = create_synthesizer("tvae", {{"epochs", 60}});
  synth->fit(real.table, real.schema, ctx);
  const Table syn = synth->sample(2000, {}, ctx);
  ASSERT_EQ(syn.num_rows(), 2000u);
  for (size_t oc : output_columns(real.schema)) {
    const ColumnSchema& cs = real.schema.columns[oc];
    const Column& sc = syn.column(cs.name);
    SCOPED_TRACE(cs.name);
    if (cs.type != ColumnType::kNumerical) continue;
    size_t present = 0;
    for (size_t i = 0; i < sc.size(); ++i) {
      if (!sc.valid[i]) continue;
      ++present;
      ASSERT_GE(sc.values[i], cs.min);
      ASSERT_LE(sc.values[i], cs.max);
      if (cs.integer) ASSERT_EQ(sc.values[i], std::nearbyint(sc.values[i]));
    }
    const double real_missing = double(real.table.column(cs.name).count_missing()) / real.table.num_rows();
    if (real_missing == 0) EXPECT_EQ(present, sc.size());
    if (real_missing > 0.2) EXPECT_LT(present, sc.size());  // missing values are generated too
  }
}

TEST(Tvae, SameSeedSameModelAndSamplesAfterSaveLoad) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  Context ctx;
  ctx.seed = 5;
  auto a = create_synthesizer("tvae", {{"epochs", 5}});
  auto b = create_synthesizer("tvae", {{"epochs", 5}});
  a->fit(real.table, real.schema, ctx);
  b->fit(real.table, real.schema, ctx);
  EXPECT_EQ(test::model_digest(*a), test::model_digest(*b));  // byte-identical model files on CPU

  test::TempDir dir;
  save_model(*a, Provenance{}, dir.file("a.medgen"));
  LoadedModel back = load_model(dir.file("a.medgen"));
  EXPECT_EQ(to_csv(a->sample(300, {}, ctx), real.schema), to_csv(back.synthesizer->sample(300, {}, ctx), real.schema));
  const std::vector<Condition> cond = {{"diabetes", "pos"}};
  EXPECT_EQ(to_csv(a->sample(50, cond, ctx), real.schema), to_csv(back.synthesizer->sample(50, cond, ctx), real.schema));
}

TEST(Tvae, ResumeFromCheckpointEqualsUninterruptedTraining) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  test::TempDir dir;
  Context ctx;
  ctx.seed = 3;
  auto full = create_synthesizer("tvae", {{"epochs", 6}, {"batch_size", 256}});
  full->fit(real.table, real.schema, ctx);

  auto first = create_synthesizer("tvae", {{"epochs", 3}, {"batch_size", 256}, {"checkpoint_every", 3}});
  first->set_checkpoint(dir.file("c.ckpt"), false);
  first->fit(real.table, real.schema, ctx);
  auto rest = create_synthesizer("tvae", {{"epochs", 6}, {"batch_size", 256}});
  rest->set_checkpoint(dir.file("c.ckpt"), true);
  rest->fit(real.table, real.schema, ctx);
  EXPECT_EQ(to_csv(full->sample(200, {}, ctx), real.schema), to_csv(rest->sample(200, {}, ctx), real.schema));

  // Other options than the length of training: refused.
  auto other = create_synthesizer("tvae", {{"epochs", 6}, {"batch_size", 128}});
  other->set_checkpoint(dir.file("c.ckpt"), true);
  EXPECT_THROW(other->fit(real.table, real.schema, ctx), InvalidInput);
}

TEST(Tvae, RejectsBadOptions) {
  EXPECT_THROW(create_synthesizer("tvae", {{"epochs", 0}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("tvae", {{"lr", -1}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("tvae", {{"colour", 1}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("tvae", {{"device", "tpu"}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("tvae", {{"hidden", json::array()}}), InvalidInput);
  auto real = test::load(test::data_dir() + "/pbc.csv");
  auto cuda = create_synthesizer("tvae", {{"device", "cuda"}, {"epochs", 1}});
  // Without a GPU (always so in CI) --device cuda is a clear error, not a crash.
  try {
    cuda->fit(real.table, real.schema, Context{});
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("cuda"), std::string::npos);
  }
}
