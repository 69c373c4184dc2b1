// The synthesizer contract, checked for every synthesizer in the registry (list_synthesizers)
// on a small embedded table: a new synthesizer gets these tests by being registered. Neural
// synthesizers train for 2 epochs: these tests check the contract, not the quality.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "medgen/core/error.h"
#include "medgen/core/schema.h"
#include "medgen/tabular/synthesizer.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::tabular;
using json = nlohmann::json;

namespace {

// 240 rows: an identifier, integer and float numbers with some missing values, a boolean, two
// categoricals (one depending on the other), from a fixed linear congruential sequence.
const test::Loaded& small_table() {
  static const test::Loaded loaded = [] {
    std::string csv = "patient_id,age,sex,smoker,bmi,ward\n";
    uint64_t s = 12345;
    auto next = [&s](uint64_t k) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      return (s >> 33) % k;
    };
    const char* wards[] = {"cardio", "neuro", "onco"};
    for (int r = 0; r < 240; ++r) {
      const bool female = next(2) == 0;
      const uint64_t ward = female ? next(3) : next(2);  // no men in "onco"
      csv += std::to_string(1000 + r) + "," + std::to_string(20 + next(60)) + "," + (female ? "F" : "M") + "," +
             (next(4) == 0 ? "yes" : "no") + "," +
             (next(10) == 0 ? std::string() : std::to_string(18 + next(20)) + "." + std::to_string(next(10))) + "," +
             wards[ward] + "\n";
    }
    const RawTable raw = parse_csv(csv, "<registry table>");
    test::Loaded l;
    l.schema = infer_schema(raw);
    l.table = to_table(raw, l.schema);
    return l;
  }();
  return loaded;
}

// Default options, with training cut to 2 epochs for the synthesizers that train in epochs.
json short_params(const std::string& name) {
  json p = json::object();
  if (create_synthesizer(name)->params().contains("epochs")) p["epochs"] = 2;
  return p;
}

std::unique_ptr<Synthesizer> fitted(const std::string& name, uint64_t seed) {
  Context ctx;
  ctx.seed = seed;
  auto synth = create_synthesizer(name, short_params(name));
  synth->fit(small_table().table, small_table().schema, ctx);
  return synth;
}

std::string csv_of(const Table& t) { return to_csv(t, small_table().schema); }

class Registry : public ::testing::TestWithParam<std::string> {};

TEST(RegistryTable, HasTheColumnTypesTheTestsNeed) {
  const Schema& s = small_table().schema;
  ASSERT_EQ(s.columns.size(), 6u);
  EXPECT_EQ(s.column("patient_id").type, ColumnType::kIdentifier);
  EXPECT_EQ(s.column("age").type, ColumnType::kNumerical);
  EXPECT_EQ(s.column("sex").type, ColumnType::kCategorical);
  EXPECT_EQ(s.column("smoker").type, ColumnType::kBoolean);
  EXPECT_EQ(s.column("bmi").type, ColumnType::kNumerical);
  EXPECT_EQ(s.column("ward").type, ColumnType::kCategorical);
}

TEST_P(Registry, SamplesTheRequestedRowsWithTheSchema) {
  const Schema& schema = small_table().schema;
  auto synth = fitted(GetParam(), 1);
  EXPECT_EQ(synth->name(), GetParam());
  Context ctx;
  const Table t = synth->sample(123, {}, ctx);
  ASSERT_EQ(t.num_rows(), 123u);
  const std::vector<size_t> out = output_columns(schema);
  ASSERT_EQ(t.num_cols(), out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const ColumnSchema& cs = schema.columns[out[i]];
    const Column& c = t.columns[i];
    SCOPED_TRACE(cs.name);
    ASSERT_EQ(c.name, cs.name);
    ASSERT_EQ(c.size(), 123u);
    if (cs.type == ColumnType::kNumerical) {
      ASSERT_EQ(c.storage, Storage::kNumber);
      for (size_t r = 0; r < c.size(); ++r) {
        if (!c.valid[r]) continue;
        EXPECT_GE(c.values[r], cs.min);
        EXPECT_LE(c.values[r], cs.max);
      }
    } else {
      ASSERT_EQ(c.storage, Storage::kString);
      for (size_t r = 0; r < c.size(); ++r) {
        if (c.codes[r] < 0) continue;
        const std::string& label = c.dictionary[static_cast<size_t>(c.codes[r])];
        if (cs.type == ColumnType::kIdentifier) continue;
        EXPECT_NE(std::find(cs.values.begin(), cs.values.end(), label), cs.values.end()) << label;
      }
    }
  }
  // Identifiers are unique.
  const Column& ids = t.column("patient_id");
  std::vector<std::string> labels;
  for (int32_t code : ids.codes) labels.push_back(ids.dictionary.at(static_cast<size_t>(code)));
  std::sort(labels.begin(), labels.end());
  EXPECT_EQ(std::adjacent_find(labels.begin(), labels.end()), labels.end());
}

