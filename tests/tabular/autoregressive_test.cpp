// The autoregressive synthesizer (include/medgen/tabular/autoregressive.h) through the registry:
// types and ranges, determinism, checkpoints, untrusted model files, privacy "coarse" and
// imputation. Quality: autoregressive_slow_test.cpp.
#include "medgen/tabular/autoregressive.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/tabular/synthesizer.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::tabular;
using json = nlohmann::json;

namespace {

std::string model_bytes(const Synthesizer& s) {
  test::TempDir dir;
  save_model(s, Provenance{}, dir.file("m.medgen"));
  return read_file(dir.file("m.medgen"));
}

std::string reseal(const std::string& bytes, const std::function<void(json&)>& edit) {
  ModelFile m = ModelFile::deserialize(bytes, "model");
  edit(m.header);
  return m.serialize();
}

void expect_model_format(const std::string& bytes, const std::string& needle) {
  try {
    load_model_bytes(bytes, "m");
    ADD_FAILURE() << "no exception (expected: " << needle << ")";
  } catch (const ModelFormat& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// A table where b is a copy of a, c depends on a, x is a number decided by a.
test::Loaded copy_table(size_t rows) {
  std::string csv = "a,b,c,x\n";
  Rng rng(17);
  const char* levels[] = {"p", "q", "r"};
  for (size_t r = 0; r < rows; ++r) {
    const size_t a = rng.below(3);
    csv += std::string(levels[a]) + "," + levels[a] + "," + (rng.uniform() < 0.8 ? levels[a] : levels[(a + 1) % 3]) +
           "," + std::to_string(10 * static_cast<int>(a) + static_cast<int>(rng.below(3))) + "\n";
  }
  const RawTable raw = parse_csv(csv, "<copy table>");
  test::Loaded l;
  l.schema = infer_schema(raw);
  l.table = to_table(raw, l.schema);
  return l;
}

}  // namespace

TEST(Autoregressive, KeepsTypesRangesAndMissingValues) {
  auto real = test::load(test::data_dir() + "/pbc.csv");
  Context ctx;
  auto synth = create_synthesizer("autoregressive", {{"epochs", 20}});
  synth->fit(real.table, real.schema, ctx);
  const Table syn = synth->sample(2000, {}, ctx);
  ASSERT_EQ(syn.num_rows(), 2000u);
  for (size_t oc : output_columns(real.schema)) {
    const ColumnSchema& cs = real.schema.columns[oc];
    const Column& sc = syn.column(cs.name);
    SCOPED_TRACE(cs.name);
    if (cs.type != ColumnType::kNumerical) continue;
    size_t present = 0;
    std::set<double> distinct;
    for (size_t i = 0; i < sc.size(); ++i) {
      if (!sc.valid[i]) continue;
      ++present;
      distinct.insert(sc.values[i]);
      ASSERT_GE(sc.values[i], cs.min);
      ASSERT_LE(sc.values[i], cs.max);
      if (cs.integer) ASSERT_EQ(sc.values[i], std::nearbyint(sc.values[i]));
    }
    const double real_missing = double(real.table.column(cs.name).count_missing()) / real.table.num_rows();
    if (real_missing == 0) EXPECT_EQ(present, sc.size());
    if (real_missing > 0.2) EXPECT_LT(present, sc.size());
    // Values drawn within bins: a column with many values is not replayed from a few.
    std::set<double> real_distinct;
    const Column& rc = real.table.column(cs.name);
    for (size_t i = 0; i < rc.size(); ++i)
      if (rc.valid[i]) real_distinct.insert(rc.values[i]);
    EXPECT_GE(2 * distinct.size(), std::min<size_t>(real_distinct.size(), 200));
  }
}

TEST(Autoregressive, SameSeedSameModelAndSamplesAfterSaveLoad) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  Context ctx;
  ctx.seed = 5;
  const json p = {{"epochs", 3}, {"hidden", {32, 32}}};
  auto a = create_synthesizer("autoregressive", p);
  auto b = create_synthesizer("autoregressive", p);
  a->fit(real.table, real.schema, ctx);
  b->fit(real.table, real.schema, ctx);
  EXPECT_EQ(test::model_digest(*a), test::model_digest(*b));

  test::TempDir dir;
  save_model(*a, Provenance{}, dir.file("a.medgen"));
  LoadedModel back = load_model(dir.file("a.medgen"));
  EXPECT_EQ(to_csv(a->sample(300, {}, ctx), real.schema), to_csv(back.synthesizer->sample(300, {}, ctx), real.schema));
  const std::vector<Condition> cond = {{"diabetes", "pos"}};
  EXPECT_EQ(to_csv(a->sample(50, cond, ctx), real.schema), to_csv(back.synthesizer->sample(50, cond, ctx), real.schema));
}

TEST(Autoregressive, ResumeFromCheckpointEqualsUninterruptedTraining) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  test::TempDir dir;
  Context ctx;
  ctx.seed = 3;
  const json base = {{"batch_size", 256}, {"hidden", {32, 32}}};
  json p = base;
  p["epochs"] = 4;
  auto full = create_synthesizer("autoregressive", p);
  full->fit(real.table, real.schema, ctx);

