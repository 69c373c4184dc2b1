// The diffusion synthesizer through the registry: types, missing values, conditions,
// determinism, checkpoints and damaged model files. Short training: quality is in
// diffusion_slow_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/tabular/synthesizer.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::tabular;
using json = nlohmann::json;

namespace {

// Small and quick: these tests are about the contract, not quality.
json quick(int epochs) {
  return {{"epochs", epochs}, {"hidden", {64, 64}}, {"epoch_rows", 1000}, {"batch_size", 256}, {"timesteps", 20}};
}

std::string model_bytes(const Synthesizer& s) {
  test::TempDir dir;
  save_model(s, Provenance{}, dir.file("m.medgen"));
  return read_file(dir.file("m.medgen"));
}

std::string reseal(const std::string& bytes, const std::function<void(ModelFile&)>& edit) {
  ModelFile m = ModelFile::deserialize(bytes, "model");
  edit(m);
  return m.serialize();
}

}  // namespace

TEST(Diffusion, KeepsTypesRangesAndMissingValues) {
  auto real = test::load(test::data_dir() + "/pbc.csv");
  Context ctx;
  auto synth = create_synthesizer("diffusion", quick(6));
  synth->fit(real.table, real.schema, ctx);
  const Table syn = synth->sample(2000, {}, ctx);
  ASSERT_EQ(syn.num_rows(), 2000u);
  for (size_t oc : output_columns(real.schema)) {
    const ColumnSchema& cs = real.schema.columns[oc];
    const Column& sc = syn.column(cs.name);
    SCOPED_TRACE(cs.name);
    const double real_missing = double(real.table.column(cs.name).count_missing()) / real.table.num_rows();
    size_t present = 0;
    for (size_t i = 0; i < sc.size(); ++i) {
      if (cs.type == ColumnType::kNumerical) {
        if (!sc.valid[i]) continue;
        ++present;
        ASSERT_GE(sc.values[i], cs.min);
        ASSERT_LE(sc.values[i], cs.max);
        if (cs.integer) ASSERT_EQ(sc.values[i], std::nearbyint(sc.values[i]));
      } else if (sc.codes[i] >= 0) {
        ++present;
      }
    }
    if (real_missing == 0) EXPECT_EQ(present, sc.size());
    if (real_missing > 0.2) EXPECT_LT(present, sc.size());  // missing values are generated too
  }
}

TEST(Diffusion, ConditionsHoldOnEveryRowAndBalanceSpreadsLevels) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  Context ctx;
  ctx.seed = 4;
  auto synth = create_synthesizer("diffusion", quick(5));
  synth->fit(real.table, real.schema, ctx);
  const Table t = synth->sample(300, {{"diabetes", "pos"}}, ctx);
  ASSERT_EQ(t.num_rows(), 300u);
  const Column& d = t.column("diabetes");
  for (int32_t c : d.codes) ASSERT_EQ(d.dictionary.at(static_cast<size_t>(c)), "pos");
  const Table b = sample_balanced(*synth, 101, "diabetes", {}, ctx);
  ASSERT_EQ(b.num_rows(), 101u);
  size_t pos = 0;
  const Column& bd = b.column("diabetes");
  for (int32_t c : bd.codes) pos += bd.dictionary.at(static_cast<size_t>(c)) == "pos";
  EXPECT_TRUE(pos == 50 || pos == 51) << pos;
}

TEST(Diffusion, SameSeedSameModelAndSamplesAfterSaveLoad) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  Context ctx;
  ctx.seed = 5;
  auto a = create_synthesizer("diffusion", quick(3));
  auto b = create_synthesizer("diffusion", quick(3));
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

TEST(Diffusion, ResumeFromCheckpointEqualsUninterruptedTraining) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  test::TempDir dir;
  Context ctx;
  ctx.seed = 3;
  auto full = create_synthesizer("diffusion", quick(4));
  full->fit(real.table, real.schema, ctx);
  json first_params = quick(2);
  first_params["checkpoint_every"] = 2;
  auto first = create_synthesizer("diffusion", first_params);
  first->set_checkpoint(dir.file("c.ckpt"), false);
  first->fit(real.table, real.schema, ctx);
  auto rest = create_synthesizer("diffusion", quick(4));
  rest->set_checkpoint(dir.file("c.ckpt"), true);
  rest->fit(real.table, real.schema, ctx);
  EXPECT_EQ(to_csv(full->sample(200, {}, ctx), real.schema), to_csv(rest->sample(200, {}, ctx), real.schema));
  json other_params = quick(4);
  other_params["timesteps"] = 30;
  auto other = create_synthesizer("diffusion", other_params);
  other->set_checkpoint(dir.file("c.ckpt"), true);
  EXPECT_THROW(other->fit(real.table, real.schema, ctx), InvalidInput);
}

TEST(Diffusion, DamagedModelFilesAreModelFormat) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  auto synth = create_synthesizer("diffusion", quick(1));
  synth->fit(real.table, real.schema, Context{});
  const std::string good = model_bytes(*synth);
  EXPECT_EQ(load_model_bytes(good, "m").synthesizer->sample(5, {}, Context{}).num_rows(), 5u);
  auto refused = [&](const std::function<void(ModelFile&)>& edit) {
    EXPECT_THROW(load_model_bytes(reseal(good, edit), "m"), ModelFormat);
  };
  // Layers far wider than the payload holds: refused before anything that size is allocated.
  refused([](ModelFile& m) { m.header["params"]["hidden"] = {65536, 65536, 65536}; });
  refused([](ModelFile& m) { m.header["params"]["hidden"] = {65}; });  // shapes disagree
  refused([](ModelFile& m) { m.header["params"]["timesteps"] = 0; });
  refused([](ModelFile& m) { m.header["state"]["history"] = 3; });
  refused([](ModelFile& m) { m.header["state"].erase("transformer"); });
  refused([](ModelFile& m) { m.header["state"]["seen_levels"]["diabetes"] = {"maybe"}; });
  refused([](ModelFile& m) { m.payload = m.payload.substr(0, m.payload.size() / 2); });
  refused([](ModelFile& m) { m.payload.clear(); });
}

TEST(Diffusion, RejectsBadOptions) {
  EXPECT_THROW(create_synthesizer("diffusion", {{"timesteps", 1}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("diffusion", {{"sample_steps", -1}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("diffusion", {{"hidden", json::array()}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("diffusion", {{"colour", 1}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("diffusion", {{"device", "tpu"}}), InvalidInput);
}