TEST_P(Registry, HonoursConditionsOnEveryRow) {
  auto synth = fitted(GetParam(), 2);
  Context ctx;
  const std::vector<Condition> cond = {{"sex", "F"}, {"smoker", "yes"}, {"ward", "onco"}};
  const Table t = synth->sample(57, cond, ctx);
  ASSERT_EQ(t.num_rows(), 57u);
  for (const Condition& c : cond) {
    const Column& col = t.column(c.column);
    for (size_t r = 0; r < col.size(); ++r) {
      ASSERT_GE(col.codes[r], 0) << c.column << " row " << r;
      ASSERT_EQ(col.dictionary[static_cast<size_t>(col.codes[r])], c.value) << c.column << " row " << r;
    }
  }
}

TEST_P(Registry, RefusesContradictoryAndInvalidRequests) {
  auto synth = fitted(GetParam(), 3);
  Context ctx;
  EXPECT_THROW(synth->sample(10, {{"sex", "F"}, {"sex", "M"}}, ctx), InvalidInput);
  EXPECT_THROW(synth->sample(10, {{"sex", "X"}}, ctx), InvalidInput);
  EXPECT_THROW(synth->sample(10, {{"age", "40"}}, ctx), InvalidInput);
  EXPECT_THROW(synth->sample(10, {{"nope", "1"}}, ctx), InvalidInput);
  EXPECT_THROW(synth->sample(0, {}, ctx), InvalidInput);
  // The same condition twice is no contradiction.
  EXPECT_EQ(synth->sample(5, {{"sex", "M"}, {"sex", "M"}}, ctx).num_rows(), 5u);
}

TEST_P(Registry, SameSeedSameSamples) {
  auto a = fitted(GetParam(), 4);
  auto b = fitted(GetParam(), 4);
  Context ctx;
  ctx.seed = 9;
  const std::string first = csv_of(a->sample(80, {}, ctx));
  EXPECT_EQ(first, csv_of(a->sample(80, {}, ctx)));  // sampling twice from one model
  EXPECT_EQ(first, csv_of(b->sample(80, {}, ctx)));  // two fits from one seed
  ctx.seed = 10;
  EXPECT_NE(first, csv_of(a->sample(80, {}, ctx)));  // and the seed matters
}

TEST_P(Registry, SaveLoadRoundTripGivesIdenticalSamples) {
  auto a = fitted(GetParam(), 5);
  test::TempDir dir;
  save_model(*a, Provenance{}, dir.file("m.medgen"));
  LoadedModel back = load_model(dir.file("m.medgen"));
  ASSERT_NE(back.synthesizer, nullptr);
  EXPECT_EQ(back.synthesizer->name(), GetParam());
  EXPECT_EQ(back.synthesizer->params(), a->params());
  Context ctx;
  ctx.seed = 11;
  EXPECT_EQ(csv_of(a->sample(60, {}, ctx)), csv_of(back.synthesizer->sample(60, {}, ctx)));
  const std::vector<Condition> cond = {{"ward", "neuro"}};
  EXPECT_EQ(csv_of(a->sample(30, cond, ctx)), csv_of(back.synthesizer->sample(30, cond, ctx)));
}

std::vector<std::string> registered_names() {
  std::vector<std::string> names;
  for (const SynthesizerInfo& info : list_synthesizers()) names.push_back(info.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(AllSynthesizers, Registry, ::testing::ValuesIn(registered_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