  p["epochs"] = 2;
  p["checkpoint_every"] = 2;
  auto first = create_synthesizer("autoregressive", p);
  first->set_checkpoint(dir.file("c.ckpt"), false);
  first->fit(real.table, real.schema, ctx);
  p = base;
  p["epochs"] = 4;
  auto rest = create_synthesizer("autoregressive", p);
  rest->set_checkpoint(dir.file("c.ckpt"), true);
  rest->fit(real.table, real.schema, ctx);
  EXPECT_EQ(to_csv(full->sample(200, {}, ctx), real.schema), to_csv(rest->sample(200, {}, ctx), real.schema));

  p["batch_size"] = 128;  // other options than the length of training: refused
  auto other = create_synthesizer("autoregressive", p);
  other->set_checkpoint(dir.file("c.ckpt"), true);
  EXPECT_THROW(other->fit(real.table, real.schema, ctx), InvalidInput);
}

TEST(Autoregressive, EarlyStoppingKeepsTheBestEpoch) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  Context ctx;
  ctx.seed = 4;
  // A wide network, small batches and 20% held out: it overfits within a few dozen epochs.
  const json p = {{"epochs", 150},       {"hidden", {128, 128}}, {"batch_size", 64},
                  {"lr", 3e-3},          {"patience", 3},        {"validation_share", 0.2}};
  auto synth = create_synthesizer("autoregressive", p);
  synth->fit(real.table, real.schema, ctx);
  const json s = synth->summary();
  const json& history = s["history"];
  ASSERT_TRUE(s.contains("best_epoch"));
  const int best = s["best_epoch"].get<int>();
  // Stopped after exactly `patience` epochs without improvement, well before the limit.
  EXPECT_EQ(history.size(), static_cast<size_t>(best + 3));
  EXPECT_LT(history.size(), 150u);
  double lowest = INFINITY;
  int lowest_epoch = 0;
  for (const json& row : history)
    if (row["val_nll"].get<double>() < lowest) {
      lowest = row["val_nll"].get<double>();
      lowest_epoch = row["epoch"].get<int>();
    }
  EXPECT_EQ(lowest_epoch, best);
  // The training NLL kept falling past the best epoch (what early stopping guards against).
  EXPECT_LT(history.back()["nll"].get<double>(), history[static_cast<size_t>(best - 1)]["nll"].get<double>());
  // The best epoch's weights are the model: the file keeps best_epoch, and a damaged one is refused.
  test::TempDir dir;
  save_model(*synth, Provenance{}, dir.file("m.medgen"));
  EXPECT_EQ(load_model(dir.file("m.medgen")).synthesizer->summary()["best_epoch"], best);
  const std::string bytes = model_bytes(*synth);
  expect_model_format(reseal(bytes, [&](json& h) { h["state"]["best_epoch"] = best + 10; }), "best_epoch");

  // validation_share 0: every epoch, no validation.
  json all = p;
  all["validation_share"] = 0;
  all["epochs"] = 5;
  auto plain = create_synthesizer("autoregressive", all);
  plain->fit(real.table, real.schema, ctx);
  EXPECT_EQ(plain->summary()["history"].size(), 5u);
  EXPECT_FALSE(plain->summary().contains("best_epoch"));
  EXPECT_FALSE(plain->summary()["history"][0].contains("val_nll"));
  // Too few rows to hold out: trains every epoch, with a warning.
  const test::Loaded tiny = copy_table(100);
  auto small = create_synthesizer("autoregressive", {{"epochs", 4}, {"hidden", {16, 16}}});
  small->fit(tiny.table, tiny.schema, ctx);
  EXPECT_EQ(small->summary()["history"].size(), 4u);
  EXPECT_FALSE(small->warnings().empty());
}

TEST(Autoregressive, ResumeAfterTheBestEpochStopsAsUninterrupted) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  test::TempDir dir;
  Context ctx;
  ctx.seed = 6;
  json p = {{"epochs", 150}, {"hidden", {64, 64}}, {"batch_size", 64}, {"lr", 3e-3}, {"patience", 2}};
  auto full = create_synthesizer("autoregressive", p);
  full->fit(real.table, real.schema, ctx);
  const size_t trained = full->summary()["history"].size();
  ASSERT_LT(trained, 150u);
  // Checkpoint one epoch before the stop (after the best epoch), then resume.
  p["epochs"] = static_cast<int>(trained) - 1;
  p["checkpoint_every"] = static_cast<int>(trained) - 1;
  auto first = create_synthesizer("autoregressive", p);
  first->set_checkpoint(dir.file("c.ckpt"), false);
  first->fit(real.table, real.schema, ctx);
  p["epochs"] = 150;
  p["checkpoint_every"] = 0;
  auto rest = create_synthesizer("autoregressive", p);
  rest->set_checkpoint(dir.file("c.ckpt"), true);
  rest->fit(real.table, real.schema, ctx);
  EXPECT_EQ(rest->summary()["history"].size(), trained);
  EXPECT_EQ(rest->summary()["best_epoch"], full->summary()["best_epoch"]);
  EXPECT_EQ(to_csv(full->sample(200, {}, ctx), real.schema), to_csv(rest->sample(200, {}, ctx), real.schema));
}

TEST(Autoregressive, DamagedModelFilesAreModelFormat) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  auto synth = create_synthesizer("autoregressive", {{"epochs", 1}, {"hidden", {16, 16}}, {"bins", 8}});
  synth->fit(real.table, real.schema, Context{});
  const std::string good = model_bytes(*synth);
  EXPECT_EQ(load_model_bytes(good, "m").synthesizer->sample(5, {}, Context{}).num_rows(), 5u);
  auto edit = [&](const std::function<void(json&)>& f) { return reseal(good, f); };
  // glucose (column 1) is numeric, diabetes (8) categorical.
  expect_model_format(edit([](json& h) { h["params"]["hidden"] = {16, 17}; }), "has shape");
  expect_model_format(edit([](json& h) { h["params"]["hidden"] = {60000, 60000}; }), "smaller than the header");
  expect_model_format(edit([](json& h) { h["state"]["encoding"]["columns"][1]["edges"][1] = -1e9; }), "decreasing");
  expect_model_format(edit([](json& h) { h["state"]["encoding"]["columns"][1]["atoms"] = {2.0, 1.0}; }),
                      "not increasing");
  expect_model_format(edit([](json& h) { h["state"]["encoding"]["columns"][1]["edges"] = json::array({1.0}); }),
                      "one edge");
  expect_model_format(edit([](json& h) { h["state"]["encoding"]["columns"][1]["edges"][0] = "x"; }),
                      "expected a number");
  expect_model_format(edit([](json& h) { h["state"]["encoding"]["columns"][1]["atoms"] = json::array(); h["state"]["encoding"]["columns"][1]["edges"] = json::array(); h["state"]["encoding"]["columns"][1]["missing"] = false; }),
                      "no tokens");
  expect_model_format(edit([](json& h) { h["state"]["encoding"]["columns"][8]["slot_level"][0] = 7; }), "outside");
  expect_model_format(edit([](json& h) { h["state"]["encoding"]["columns"][8]["slot_level"] = {0, 0}; }), "repeated");
  expect_model_format(edit([](json& h) { h["state"]["encoding"]["columns"].erase(3); }), "learned columns");
  expect_model_format(edit([](json& h) { h["state"]["encoding"]["columns"][2]["schema_index"] = 5; }), "schema_index");
  expect_model_format(edit([](json& h) { h["state"]["encoding"] = 3; }), "expected an object");
  expect_model_format(edit([](json& h) { h["state"]["history"] = 3; }), "history: expected an array");
  expect_model_format(edit([](json& h) { h["state"]["seen_levels"]["diabetes"] = {"maybe"}; }),
                      "is not a value of the column");
  // More tokens than the bins option allows (and than the weights hold).
  expect_model_format(edit([](json& h) { h["params"]["bins"] = 2; }), "bins");
}

TEST(Autoregressive, CoarsePrivacyRoundsEdgesAndBounds) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  auto synth = create_synthesizer("autoregressive", {{"epochs", 1}, {"hidden", {16, 16}}, {"privacy", "coarse"}});
  synth->fit(real.table, real.schema, Context{});
  const ModelFile m = ModelFile::deserialize(model_bytes(*synth), "m");
  const json& pedigree = m.header["state"]["encoding"]["columns"][6];  // 0.078 .. 2.42, many distinct values
  ASSERT_GE(pedigree["edges"].size(), 3u);
  for (const json& e : pedigree["edges"]) {
    const double x = e.get<double>();
    if (x == 0) continue;
    const double step = std::pow(10.0, std::floor(std::log10(std::fabs(x))) - 2);
    EXPECT_NEAR(x / step, std::round(x / step), 1e-6) << x;  // 3 significant digits
  }
  // Atoms only for values seen at least 5 times.
  const Column& col = real.table.column("pedigree");
  for (const json& a : pedigree["atoms"]) {
    size_t count = 0;
    for (size_t r = 0; r < col.size(); ++r) count += col.valid[r] && col.values[r] == a.get<double>();
    EXPECT_GE(count, 5u) << a;
  }
  const Schema coarse = Schema::from_json(m.header["schema"]);
  EXPECT_LE(coarse.column("pedigree").min, real.schema.column("pedigree").min);
  EXPECT_GE(coarse.column("pedigree").max, real.schema.column("pedigree").max);
  EXPECT_EQ(load_model_bytes(model_bytes(*synth), "m").synthesizer->sample(20, {}, Context{}).num_rows(), 20u);
}

TEST(Autoregressive, ImputesMissingCellsFromThePresentOnes) {
  const test::Loaded l = copy_table(900);
  Context ctx;
  ctx.seed = 2;
  auto synth = create_synthesizer("autoregressive", {{"epochs", 40}, {"hidden", {64, 64}}, {"batch_size", 100}});
  synth->fit(l.table, l.schema, ctx);
  // Knock out b (a copy of a) and x (10 * a + 0..2) in every other row, a in every fifth.
  Table holes = l.table;
  Column& b = holes.columns[static_cast<size_t>(holes.find("b"))];
  Column& x = holes.columns[static_cast<size_t>(holes.find("x"))];
  Column& a = holes.columns[static_cast<size_t>(holes.find("a"))];
  for (size_t r = 0; r < holes.num_rows(); r += 2) {
    b.codes[r] = -1;
    x.valid[r] = 0;
  }
  for (size_t r = 1; r < holes.num_rows(); r += 10) a.codes[r] = -1;
  const Table filled = impute(*synth, holes, ctx);
  ASSERT_EQ(filled.num_rows(), holes.num_rows());
  const Column& fa = filled.column("a");
  const Column& fb = filled.column("b");
  const Column& fx = filled.column("x");
  size_t b_right = 0, x_right = 0, a_right = 0, b_n = 0, a_n = 0;
  const Column& ta = l.table.column("a");
  for (size_t r = 0; r < holes.num_rows(); ++r) {
    ASSERT_GE(fa.codes[r], 0);
    ASSERT_GE(fb.codes[r], 0);
    ASSERT_TRUE(fx.valid[r]);
    const std::string true_a = ta.dictionary[static_cast<size_t>(ta.codes[r])];
    if (r % 2 == 0) {
      ++b_n;
      b_right += fb.dictionary[static_cast<size_t>(fb.codes[r])] == true_a;
      const double level = std::floor(fx.values[r] / 10);
      x_right += "pqr"[static_cast<size_t>(level)] == true_a[0];
    } else {
      // Present cells are kept as they were.
      EXPECT_EQ(fb.dictionary[static_cast<size_t>(fb.codes[r])], true_a);
    }
    if (r % 10 == 1) {  // a missing, b present: a is b
      ++a_n;
      a_right += fa.dictionary[static_cast<size_t>(fa.codes[r])] == true_a;
    }
  }
  EXPECT_GT(b_right, b_n * 95 / 100);
  EXPECT_GT(x_right, b_n * 95 / 100);
  EXPECT_GT(a_right, a_n * 95 / 100);
  // Deterministic from the seed.
  EXPECT_EQ(to_csv(filled, l.schema), to_csv(impute(*synth, holes, ctx), l.schema));
  // Other synthesizers do not impute.
  auto copula = create_synthesizer("copula");
  copula->fit(l.table, l.schema, ctx);
  EXPECT_THROW(impute(*copula, holes, ctx), InvalidInput);
}

TEST(Autoregressive, RejectsBadOptions) {
  EXPECT_THROW(create_synthesizer("autoregressive", {{"bins", 1}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("autoregressive", {{"hidden", json::array()}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("autoregressive", {{"fixed_order_share", 1.5}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("autoregressive", {{"validation_share", 0.6}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("autoregressive", {{"patience", 0}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("autoregressive", {{"max_modes", 3}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("autoregressive", {{"colour", 1}}), InvalidInput);
}

TEST(Autoregressive, NothingToLearnIsInvalidInput) {
  Schema schema;
  ColumnSchema note;
  note.name = "note";
  note.type = ColumnType::kText;
  schema.columns = {note};
  Table t;
  t.columns.push_back(Column::strings("note", 30, {}));
  for (size_t r = 0; r < 30; ++r) {
    t.columns[0].dictionary.push_back("free text number " + std::to_string(r));
    t.columns[0].codes[r] = static_cast<int32_t>(r);
  }
  auto synth = create_synthesizer("autoregressive", {{"epochs", 1}});
  try {
    synth->fit(t, schema, Context{});
    ADD_FAILURE() << "no exception";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("nothing to learn"), std::string::npos) << e.what();
  }
}
